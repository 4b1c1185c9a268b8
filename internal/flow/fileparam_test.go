package flow_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/flow"
)

func TestFileValue(t *testing.T) {
	v := flow.FileValue{Hash: strings.Repeat("ab", 32), Size: 52428800, Name: "train:v2.csv"}
	got, err := flow.ParseFileValue(v.String())
	if err != nil || got != v {
		t.Fatalf("ParseFileValue(%q) = %+v, %v; want %+v", v.String(), got, err, v)
	}
	for _, bad := range []string{
		"data.csv",                                 // a path, not a stored file
		strings.Repeat("ab", 32) + ":12",           // no name
		strings.Repeat("AB", 32) + ":12:x.csv",     // upper-case hash
		strings.Repeat("ab", 31) + ":12:x.csv",     // short hash
		strings.Repeat("ab", 32) + ":-1:x.csv",     // negative size
		strings.Repeat("ab", 32) + ":12:dir/x.csv", // not a base name
		strings.Repeat("ab", 32) + ":twelve:x.csv", // size not a number
	} {
		if _, err := flow.ParseFileValue(bad); err == nil {
			t.Errorf("ParseFileValue(%q) accepted it", bad)
		}
	}
}

func TestMaxFileParamSize(t *testing.T) {
	for in, want := range map[string]int64{"": flow.DefaultMaxFileParamSize, "1048576": 1 << 20, "2GiB": 2 << 30, "500MB": 500e6, "1KiB": 1024} {
		got, err := flow.MaxFileParamSize(func(string) string { return in })
		if err != nil || got != want {
			t.Errorf("%s=%q: %d, %v; want %d", flow.EnvMaxFileParamSize, in, got, err, want)
		}
	}
	for _, bad := range []string{"lots", "0", "-5", "1.5"} {
		if _, err := flow.MaxFileParamSize(func(string) string { return bad }); err == nil || !strings.Contains(err.Error(), flow.EnvMaxFileParamSize) {
			t.Errorf("%q: err = %v, want one naming the variable", bad, err)
		}
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(file, []byte("0123456789"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &flow.Param{Name: "data", Kind: flow.File, Path: file}
	if n, err := p.CheckFile(file, 10, ""); err != nil || n != 10 {
		t.Errorf("CheckFile at the limit: %d, %v", n, err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "nope"): "does not exist; give an existing file with --data PATH",
		dir:                        "is a directory; give a file with --data PATH",
		file:                       "is 10 bytes, more than the 9 bytes a file parameter may hold",
		"":                         "has no file: give one with --data PATH",
	} {
		if _, err := p.CheckFile(path, 9, ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckFile(%q) = %v, want %q", path, err, want)
		}
	}
}
