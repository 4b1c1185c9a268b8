// Package gctune keeps the garbage collector of a process with a small
// heap and a high allocation rate, such as the local runtime running
// thousands of tasks, from collecting over and over: with the default
// GOGC=100 a heap of a few MiB is collected each time it doubles, so a
// wide in-process foreach, which clones the inherited state for each task,
// spends a large share of its CPU collecting garbage.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultFloor is the headroom the local runtime keeps above its live
// heap before a collection: 64 MiB of garbage at most, collected as
// before once the live heap passes 64 MiB (GOGC=100 then gives more).
const DefaultFloor = 64 << 20

// Start keeps the collector's target at least floor bytes above the live
// heap, and no lower than what the current GC percentage gives: after
// each collection it sets the GC percentage to the larger of the
// original and floor/live. The stop function restores the original
// percentage. It does nothing (stop too) when the process was started
// with GOGC or GOMEMLIMIT set, which the user chose.
func Start(floor uint64) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" || floor == 0 {
		return func() {}
	}
	base := debug.SetGCPercent(100)
	debug.SetGCPercent(base)
	if base < 0 {
		return func() {} // collection is off
	}
	t := &tuner{floor: floor, base: base, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.mu.Lock()
	t.tuneLocked()
	t.mu.Unlock()
	t.arm()
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			t.stopped = true
			debug.SetGCPercent(t.base)
		}
	}
}

// minHeap is the Go runtime's minimum heap goal at GOGC=100.
const minHeap = 4 << 20

type tuner struct {
	floor  uint64
	base   int
	mu     sync.Mutex
	sample []metrics.Sample

	stopped bool
}

// sentinel is collected by every collection: its finalizer retunes and
// sets a new one. It holds a pointer so that the tiny allocator, which
// packs small pointer-free objects together, never delays its collection.
type sentinel struct{ _ *int }

func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped {
			return
		}
		t.tuneLocked()
		t.arm()
	})
}

// tuneLocked sets the percentage from the last collection's figures:
// the collector's goal is the live heap plus GC percent of the live heap,
// the goroutine stacks and the globals it scanned.
func (t *tuner) tuneLocked() {
	metrics.Read(t.sample)
	var base uint64
	for _, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			base += s.Value.Uint64()
		}
	}
	debug.SetGCPercent(Percent(base, t.floor, t.base))
}

// Percent is the GC percentage that makes the collector's goal at least
// floor bytes above the live heap, for live bytes of live heap, stacks
// and globals (what the percentage applies to), and no less than base.
// The runtime's goal is also never below its minimum heap, 4 MiB times
// the percentage over 100, so a live size below 4 MiB counts as 4 MiB.
func Percent(live, floor uint64, base int) int {
	const most = 1 << 20
	p := floor * 100 / max(live, minHeap)
	switch {
	case p > most:
		return most
	case int(p) < base:
		return base
	}
	return int(p)
}
