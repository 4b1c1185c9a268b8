package e2e_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/trigger"
)

// fileflow reads file parameter data in two steps (internal/flowcmd's CLI
// scripts run it locally).
const fileflow = module + "/internal/flowcmd/testdata/fileflow"

// TestFileParam: a 50 MiB local file reaches the steps of a Step Functions
// run byte for byte, as the default file step-functions create froze into
// the definition and as the file step-functions trigger --data uploads for
// one run.
func TestFileParam(t *testing.T) {
	t.Parallel()
	w := getWorld(t)
	fp := w.build(t, fileflow)
	big, bigSum := randomFile(t, 50<<20, 1)
	small, smallSum := randomFile(t, 1000, 2)

	// create freezes the file given with --file into the definition: its
	// value is the default of the parameter. (--only-json uploads
	// nothing; a deploy uploads it as uploadFileParam does.)
	def := w.compile(t, fp, "--file=data="+big)
	frozen := w.uploadFileParam(t, fp, big)
	if !regexp.MustCompile(`"data":\s*"` + regexp.QuoteMeta(frozen) + `"`).Match(def.definition) {
		t.Fatalf("the definition's defaults do not hold the frozen file %s:\n%.3000s", frozen, def.definition)
	}

	for _, c := range []struct {
		name  string
		input any
		sum   string
		size  int64
		value string
	}{
		{"frozen default", map[string]any{}, bigSum, 50 << 20, frozen},
		{"uploaded for the run", triggerInput(t, map[string]string{"data": w.uploadFileParam(t, fp, small)}), smallSum, 1000, ""},
	} {
		e := w.execute(t, def, c.input, execOpts{})
		if e.Status != "SUCCEEDED" {
			t.Fatalf("%s: execution %s: %s: %.2000s\n%s", c.name, e.Status, e.Error, e.Cause, e.failedJobs())
		}
		checkFileReached(t, w.store(fp), e.runID(), "data", "Data", c.sum, c.size)
		if c.value != "" {
			run, _, err := w.store(fp).Runs().Get(context.Background(), e.runID())
			if err != nil || run.Params["data"] != c.value {
				t.Errorf("%s: the run record's data is %q (%v), want the frozen %s", c.name, run.Params["data"], err, c.value)
			}
		}
	}
}

// randomFile writes size pseudo-random bytes (from seed) to a new file
// and returns its path and hex SHA-256.
func randomFile(t testing.TB, size int64, seed uint64) (string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data.bin")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<20)
	r := rand.NewChaCha8([32]byte{byte(seed)})
	var word [8]byte
	for n := int64(0); n < size; n += 8 {
		binary.LittleEndian.PutUint64(word[:], r.Uint64())
		if _, err := bw.Write(word[:min(8, size-n)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path, hex.EncodeToString(h.Sum(nil))
}

// uploadFileParam stores the local file at path in the flow's S3
// datastore, as step-functions create and trigger --NAME PATH do (streamed,
// content-addressed), and returns the file parameter's value for a run:
// the execution input's parameter, or the one create compiles in.
func (w *world) uploadFileParam(t testing.TB, fp *flowPkg, path string) string {
	t.Helper()
	hash, size, err := w.store(fp).Blobs().PutFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return flow.FileValue{Hash: hash, Size: size, Name: filepath.Base(path)}.String()
}

// triggerInput is the execution input step-functions trigger gives a run
// with these parameter values.
func triggerInput(t testing.TB, params map[string]string) json.RawMessage {
	t.Helper()
	in, err := deploy.Input(params, trigger.User("e2e"))
	if err != nil {
		t.Fatal(err)
	}
	return json.RawMessage(in)
}

// checkFileReached checks, in a run of fileflow (or any flow whose steps
// record StartSum/StartSize and EndSum/EndSize of file parameter param
// in field), that every step read the file with the given SHA-256 and
// size, and that the start task stored it as the field's artifact.
func checkFileReached(t *testing.T, st *datastore.Store, run, param, field, sum string, size int64) {
	t.Helper()
	tasks := readTasks(t, st, run)
	for _, step := range []string{"start", "end"} {
		ts, ok := tasks[step+"/0"]
		if !ok || ts.status != datastore.StatusSucceeded {
			t.Fatalf("run %s: task %s/0: %+v", run, step, ts)
		}
		prefix := strings.ToUpper(step[:1]) + step[1:]
		if got := ts.artifacts[prefix+"Sum"]; got != sum {
			t.Errorf("run %s: %s read file parameter %s with SHA-256 %v, want %s", run, step, param, got, sum)
		}
		if got := ts.artifacts[prefix+"Size"]; got != float64(size) && got != size {
			t.Errorf("run %s: %s read %v bytes of file parameter %s, want %d", run, step, got, param, size)
		}
		if got := ts.artifacts[field]; got != (fileArtifact{SHA256: sum, Size: size}) {
			t.Errorf("run %s: %s's artifact %s is %+v, want the file (%s, %d bytes)", run, step, field, got, sum, size)
		}
	}
}
