package moto_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/motoproc"
	"github.com/stepflow/stepflow/internal/testbin"
	"github.com/stepflow/stepflow/internal/testproc"
)

// motoServer is the moto_server of the tests, started once (TestMain).
var motoServer struct {
	url string
	bin map[string]string // binaries by name: hello, stepflow
}

// Credentials moto accepts (it checks no signature).
const (
	accessKey = "testing"
	secretKey = "testing"
	region    = "us-east-1"
)

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() && !testproc.CI() {
		return m.Run() // every test skips (testproc.SkipShort): no moto_server to start
	}
	dir, err := os.MkdirTemp("", "stepflow-moto-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	srv, err := motoproc.New(dir) // its request recorder writes moto_recording in dir
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.Stop()
	motoServer.url = srv.URL
	binDir := filepath.Join(dir, "bin")
	if err := testbin.Dir(binDir, testbin.Options{Tags: []string{"stepflow_aws"}}, "./examples/hello", "./cmd/stepflow"); err != nil {
		fmt.Fprintf(os.Stderr, "building the binaries: %v\n", err)
		return 1
	}
	motoServer.bin = map[string]string{"hello": filepath.Join(binDir, "hello"), "stepflow": filepath.Join(binDir, "stepflow")}
	return m.Run()
}

// awsEnv is the environment of a command run against moto: credentials,
// AWS_ENDPOINT_URL and nothing else of AWS or Stepflow but the config
// file.
func awsEnv(home string) []string {
	return []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "USER=alice",
		"STEPFLOW_CONFIG=" + filepath.Join(home, "config.json"),
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_ENDPOINT_URL=" + motoServer.url}
}

// command runs a binary against moto and returns its stdout and stderr.
func command(t *testing.T, home string, wantOK bool, name string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(motoServer.bin[name], args...)
	cmd.Dir = home
	cmd.Env = awsEnv(home)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if (err == nil) != wantOK {
		t.Fatalf("%s %s: %v (want success %v)\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, wantOK, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// motoConfig sets a key of moto's own configuration (POST /moto-api/config).
func motoConfig(t *testing.T, body string) {
	t.Helper()
	resp, err := http.Post(motoServer.url+"/moto-api/config", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("moto config %s: %s %s", body, resp.Status, b)
	}
}

// ec2Query sends an EC2 Query API action to moto and decodes its answer
// (moto checks no signature; the test needs only the default VPC's ids,
// and the EC2 SDK is not a dependency of Stepflow).
func ec2Query(t *testing.T, action string, v any) {
	t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	req, _ := http.NewRequest("POST", motoServer.url+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/20260101/"+region+"/ec2/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("ec2 %s: %s %s", action, resp.Status, data)
	}
	if err := xml.Unmarshal(data, v); err != nil {
		t.Fatalf("ec2 %s: %v\n%s", action, err, data)
	}
}

// writeJSON writes v as JSON to path.
func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

var bg = context.Background()

// motoAPI calls an endpoint of moto's own API (/moto-api/...).
func motoAPI(t *testing.T, method, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, motoServer.url+"/moto-api/"+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("moto-api/%s: %s %s", path, resp.Status, data)
	}
	return data
}

// A call is one request moto's recorder kept: the service (from the
// signature's credential scope) and the operation (X-Amz-Target) or, for
// a REST API, the method and path.
type call struct{ service, op string }

func (c call) String() string { return c.service + " " + c.op }

// write reports whether the call may change something.
func (c call) write() bool {
	op := c.op
	if i := strings.LastIndex(op, "."); i >= 0 && !strings.Contains(op, " ") {
		op = op[i+1:] // AWSStepFunctions.DescribeStateMachine
	}
	for _, p := range []string{"Describe", "List", "Get", "GET ", "HEAD ", "POST /v1/describe", "POST /v1/list"} {
		if strings.HasPrefix(op, p) {
			return false
		}
	}
	return true
}

// record runs f with moto's request recorder on and returns the calls.
func record(t *testing.T, f func()) []call {
	t.Helper()
	motoAPI(t, "POST", "recorder/reset-recording")
	motoAPI(t, "POST", "recorder/start-recording")
	f()
	motoAPI(t, "POST", "recorder/stop-recording")
	var calls []call
	for _, line := range strings.Split(strings.TrimSpace(string(motoAPI(t, "GET", "recorder/download-recording"))), "\n") {
		if line == "" {
			continue
		}
		var r struct {
			Headers map[string]string
			Method  string
			URL     string
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("moto recording: %v: %s", err, line)
		}
		c := call{service: "?"}
		if _, scope, ok := strings.Cut(r.Headers["Authorization"], "Credential="); ok {
			if parts := strings.Split(scope, "/"); len(parts) > 3 {
				c.service = parts[3]
			}
		}
		if target := r.Headers["X-Amz-Target"]; target != "" {
			c.op = target
		} else {
			u, err := url.Parse(r.URL)
			if err != nil {
				t.Fatal(err)
			}
			c.op = r.Method + " " + u.Path
		}
		calls = append(calls, c)
	}
	return calls
}
