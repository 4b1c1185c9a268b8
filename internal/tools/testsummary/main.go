// Command testsummary reads `go test -json` on stdin and writes what go
// test writes without -json (each package's ok/FAIL line, the output of
// failed tests and build errors), as packages finish, then a summary: every
// package with its time (slowest first, in go test's own ok/FAIL line
// format), the slowest tests, and a closing line "N passed, N failed, ...".
// It exits 1 if a package failed or did not finish.
//
// scripts/test.sh runs it:
//
//	go test -json ./... 2>&1 | go run ./internal/tools/testsummary
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
)

// event is one line of go test -json (cmd/test2json).
type event struct {
	Time       time.Time
	Action     string
	Package    string
	Test       string
	Elapsed    float64
	Output     string
	ImportPath string // build-output, build-fail
}

type test struct {
	pkg, name string
	output    []string
	action    string
	elapsed   float64
}

type pkg struct {
	name    string
	output  []string // package-level output
	tests   map[string]*test
	order   []string
	action  string // pass, fail, skip; "" while running
	elapsed float64
	start   time.Time
	noTests bool
}

type summary struct {
	w       io.Writer
	pkgs    map[string]*pkg
	order   []string
	tests   []*test
	skipped int
	top     int
}

func main() {
	top := flag.Int("top", 10, "how many of the slowest tests to list")
	flag.Parse()
	s := &summary{w: os.Stdout, pkgs: map[string]*pkg{}, top: *top}
	if err := s.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testsummary:", err)
		os.Exit(2)
	}
	if !s.report() {
		os.Exit(1)
	}
}

func (s *summary) pkg(name string) *pkg {
	p := s.pkgs[name]
	if p == nil {
		p = &pkg{name: name, tests: map[string]*test{}}
		s.pkgs[name] = p
		s.order = append(s.order, name)
	}
	return p
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			// Not an event: the go command's own messages.
			fmt.Fprintf(s.w, "%s\n", line)
			continue
		}
		s.event(e)
	}
	return sc.Err()
}

func (s *summary) event(e event) {
	switch e.Action {
	case "build-output":
		fmt.Fprint(s.w, e.Output)
		return
	case "build-fail":
		return
	}
	if e.Package == "" {
		fmt.Fprint(s.w, e.Output)
		return
	}
	p := s.pkg(e.Package)
	if p.start.IsZero() && e.Action == "start" {
		p.start = e.Time
	}
	if e.Test == "" {
		switch e.Action {
		case "output":
			p.output = append(p.output, e.Output)
			if strings.Contains(e.Output, "[no test files]") {
				p.noTests = true
			}
		case "pass", "fail", "skip":
			p.action, p.elapsed = e.Action, e.Elapsed
			s.finish(p)
		}
		return
	}
	t := p.tests[e.Test]
	if t == nil {
		t = &test{pkg: e.Package, name: e.Test}
		p.tests[e.Test] = t
		p.order = append(p.order, e.Test)
	}
	switch e.Action {
	case "output":
		t.output = append(t.output, e.Output)
	case "pass", "fail", "skip":
		t.action, t.elapsed = e.Action, e.Elapsed
		s.tests = append(s.tests, t)
		if e.Action == "skip" {
			s.skipped++
		}
	}
}

// finish prints a finished package as go test does without -v: the
// ok line of a passing package; all output of a failing one, minus the
// passing tests' chatter.
func (s *summary) finish(p *pkg) {
	if p.action != "fail" {
		for _, l := range p.output {
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?") || strings.HasPrefix(l, "coverage:") {
				fmt.Fprint(s.w, l)
			}
		}
		return
	}
	for _, name := range p.order {
		t := p.tests[name]
		if t.action == "fail" || t.action == "" {
			for _, l := range t.output {
				fmt.Fprint(s.w, l)
			}
		}
	}
	for _, l := range p.output {
		if l != "PASS\n" {
			fmt.Fprint(s.w, l)
		}
	}
}

// report prints the summary and reports whether everything passed.
func (s *summary) report() bool {
	var passed, failed, noTests, unfinished int
	var lines []*pkg
	for _, name := range s.order {
		p := s.pkgs[name]
		switch {
		case p.action == "":
			// The stream ended first (go test was killed): show what the
			// package said, and count it as failed.
			unfinished++
			fmt.Fprintf(s.w, "--- %s did not finish; its output:\n", name)
			for _, tn := range p.order {
				for _, l := range p.tests[tn].output {
					fmt.Fprint(s.w, l)
				}
			}
			for _, l := range p.output {
				fmt.Fprint(s.w, l)
			}
		case p.noTests:
			noTests++
		case p.action == "fail":
			failed++
			lines = append(lines, p)
		default:
			passed++
			lines = append(lines, p)
		}
	}

	fmt.Fprintf(s.w, "\n== time per package (slowest first)\n")
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].elapsed > lines[j].elapsed })
	for _, p := range lines {
		status := "ok  "
		if p.action == "fail" {
			status = "FAIL"
		}
		fmt.Fprintf(s.w, "%s\t%s\t%.3fs\n", status, p.name, p.elapsed)
	}

	var tests []*test
	for _, t := range s.tests {
		if t.action != "skip" {
			tests = append(tests, t)
		}
	}
	sort.SliceStable(tests, func(i, j int) bool { return tests[i].elapsed > tests[j].elapsed })
	fmt.Fprintf(s.w, "\n== the %d slowest tests\n", min(s.top, len(tests)))
	for i, t := range tests {
		if i == s.top {
			break
		}
		mark := ""
		if t.action == "fail" {
			mark = " (FAIL)"
		}
		fmt.Fprintf(s.w, "%8.2fs  %s  %s%s\n", t.elapsed, t.pkg, t.name, mark)
	}

	fmt.Fprintf(s.w, "\n%d passed, %d failed, %d without tests", passed, failed+unfinished, noTests)
	if unfinished > 0 {
		fmt.Fprintf(s.w, " (%d did not finish)", unfinished)
	}
	if s.skipped > 0 {
		fmt.Fprintf(s.w, "; %d tests skipped", s.skipped)
	}
	fmt.Fprintln(s.w)
	return failed == 0 && unfinished == 0
}
