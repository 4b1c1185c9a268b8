package flowcmd_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/secretleak"
	"github.com/stepflow/stepflow/internal/ui"
)

// plantedSecret is the value the leak tests give secret db: long and
// odd enough that no other byte string of a run holds it by chance.
const plantedSecret = "PLANTED-db-password/7f9c2e!x"

// A secret's value reaches the step, and nothing a run writes: the
// datastore (artifacts, records, logs, cards), the commands' output
// (run, dump, logs, runs, show, card view) and the UI's JSON. Two runs:
// tasks in child processes with the value in the environment, and in
// process with it in --secrets-file.
func TestSecretsDoNotLeak(t *testing.T) {
	dir := t.TempDir()
	ds := filepath.Join(dir, "ds")
	file := filepath.Join(dir, "secrets.json")
	if err := os.WriteFile(file, []byte(`{"db": "`+plantedSecret+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(binDir, "secretflow")
	out := map[string][]byte{}
	run := func(name string, env []string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("secretflow %q: %v\n%s%s", args, err, stdout.Bytes(), stderr.Bytes())
		}
		out[name+" stdout"], out[name+" stderr"] = stdout.Bytes(), stderr.Bytes()
		return stdout.Bytes()
	}
	env := []string{"STEPFLOW_SECRET_API=api-value"}
	run("run (child processes)", append(env, "STEPFLOW_SECRET_DB="+plantedSecret), "run", "--datastore-root", ds)
	run("run (in process)", env, "run", "--datastore-root", ds, "--in-process", "--secrets-file", file)
	// The secret reached the step: the length it kept is the value's.
	if got := run("dump", nil, "dump", "--datastore-root", ds, "--json", "latest/connect/0", "DBLength"); string(bytes.TrimSpace(got)) != "28" {
		t.Fatalf("DBLength = %s, want 28 (len of the planted secret)", got)
	}
	for _, args := range [][]string{
		{"dump", "--datastore-root", ds, "latest/connect/0"},
		{"logs", "--datastore-root", ds, "latest/connect/0"},
		{"runs", "--datastore-root", ds, "--json"},
		{"show"},
	} {
		run(args[0], nil, args...)
	}
	card := exec.Command(filepath.Join(binDir, "stepflow"), "card", "view", "--datastore-root", ds, "SecretFlow/latest/connect/0", "-o", filepath.Join(dir, "card.html"))
	if b, err := card.CombinedOutput(); err != nil {
		t.Fatalf("card view: %v\n%s", err, b)
	}

	// The UI's JSON of every run, task, log, card and artifact.
	ctx := context.Background()
	c, err := client.Open(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ui.New(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	runs, err := c.Flow("SecretFlow").Runs(ctx)
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs: %d, %v; want 2", len(runs), err)
	}
	get := func(path string) {
		res, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s\n%s", path, res.Status, b)
		}
		out["GET "+path] = b
	}
	get("/api/flows")
	get("/api/flows/SecretFlow/runs")
	for _, r := range runs {
		base := "/api/flows/SecretFlow/runs/" + r.ID
		get(base)
		get(base + "/timeline")
		for _, step := range []string{"start", "connect", "end"} {
			task := base + "/steps/" + step + "/tasks/0"
			get(task)
			get(task + "/logs/stdout")
			get(task + "/logs/stderr")
		}
		get(base + "/steps/connect/tasks/0/card")
		for _, a := range []string{"DBLength", "Digest", "Done"} {
			get(base + "/steps/connect/tasks/0/artifacts/" + a)
		}
	}

	found, err := secretleak.Find(plantedSecret, []string{dir}, out) // dir holds ds and card.html
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		if f == file {
			continue // the secrets file the test wrote
		}
		t.Errorf("the planted secret is in %s", f)
	}
}
