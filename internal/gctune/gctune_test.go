package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live, floor uint64
		base, want  int
	}{
		{8 << 20, 64 << 20, 100, 800},    // small heap: 64 MiB of headroom
		{64 << 20, 64 << 20, 100, 100},   // from here on, the base
		{512 << 20, 64 << 20, 100, 100},  // a large heap keeps GOGC=100
		{512 << 20, 64 << 20, 200, 200},  // and a larger base
		{0, 64 << 20, 100, 1600},         // below the runtime's 4 MiB minimum heap
		{1 << 20, 1 << 50, 100, 1 << 20}, // capped
		{32 << 20, 64 << 20, 300, 300},   // never below the base
	} {
		if got := Percent(c.live, c.floor, c.base); got != c.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.live, c.floor, c.base, got, c.want)
		}
	}
}

var sink []byte

// churn allocates n bytes of garbage in 64 KiB pieces and returns the
// number of collections that ran meanwhile.
func churn(n int) uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	for i := 0; i < n/(64<<10); i++ {
		sink = make([]byte, 64<<10)
	}
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

// With the tuner a small heap churning garbage is collected a handful of
// times, not once per few MiB; stop restores the GC percentage.
func TestStartCollectsLess(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Fatal("run this test without GOGC and GOMEMLIMIT: Start leaves a process with either as it is")
	}
	runtime.GC()
	plain := churn(256 << 20)
	stop := Start(DefaultFloor)
	runtime.GC() // the tuner retunes after each collection
	tuned := churn(256 << 20)
	stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("after stop the GC percentage is %d, want 100", got)
	}
	t.Logf("collections for 256 MiB of garbage: %d plain, %d tuned", plain, tuned)
	// Tuned, the target stays DefaultFloor above the live heap: a
	// collection per 64 MiB of garbage, and one more before the first
	// retune. Plain, one per live heap's worth (the test binary's few MiB).
	if most := uint64(256<<20/DefaultFloor + 1); plain < 10 || tuned > most || tuned*2 > plain {
		t.Errorf("collections for 256 MiB of garbage: %d plain, %d tuned; want at least 10 plain, and at most %d tuned and half the plain count", plain, tuned, most)
	}
}

func TestStartRespectsGOGC(t *testing.T) {
	t.Setenv("GOGC", "100")
	stop := Start(DefaultFloor)
	defer stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, Start changed the GC percentage to %d", got)
	}
}
