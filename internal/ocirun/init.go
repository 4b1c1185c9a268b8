package ocirun

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// The namespace side of a container is this program started again
// (/proc/self/exe) with argv ["ocirun-init"] and only initEnv set, in new
// mount, PID and IPC namespaces; it reads an initSpec from file
// descriptor specFD, sets the container up and executes its process. Its
// errors go to statusFD, which is closed on exec: the parent reading end
// of file is how it knows the process started.
const (
	initArg0 = "ocirun-init"
	initEnv  = "STEPFLOW_OCIRUN_INIT"
	specFD   = 3
	statusFD = 4
)

// initSpec is what the namespace side needs.
type initSpec struct {
	// Lower is the image's cached root; Upper and Work are the run's
	// overlay directories and Target its mount point.
	Lower, Upper, Work, Target string
	Process                    Process
}

// initStatus reports why the namespace side could not start the process.
type initStatus struct {
	Code    int
	Message string
}

// Init runs the namespace side of a container when this process is one
// (started by Start): it never returns then. In any other process it
// returns at once. A program that calls Start or Run must call Init first
// thing in main, and a test binary in TestMain.
func Init() {
	if len(os.Args) != 1 || os.Args[0] != initArg0 || os.Getenv(initEnv) != "1" {
		return
	}
	// Capabilities (the bounding, inheritable and ambient sets) belong to
	// a thread: the one that drops them must be the one that executes the
	// process, so the goroutine stays on its thread until then.
	runtime.LockOSThread()
	status := os.NewFile(statusFD, "status")
	err := initContainer(os.NewFile(specFD, "spec"), status)
	// Only a failure returns.
	st := initStatus{Code: ExitSetup, Message: err.Error()}
	var se *StartError
	if errors.As(err, &se) {
		st.Code = se.Code
	}
	if werr := json.NewEncoder(status).Encode(st); werr != nil {
		fmt.Fprintf(os.Stderr, "ocirun: %s\n", st.Message)
	}
	os.Exit(st.Code)
}

// initContainer sets up the container of spec and executes its process;
// it returns only on failure.
func initContainer(specFile, status *os.File) error {
	// Neither descriptor may reach the process: the status one closing
	// on exec is the parent's sign that the process started.
	syscall.CloseOnExec(specFD)
	syscall.CloseOnExec(statusFD)
	var s initSpec
	err := json.NewDecoder(specFile).Decode(&s)
	specFile.Close()
	if err != nil {
		return fmt.Errorf("read the container spec: %w", err)
	}
	if err := enterRoot(&s); err != nil {
		return err
	}
	p := &s.Process
	u, err := containerUser(p.User)
	if err != nil {
		return err
	}
	env := p.Env
	if _, ok := lookupEnv(env, "HOME"); !ok {
		env = append(env, "HOME="+u.Home)
	}
	// Docker makes a missing working directory (as root).
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return fmt.Errorf("working directory %s: %w", p.Dir, err)
	}
	if err := dropCapabilities(); err != nil {
		return err
	}
	if err := becomeUser(u); err != nil {
		return err
	}
	if err := dieWithParent(status); err != nil {
		return err
	}
	if err := os.Chdir(p.Dir); err != nil {
		return fmt.Errorf("chdir to the working directory %s: %w", p.Dir, err)
	}
	pathEnv, _ := lookupEnv(env, "PATH")
	exe, err := lookPath(p.Args[0], pathEnv)
	if err != nil {
		return &StartError{Code: execCode(err), Err: err}
	}
	err = syscall.Exec(exe, p.Args, env)
	return &StartError{Code: execCode(err), Err: fmt.Errorf("exec %s: %w", exe, err)}
}

// containerUser resolves the image's User against the container's own
// /etc/passwd and /etc/group.
func containerUser(spec string) (ExecUser, error) {
	open := func(name string) (*os.File, error) {
		f, err := os.Open(name)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return f, err
	}
	passwd, err := open("/etc/passwd")
	if err != nil {
		return ExecUser{}, fmt.Errorf("user %q: %w", spec, err)
	}
	group, err := open("/etc/group")
	if err != nil {
		return ExecUser{}, fmt.Errorf("user %q: %w", spec, err)
	}
	var pr, gr io.Reader // nil when the file is missing
	if passwd != nil {
		pr = passwd
		defer passwd.Close()
	}
	if group != nil {
		gr = group
		defer group.Close()
	}
	return LookupUser(spec, pr, gr)
}

// becomeUser sets the groups, gid and uid of the process, in that order.
func becomeUser(u ExecUser) error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("set groups %v: %w", u.Groups, err)
	}
	if err := syscall.Setgid(int(u.GID)); err != nil {
		return fmt.Errorf("set gid %d: %w", u.GID, err)
	}
	if err := syscall.Setuid(int(u.UID)); err != nil {
		return fmt.Errorf("set uid %d: %w", u.UID, err)
	}
	return nil
}

// dieWithParent has the process killed when the runner dies. Start asked
// for it, but a change of credentials clears it; and if the runner died
// before, its end of the status pipe is closed.
func dieWithParent(status *os.File) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set the parent death signal: %w", err)
	}
	fds := []unix.PollFd{{Fd: int32(status.Fd())}}
	for {
		// A signal (the Go runtime's preemption signal, SIGURG) can
		// interrupt the poll: ask again (seen as exit 125 "check the
		// runner: interrupted system call" under load).
		_, err := unix.Poll(fds, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("check the runner: %w", err)
		}
		break
	}
	if fds[0].Revents&unix.POLLERR != 0 {
		os.Exit(ExitSetup) // nobody is left to tell
	}
	return nil
}
