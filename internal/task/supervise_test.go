package task

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/local"
	"github.com/stepflow/stepflow/internal/taskcontract"
	"github.com/stepflow/stepflow/internal/testproc"
)

// envChild makes the test binary a task process for the supervisor tests.
const envChild = "STEPFLOW_SUPERVISE_TEST_CHILD"

const spewSize = 50 << 20

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(child(mode))
	}
	os.Exit(m.Run())
}

// spewLine is line i of the spew child's stdout.
func spewLine(i int) []byte {
	return []byte(fmt.Sprintf("%08d %s\n", i, strings.Repeat("x", 1014)))
}

func child(mode string) int {
	switch mode {
	case "spew": // 50 MiB of stdout, a line on stderr, a crash
		w := bufio.NewWriterSize(os.Stdout, 1<<16)
		for i := 0; i < spewSize/1024; i++ {
			w.Write(spewLine(i))
		}
		w.Flush()
		fmt.Fprintln(os.Stderr, "spewed and crashed")
		return 3
	case "ignore-term": // a task that ignores SIGTERM and hangs
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "tail": // output, then more once the file $STEPFLOW_TAIL_RELEASE exists
		fmt.Println("epoch 1: loss 0.9")
		fmt.Fprintln(os.Stderr, "warming up")
		for {
			if _, err := os.Stat(os.Getenv("STEPFLOW_TAIL_RELEASE")); err == nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Println("epoch 2: loss 0.5")
		return 0
	case "silent": // prints nothing and succeeds without a record
		return 0
	case "refuse":
		fmt.Fprintln(os.Stderr, "step: bad input")
		return 2
	case "echo": // the invocation as the step command parses it
		inv, err := taskcontract.Parse(os.Args[2:], os.Getenv, os.Stdin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Printf("inputs=%d caught=%q name=%v attempt=%d\n", len(inv.Inputs), inv.Caught, inv.CaughtIsName, inv.Attempt)
		fmt.Print("no newline at the end")
		return 0
	}
	return 1
}

func testStore(t *testing.T) *datastore.Store {
	t.Helper()
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return datastore.NewStore(b, "SuperviseFlow")
}

func testSupervisor(t *testing.T, mode string) *Supervisor {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Supervisor{Store: testStore(t), Exe: exe, Env: []string{envChild + "=" + mode}, TempDir: t.TempDir()}
}

var inv = taskcontract.Invocation{Step: "risky", RunID: "r1", Attempt: 1}

func readLog(t *testing.T, s *datastore.Store, stream string) []byte {
	t.Helper()
	rc, err := s.Logs().Open(context.Background(), inv.RunID, inv.Step, "0", inv.Attempt, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A task printing 50 MiB: the logs saved are what it wrote, Output saw
// every line, and the supervisor held at most a line piece and a tail.
func TestSuperviseBoundedMemory(t *testing.T) {
	s := testSupervisor(t, "spew")
	var mu sync.Mutex
	seen := map[string]int{}
	s.Output = func(stream string, line []byte) {
		mu.Lock()
		seen[stream] += len(line)
		mu.Unlock()
	}
	res, err := s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.LogErr != nil {
		t.Fatal(res.LogErr)
	}
	if res.Logged["stdout"] != spewSize || seen["stdout"] != spewSize {
		t.Fatalf("logged %d bytes of stdout, Output saw %d; want %d", res.Logged["stdout"], seen["stdout"], spewSize)
	}
	if res.buffered > maxLine+2*tailSize {
		t.Fatalf("the supervisor held %d bytes of output, want at most %d", res.buffered, maxLine+2*tailSize)
	}
	want := sha256.New()
	for i := 0; i < spewSize/1024; i++ {
		want.Write(spewLine(i))
	}
	if got := sha256.Sum256(readLog(t, s.Store, "stdout")); got != [32]byte(want.Sum(nil)) {
		t.Fatal("the saved stdout differs from what the task wrote")
	}
	if got := string(readLog(t, s.Store, "stderr")); got != "spewed and crashed\n" {
		t.Fatalf("stderr log %q", got)
	}
	if !res.Crashed || res.ExitCode != 3 || res.Record.Status != datastore.StatusFailed ||
		res.Record.Error != "task process exited with status 3 without recording its result: spewed and crashed" {
		t.Fatalf("result %+v, record %+v", res, res.Record)
	}
}

// A task that ignores SIGTERM is killed one grace after it, and recorded.
func TestSuperviseGrace(t *testing.T) {
	s := testSupervisor(t, "ignore-term")
	s.Grace = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopped time.Time
	s.Output = func(stream string, line []byte) {
		if string(line) == "ready\n" {
			stopped = time.Now()
			cancel()
		}
	}
	res, err := s.Run(ctx, inv)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(stopped); took < s.Grace || took > s.Grace+10*time.Second {
		t.Errorf("killed %s after SIGTERM, want the grace %s", took, s.Grace)
	}
	if res.ExitCode != 128+int(syscall.SIGKILL) || !res.Crashed ||
		!strings.Contains(res.Record.Error, "interrupted and killed after a grace of 300ms") {
		t.Fatalf("result %+v, record %+v", res, res.Record)
	}
	got, err := s.Store.Attempts().Get(context.Background(), inv.RunID, inv.Step, "0", inv.Attempt)
	if err != nil || got.Status != datastore.StatusFailed {
		t.Fatalf("recorded %+v, %v", got, err)
	}
}

// The step timeout: killed Timeout+Grace after the start.
func TestSuperviseTimeout(t *testing.T) {
	s := testSupervisor(t, "ignore-term")
	s.Timeout, s.Grace = 200*time.Millisecond, 200*time.Millisecond
	start := time.Now()
	res, err := s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < s.Timeout+s.Grace {
		t.Errorf("killed after %s, want at least %s", took, s.Timeout+s.Grace)
	}
	if res.ExitCode != 128+int(syscall.SIGKILL) || !strings.Contains(res.Record.Error, "step risky timed out after 200ms and was killed") {
		t.Fatalf("result %+v, record %+v", res, res.Record)
	}
}

func TestSuperviseRefusal(t *testing.T) {
	s := testSupervisor(t, "refuse")
	res, err := s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refused || res.Record != nil || res.StderrTail != "step: bad input" {
		t.Fatalf("result %+v", res)
	}
	s.RecordRefusal = true
	res, err = s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Refused || res.Record == nil || !strings.Contains(res.Record.Error, "status 2") {
		t.Fatalf("result %+v", res)
	}
}

// The child gets the invocation, a wide join's inputs on stdin, and none of
// the contract variables of the supervisor's own environment.
func TestSuperviseInvocation(t *testing.T) {
	t.Setenv(taskcontract.EnvCaught, "States.ALL")
	t.Setenv(taskcontract.EnvAttempt, "7")
	s := testSupervisor(t, "echo")
	var lines []string
	s.Output = func(stream string, line []byte) { lines = append(lines, stream+": "+string(line)) }
	in := inv
	for i := 0; len(strings.Join(in.Inputs, ",")) <= taskcontract.MaxArgInputs; i++ {
		in.Inputs = append(in.Inputs, fmt.Sprintf("r1/a/%d", i))
	}
	res, err := s.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprintf("stdout: inputs=%d caught=\"\" name=false attempt=1\n", len(in.Inputs)), "stdout: no newline at the end\n"}
	if strings.Join(lines, "") != strings.Join(want, "") {
		t.Fatalf("child printed %q, want %q", lines, want)
	}
	// Exit 0 without a record is a crash too.
	if !res.Crashed || res.Record.Error != "task process exited without recording its result" {
		t.Fatalf("result %+v, record %+v", res, res.Record)
	}
}

// A running task's output is saved in parts as it comes: the client reads
// the output so far before the task ends, and the whole log after.
func TestSuperviseLogParts(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	b, err := local.New(root, local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := testSupervisor(t, "tail")
	s.Store = datastore.NewStore(b, "SuperviseFlow")
	s.LogEvery = 20 * time.Millisecond
	release := t.TempDir() + "/release"
	s.Env = append(s.Env, "STEPFLOW_TAIL_RELEASE="+release)
	if err := s.Store.Runs().Put(ctx, datastore.Run{Flow: "SuperviseFlow", ID: "r1", Start: time.Now(), Runtime: "local"}); err != nil {
		t.Fatal(err)
	}
	running := taskcontract.Invocation{Step: "train", RunID: "r1"}
	type result struct {
		res *Result
		err error
	}
	ended := make(chan result, 1)
	go func() {
		res, err := s.Run(ctx, running)
		ended <- result{res, err}
	}()

	c, err := client.Open(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	read := func(stream string) string {
		t.Helper()
		run, err := c.Flow("SuperviseFlow").Run(ctx, "r1")
		if err != nil {
			return ""
		}
		task, err := run.Task(ctx, "train", "0")
		if err != nil {
			return ""
		}
		if task.Status != client.StatusRunning || task.Attempt != 0 {
			t.Fatalf("task %s while the attempt runs: status %s, attempt %d", task.Pathspec(), task.Status, task.Attempt)
		}
		rc, err := task.Log(ctx, -1, stream)
		if errors.Is(err, client.ErrNotFound) {
			return ""
		}
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	// Wait (polling, as a viewer does) for the first output; a saver that
	// never saves fails here.
	deadline := time.Now().Add(30 * time.Second)
	var out, errOut string
	for out != "epoch 1: loss 0.9\n" || errOut != "warming up\n" {
		if time.Now().After(deadline) {
			t.Fatalf("while the task runs, its logs read stdout %q, stderr %q; want the first lines", out, errOut)
		}
		time.Sleep(10 * time.Millisecond)
		out, errOut = read(client.Stdout), read(client.Stderr)
	}
	if _, err := b.Stat(ctx, "SuperviseFlow/runs/r1/train/0/0/stdout.log"); !errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("the final log exists while the task runs: %v", err)
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r := <-ended
	if r.err != nil || r.res.LogErr != nil || r.res.PartErr != nil {
		t.Fatalf("Run: %v (logs: %v, parts: %v)", r.err, r.res.LogErr, r.res.PartErr)
	}
	if r.res.Parts < 2 {
		t.Errorf("%d parts saved, want at least one per stream", r.res.Parts)
	}
	want := "epoch 1: loss 0.9\nepoch 2: loss 0.5\n"
	if got := readLogOf(t, s.Store, running, "stdout"); got != want {
		t.Errorf("final stdout %q, want %q", got, want)
	}
	if _, err := b.Stat(ctx, "SuperviseFlow/runs/r1/train/0/0/stdout.log"); err != nil {
		t.Errorf("no final log: %v", err)
	}
	// The parts are a prefix of the final log (the saver may have saved
	// the second line too).
	var joined []byte
	err = b.List(ctx, "SuperviseFlow/runs/r1/train/0/0/stdout.part-", func(name string, _ int64) error {
		rc, err := b.Load(ctx, name)
		if err != nil {
			return err
		}
		defer rc.Close()
		data, err := io.ReadAll(rc)
		joined = append(joined, data...)
		return err
	})
	if err != nil || !strings.HasPrefix(want, string(joined)) || len(joined) == 0 {
		t.Errorf("stdout parts joined %q (%v), want a prefix of %q", joined, err, want)
	}
}

func readLogOf(t *testing.T, s *datastore.Store, inv taskcontract.Invocation, stream string) string {
	t.Helper()
	rc, err := s.Logs().Open(context.Background(), inv.RunID, inv.Step, "0", inv.Attempt, stream)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The spool files are created by the first output: a silent task needs
// none (here it could have none: TempDir does not exist), while a task
// that prints gets its output's spool error, and its attempt recorded all
// the same.
func TestSuperviseSpoolsOnlyOutput(t *testing.T) {
	missing := t.TempDir() + "/missing"
	s := testSupervisor(t, "silent")
	s.TempDir = missing
	res, err := s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.LogErr != nil || len(res.Logged) != 0 {
		t.Fatalf("a silent task: log error %v, logged %v; want neither", res.LogErr, res.Logged)
	}
	s = testSupervisor(t, "echo")
	s.TempDir = missing
	res, err = s.Run(context.Background(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.LogErr == nil || !strings.Contains(res.LogErr.Error(), "spool the stdout") {
		t.Fatalf("a task printing with no room for its spool: log error %v, want the stdout spool's", res.LogErr)
	}
	if res.Record == nil {
		t.Fatal("the attempt of a task whose output could not be spooled was not recorded")
	}
}
