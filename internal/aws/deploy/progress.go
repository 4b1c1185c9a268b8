package deploy

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Progress tells, on its writer (the command's standard error, so that
// standard output keeps its one line per resource), what a long command
// such as step-functions create is doing, and since when: a line as each
// part starts, with the time elapsed since the command began, and at the
// end how long each part took:
//
//	hello: create: [0.0s] checking the deployment, the job queues and the datastore
//	hello: create: [0.3s] cross-compiling example.com/hello for linux/amd64
//	...
//	hello: create: [46.1s] done: checks 0.3s, build 41.2s, push 2.5s, ...
//
// A first create cross-compiles the flow and pushes its image, which can
// take minutes; the last line shown says which part is running. A nil
// *Progress prints nothing.
type Progress struct {
	w      io.Writer
	prefix string
	now    func() time.Time
	start  time.Time
	cur    string    // the short name of the running part; "" when none
	since  time.Time // when it started
	spent  []string  // "short 1.2s" of each finished part
}

// NewProgress starts the progress of a command on w; each line begins
// with prefix ("hello: create: "). now is the clock (nil: time.Now).
func NewProgress(w io.Writer, prefix string, now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	return &Progress{w: w, prefix: prefix, now: now, start: now()}
}

// Phase ends the running part and starts the one called short in the
// summary, printing what it does (format and args).
func (p *Progress) Phase(short, format string, args ...any) {
	if p == nil {
		return
	}
	t := p.end()
	p.cur, p.since = short, t
	fmt.Fprintf(p.w, "%s[%s] %s\n", p.prefix, elapsed(t.Sub(p.start)), fmt.Sprintf(format, args...))
}

// Done ends the running part and prints the total and each part's time.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	t := p.end()
	fmt.Fprintf(p.w, "%s[%s] done: %s\n", p.prefix, elapsed(t.Sub(p.start)), strings.Join(p.spent, ", "))
}

// end records the time of the running part, and returns the time.
func (p *Progress) end() time.Time {
	t := p.now()
	if p.cur != "" {
		p.spent = append(p.spent, p.cur+" "+elapsed(t.Sub(p.since)))
		p.cur = ""
	}
	return t
}

// elapsed is d in seconds with one decimal ("41.2s"), or in minutes and
// seconds from a minute on ("2m05s").
func elapsed(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
}
