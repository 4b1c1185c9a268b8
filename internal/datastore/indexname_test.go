package datastore

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// TestIndexEscaping: escapeIndex and unescapeIndex give what the
// strings.Replacers they replaced gave, so entries written by earlier
// binaries read back the same, on awkward inputs and random ones.
func TestIndexEscaping(t *testing.T) {
	oldEscaper := strings.NewReplacer("%", "%25", ".", "%2E")
	oldUnescaper := strings.NewReplacer("%25", "%", "%2E", ".")
	inputs := []string{"", "0", "3-1-2", ".", "%", "..", "%%", "%.", ".%", "%25", "%2E", "%2e", "%2", "%%25", "%252E",
		"%2E%25", "a.b%c", "%%2E.", "x%", "x%2", "é.%ü", "%%%", "2E%"}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteByte("%.2E5ae"[r.IntN(7)])
		}
		inputs = append(inputs, b.String())
	}
	for _, in := range inputs {
		if got, want := escapeIndex(in), oldEscaper.Replace(in); got != want {
			t.Errorf("escapeIndex(%q) = %q, want %q", in, got, want)
		}
		if got, want := unescapeIndex(in), oldUnescaper.Replace(in); got != want {
			t.Errorf("unescapeIndex(%q) = %q, want %q", in, got, want)
		}
		if got := unescapeIndex(escapeIndex(in)); got != in {
			t.Errorf("unescapeIndex(escapeIndex(%q)) = %q", in, got)
		}
	}
}

// TestIndexEntryName: an entry's name is the step, then the fields
// earlier binaries wrote in a folder of the step, joined with "."; it
// reads back as the entry, and so does the nested name of those binaries.
func TestIndexEntryName(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, c := range []struct {
		e         IndexEntry
		want, old string
	}{
		{IndexEntry{Step: "s", Task: "0", Status: StatusRunning, Start: t0},
			"s.0.0.running.1767323045000000006.0.0", "s/0.0.running.1767323045000000006.0.0"},
		{IndexEntry{Step: "a.b%", Task: "3-1.%2", Attempt: 12, Status: StatusFailed, Start: t0, End: t0.Add(1), ForeachWidth: 1000, OriginRun: "r.%1"},
			"a%2Eb%25.3-1%2E%252.12.failed.1767323045000000006.1767323045000000007.1000.r%2E%251", ""},
		{IndexEntry{Step: "train", Task: "3-1.%2", Attempt: 12, Status: StatusFailed, Start: t0, End: t0.Add(1), ForeachWidth: 1000, OriginRun: "r.%1"},
			"train.3-1%2E%252.12.failed.1767323045000000006.1767323045000000007.1000.r%2E%251",
			"train/3-1%2E%252.12.failed.1767323045000000006.1767323045000000007.1000.r%2E%251"},
		// Found in the step cache: an empty origin run, then the run it
		// was cached from.
		{IndexEntry{Step: "s", Task: "1", Status: StatusSucceeded, Start: t0, End: t0, CachedRun: "c.1"},
			"s.1.0.succeeded.1767323045000000006.1767323045000000006.0..c%2E1", ""},
		{IndexEntry{Step: "s", Task: "1", Status: StatusSucceeded, Start: t0, End: t0, OriginRun: "o", CachedRun: "c"},
			"s.1.0.succeeded.1767323045000000006.1767323045000000006.0.o.c", ""},
	} {
		got := c.e.name()
		if got != c.want {
			t.Errorf("name() = %q, want %q", got, c.want)
		}
		for _, name := range []string{got, c.old} {
			if name == "" {
				continue
			}
			back, ok := parseIndexEntry(name)
			if !ok || back != c.e {
				t.Errorf("parseIndexEntry(%q) = %+v, %v; want %+v", name, back, ok, c.e)
			}
		}
	}
	for _, bad := range []string{"", "s", "s.0.0.running.1.0", "s/0.0.running.1.0", "/0.0.running.1.0.0", ".0.0.running.1.0.0",
		"s/x/0.0.running.1.0.0", "s.0.0.done.1.0.0", "s.0.-1.running.1.0.0", "s.0.0.running.x.0.0", "s.0.0.running.1.0.0.o.p.q", "s.0.0.running.1.0.0.o."} {
		if e, ok := parseIndexEntry(bad); ok {
			t.Errorf("parseIndexEntry(%q) = %+v, want not ok", bad, e)
		}
	}
}
