package graph_test

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

type opaque struct{ n int }

type badState struct {
	Done    chan bool
	Fn      func() int
	Mu      sync.Mutex
	Hidden  opaque
	Z       complex128 // stored natively
	R       io.Reader
	Nested  []map[string][]chan int
	Keys    map[chan int]string
	private chan int // unexported: not an artifact
}

type goodState struct {
	N     int
	F     []float64
	M     map[string][]int
	IDs   map[int64]string
	When  time.Time
	Every time.Duration
	Any   any
	Inner struct{ A, B string }
	Ptr   *goodState // recursive
	Skip  struct {
		C chan int `json:"-"`
		D int
	}
	Raw []byte
}

func lintOf[T any](name string) error {
	var noop = func(*T, *stepflow.Context) error { return nil }
	_, err := graph.New(flow.MustDefinitionOf(stepflow.New[T](name).Step("start", noop, stepflow.Next("end")).Step("end", noop)))
	return err
}

// check refuses, all at once, every field that cannot be an artifact.
func TestLintArtifactTypes(t *testing.T) {
	err := lintOf[badState]("Bad")
	var le *graph.LintError
	if !errors.As(err, &le) {
		t.Fatalf("lint = %v, want a LintError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"field Done of type chan bool cannot be an artifact: a channel",
		"field Fn of type func() int cannot be an artifact: a function",
		"field Mu of type sync.Mutex cannot be an artifact: struct sync.Mutex has no exported fields",
		"field Hidden of type graph_test.opaque cannot be an artifact: struct graph_test.opaque has no exported fields",
		"field R of type io.Reader cannot be an artifact: an interface value (io.Reader) cannot be decoded",
		"field Nested of type []map[string][]chan int cannot be an artifact: its elements",
		"field Keys of type map[chan int]string cannot be an artifact: its keys (chan int): a channel",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("lint does not say %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "private") {
		t.Errorf("lint names an unexported field:\n%s", msg)
	}
	if n := strings.Count(msg, "[artifact-type]"); n != 7 {
		t.Errorf("%d artifact-type problems, want 7:\n%s", n, msg)
	}
	if err := lintOf[goodState]("Good"); err != nil {
		t.Errorf("lint of savable fields: %v", err)
	}
}
