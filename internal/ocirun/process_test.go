package ocirun

import (
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestNewProcess(t *testing.T) {
	p, err := NewProcess(v1.Config{
		Entrypoint: []string{"/flow"}, Cmd: []string{"--help"},
		Env:        []string{"A=1", "B=2", "PATH=/bin"},
		WorkingDir: "/work/../data/", User: "app",
	}, []string{"step"}, []string{"B=job", "C=3", "B=later"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Process{
		Args: []string{"/flow", "step"},
		Env:  []string{"A=1", "B=later", "PATH=/bin", "C=3"},
		Dir:  "/data", User: "app",
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}

	for _, c := range []struct {
		cfg  v1.Config
		cmd  []string
		want string
	}{
		{v1.Config{}, nil, "no command specified"},
		{v1.Config{Cmd: []string{""}}, nil, "empty string"},
		{v1.Config{Entrypoint: []string{"/x"}, WorkingDir: "rel"}, nil, `working directory "rel" is invalid, it needs to be an absolute path`},
	} {
		if _, err := NewProcess(c.cfg, c.cmd, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error saying %q", c.cfg, err, c.want)
		}
	}
}
