package ocirun

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// proc is a process, told apart from a later one with its pid by its
// start time.
type proc struct {
	pid   int
	start string
}

func (p proc) String() string { return fmt.Sprintf("%d", p.pid) }

// stat is a process's state, parent and start time from /proc/PID/stat.
func stat(pid int) (state string, ppid int, start string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, "", false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", 0, "", false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid, f[19], true
}

// descendants are the processes below pid.
func descendants(t *testing.T, pid int) []proc {
	t.Helper()
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	children := map[int][]proc{}
	for _, d := range dirs {
		p, _ := strconv.Atoi(filepath.Base(d))
		if _, ppid, start, ok := stat(p); ok {
			children[ppid] = append(children[ppid], proc{p, start})
		}
	}
	var out []proc
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			out = append(out, c)
			walk(c.pid)
		}
	}
	walk(pid)
	return out
}

// waitGone waits (up to 10 s) for the processes to be gone, zombies
// being gone.
func waitGone(t *testing.T, procs []proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var alive []proc
		for _, p := range procs {
			if state, _, start, ok := stat(p.pid); ok && start == p.start && state != "Z" {
				alive = append(alive, p)
			}
		}
		if len(alive) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v still run after their runner was killed", alive)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantNoMounts checks that the host's mount table (this process's) holds
// nothing under dir.
func wantNoMounts(t *testing.T, dir string) {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, dir) {
			t.Errorf("mount left behind: %s", line)
		}
	}
}
