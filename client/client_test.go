package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	_ "github.com/stepflow/stepflow/internal/datastore/s3store" // s3:// for the tests
	"github.com/stepflow/stepflow/internal/datastore/seed"
)

// backends are the datastores every client test runs on: a directory,
// and a bucket of gofakes3 on loopback, reached through client.Open as a
// user's program reaches it.
var backends = []struct {
	name string
	open func(t *testing.T) *client.Client
}{
	{"local", func(t *testing.T) *client.Client {
		root := t.TempDir()
		if err := seed.Write(root); err != nil {
			t.Fatal(err)
		}
		c, err := client.Open(context.Background(), root)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}},
	{"s3", func(t *testing.T) *client.Client {
		ctx := context.Background()
		fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
		t.Cleanup(fake.Close)
		env := map[string]string{"STEPFLOW_S3_ENDPOINT": fake.URL, "STEPFLOW_S3_PATH_STYLE": "true",
			"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
		for k, v := range env {
			t.Setenv(k, v) // the SDK's credential chain reads the process environment
		}
		raw := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
		if _, err := raw.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
			t.Fatal(err)
		}
		getenv := func(k string) string { return env[k] }
		b, err := datastore.Open(ctx, "s3://flows/team", getenv)
		if err != nil {
			t.Fatal(err)
		}
		if err := seed.WriteTo(ctx, b); err != nil {
			t.Fatal(err)
		}
		c, err := client.Open(ctx, "s3://flows/team", client.WithEnv(getenv))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}},
}

// eachBackend runs test once per backend, on a seeded datastore.
func eachBackend(t *testing.T, test func(t *testing.T, c *client.Client)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.open(t)) })
	}
}

func TestOpenMissingRoot(t *testing.T) {
	root := filepath.Join(t.TempDir(), "nope")
	_, err := client.Open(context.Background(), root)
	if !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("Open(missing) = %v, want ErrNotFound", err)
	}
	if _, serr := os.Stat(root); serr == nil {
		t.Errorf("Open created %s", root)
	}
	if _, err := client.Open(context.Background(), "gs://bucket/x"); err == nil || !strings.Contains(err.Error(), `unknown scheme "gs"`) {
		t.Errorf("Open(gs://) = %v, want an unknown-scheme error", err)
	}
}

func TestFlowsAndRuns(t *testing.T) { eachBackend(t, testFlowsAndRuns) }

func testFlowsAndRuns(t *testing.T, c *client.Client) {
	ctx := context.Background()
	flows, err := c.Flows(ctx)
	if err != nil || !slices.Equal(flows, []string{"HelloFlow", "OtherFlow"}) {
		t.Fatalf("Flows = %v, %v", flows, err)
	}
	f := c.Flow("HelloFlow")
	runs, err := f.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%s %s %v", r.ID, r.Status, r.Duration()))
	}
	want := []string{"r3 running 0s", "r2 failed 2s", "r1 succeeded 4s"}
	if !slices.Equal(got, want) {
		t.Errorf("Runs = %q, want %q", got, want)
	}
	latest, err := f.Run(ctx, client.Latest)
	if err != nil || latest.ID != "r3" || !latest.End.IsZero() {
		t.Errorf("Run(latest) = %+v, %v", latest, err)
	}
	r1, err := f.Run(ctx, "r1")
	if err != nil || r1.Params["alpha"] != "0.5" || r1.Pathspec() != "HelloFlow/r1" || !r1.Start.Equal(seed.T0) {
		t.Errorf("Run(r1) = %+v, %v", r1, err)
	}

	for _, tc := range []struct{ flow, run, msg string }{
		{"HelloFlow", "nope", `flow HelloFlow has no run "nope"`},
		{"HelloFlow", "../x", `run id "../x" is not valid`},
		{"NoFlow", client.Latest, "flow NoFlow has no runs"},
	} {
		_, err := c.Flow(tc.flow).Run(ctx, tc.run)
		if !errors.Is(err, client.ErrNotFound) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Run(%s, %s) = %v, want ErrNotFound with %q", tc.flow, tc.run, err, tc.msg)
		}
	}
	if ok, err := c.Flow("NoFlow").Exists(ctx); ok || err != nil {
		t.Errorf("Exists(NoFlow) = %v, %v", ok, err)
	}
}

func TestStepsAndTasks(t *testing.T) { eachBackend(t, testStepsAndTasks) }

func testStepsAndTasks(t *testing.T, c *client.Client) {
	ctx := context.Background()
	run, err := c.Flow("HelloFlow").Run(ctx, "r3")
	if err != nil {
		t.Fatal(err)
	}
	steps, err := run.Steps(ctx)
	if err != nil || len(steps) != 2 || steps[0].Name != "start" || steps[1].Name != "train" {
		t.Fatalf("Steps = %v, %v", steps, err)
	}
	tasks, err := steps[1].Tasks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range tasks {
		got = append(got, tk.ID+":"+tk.Status)
	}
	// Numeric order; 11 stored a log but no attempt record yet.
	if want := []string{"2:succeeded", "10:succeeded", "11:running"}; !slices.Equal(got, want) {
		t.Errorf("Tasks = %v, want %v", got, want)
	}

	if _, err := run.Step(ctx, "end"); !errors.Is(err, client.ErrNotFound) || !strings.Contains(err.Error(), "its steps: start, train") {
		t.Errorf("Step(end) = %v", err)
	}
	if _, err := run.Task(ctx, "train", "3"); !errors.Is(err, client.ErrNotFound) || !strings.Contains(err.Error(), "its tasks: 2, 10, 11") {
		t.Errorf("Task(train, 3) = %v", err)
	}

	// Retries: the latest finished attempt by default, any one on request.
	r1, _ := c.Flow("HelloFlow").Run(ctx, "r1")
	tk, err := r1.Task(ctx, "train", "1")
	if err != nil || tk.Attempt != 1 || tk.Status != client.StatusSucceeded || tk.Duration() != time.Second ||
		!slices.Equal(tk.Indices, []int{1}) || tk.Pathspec() != "HelloFlow/r1/train/1" {
		t.Errorf("Task(train, 1) = %+v, %v", tk, err)
	}
	step, _ := r1.Step(ctx, "train")
	a0, err := step.TaskAttempt(ctx, "1", 0)
	if err != nil || a0.Status != client.StatusFailed || a0.Error != "fit us: diverged" || a0.ExitCode != 1 {
		t.Errorf("TaskAttempt(1, 0) = %+v, %v", a0, err)
	}
	if _, err := step.TaskAttempt(ctx, "1", 2); !errors.Is(err, client.ErrNotFound) {
		t.Errorf("TaskAttempt(1, 2) = %v", err)
	}
}

func TestArtifacts(t *testing.T) { eachBackend(t, testArtifacts) }

func testArtifacts(t *testing.T, c *client.Client) {
	ctx := context.Background()
	run, _ := c.Flow("HelloFlow").Run(ctx, "r1")
	tk, err := run.Task(ctx, "end", "0")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tk.Artifacts(), []string{"Alpha", "Best", "Model", "Raw"}; !slices.Equal(got, want) {
		t.Errorf("Artifacts = %v, want %v", got, want)
	}

	a, err := tk.Artifact(ctx, "Model")
	if err != nil {
		t.Fatal(err)
	}
	var m seed.Model
	if err := a.Value(&m); err != nil || m.Name != "eu" || m.Scores["us"] != 0.7 {
		t.Errorf("Value(Model) = %+v, %v", m, err)
	}
	var generic map[string]any
	if err := a.Value(&generic); err != nil || generic["Name"] != "eu" {
		t.Errorf("Value(map) = %v, %v", generic, err)
	}
	if got := string(a.JSON()); got != `{"Name":"eu","Scores":{"eu":0.9,"us":0.7}}` {
		t.Errorf("JSON = %s", got)
	}
	if a.Type != "seed.Model" || a.Encoding != "json" {
		t.Errorf("Type, Encoding = %q, %q", a.Type, a.Encoding)
	}
	var wrong int
	if err := a.Value(&wrong); err == nil || !strings.Contains(err.Error(), "artifact Model of HelloFlow/r1/end/0") {
		t.Errorf("Value(int) = %v", err)
	}

	raw, err := tk.Artifact(ctx, "Raw")
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	var anyv any
	if err := raw.Value(&b); err != nil || string(b) != "\x00\x01hello" {
		t.Errorf("Value([]byte) = %q, %v", b, err)
	}
	if err := raw.Value(&anyv); err != nil || !reflect.DeepEqual(anyv, []byte("\x00\x01hello")) {
		t.Errorf("Value(any) = %q, %v", anyv, err)
	}
	if got := string(raw.JSON()); got != `"AAFoZWxsbw=="` {
		t.Errorf("JSON(bytes) = %s", got)
	}
	if got := raw.String(); !strings.HasPrefix(got, "<7 bytes> 000168656c6c6f") {
		t.Errorf("String(bytes) = %q", got)
	}

	if _, err := tk.Artifact(ctx, "Nope"); !errors.Is(err, client.ErrNotFound) || !strings.Contains(err.Error(), "its artifacts: Alpha, Best, Model, Raw") {
		t.Errorf("Artifact(Nope) = %v", err)
	}
}

func TestLogs(t *testing.T) { eachBackend(t, testLogs) }

func testLogs(t *testing.T, c *client.Client) {
	ctx := context.Background()
	run, _ := c.Flow("HelloFlow").Run(ctx, "r1")
	tk, _ := run.Task(ctx, "train", "1")
	read := func(attempt int, stream string) string {
		t.Helper()
		rc, err := tk.Log(ctx, attempt, stream)
		if err != nil {
			return "error: " + err.Error()
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	for _, tc := range []struct {
		attempt int
		stream  string
		want    string
	}{
		{-1, client.Stdout, "training us again\n"},
		{0, client.Stdout, "training us\n"},
		{0, client.Stderr, "diverged\n"},
		{1, client.Stderr, "error: task HelloFlow/r1/train/1 has no stderr log for attempt 1"},
		{0, "both", `error: log stream "both" is not valid: use "stdout" or "stderr"`},
	} {
		if got := read(tc.attempt, tc.stream); got != tc.want {
			t.Errorf("Log(%d, %s) = %q, want %q", tc.attempt, tc.stream, got, tc.want)
		}
	}
}

// ExampleClient reads a run's tasks and a typed artifact value.
func ExampleClient() {
	root, err := os.MkdirTemp("", "stepflow-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	if err := seed.Write(root); err != nil { // a few runs of HelloFlow
		panic(err)
	}

	ctx := context.Background()
	c, err := client.Open(ctx, root)
	if err != nil {
		panic(err)
	}
	run, err := c.Flow("HelloFlow").Run(ctx, "r1")
	if err != nil {
		panic(err)
	}
	fmt.Println(run.Pathspec(), run.Status, run.Duration())

	steps, _ := run.Steps(ctx)
	for _, s := range steps {
		tasks, _ := s.Tasks(ctx)
		for _, t := range tasks {
			fmt.Printf("  %s/%s attempt %d %s\n", t.Step, t.ID, t.Attempt, t.Status)
		}
	}

	end, err := run.Task(ctx, "end", "0")
	if err != nil {
		panic(err)
	}
	a, err := end.Artifact(ctx, "Best")
	if err != nil {
		panic(err)
	}
	var best string
	if err := a.Value(&best); err != nil {
		panic(err)
	}
	fmt.Println("best:", best)
	// Output:
	// HelloFlow/r1 succeeded 4s
	//   end/0 attempt 0 succeeded
	//   start/0 attempt 0 succeeded
	//   train/0 attempt 0 succeeded
	//   train/1 attempt 1 succeeded
	// best: eu
}

func TestRunGraph(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	if err := seed.Write(root); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.Flow("HelloFlow").Run(ctx, "r1"); err != nil || r.Graph != nil {
		t.Fatalf("run without a recorded graph: Graph = %v, err %v", r.Graph, err)
	}
	b, err := datastore.Open(ctx, root, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	s := datastore.NewStore(b, "GraphFlow")
	err = s.Runs().Put(ctx, datastore.Run{ID: "g1", Start: seed.T0, Runtime: "local",
		Graph: []byte(`{"flow":"GraphFlow","steps":[{"name":"start","kind":"foreach","next":["work"],"join":"join","field":"Items"},{"name":"work","kind":"linear","next":["join"]},{"name":"join","kind":"join","next":["end"]},{"name":"end","kind":"end"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Flow("GraphFlow").Run(ctx, "g1")
	if err != nil {
		t.Fatal(err)
	}
	want := []client.GraphStep{
		{Name: "start", Kind: "foreach", Next: []string{"work"}, Join: "join", Field: "Items"},
		{Name: "work", Kind: "linear", Next: []string{"join"}},
		{Name: "join", Kind: "join", Next: []string{"end"}},
		{Name: "end", Kind: "end"},
	}
	if !reflect.DeepEqual(r.Graph, want) {
		t.Errorf("Graph = %+v, want %+v", r.Graph, want)
	}
}
