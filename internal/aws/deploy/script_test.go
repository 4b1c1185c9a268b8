package deploy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/stepflow/stepflow/internal/aws/awstest"
	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// The step-functions commands of a flow binary, end to end, as txtar
// scripts (testdata/script): the AWS build of examples/hello and
// examples/params against a fresh awstest.Fake and an in-process gofakes3
// per script, reached through the STEPFLOW_*_ENDPOINT settings.

var binDir string

// flowBins is the directory of flowbin and flowbin2.
var flowBins string

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "stepflow-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = filepath.Join(dir, "bin")
	// The AWS build, shared with the other test packages (testbin).
	if err := testbin.Dir(binDir, testbin.Options{Tags: []string{"stepflow_aws"}}, "./examples/hello", "./examples/params", "./examples/foreach", "./internal/flowcmd/testdata/fileflow"); err != nil {
		fmt.Fprintf(os.Stderr, "building the flow binaries: %v\n", err)
		return 1
	}
	// Two static linux binaries that differ, as the flow binaries the
	// scripts put in images (--code-package flowbin, flowbin2).
	flowBins = filepath.Join(dir, "flowbins")
	if err := testbin.Dir(flowBins, testbin.Options{GOOS: "linux", GOARCH: "amd64", Flags: []string{"-trimpath", "-ldflags=-s -w -buildid="},
		Env: []string{"CGO_ENABLED=0", "GOFLAGS="}}, "./internal/aws/deploy/testdata/flowbin", "./internal/aws/deploy/testdata/flowbin2"); err != nil {
		fmt.Fprintf(os.Stderr, "building the stand-in flow binaries: %v\n", err)
		return 1
	}
	return m.Run()
}

var fakes sync.Map // FAKE_ID -> *awstest.Fake

var (
	tokenRE  = regexp.MustCompile(`\b(production:[a-z0-9_.-]+)-[a-z0-9]{8}\b`)
	imageRE  = regexp.MustCompile(`\b127\.0\.0\.1:[0-9]+/([a-z0-9/_.-]+)@sha256:[0-9a-f]{64}\b`)
	sizeRE   = regexp.MustCompile(`\b[0-9]+\.[0-9] MiB\b`)
	jobDefRE = regexp.MustCompile(`\b([A-Za-z0-9_]+)-[0-9a-f]{16}\b`)
)

func TestScripts(t *testing.T) {
	var n int
	var mu sync.Mutex
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			f := awstest.New()
			f.AddQueue("queue", "EC2", "FARGATE")
			f.AddQueue("stepflow-ec2", "EC2")
			s3b := s3mem.New()
			if err := s3b.CreateBucket("bucket"); err != nil {
				return err
			}
			s3 := httptest.NewServer(gofakes3.New(s3b).Server())
			reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
			env.Defer(func() { f.Close(); s3.Close(); reg.Close() })
			for _, name := range []string{"flowbin", "flowbin2"} {
				b, err := os.ReadFile(filepath.Join(flowBins, name))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), b, 0o755); err != nil {
					return err
				}
			}
			mu.Lock()
			n++
			id := strconv.Itoa(n)
			mu.Unlock()
			fakes.Store(id, f)
			for k, v := range map[string]string{
				"PATH":                        binDir + string(os.PathListSeparator) + env.Getenv("PATH"),
				"FAKE_ID":                     id,
				"HOME":                        env.WorkDir,
				"USER":                        "alice",
				"TZ":                          "UTC",
				"AWS_ACCESS_KEY_ID":           "AKID",
				"AWS_SECRET_ACCESS_KEY":       "SECRET",
				"AWS_EC2_METADATA_DISABLED":   "true",
				"STEPFLOW_REGION":             awstest.Region,
				"STEPFLOW_SFN_ENDPOINT":       f.URL,
				"STEPFLOW_BATCH_ENDPOINT":     f.URL,
				"STEPFLOW_SCHEDULER_ENDPOINT": f.URL,
				"STEPFLOW_EVENTS_ENDPOINT":    f.URL,
				"STEPFLOW_LOGS_ENDPOINT":      f.URL,
				"STEPFLOW_S3_ENDPOINT":        s3.URL,
				"STEPFLOW_DATASTORE_ROOT":     "s3://bucket/root",
				"STEPFLOW_BATCH_QUEUE":        "queue",
				"STEPFLOW_IMAGE_REPOSITORY":   strings.TrimPrefix(reg.URL, "http://") + "/stepflow",
				"STEPFLOW_BATCH_JOB_ROLE":     "arn:aws:iam::123456789012:role/stepflow-job",
				"STEPFLOW_SFN_ROLE":           "arn:aws:iam::123456789012:role/stepflow-sfn",
				"STEPFLOW_SCHEDULER_ROLE":     "arn:aws:iam::123456789012:role/stepflow-scheduler",
				"STEPFLOW_DYNAMODB_TABLE":     "stepflow",
				"STEPFLOW_SFN_LOG_GROUP_ARN":  "",
			} {
				env.Setenv(k, v)
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"fake":     cmdFake,
			"cmptoken": cmdCmpToken,
			"runid":    cmdRunID,
			"imageref": cmdImageRef,
		},
	})
}

// fake OP ARGS drives the script's fake:
//
//	fake writes                         print the writes since the last reset, then reset
//	fake fail OP CODE N                 fail the next N requests of OP with CODE
//	fake progress EXEC STEP TASK OUTCOME simulate a task (succeeded, failed, running)
//	fake finish EXEC STATUS [DAYS-AGO]  end an execution
//	fake failcause EXEC ERROR CAUSE     end an execution FAILED with Step Functions' error and cause
//	fake autofinish STATUS N            end every running execution with STATUS once described N times
//	fake definition MACHINE             print the machine's definition
//	fake token MACHINE                  set $TOKEN to the machine's production token
//	fake published                      print the events PutEvents accepted: id bus source detail-type detail
//	fake seed RUN STEP TASK             save a succeeded attempt 0 of HelloFlow with logs in the S3 datastore
//	fake input EXEC                     print the execution's input
//	fake filearg FLOW EXEC PARAM        print the name and size of the file the execution's file parameter names, read from the S3 datastore
func cmdFake(ts *testscript.TestScript, neg bool, args []string) {
	v, _ := fakes.Load(ts.Getenv("FAKE_ID"))
	f := v.(*awstest.Fake)
	if len(args) == 0 {
		ts.Fatalf("usage: fake writes|fail|progress|finish|token ...")
	}
	var err error
	switch args[0] {
	case "writes":
		out := ts.Stdout() // replaces stdout even when nothing is written
		for _, w := range f.Writes() {
			fmt.Fprintln(out, w)
		}
		f.Reset()
	case "fail":
		n, _ := strconv.Atoi(args[3])
		f.Fail(args[1], args[2], n)
	case "progress":
		err = f.Progress(args[1], args[2], args[3], args[4])
	case "finish":
		days := 0
		if len(args) > 3 {
			days, _ = strconv.Atoi(args[3])
		}
		err = f.Finish(args[1], args[2], time.Duration(days)*24*time.Hour)
	case "failcause":
		err = f.FailWithCause(args[1], args[2], args[3])
	case "autofinish":
		n, _ := strconv.Atoi(args[2])
		f.FinishAfterPolls(args[1], n)
	case "seed":
		err = seed(ts, args[1], args[2], args[3])
	case "input":
		e := f.Execution(args[1])
		if e == nil {
			ts.Fatalf("no execution %s", args[1])
		}
		fmt.Fprintln(ts.Stdout(), e.Input)
	case "filearg":
		e := f.Execution(args[2])
		if e == nil {
			ts.Fatalf("no execution %s", args[2])
		}
		var in struct{ Parameters map[string]string }
		if err := json.Unmarshal([]byte(e.Input), &in); err != nil {
			ts.Fatalf("input of %s: %v", args[2], err)
		}
		v, perr := flow.ParseFileValue(in.Parameters[args[3]])
		if perr != nil {
			ts.Fatalf("parameter %s of %s: %v", args[3], args[2], perr)
		}
		err = printBlob(ts, args[1], v)
	case "definition":
		m := f.Machine(args[1])
		if m == nil {
			ts.Fatalf("no state machine %s", args[1])
		}
		fmt.Fprint(ts.Stdout(), m.Definition)
	case "published":
		out := ts.Stdout()
		for _, e := range f.Published() {
			fmt.Fprintf(out, "%s %s %s %s %s\n", e.ID, e.Bus, e.Source, e.DetailType, e.Detail)
		}
	case "token":
		m := f.Machine(args[1])
		if m == nil {
			ts.Fatalf("no state machine %s", args[1])
		}
		ts.Setenv("TOKEN", m.Tags[deploy.TagToken])
	default:
		ts.Fatalf("unknown fake command %q", args[0])
	}
	if err != nil {
		ts.Fatalf("fake %s: %v", args[0], err)
	}
}

// runid VAR sets $VAR to the run id trigger printed on stdout
// (sfn-<execution name>: trigger names the execution) and $VAR_EXEC to the
// execution name.
func cmdRunID(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: runid VAR")
	}
	id := regexp.MustCompile(`\bsfn-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\b`).FindString(ts.ReadFile("stdout"))
	if id == "" {
		ts.Fatalf("no run id sfn-<uuid> on stdout")
	}
	ts.Setenv(args[0], id)
	ts.Setenv(args[0]+"_EXEC", strings.TrimPrefix(id, "sfn-"))
}

// cmptoken FILE GOLDEN compares FILE (stdout, stderr or a file) with
// GOLDEN after replacing every production token's random part with TOKEN
// and the hash in job definition names with JOBDEF (it changes with the
// job command).
func cmdCmpToken(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cmptoken FILE GOLDEN")
	}
	got := tokenRE.ReplaceAllString(ts.ReadFile(args[0]), "$1-TOKEN")
	got = jobDefRE.ReplaceAllString(got, "$1-JOBDEF")
	got = imageRE.ReplaceAllString(got, "REGISTRY/$1@DIGEST")
	got = sizeRE.ReplaceAllString(got, "N MiB")
	want := ts.ReadFile(args[1])
	if got != want {
		ts.Fatalf("%s differs from %s:\n--- got\n%s--- want\n%s", args[0], args[1], got, want)
	}
}

// seed saves a succeeded attempt with its logs in the script's S3 datastore.
func seed(ts *testscript.TestScript, run, step, task string) error {
	ctx := context.Background()
	b, err := s3store.New(ctx, s3store.Config{Bucket: "bucket", Prefix: "root", Endpoint: ts.Getenv("STEPFLOW_S3_ENDPOINT"), PathStyle: true,
		Region: awstest.Region, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	if err != nil {
		return err
	}
	st := datastore.NewStore(b, "HelloFlow")
	if err := st.Runs().Put(ctx, datastore.Run{Flow: "HelloFlow", ID: run, Start: awstest.Epoch, Runtime: "step-functions"}); err != nil {
		return err
	}
	if err := st.Logs().Put(ctx, run, step, task, 0, "stdout", strings.NewReader("from the datastore: "+step+"\n")); err != nil {
		return err
	}
	return st.Attempts().Put(ctx, datastore.Attempt{Run: run, Step: step, Task: task, Attempt: 0, Status: datastore.StatusSucceeded,
		Start: awstest.Epoch, End: awstest.Epoch.Add(time.Second)})
}

// printBlob prints the name and size of file v of flowName as read from
// the script's S3 datastore to its end (verified against its hash).
func printBlob(ts *testscript.TestScript, flowName string, v flow.FileValue) error {
	ctx := context.Background()
	b, err := s3store.New(ctx, s3store.Config{Bucket: "bucket", Prefix: "root", Endpoint: ts.Getenv("STEPFLOW_S3_ENDPOINT"), PathStyle: true,
		Region: awstest.Region, Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	if err != nil {
		return err
	}
	rc, _, err := datastore.NewStore(b, flowName).Blobs().OpenFile(ctx, v.Hash)
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	if err != nil {
		return err
	}
	fmt.Fprintf(ts.Stdout(), "%s: %d bytes read, %d recorded\n", v.Name, n, v.Size)
	return nil
}

// imageref VAR sets $VAR to the image reference by digest that
// step-functions image or create printed on stdout.
func cmdImageRef(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: imageref VAR")
	}
	m := regexp.MustCompile(`(?m)^image (\S+@sha256:[0-9a-f]{64}):`).FindStringSubmatch(ts.ReadFile("stdout"))
	if m == nil {
		ts.Fatalf("no image REF@sha256:... on stdout")
	}
	ts.Setenv(args[0], m[1])
}
