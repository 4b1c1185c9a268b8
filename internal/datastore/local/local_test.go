package local_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/datastoretest"
	"github.com/stepflow/stepflow/internal/datastore/local"
)

func TestConformance(t *testing.T) {
	for _, sync := range []bool{false, true} {
		name := "NoSync"
		if sync {
			name = "Sync"
		}
		t.Run(name, func(t *testing.T) {
			datastoretest.Run(t, func(t *testing.T) datastore.Backend {
				b, err := local.New(t.TempDir(), local.Options{Sync: sync})
				if err != nil {
					t.Fatal(err)
				}
				return b
			})
		})
	}
}

func TestInvalidNames(t *testing.T) {
	b, err := local.New(t.TempDir(), local.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "a/./b", "a/", ".hidden", "a/.tmp-x"} {
		if err := b.Save(ctx, name, strings.NewReader("x")); err == nil {
			t.Errorf("Save(%q) succeeded, want error", name)
		}
		if _, err := b.Load(ctx, name); err == nil {
			t.Errorf("Load(%q) succeeded, want error", name)
		}
	}
}
