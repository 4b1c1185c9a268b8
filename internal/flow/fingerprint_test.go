package flow

import (
	"testing"
	"time"
)

type fpState struct {
	Items []int
	Item  int
	Sum   int
}

type fpOther struct {
	Items []int
	Item  int
	Sum   int64
}

func fpStep(*fpState, *Context) error             { return nil }
func fpJoin(*fpState, *Context, []*fpState) error { return nil }

// fpFlow declares a small foreach flow; change alters one thing of it.
func fpFlow(change string) *Flow {
	retry := Retry{Times: 2, Delay: time.Second}
	if change == "retry" {
		retry.Delay = 2 * time.Second
	}
	swap := 10
	if change == "swappiness" {
		swap = 20
	}
	target := "body"
	if change == "step" {
		target = "work"
	}
	b := NewBuilder[fpState]("FP")
	b.Param("n", 3, "width")
	if change == "param" {
		b.Definition().Params[0].Default = 4
	}
	b.Step("start", fpStep, SetTransition(Transition{Kind: Foreach, Targets: []string{target}, Field: "Items"}))
	b.Step(target, fpStep, SetTransition(Transition{Kind: Next, Targets: []string{"join"}}), retry,
		Batch{Swappiness: &swap}, Env{"A": "1", "B": "2"})
	b.Join("join", fpJoin, SetTransition(Transition{Kind: Next, Targets: []string{"end"}}))
	b.Step("end", fpStep)
	if change == "error" {
		b.Step("end", nil)
	}
	return b.Definition()
}

func TestFingerprint(t *testing.T) {
	base := fpFlow("").Fingerprint()
	if again := fpFlow("").Fingerprint(); again != base {
		t.Fatalf("the same declaration has two fingerprints: %s, %s", base, again)
	}
	if len(base) != 32 {
		t.Errorf("fingerprint %q is not 32 hex digits", base)
	}
	for _, change := range []string{"retry", "swappiness", "step", "param", "error"} {
		if fp := fpFlow(change).Fingerprint(); fp == base {
			t.Errorf("changing the %s keeps the fingerprint", change)
		}
	}
	other := NewBuilder[fpOther]("FP").Definition()
	same := NewBuilder[fpState]("FP").Definition()
	if other.Fingerprint() == same.Fingerprint() {
		t.Errorf("a state field of another type keeps the fingerprint")
	}
}
