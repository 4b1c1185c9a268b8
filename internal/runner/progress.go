package runner

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// progress counts a run's tasks per step, for the reporters. Its methods
// are called with the reporter's lock held.
type progress struct {
	order   []string // steps in display order
	steps   map[string]*stepProgress
	foreach map[string]bool // steps run per foreach item
	remote  map[*Job]string // attempts running elsewhere: their last status
	now     func() time.Time
}

// stepProgress counts one step's tasks. A task is counted once, however
// many attempts it takes: failed counts the tasks whose last attempt
// failed, retried those that needed more than one attempt.
type stepProgress struct {
	total, running, done, failed, stopped, reused, cached, retried int
	first, last                                                    time.Time
}

func newProgress(order []string, now func() time.Time) *progress {
	if now == nil {
		now = time.Now
	}
	return &progress{order: order, steps: map[string]*stepProgress{}, foreach: map[string]bool{}, remote: map[*Job]string{}, now: now}
}

func (p *progress) step(name string) *stepProgress {
	sp := p.steps[name]
	if sp == nil {
		sp = &stepProgress{}
		p.steps[name] = sp
	}
	return sp
}

func (p *progress) queued(j *Job) {
	p.step(j.Step.Name).total++
	if j.Step.ForeachDepth > 0 {
		p.foreach[j.Step.Name] = true
	}
}

func (p *progress) started(j *Job) {
	sp := p.step(j.Step.Name)
	if sp.first.IsZero() {
		sp.first = p.now()
	}
	if j.Caught != "" {
		sp.failed-- // the failure is being caught: the task goes on
	}
	sp.running++
}

func (p *progress) finished(j *Job, succeeded, cloned, cached bool) {
	delete(p.remote, j)
	sp := p.step(j.Step.Name)
	sp.last = p.now()
	switch {
	case cached:
		sp.cached++
		sp.done++
		return
	case cloned:
		sp.reused++
		sp.done++
		return
	case succeeded:
		sp.done++
	default:
		sp.failed++
	}
	sp.running--
}

// retrying undoes the failure of an attempt that will be tried again.
func (p *progress) retrying(j *Job) {
	sp := p.step(j.Step.Name)
	sp.failed--
	if j.Attempt == 0 {
		sp.retried++
	}
}

func (p *progress) stoppedTask(j *Job) {
	delete(p.remote, j)
	sp := p.step(j.Step.Name)
	sp.last = p.now()
	sp.running--
	sp.stopped++
}

// remoteStatus records the status of an attempt running elsewhere.
func (p *progress) remoteStatus(j *Job, status string) {
	switch status {
	case "SUCCEEDED", "FAILED":
		delete(p.remote, j)
	default:
		p.remote[j] = status
	}
}

// remoteLine counts a step's attempts running elsewhere by status:
// " (AWS Batch: 2 queued, 1 starting, 3 running)", or "".
func (p *progress) remoteLine(step string) string {
	var queued, starting, running int
	for j, st := range p.remote {
		if j.Step.Name != step {
			continue
		}
		switch st {
		case "STARTING":
			starting++
		case "RUNNING":
			running++
		default:
			queued++
		}
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{queued, "queued"}, {starting, "starting"}, {running, "running"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (AWS Batch: " + strings.Join(parts, ", ") + ")"
}

// names returns the steps with tasks, in display order.
func (p *progress) names() []string {
	var names []string
	for _, n := range p.order {
		if p.steps[n] != nil {
			names = append(names, n)
		}
	}
	if len(names) < len(p.steps) {
		names = names[:0]
		for n := range p.steps {
			names = append(names, n)
		}
		sort.Strings(names)
	}
	return names
}

// eta estimates the time left for a step from its pace so far, or returns
// 0 when there is nothing to go on.
func (sp *stepProgress) eta(now time.Time) time.Duration {
	left := sp.total - sp.done - sp.failed - sp.stopped
	finished := sp.done - sp.reused - sp.cached
	if left <= 0 || finished <= 0 || sp.first.IsZero() {
		return 0
	}
	elapsed := now.Sub(sp.first)
	return time.Duration(float64(elapsed) / float64(finished) * float64(left))
}

// line describes a step: done/total, percentage, running, failures,
// elapsed and ETA; aligned pads the counts for a table.
func (sp *stepProgress) line(now time.Time, aligned bool) string {
	var b strings.Builder
	pct := 0
	if sp.total > 0 {
		pct = 100 * sp.done / sp.total
	}
	counts := fmt.Sprintf("%d/%d", sp.done, sp.total)
	if aligned {
		fmt.Fprintf(&b, "%11s %4s", counts, fmt.Sprintf("%d%%", pct))
	} else {
		fmt.Fprintf(&b, "%s %d%%", counts, pct)
	}
	if sp.running > 0 {
		fmt.Fprintf(&b, "  %d running", sp.running)
	}
	if sp.failed > 0 {
		fmt.Fprintf(&b, "  %d failed", sp.failed)
	}
	if sp.stopped > 0 {
		fmt.Fprintf(&b, "  %d interrupted", sp.stopped)
	}
	if sp.retried > 0 {
		fmt.Fprintf(&b, "  %d retried", sp.retried)
	}
	if sp.reused > 0 {
		fmt.Fprintf(&b, "  %d reused", sp.reused)
	}
	if sp.cached > 0 {
		fmt.Fprintf(&b, "  %d cached", sp.cached)
	}
	end := now
	if sp.running == 0 && !sp.last.IsZero() {
		end = sp.last
	}
	if !sp.first.IsZero() {
		fmt.Fprintf(&b, "  %s", end.Sub(sp.first).Round(100*time.Millisecond))
	}
	if eta := sp.eta(now); eta >= time.Second && sp.running > 0 {
		fmt.Fprintf(&b, "  ETA %s", eta.Round(time.Second))
	}
	return b.String()
}
