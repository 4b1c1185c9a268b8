package ocirun

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stepflow/stepflow/internal/testproc"
)

// probeReport is the line the probe prints first.
type probeReport struct {
	Args   []string `json:"args"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Groups []int    `json:"groups"`
	Exe    string   `json:"exe"`
	Pid    int      `json:"pid"`
}

// result is what one ocirun run gave.
type result struct {
	code           int
	stdout, stderr string
}

// report is the probe's report in r's output; the test fails without one.
func (r result) report(t *testing.T) probeReport {
	t.Helper()
	line, _, _ := strings.Cut(r.stdout, "\n")
	var p probeReport
	if err := json.Unmarshal([]byte(line), &p); err != nil {
		t.Fatalf("no probe report (exit %d): %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	return p
}

// ocirunCmd is the command ocirun --image ref --cache cache --insecure --
// args, with exactly env as its environment. Its Wait returns at most 10 s
// after ocirun exits, even if processes it left hold its output open.
func ocirunCmd(ref, cache string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(ocirunBin, append([]string{"--image", ref, "--cache", cache, "--insecure", "--"}, args...)...)
	cmd.WaitDelay = 10 * time.Second
	cmd.Env = env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	return cmd
}

// runOcirun runs ocirun and returns its exit code and output (code -1,
// and the test failed, when it could not run). It may be called from any
// goroutine.
func runOcirun(t testing.TB, ref, cache string, env []string, args ...string) result {
	t.Helper()
	cmd := ocirunCmd(ref, cache, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Errorf("ocirun: %v", err)
		return result{code: -1}
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// wantStartFailure checks that r is ocirun's one-line failure with code
// and a message containing each of wants.
func wantStartFailure(t *testing.T, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code || !strings.HasPrefix(r.stderr, "ocirun: ") || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want exit %d and one line \"ocirun: ...\"", r.code, r.stdout, r.stderr, code)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("message %q lacks %q", r.stderr, w)
		}
	}
}

func TestEntrypointAndCmd(t *testing.T) {
	reg := newRegistry(t)
	cache := t.TempDir()
	base := layer(t, baseFiles(t, true)...)
	for i, c := range []struct {
		entrypoint, cmd, command []string
		want                     []string
	}{
		{[]string{"/bin/probe", "ep1"}, []string{"cmd1", "cmd2"}, nil, []string{"/bin/probe", "ep1", "cmd1", "cmd2"}},
		{[]string{"/bin/probe", "ep1"}, []string{"cmd1", "cmd2"}, []string{"job1"}, []string{"/bin/probe", "ep1", "job1"}},
		{[]string{"/bin/probe"}, nil, nil, []string{"/bin/probe"}},
		{nil, []string{"/bin/probe", "cmd1"}, nil, []string{"/bin/probe", "cmd1"}},
		{nil, []string{"/bin/probe", "cmd1"}, []string{"/usr/bin/probe", "job1"}, []string{"/usr/bin/probe", "job1"}},
		{[]string{"probe"}, []string{"cmd1"}, []string{"step"}, []string{"probe", "step"}}, // found in PATH
	} {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			ref := reg.push(t, fmt.Sprintf("cmd%d", i), testImage(t, v1.Config{Entrypoint: c.entrypoint, Cmd: c.cmd}, base))
			r := runOcirun(t, ref, cache, nil, c.command...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if got := r.report(t).Args; !reflect.DeepEqual(got, c.want) {
				t.Errorf("entrypoint %q, cmd %q, command %q: argv %q, want %q", c.entrypoint, c.cmd, c.command, got, c.want)
			}
		})
	}
	t.Run("none", func(t *testing.T) {
		ref := reg.push(t, "nocmd", testImage(t, v1.Config{}, base))
		wantStartFailure(t, runOcirun(t, ref, cache, nil), ExitSetup, "no command specified")
	})
}

// TestAWSEntrypoint runs a job whose command is ["step"] in an image whose
// ENTRYPOINT is the aws CLI, as on AWS: step becomes aws's argument, and
// the job fails with the CLI's status; in an image without aws, the
// container cannot start.
func TestAWSEntrypoint(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	t.Run("present", func(t *testing.T) {
		ref := reg.push(t, "aws", testImage(t, v1.Config{Entrypoint: []string{"/usr/local/bin/aws"}}, layer(t, baseFiles(t, true)...)))
		r := runOcirun(t, ref, cache, nil, "step")
		if r.code != 252 || !strings.Contains(r.stderr, "aws: error: argument command: Invalid choice") || !strings.Contains(r.stderr, `given ["step"]`) {
			t.Errorf("exit %d, stderr:\n%s\nwant 252 and aws's usage, given [\"step\"]", r.code, r.stderr)
		}
	})
	t.Run("missing", func(t *testing.T) {
		ref := reg.push(t, "noaws", testImage(t, v1.Config{Entrypoint: []string{"aws"}}, layer(t, baseFiles(t, false)...)))
		r := runOcirun(t, ref, cache, nil, "step")
		wantStartFailure(t, r, ExitNotFound)
		if want := "ocirun: exec: \"aws\": executable file not found in $PATH\n"; r.stderr != want {
			t.Errorf("stderr %q, want %q", r.stderr, want)
		}
		ref = reg.push(t, "noaws2", testImage(t, v1.Config{Entrypoint: []string{"/usr/local/bin/aws"}}, layer(t, baseFiles(t, false)...)))
		wantStartFailure(t, runOcirun(t, ref, cache, nil, "step"), ExitNotFound,
			`exec: "/usr/local/bin/aws": stat /usr/local/bin/aws: no such file or directory`)
	})
	t.Run("not executable", func(t *testing.T) {
		ref := reg.push(t, "noexec", testImage(t, v1.Config{Entrypoint: []string{"/etc/passwd"}}, layer(t, baseFiles(t, false)...)))
		wantStartFailure(t, runOcirun(t, ref, cache, nil, "step"), ExitCannotInvoke, `exec: "/etc/passwd": permission denied`)
	})
}

func TestEnvironment(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	base := layer(t, baseFiles(t, false)...)
	for i, c := range []struct {
		image, job, want []string
	}{
		{[]string{"A=image", "B=image"}, []string{"A=job", "C=job", "EMPTY="},
			[]string{"A=job", "B=image", "C=job", "EMPTY=", "HOME=/root", "PATH=" + DefaultPath}},
		{[]string{"PATH=/bin:/usr/bin", "HOME=/image"}, nil,
			[]string{"HOME=/image", "PATH=/bin:/usr/bin"}},
		{[]string{"PATH=/bin:/usr/bin"}, []string{"PATH=/usr/bin", "HOME=/job"},
			[]string{"HOME=/job", "PATH=/usr/bin"}},
		{nil, nil, []string{"HOME=/root", "PATH=" + DefaultPath}},
	} {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			ref := reg.push(t, fmt.Sprintf("env%d", i), testImage(t, v1.Config{Entrypoint: []string{"probe"}, Env: c.image}, base))
			r := runOcirun(t, ref, cache, c.job)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			got := slices.Sorted(slices.Values(r.report(t).Env))
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("image env %q, job env %q: the process has %q, want %q", c.image, c.job, got, c.want)
			}
		})
	}
}

func TestWorkingDir(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	base := layer(t, baseFiles(t, false)...)
	for dir, want := range map[string]string{"": "/", "/tmp": "/tmp", "/work/made/here/": "/work/made/here"} {
		ref := reg.push(t, "wd"+strings.ReplaceAll(dir, "/", "-"), testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}, WorkingDir: dir}, base))
		r := runOcirun(t, ref, cache, nil)
		if r.code != 0 {
			t.Fatalf("WorkingDir %q: exit %d: %s", dir, r.code, r.stderr)
		}
		if got := r.report(t).Cwd; got != want {
			t.Errorf("WorkingDir %q: the process runs in %s, want %s", dir, got, want)
		}
	}
	ref := reg.push(t, "wd-relative", testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}, WorkingDir: "work"}, base))
	wantStartFailure(t, runOcirun(t, ref, cache, nil), ExitSetup, `working directory "work" is invalid`)
}

func TestUser(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	base := layer(t, baseFiles(t, false)...)
	for i, c := range []struct {
		user     string
		uid, gid int
		groups   []int
		home     string
	}{
		{"", 0, 0, nil, "/root"},
		{"app", 1000, 1000, []int{50}, "/home/app"},
		{"1000", 1000, 1000, []int{50}, "/home/app"},
		{"app:staff", 1000, 50, nil, "/home/app"},
		{"app:4343", 1000, 4343, nil, "/home/app"},
		{"4242:4343", 4242, 4343, nil, "/"},
		{"4242", 4242, 0, nil, "/"},
	} {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			ref := reg.push(t, fmt.Sprintf("user%d", i), testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}, User: c.user}, base))
			r := runOcirun(t, ref, cache, nil, "write:/tmp/by-user", "exists:/tmp/by-user")
			if r.code != 0 {
				t.Fatalf("User %q: exit %d: %s", c.user, r.code, r.stderr)
			}
			p := r.report(t)
			home, _ := lookupEnv(p.Env, "HOME")
			if p.UID != c.uid || p.GID != c.gid || len(p.Groups) != len(c.groups) || (len(c.groups) > 0 && !reflect.DeepEqual(p.Groups, c.groups)) || home != c.home {
				t.Errorf("User %q: uid %d gid %d groups %v HOME %s, want %d %d %v %s", c.user, p.UID, p.GID, p.Groups, home, c.uid, c.gid, c.groups, c.home)
			}
			if !strings.Contains(r.stdout, "exists /tmp/by-user true") {
				t.Errorf("User %q cannot write /tmp: %s", c.user, r.stdout)
			}
		})
	}
	for user, want := range map[string]string{
		"nobody-here": "unable to find user nobody-here: no matching entries in passwd file",
		"app:nogroup": "unable to find group nogroup: no matching entries in group file",
	} {
		ref := reg.push(t, "baduser-"+strings.ReplaceAll(user, ":", "-"), testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}, User: user}, base))
		wantStartFailure(t, runOcirun(t, ref, cache, nil), ExitSetup, want)
	}
}

// TestContainerView checks what the process sees: itself as PID 1 and as
// /proc/self/exe, devices, the host's resolver files, nothing of the
// host's file system, and a kernel it cannot change: no capability
// beyond Docker's (no CAP_SYS_ADMIN, no CAP_MKNOD), /proc/sys and /sys
// read-only.
func TestContainerView(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	ref := reg.push(t, "view", testImage(t, v1.Config{Entrypoint: []string{"/usr/bin/probe"}}, layer(t, baseFiles(t, false)...)))
	r := runOcirun(t, ref, cache, nil, "exists:/dev/null", "exists:/dev/urandom", "exists:/proc/1/exe",
		"exists:"+cache, "exists:"+ocirunBin, "write:/dev/null", "trywrite:/proc/sys/kernel/hostname", "trywrite:/sys/ocirun-test",
		"cat:/proc/self/status", "cat:/etc/hosts")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	p := r.report(t)
	if p.Exe != "/bin/probe" || p.Pid != 1 {
		t.Errorf("os.Executable() = %q, pid %d; want /bin/probe, 1", p.Exe, p.Pid)
	}
	for _, w := range []string{
		"exists /dev/null true", "exists /dev/urandom true", "exists /proc/1/exe true",
		"exists " + cache + " false", "exists " + ocirunBin + " false",
		"trywrite /proc/sys/kernel/hostname: open /proc/sys/kernel/hostname: read-only file system",
		"trywrite /sys/ocirun-test: open /sys/ocirun-test: read-only file system",
	} {
		if !strings.Contains(r.stdout, w+"\n") {
			t.Errorf("want %q in:\n%s", w, r.stdout)
		}
	}
	hosts, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(r.stdout, string(hosts)) {
		t.Errorf("the container's /etc/hosts is not the host's:\n%s", r.stdout)
	}
	_, status, _ := strings.Cut(r.stdout, "CapEff:")
	status, _, _ = strings.Cut(status, "\n")
	eff, err := strconv.ParseUint(strings.TrimSpace(status), 16, 64)
	if err != nil {
		t.Fatalf("no CapEff in the process's status: %v\n%s", err, r.stdout)
	}
	const chown, mknod, sysAdmin = 0, 27, 21
	if eff&(1<<chown) == 0 || eff&(1<<mknod) != 0 || eff&(1<<sysAdmin) != 0 {
		t.Errorf("root's effective capabilities %#x: want CAP_CHOWN, neither CAP_MKNOD nor CAP_SYS_ADMIN", eff)
	}
}

// TestIsolation checks that each run has a writable layer of its own: a
// file one run writes is not seen by the next, and the cached root stays
// as unpacked.
func TestIsolation(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	ref := reg.push(t, "iso", testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}}, layer(t, baseFiles(t, false)...)))
	r := runOcirun(t, ref, cache, nil, "exists:/tmp/marker", "write:/tmp/marker", "write:/etc/passwd", "exists:/tmp/marker")
	if r.code != 0 || !strings.Contains(r.stdout, "exists /tmp/marker false\nexists /tmp/marker true\n") {
		t.Fatalf("first run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	roots, err := filepath.Glob(filepath.Join(cache, "images", "*", "rootfs"))
	if err != nil || len(roots) != 1 {
		t.Fatalf("cached roots %q, %v; want one", roots, err)
	}
	before := snapshot(t, roots[0])
	r = runOcirun(t, ref, cache, nil, "exists:/tmp/marker")
	if r.code != 0 || !strings.Contains(r.stdout, "exists /tmp/marker false\n") {
		t.Fatalf("second run sees the first run's file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := snapshot(t, roots[0]); !reflect.DeepEqual(before, after) {
		t.Errorf("the cached root changed:\nbefore %v\nafter  %v", before, after)
	}
	if _, err := os.Stat(filepath.Join(roots[0], "tmp", "marker")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the cached root has the run's /tmp/marker: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(roots[0], "etc", "passwd")); !bytes.HasPrefix(b, []byte("root:x:0:0")) {
		t.Errorf("the cached root's /etc/passwd was written: %q", b)
	}
	wantNoJobs(t, cache)
}

// snapshot lists every file under root with its mode, owner, size and
// modification time.
func snapshot(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %v %d %s", p, fi.Mode(), fi.Size(), fi.ModTime()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// wantNoJobs checks that no run left its job directory in cache.
func wantNoJobs(t *testing.T, cache string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "jobs"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("job directory left behind: %s", e.Name())
	}
}

func TestExitCodes(t *testing.T) {
	reg := newRegistry(t)
	cache := t.TempDir()
	ref := reg.push(t, "exit", testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}}, layer(t, baseFiles(t, false)...)))
	for _, code := range []int{0, 1, 3, 125, 200, 255} {
		r := runOcirun(t, ref, cache, nil, fmt.Sprintf("exit:%d", code))
		if r.code != code || r.stderr != "" {
			t.Errorf("the process exited %d: ocirun exited %d, stderr %q", code, r.code, r.stderr)
		}
	}
	wantNoJobs(t, cache)
}

func TestWrongArchitecture(t *testing.T) {
	reg := newRegistry(t)
	cache := t.TempDir()
	base := layer(t, baseFiles(t, false)...)
	host := "linux/" + hostPlatform().Architecture
	others := otherArchs()
	cfg := v1.Config{Entrypoint: []string{"/bin/probe"}}
	var idx v1.ImageIndex = empty.Index
	for _, a := range others {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        platformImage(t, v1.Platform{OS: "linux", Architecture: a}, cfg, base),
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: a}},
		})
	}
	ref := reg.pushIndex(t, "index-other", idx)
	wantStartFailure(t, runOcirun(t, ref, cache, nil), ExitSetup,
		"linux/"+others[0]+", linux/"+others[1], "not this host's "+host, "no matching manifest")

	ref = reg.push(t, "image-other", platformImage(t, v1.Platform{OS: "linux", Architecture: others[0]}, cfg, base))
	wantStartFailure(t, runOcirun(t, ref, cache, nil), ExitSetup,
		"is linux/"+others[0]+", not this host's "+host, "exec format error")

	// An index with the host's platform among others runs the host's.
	idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
		Add:        testImage(t, v1.Config{Entrypoint: []string{"/bin/probe", "host"}}, base),
		Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: hostPlatform().Architecture}},
	})
	ref = reg.pushIndex(t, "index-host", idx)
	r := runOcirun(t, ref, cache, nil)
	if r.code != 0 || !reflect.DeepEqual(r.report(t).Args, []string{"/bin/probe", "host"}) {
		t.Errorf("index with the host's platform: exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	reg := newRegistry(t)
	cache := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--cache", cache}, "--image is required"},
		{[]string{"--image", reg.host + "/test/x:latest"}, "--cache is required"},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"--image", "UPPER/case:!", "--cache", cache}, `image reference "UPPER/case:!"`},
		{[]string{"--image", reg.host + "/test/absent:latest", "--cache", cache}, "pull " + reg.host + "/test/absent:latest"},
	} {
		cmd := exec.Command(ocirunBin, c.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		wantStartFailure(t, result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}, ExitSetup, c.want)
	}
}

// TestSignals checks that SIGTERM reaches the process (which exits 143
// here), that a process killed by a signal gives 128+N, and that killing
// the runner kills the process and every process it started, leaving no
// mount behind and, after the next run, no job directory.
func TestSignals(t *testing.T) {
	testproc.SkipShort(t, "a container test beyond the quick loop's two (TestEntrypointAndCmd, TestExitCodes)")
	reg := newRegistry(t)
	cache := t.TempDir()
	ref := reg.push(t, "signals", testImage(t, v1.Config{Entrypoint: []string{"/bin/probe"}}, layer(t, baseFiles(t, false)...)))

	t.Run("SIGTERM", func(t *testing.T) {
		cmd, out := startWaiting(t, ref, cache)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		rest := out()
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 143 {
			t.Fatalf("ocirun: %v, want exit status 143", err)
		}
		if !strings.Contains(rest, "terminated\n") {
			t.Errorf("the process did not get SIGTERM: %q", rest)
		}
		wantNoMounts(t, cache)
		wantNoJobs(t, cache)
	})

	t.Run("killed container", func(t *testing.T) {
		cmd, _ := startWaiting(t, ref, cache)
		procs := descendants(t, cmd.Process.Pid)
		if len(procs) == 0 {
			t.Fatal("the runner has no descendants")
		}
		if err := syscall.Kill(procs[0].pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 128+9 {
			t.Fatalf("ocirun: %v, want exit status 137 (128+SIGKILL)", err)
		}
		waitGone(t, procs)
		wantNoJobs(t, cache)
	})

	t.Run("SIGKILL", func(t *testing.T) {
		cmd, _ := startWaiting(t, ref, cache)
		procs := descendants(t, cmd.Process.Pid)
		if len(procs) != 2 {
			t.Fatalf("the runner's descendants: %v, want the probe and its child", procs)
		}
		cmd.Process.Kill()
		cmd.Wait()
		waitGone(t, procs)
		wantNoMounts(t, cache)
		// The killed runner's job directory goes with the next run.
		if r := runOcirun(t, ref, cache, nil, "exit:0"); r.code != 0 {
			t.Fatalf("next run: exit %d: %s", r.code, r.stderr)
		}
		wantNoJobs(t, cache)
	})
}

// startWaiting starts ocirun running the probe's wait, and returns once
// the probe is ready; out reads the rest of its output, to its end (call
// it before Wait).
func startWaiting(t *testing.T, ref, cache string) (*exec.Cmd, func() string) {
	t.Helper()
	cmd := ocirunCmd(ref, cache, nil, "wait")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	br := bufio.NewReader(stdout)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			cmd.Wait()
			t.Fatalf("the probe never got ready: %v; stderr %s", err, stderr.String())
		}
		if line == "ready\n" {
			break
		}
	}
	return cmd, func() string {
		var b strings.Builder
		_, _ = bufio.NewReader(br).WriteTo(&b)
		return b.String()
	}
}
