package e2e_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

const (
	repoRoot = "../../.."
	module   = "github.com/stepflow/stepflow"
	bucket   = "stepflow-e2e"
	prefix   = "flows"
	table    = "stepflow-e2e"
	region   = "us-east-1"
	// maxJobs is the emulated compute environment's capacity: at most this
	// many jobs run at once (2 cores).
	maxJobs = 3
)

// world is the emulated AWS account: one S3 bucket (gofakes3), one
// DynamoDB table (dynalite), an OCI registry (go-containerregistry's, in
// process) standing for ECR, and the cache of unpacked images the emulated
// Batch runs jobs from. It is started once for the package.
type world struct {
	dir      string
	registry string // host:port of the OCI registry the flow images are pushed to
	runner   string // ocirun: runs a job's container from its image
	s3URL    string
	ddbURL   string
	backend  *s3store.Backend
	ddb      *dynamodb.Client
	node     string
	jobEnv   map[string]string
	stop     []func()
	packages sync.Map // import path -> *flowOnce
	dynalite *testproc.Proc

	// The emulator of Step Functions and Batch: one `node sfn.cjs
	// --serve` runs every execution (emulator), started on first use.
	imageCache string // ocirun's --cache: unpacked images, kept between runs

	emuOnce sync.Once
	emuURL  string
	emuErr  error
}

var theWorld *world

// productionToken is the deployment's production token the jobs see.
const productionToken = "e2eflow-abcd1234"

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	// The flows are built by go build subprocesses, which the test cache
	// does not see: stat every source file so that a change to any of them
	// invalidates a cached result.
	filepath.WalkDir(repoRoot, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && p != repoRoot {
			return filepath.SkipDir
		}
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".go") || p == filepath.Join(repoRoot, "go.mod")) {
			os.Stat(p)
		}
		return nil
	})
	code := m.Run()
	if theWorld != nil {
		for _, f := range theWorld.stop {
			f()
		}
	}
	os.Exit(code)
}

var worldOnce sync.Once
var worldErr error

// ci reports whether the tests run in CI ($CI set, as CI services do),
// where nothing may be skipped.

// getWorld starts the emulators on first use. It fails the test, never
// skips it, when a tool is missing. With go test -short (outside CI) it
// skips the test: these are the slow end-to-end runs.
func getWorld(t testing.TB) *world {
	t.Helper()
	if testing.Short() && !testproc.CI() {
		t.Skip("an end-to-end run on emulated AWS; go test -short skips it (never in CI)")
	}
	worldOnce.Do(func() {
		theWorld, worldErr = startWorld()
		if worldErr != nil && theWorld != nil {
			for _, f := range theWorld.stop {
				f()
			}
			theWorld = nil
		}
	})
	if worldErr != nil {
		t.Fatal(worldErr)
	}
	return theWorld
}

// startWorld returns the world even on error, so what started can be
// stopped.
func startWorld() (w *world, err error) {
	w = &world{}
	if w.node, err = testproc.Node(repoRoot); err != nil {
		return w, err
	}
	for _, p := range []string{"node_modules/aws-local-stepfunctions", "node_modules/dynalite/cli.js"} {
		if _, err := os.Stat(filepath.Join(repoRoot, p)); err != nil {
			return w, fmt.Errorf("%s is missing; run `npm ci` at the repository root", p)
		}
	}
	if os.Getuid() != 0 {
		return w, fmt.Errorf("the emulated AWS Batch runs each job's image in its own mount namespace and root (chroot), which needs root; run the end-to-end tests as root (CI does)")
	}
	w.dir, err = os.MkdirTemp("", "stepflow-e2e-")
	if err != nil {
		return w, err
	}
	w.stop = append(w.stop, func() { os.RemoveAll(w.dir) })
	if err := os.MkdirAll(filepath.Join(w.dir, "logs"), 0o755); err != nil {
		return w, err
	}
	// The emulated Batch's image cache (ocirun --cache) outlives the run,
	// as a Batch host's does: an image is unpacked once per digest, under
	// ocirun's lock, so runs of this and other checkouts share it. Images
	// unpacked more than a day ago are removed.
	w.imageCache = filepath.Join(testproc.DiskTempDir(), fmt.Sprintf("stepflow-e2e-images-%d", os.Getuid()))
	if err := os.MkdirAll(w.imageCache, 0o755); err != nil {
		return w, err
	}
	if ents, err := os.ReadDir(filepath.Join(w.imageCache, "images")); err == nil {
		for _, e := range ents {
			if info, err := e.Info(); err == nil && e.IsDir() && time.Since(info.ModTime()) > 24*time.Hour {
				os.RemoveAll(filepath.Join(w.imageCache, "images", e.Name()))
			}
		}
	}

	// The registry: the flow images are pushed to it, and the emulated
	// Batch pulls them from it by digest.
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	w.stop = append(w.stop, reg.Close)
	w.registry = strings.TrimPrefix(reg.URL, "http://")

	// S3: gofakes3 in process, plain HTTP, path style.
	ts := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	w.stop = append(w.stop, ts.Close)
	w.s3URL = ts.URL
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("AKIDE2E", "secrete2e", "")
	w.backend, err = s3store.New(ctx, s3store.Config{Bucket: bucket, Prefix: prefix, Region: region, Endpoint: ts.URL, PathStyle: true, Credentials: creds})
	if err != nil {
		return w, err
	}
	if _, err := w.backend.Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return w, fmt.Errorf("create bucket: %w", err)
	}

	// DynamoDB: dynalite on a free loopback port.
	if err := w.startDynalite(); err != nil {
		return w, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(region), config.WithCredentialsProvider(creds))
	if err != nil {
		return w, err
	}
	w.ddb = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(w.ddbURL) })
	if _, err := w.ddb.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pathspec"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pathspec"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
	}); err != nil {
		return w, fmt.Errorf("create table: %w", err)
	}
	for deadline := time.Now().Add(testproc.StartTimeout()); ; time.Sleep(10 * time.Millisecond) {
		out, err := w.ddb.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
		if err == nil && out.Table.TableStatus == ddbtypes.TableStatusActive {
			break
		}
		if time.Now().After(deadline) {
			return w, fmt.Errorf("table %s is not active: %v", table, err)
		}
	}

	// What a Batch container gets besides its job definition and
	// overrides: the role's credentials, and (emulation only) where the
	// S3 and DynamoDB endpoints are. Nothing of the host's environment.
	w.jobEnv = map[string]string{
		"AWS_ACCESS_KEY_ID":          "AKIDE2E",
		"AWS_SECRET_ACCESS_KEY":      "secrete2e",
		"AWS_EC2_METADATA_DISABLED":  "true",
		"STEPFLOW_S3_ENDPOINT":       w.s3URL,
		"STEPFLOW_S3_PATH_STYLE":     "true",
		"STEPFLOW_DYNAMODB_ENDPOINT": w.ddbURL,
		// What a deploy puts in every job definition (--only-json does not).
		"STEPFLOW_PRODUCTION_TOKEN": productionToken,
	}
	return w, nil
}

// startDynalite starts dynalite on a free loopback port (another one if
// it loses the port to someone else between choosing and binding it).
func (w *world) startDynalite() error {
	var last error
	for i := range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		cmd := exec.Command(w.node, filepath.Join(repoRoot, "node_modules/dynalite/cli.js"), "--host", "127.0.0.1", "--port", fmt.Sprint(port),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
		p, err := testproc.Start("dynalite", cmd, filepath.Join(w.dir, "logs", fmt.Sprintf("dynalite-%d.log", i)))
		if err != nil {
			return err
		}
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		if last = p.WaitHTTP(url, testproc.StartTimeout()); last == nil {
			w.ddbURL = url
			w.dynalite = p
			w.stop = append(w.stop, p.Stop)
			return nil
		}
		p.Stop()
	}
	return last
}

// flowPkg is a flow built for this machine, pushed as its flow image.
type flowPkg struct {
	flow  string // the flow's name
	bin   string // the binary, for local runs and compiling
	image string // the flow image by digest: REGISTRY/flows/<flow>@sha256:...
}

type flowOnce struct {
	once sync.Once
	p    *flowPkg
	err  error
}

// flows are the flows the tests run: every example, and the test flows
// (faults, catches, the exit hook, file parameters, steps on Batch, step
// caching, the runner's shapes).
var flows = []string{module + "/examples/...", faultflow, catchflow, hookflow, fileflow, batchflow, cacheflow, module + "/internal/runner/testdata/shapesflow"}

// ocirun is the emulated Batch's container runner.
const ocirun = module + "/internal/ocirun/cmd/ocirun"

var bins struct {
	once sync.Once
	m    map[string]string
	err  error
}

// build returns pkg (an import path) built and pushed to the registry as
// its flow image, by the flow's own `step-functions image` (the code
// create runs). The flows are built for this machine, all at once
// (testbin: shared with the other test packages, cached on disk), static
// (CGO off) with the AWS build tag, as create cross-compiles them: the
// emulated Batch runs them inside their images on this machine.
func (w *world) build(t testing.TB, pkg string) *flowPkg {
	t.Helper()
	v, _ := w.packages.LoadOrStore(pkg, &flowOnce{})
	fo := v.(*flowOnce)
	fo.once.Do(func() { fo.p, fo.err = w.buildOnce(pkg) })
	if fo.err != nil {
		t.Fatal(fo.err)
	}
	return fo.p
}

func (w *world) buildOnce(pkg string) (*flowPkg, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("the end-to-end tests run Linux flow images on this machine; this is %s", runtime.GOOS)
	}
	bins.once.Do(func() {
		bins.m, bins.err = testbin.Build(testbin.Options{Tags: []string{"stepflow_aws"}, Env: []string{"CGO_ENABLED=0"}}, append(flows, ocirun)...)
	})
	if bins.err != nil {
		return nil, bins.err
	}
	w.runner = bins.m[ocirun]
	bin, ok := bins.m[pkg]
	if !ok {
		return nil, fmt.Errorf("%s is not one of the flows the harness builds (%v)", pkg, flows)
	}
	out, err := exec.Command(bin, "check").Output()
	if err != nil {
		return nil, fmt.Errorf("%s check: %v", pkg, err)
	}
	var name string
	if _, err := fmt.Sscanf(string(out), "flow %s is valid", &name); err != nil {
		return nil, fmt.Errorf("%s check: %q: %v", pkg, out, err)
	}
	img, err := w.pushImage(bin, strings.ToLower(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", pkg, err)
	}
	return &flowPkg{flow: name, bin: bin, image: img}, nil
}

// pushImage pushes the flow image of bin to the registry's repository
// flows/<repo> with `step-functions image`, and returns its reference by
// digest.
func (w *world) pushImage(bin, repo string) (string, error) {
	cmd := exec.Command(bin, "step-functions", "image", "--code-package", bin, "--arch", runtime.GOARCH,
		"--image-repository", w.registry+"/flows/"+repo)
	// The user's layer cache, kept between runs as a developer's is: an
	// unchanged flow binary is not compressed again.
	cmd.Env = []string{"HOME=" + w.dir, "PATH=" + os.Getenv("PATH"),
		"XDG_CACHE_HOME=" + filepath.Join(testproc.DiskTempDir(), fmt.Sprintf("stepflow-e2e-cache-%d", os.Getuid()))}
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("step-functions image: %v\n%s%s", err, out, stderrOf(err))
	}
	m := regexp.MustCompile(`(?m)^image (\S+@sha256:[0-9a-f]{64}): (pushed|unchanged) `).FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("step-functions image printed no image: %q", out)
	}
	return m[1], nil
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// compiled is the output of step-functions create --only-json.
type compiled struct {
	definition     json.RawMessage
	jobDefinitions json.RawMessage
	// flags and env are create's arguments after "create" and its
	// environment: step-functions plan takes the same (transitions_test.go).
	flags, env []string
}

// compile runs step-functions create --only-json on the flow; extra are
// more flags, or environment variables (NAME=value).
func (w *world) compile(t testing.TB, fp *flowPkg, extra ...string) compiled {
	t.Helper()
	out := t.TempDir()
	flags := []string{"--image", fp.image, "--max-workers", "8"}
	var env []string
	for _, x := range extra {
		if strings.HasPrefix(x, "-") {
			flags = append(flags, x)
		} else {
			env = append(env, x)
		}
	}
	args := append([]string{"step-functions", "create", "--only-json", "--output-dir", out}, flags...)
	cmd := exec.Command(fp.bin, args...)
	cmd.Dir = repoRoot
	cmd.Env = []string{
		"HOME=" + out, "PATH=" + os.Getenv("PATH"),
		"STEPFLOW_REGION=" + region,
		"STEPFLOW_DATASTORE_ROOT=s3://" + bucket + "/" + prefix,
		"STEPFLOW_BATCH_QUEUE=stepflow-queue",
		"STEPFLOW_BATCH_JOB_ROLE=arn:aws:iam::123456789012:role/stepflow-task",
		"STEPFLOW_BATCH_EXECUTION_ROLE=arn:aws:iam::123456789012:role/stepflow-ecs",
		"STEPFLOW_DYNAMODB_TABLE=" + table,
	}
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s step-functions create: %v\n%s", fp.flow, err, b)
	}
	c := compiled{flags: flags, env: cmd.Env}
	var err error
	if c.definition, err = os.ReadFile(filepath.Join(out, "state-machine.json")); err != nil {
		t.Fatal(err)
	}
	if c.jobDefinitions, err = os.ReadFile(filepath.Join(out, "job-definitions.json")); err != nil {
		t.Fatal(err)
	}
	return c
}

// job is one Batch job the emulator ran.
type job struct {
	State     string `json:"state"`
	JobID     string `json:"jobId"`
	Step      string `json:"step"`
	TaskID    string `json:"taskId"`
	Attempt   string `json:"attempt"`
	Caught    string `json:"caught"`
	ExitCode  *int   `json:"exitCode"`
	QueuedAt  int64  `json:"queuedAt"`
	StartedAt int64  `json:"startedAt"`
	StoppedAt int64  `json:"stoppedAt"`
	Tail      string `json:"tail"`
	// ArrayIndex is set for a child of an array job (its JobID is
	// PARENT:INDEX); BatchAttempt is the job's AWS_BATCH_JOB_ATTEMPT.
	ArrayIndex   *int `json:"arrayIndex"`
	BatchAttempt int  `json:"batchAttempt"`
}

// execution is the outcome of one emulated execution.
type execution struct {
	Status   string          `json:"status"`
	Output   json.RawMessage `json:"output"`
	Error    string          `json:"error"`
	Cause    string          `json:"cause"`
	Jobs     []job           `json:"jobs"`
	GetItems int             `json:"getItems"`
	Submits  int             `json:"submits"` // SubmitJob calls
	Millis   int64           `json:"millis"`
	// StartDate and StopDate are DescribeExecution's, in epoch ms.
	StartDate int64 `json:"startDate"`
	StopDate  int64 `json:"stopDate"`
	name      string

	// Entered and Retried count, by state name, the states the execution
	// entered and their retries: its state transitions (transitions_test.go).
	Entered map[string]int `json:"entered"`
	Retried map[string]int `json:"retried"`
}

func (e *execution) runID() string { return "sfn-" + e.name }

// failedJobs describes the jobs that failed, with the end of their output.
func (e *execution) failedJobs() string {
	var b strings.Builder
	for _, j := range e.Jobs {
		if j.ExitCode != nil && *j.ExitCode != 0 {
			fmt.Fprintf(&b, "job %s (%s/%s, attempt %s) exited %d:\n%s\n", j.JobID, j.Step, j.TaskID, j.Attempt, *j.ExitCode, j.Tail)
		}
	}
	return b.String()
}

type execOpts struct {
	// realRetryDelays keeps the definition's retry intervals (otherwise
	// every retry waits 0 s).
	realRetryDelays bool
}

var execSeq struct {
	sync.Mutex
	n int
}

// execute runs the compiled state machine once with input (the
// StartExecution input) and returns the outcome.
func (w *world) execute(t testing.TB, c compiled, input any, o execOpts) *execution {
	t.Helper()
	execSeq.Lock()
	execSeq.n++
	name := fmt.Sprintf("%s-%d-%d", strings.ReplaceAll(strings.ToLower(t.Name()), "/", "-"), time.Now().UnixNano()%1e6, execSeq.n)
	execSeq.Unlock()
	logDir := filepath.Join(w.dir, "logs", name)
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	req := map[string]any{
		"definition":       c.definition,
		"jobDefinitions":   c.jobDefinitions,
		"input":            input,
		"executionName":    name,
		"env":              w.jobEnv,
		"dynamodbEndpoint": w.ddbURL,
		"realRetryDelays":  o.realRetryDelays,
		"maxJobs":          maxJobs,
		"logDir":           logDir,
		"containerRunner":  w.runner,
		"imageCache":       w.imageCache,
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	reqFile := filepath.Join(logDir, "request.json") // for reading, or node sfn.cjs by hand
	if err := os.WriteFile(reqFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	url, err := w.emulator()
	if err != nil {
		t.Fatal(err)
	}
	// Generous: a loaded machine is slow, and go test's -timeout (with
	// testproc killing the emulator and its jobs) is the backstop.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	hreq, err := http.NewRequestWithContext(ctx, "POST", url+"/execute", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	res, err := emulatorClient.Do(hreq)
	if err != nil {
		t.Fatalf("emulator: %v (its log: %s)", err, filepath.Join(w.dir, "serve-*.log"))
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("emulator: %s %v\n%s", res.Status, err, body)
	}
	stdout := bytes.NewBuffer(body)
	var e execution
	if err := json.Unmarshal(stdout.Bytes(), &e); err != nil {
		t.Fatalf("emulator output: %v\n%s", err, stdout.String())
	}
	e.name = name
	t.Logf("execution %s: %s in %v (%d jobs, %d getItem)", name, e.Status, time.Since(start).Round(time.Millisecond), len(e.Jobs), e.GetItems)
	return &e
}

// store is the flow's datastore in the fake S3.
func (w *world) store(fp *flowPkg) *datastore.Store { return datastore.NewStore(w.backend, fp.flow) }

// localRun runs the flow with the local runtime into a fresh directory and
// returns its store and run id.
func localRun(t *testing.T, fp *flowPkg, args ...string) (*datastore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(fp.bin, append([]string{"run", "--datastore-root", dir}, args...)...)
	cmd.Dir = repoRoot
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEPFLOW_") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("local run %v: %v\n%s", args, err, out)
	}
	b, err := local.New(dir, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := datastore.NewStore(b, fp.flow)
	runs, err := st.Runs().List(context.Background())
	if err != nil || len(runs) != 1 {
		t.Fatalf("local runs: %v %v", runs, err)
	}
	return st, runs[0].ID
}

// taskState is what a task left: its latest attempt and its artifacts,
// decoded.
type taskState struct {
	attempt   int
	status    string
	artifacts map[string]any
}

func readTasks(t *testing.T, st *datastore.Store, run string) map[string]taskState {
	t.Helper()
	ctx := context.Background()
	steps, err := st.Attempts().Steps(ctx, run)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]taskState{}
	for _, step := range steps {
		tasks, err := st.Attempts().Tasks(ctx, run, step)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range tasks {
			a, err := st.Attempts().Latest(ctx, run, step, task)
			if err != nil {
				t.Fatalf("%s/%s/%s: %v", run, step, task, err)
			}
			ts := taskState{attempt: a.Attempt, status: a.Status, artifacts: map[string]any{}}
			for name, ref := range a.Artifacts {
				if ref.Encoding == artifact.File {
					ts.artifacts[name] = readFileArtifact(t, st, ref, run+"/"+step+"/"+task+" artifact "+name)
					continue
				}
				data, err := st.Blobs().Get(ctx, ref.Hash)
				if err != nil {
					t.Fatalf("%s/%s/%s artifact %s: %v", run, step, task, name, err)
				}
				var v any
				if ref.Encoding == artifact.Bytes {
					v = data
				} else if err := artifact.Decode(data, ref.Encoding, reflect.ValueOf(&v)); err != nil {
					// Binary and JSON artifacts alike, as their JSON values.
					t.Fatalf("%s/%s/%s artifact %s: %v", run, step, task, name, err)
				}
				ts.artifacts[name] = v
			}
			out[step+"/"+task] = ts
		}
	}
	return out
}

// fileArtifact is what two runs' file artifacts are compared by: the
// SHA-256 of the content, as read back, and its size.
type fileArtifact struct {
	SHA256 string
	Size   int64
}

// readFileArtifact streams the file artifact of ref from st and returns
// its content's hash and size, checking the size against the ref's.
func readFileArtifact(t *testing.T, st *datastore.Store, ref datastore.ArtifactRef, what string) fileArtifact {
	t.Helper()
	rc, size, err := st.Blobs().OpenFile(context.Background(), ref.Hash)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if n != size || n != ref.Size {
		t.Fatalf("%s: read %d bytes of a blob of %d, recorded as %d", what, n, size, ref.Size)
	}
	return fileArtifact{SHA256: hex.EncodeToString(h.Sum(nil)), Size: n}
}

// sameArtifacts compares every task of two runs: the same tasks, the same
// latest attempt number and status, the same decoded artifact values
// (files: the same content hash and size).
func sameArtifacts(t *testing.T, local *datastore.Store, localRun string, cloud *datastore.Store, cloudRun string) {
	t.Helper()
	want := readTasks(t, local, localRun)
	got := readTasks(t, cloud, cloudRun)
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("task %s ran in Step Functions, not locally", k)
		}
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		t.Fatal("the local run has no tasks")
	}
	for _, k := range keys {
		w, g := want[k], got[k]
		if _, ok := got[k]; !ok {
			t.Errorf("task %s ran locally, not in Step Functions", k)
			continue
		}
		if w.status != g.status || w.attempt != g.attempt {
			t.Errorf("task %s: latest attempt %d %s in Step Functions, %d %s locally", k, g.attempt, g.status, w.attempt, w.status)
		}
		if !reflect.DeepEqual(w.artifacts, g.artifacts) {
			for name := range w.artifacts {
				if !reflect.DeepEqual(w.artifacts[name], g.artifacts[name]) {
					t.Errorf("task %s artifact %s: %s in Step Functions, %s locally", k, name, show(g.artifacts[name]), show(w.artifacts[name]))
				}
			}
			for name := range g.artifacts {
				if _, ok := w.artifacts[name]; !ok {
					t.Errorf("task %s: artifact %s only in Step Functions", k, name)
				}
			}
		}
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}

// emulatorClient opens a connection per execution: a kept-alive one that
// Node.js closes when idle (its keepAliveTimeout) can meet the next
// request, which a POST is not retried after.
var emulatorClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// emulator returns the URL of the world's emulator of Step Functions and
// Batch (sfn.cjs --serve), which it starts on first use: POST /execute runs
// one execution. One process for every execution of the tests: Node.js
// and aws-local-stepfunctions load once.
func (w *world) emulator() (string, error) {
	w.emuOnce.Do(func() {
		if w.runner == "" {
			w.emuErr = errors.New("the emulator starts after a flow is built (w.build sets the container runner)")
			return
		}
		var p *testproc.Proc
		if p, w.emuURL, w.emuErr = w.serve("aws-local-stepfunctions", w.dir, w.jobEnv, filepath.Join(w.dir, "logs")); w.emuErr == nil {
			w.stop = append(w.stop, p.Stop)
		}
	})
	return w.emuURL, w.emuErr
}

// serve starts `node sfn.cjs --serve` on a free loopback port, its serve
// file and log in dir, its jobs given env and logging to logDir, and
// returns it and its URL once it answers. The caller stops it.
func (w *world) serve(name, dir string, env map[string]string, logDir string) (*testproc.Proc, string, error) {
	var last error
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		req, _ := json.Marshal(map[string]any{"port": port, "env": env, "maxJobs": maxJobs, "logDir": logDir,
			"containerRunner": w.runner, "imageCache": w.imageCache})
		file := filepath.Join(dir, fmt.Sprintf("serve-%d.json", port))
		if err := os.WriteFile(file, req, 0o644); err != nil {
			return nil, "", err
		}
		cmd := exec.Command(w.node, "testdata/sfn.cjs", "--serve", file)
		p, err := testproc.Start(name, cmd, filepath.Join(dir, fmt.Sprintf("serve-%d.log", port)))
		if err != nil {
			return nil, "", err
		}
		url := fmt.Sprintf("http://127.0.0.1:%d", port)
		if last = p.WaitHTTP(url+"/jobs", testproc.StartTimeout()); last == nil {
			return p, url, nil
		}
		p.Stop() // the port was taken meanwhile: try another
	}
	return nil, "", last
}
