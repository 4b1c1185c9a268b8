package datastore

import "testing"

func TestLogPartNumber(t *testing.T) {
	for file, want := range map[string]int{
		"stdout.part-000001": 1, "stderr.part-000042": 42, "stdout.part-999999": 999999, "stdout.part-1000000": 1000000,
		"stdout.part-1": 0, "stdout.part-000000": 0, "stdout.part-0000001": 0, "other.part-000001": 0,
		"stdout.log": 0, "stdout.part-00000x": 0, "stdout.part--00001": 0,
	} {
		n, ok := logPartNumber(file)
		if ok != (want > 0) || n != want {
			t.Errorf("logPartNumber(%q) = %d, %v; want %d", file, n, ok, want)
		}
	}
	if got := logPartName("stdout", 1000000); got != "stdout.part-1000000" {
		t.Errorf("logPartName(1000000) = %q", got)
	}
}
