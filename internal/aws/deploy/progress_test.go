package deploy

import (
	"bytes"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := func() time.Time { return clock }
	p := NewProgress(&out, "hello: create: ", now)
	p.Phase("checks", "checking the deployment")
	clock = clock.Add(300 * time.Millisecond)
	p.Phase("build", "cross-compiling %s for linux/%s", "example.com/hello", "amd64")
	clock = clock.Add(125 * time.Second)
	p.Phase("push", "pushing the flow image")
	clock = clock.Add(2500 * time.Millisecond)
	p.Done()
	want := `hello: create: [0.0s] checking the deployment
hello: create: [0.3s] cross-compiling example.com/hello for linux/amd64
hello: create: [2m05s] pushing the flow image
hello: create: [2m08s] done: checks 0.3s, build 2m05s, push 2.5s
`
	if out.String() != want {
		t.Errorf("progress:\n%s\nwant:\n%s", out.String(), want)
	}
	var none *Progress
	none.Phase("x", "nothing")
	none.Done()
}
