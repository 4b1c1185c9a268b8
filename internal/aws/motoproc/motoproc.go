// Package motoproc runs moto_server, an emulator of the AWS APIs that
// speaks their real protocols, for tests: a real EventBridge whose rules
// match events with moto's own pattern evaluator and deliver them to
// their targets. moto delivers to CloudWatch Logs log groups, SQS
// queues, archives and other buses, not to Step Functions state
// machines, so a test sees what a rule delivered through a log group
// target (LogTarget, Delivered).
//
// moto_server is preinstalled on the project's machines and installed by
// scripts/test.sh; a test that needs it fails, never skips, when it is
// missing. The process is started with testproc, so it never outlives the
// test process.
package motoproc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/stepflow/stepflow/internal/testproc"
)

// Region and Account are those of every ARN moto makes.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// Install says how to install moto_server where it is missing.
const Install = "pip install 'moto[server]==5.2.1'; bash scripts/test.sh installs it"

// Server is a running moto_server.
type Server struct {
	URL  string // http://127.0.0.1:PORT
	proc *testproc.Proc
}

// New starts moto_server on a free loopback port, with its log (and
// request recording) in dir, and waits until it answers.
func New(dir string) (*Server, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server is not installed (%s)", Install)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Dir = dir
	p, err := testproc.Start("moto_server", cmd, filepath.Join(dir, "moto.log"))
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), proc: p}
	if err := p.WaitHTTP(s.URL+"/moto-api/", testproc.StartTimeout()); err != nil {
		p.Stop()
		return nil, err
	}
	return s, nil
}

// Start starts moto_server for test t (New) and stops it when t ends. A
// missing moto_server fails t.
func Start(t testing.TB) *Server {
	t.Helper()
	testproc.SkipShort(t, "needs moto_server")
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server.
func (s *Server) Stop() { s.proc.Stop() }

func (s *Server) creds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")
}

// EventBridge returns a client of the server's EventBridge.
func (s *Server) EventBridge() *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{Region: Region, BaseEndpoint: aws.String(s.URL), Credentials: s.creds()})
}

// Logs returns a client of the server's CloudWatch Logs.
func (s *Server) Logs() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{Region: Region, BaseEndpoint: aws.String(s.URL), Credentials: s.creds()})
}

// LogTarget creates log group name and returns its ARN, the ARN of a rule
// target through which moto delivers events into it.
func (s *Server) LogTarget(ctx context.Context, name string) (string, error) {
	if _, err := s.Logs().CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
		return "", fmt.Errorf("create log group %s: %w", name, err)
	}
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", Region, Account, name), nil
}

// Delivered returns what rules delivered to log group name (LogTarget),
// in no particular order (moto writes each delivery to a stream of its
// own): each is the JSON a target receives, the event itself or what the
// target's input transformer made of it.
//
// It calls FilterLogEvents over plain HTTP and decodes the answer itself:
// moto answers ingestionTime with a fraction (1796035272802.25), which the
// SDK's decoder refuses.
func (s *Server) Delivered(ctx context.Context, name string) ([]string, error) {
	var out []string
	token := ""
	for {
		in := map[string]any{"logGroupName": name}
		if token != "" {
			in["nextToken"] = token
		}
		var page struct {
			Events []struct {
				Message string `json:"message"`
			} `json:"events"`
			NextToken string `json:"nextToken"`
		}
		if err := s.call(ctx, "Logs_20140328.FilterLogEvents", in, &page); err != nil {
			return nil, fmt.Errorf("read log group %s: %w", name, err)
		}
		for _, e := range page.Events {
			out = append(out, e.Message)
		}
		if page.NextToken == "" {
			return out, nil
		}
		if page.NextToken == token {
			return nil, fmt.Errorf("read log group %s: moto repeated the page token", name)
		}
		token = page.NextToken
	}
}

// call sends an awsJson1_1 request (moto checks no signature) and decodes
// its answer into out.
func (s *Server) call(ctx context.Context, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/"+Region+"/logs/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s %s", target, resp.Status, data)
	}
	return json.Unmarshal(data, out)
}
