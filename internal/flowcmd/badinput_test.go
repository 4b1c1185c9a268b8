package flowcmd_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputExits2 runs every command of a flow binary with missing,
// empty, huge and malformed values: each must exit 2 with one message on
// stderr (what is wrong and how to fix it), never run anything, and never
// panic.
func TestBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "ds")
	bin := filepath.Join(binDir, "params")
	repo, _ := filepath.Abs("../..")
	// One good run, so the inspection commands have something to refuse.
	good := exec.Command(bin, "run", "--quiet", "--name", "x", "--datastore-root", root)
	good.Dir = repo
	if out, err := good.CombinedOutput(); err != nil {
		t.Fatalf("seed run: %v\n%s", err, out)
	}
	huge := strings.Repeat("x", 100<<10) // under the kernel's 128 KiB per argument
	bigCfg := filepath.Join(dir, "big.json")
	f, err := os.Create(bigCfg)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(11 << 20)
	f.Close()
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte(`{"prefix": 1`), 0o644)
	trailing := filepath.Join(dir, "trailing.json")
	os.WriteFile(trailing, []byte(`{"prefix":"a"}{"prefix":"IGNORED"} junk`), 0o644)
	null := filepath.Join(dir, "null.json")
	os.WriteFile(null, []byte("null\n"), 0o644)
	ds := []string{"--datastore-root", root}
	run := func(extra ...string) []string { return append(append([]string{"run", "--name", "x"}, ds...), extra...) }
	cases := [][]string{
		// run: parameters
		{"run"},
		run("--name", ""),
		run("--ratio", "nan"), run("--ratio", "inf"), run("--ratio", "-Inf"), run("--ratio", "1e400"), run("--ratio", ""), run("--ratio", huge),
		run("--count", "4.5"), run("--count", ""), run("--count", "99999999999999999999"), run("--count", huge),
		run("--verbose=maybe"), run("--wait", "soon"), run("--wait", ""),
		run("--weights", `{"a":1,"c":2}`), run("--weights", `{"a":`), run("--weights", `{"a":1} {}`), run("--weights", ""), run("--weights", huge),
		run("--greeting"), run("--unknown", "1"), run("extra-arg"),
		// run: runtime flags
		run("--tag", ""), run("--tag", " "), run("--max-workers", "0"), run("--max-workers", "-3"), run("--max-workers", "x"),
		run("--max-num-splits", "0"), run("--in-process=perhaps"),
		{"run", "--name", "x", "--datastore-root", ""},
		// run: configs
		run("--config", "settings="), run("--config", "=x.json"), run("--config", "nosuch=x.json"), run("--config", "settings="+filepath.Join(dir, "missing.json")),
		run("--config", "settings="+bigCfg), run("--config", "settings="+badJSON), run("--config", "settings="+dir), run("--config", "settings=x.ini"),
		run("--config", "settings="+trailing), run("--config", "settings="+null),
		// run: the event file
		run("--event", ""), run("--event", "/dev/zero"), run("--event", dir), run("--event", filepath.Join(dir, "missing.json")),
		run("--event", bigCfg), run("--event", badJSON),
		// run, resume: tags that look like the system's
		run("--tag", "production:abc"), run("--tag", "resumed:r1"), run("--tag", "Production:x"),
		append([]string{"resume", "--tag", "resumed:r1"}, ds...),
		// resume: --config restores a lost config only
		append([]string{"resume", "--config", "settings=examples/params/settings.toml"}, ds...),
		append([]string{"resume", "--config", "nosuch=x.json"}, ds...), append([]string{"resume", "--config", "settings="}, ds...),
		// resume
		append([]string{"resume", "--origin-run-id", "../etc"}, ds...), append([]string{"resume", "--origin-run-id", "a/b"}, ds...),
		append([]string{"resume", "--origin-run-id", huge}, ds...), append([]string{"resume", "--origin-run-id", "nosuchrun"}, ds...),
		append([]string{"resume", "nosuchstep"}, ds...), append([]string{"resume", "start", "compute"}, ds...),
		append([]string{"resume", "--tag", ""}, ds...), {"resume", "--datastore-root", ""},
		// inspection
		append([]string{"dump", "--attempt", "-5", "latest/start/0"}, ds...), append([]string{"dump", "--attempt", "x", "latest/start/0"}, ds...),
		append([]string{"dump", "latest/start"}, ds...), append([]string{"dump", "latest//0"}, ds...), append([]string{"dump", "latest/start/" + strings.Repeat("1", 300)}, ds...),
		append([]string{"dump", "latest/nosuchstep/0"}, ds...), append([]string{"dump", "latest/start/7"}, ds...), append([]string{"dump", ""}, ds...),
		append([]string{"dump", "latest/start/0", "--json", "--export", dir}, ds...), append([]string{"dump"}, ds...),
		append([]string{"logs", "--attempt", "-1", "latest/start/0"}, ds...), append([]string{"logs", "--stream", "stdin", "latest/start/0"}, ds...),
		append([]string{"logs", "latest/start/0/1"}, ds...), append([]string{"logs"}, ds...), append([]string{"logs", huge}, ds...),
		append([]string{"runs", "--status", "bogus"}, ds...), append([]string{"runs", "--tag", ""}, ds...), append([]string{"runs", "x"}, ds...),
		{"runs", "--datastore-root", ""},
		// tag: no tags, system tags, a tag the run lacks, a bad tag, a run that is not one
		append([]string{"tag", "add", "latest"}, ds...), append([]string{"tag", "add", "latest", "production:x"}, ds...),
		append([]string{"tag", "add", "latest", "Resumed:r"}, ds...), append([]string{"tag", "add", "latest", ""}, ds...),
		append([]string{"tag", "add", "latest", huge}, ds...), append([]string{"tag", "add", "latest", "a\nb"}, ds...),
		append([]string{"tag", "remove", "latest", "production:x"}, ds...), append([]string{"tag", "remove", "latest", "nosuchtag"}, ds...),
		append([]string{"tag", "add", "nosuchrun", "x"}, ds...), append([]string{"tag", "add", "latest/start/0", "x"}, ds...),
		append([]string{"tag", "add", "", "x"}, ds...), append([]string{"tag", "remove", "latest-successful"}, ds...),
		append([]string{"tag"}, ds...), append([]string{"tag", "rename", "latest", "x"}, ds...),
		append([]string{"verify", "a/b"}, ds...), append([]string{"verify", "nosuchrun"}, ds...), append([]string{"verify", "x", "y"}, ds...),
		append([]string{"verify", ".."}, ds...), {"verify", "--datastore-root", ""},
		// show, check
		{"show", "--format", "png"}, {"show", "extra"}, {"check", "extra"},
		// step: the task contract
		{"step"}, {"step", "start"}, {"step", "nosuchstep", "--run-id", "r"},
		append([]string{"step", "start", "--run-id", "r", "--params", `{"name":"x","bogus":"1"}`}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--params", `{"name":"x","ratio":"nan"}`}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--params", `{"name":"x"}`, "--configs", `{"settings":"zz"}`}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--params", `{"name":"x"}`, "--configs", `{"other":"` + strings.Repeat("a", 64) + `"}`}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--params", `[1]`}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--attempt", "-1"}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--task-id", strings.Repeat("9", 5000)}, ds...),
		append([]string{"step", "compute", "--run-id", "r", "--indices", "1"}, ds...),
		append([]string{"step", "start", "--run-id", "r", "--indices", "-1"}, ds...),
		append([]string{"step", "start", "--run-id", "../../x", "--params", `{"name":"x"}`}, ds...),
		append([]string{"step", "start", "--run-id", "a/b", "--params", `{"name":"x"}`}, ds...),
		append([]string{"step", "start", "--run-id", ".hidden", "--params", `{"name":"x"}`}, ds...),
		// the command line itself
		{"nosuchcommand"}, {"run", "--"}, {"--datastore-root"},
	}
	tried, exit2 := 0, 0
	for _, args := range cases {
		tried++
		cmd := exec.Command(bin, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "STEPFLOW_DATASTORE_ROOT="+root)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.Join(args, " ")
		if len(name) > 120 {
			name = name[:120] + "…"
		}
		msg := strings.TrimSpace(stderr.String())
		switch {
		case strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine "):
			t.Errorf("params %s: panicked\n%s", name, msg)
		case code != 2:
			t.Errorf("params %s: exit %d, want 2\nstdout: %s\nstderr: %s", name, code, stdout.String(), msg)
		case msg == "":
			t.Errorf("params %s: exit 2 without a message", name)
		case len(msg) > 4000 && !strings.Contains(name, "help"):
			t.Errorf("params %s: a %d-byte message; one clear line is wanted", name, len(msg))
		default:
			exit2++
		}
	}
	t.Logf("bad input: tried %d, exit 2 with a message %d", tried, exit2)
}
