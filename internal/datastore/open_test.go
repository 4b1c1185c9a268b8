package datastore_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
	_ "github.com/stepflow/stepflow/internal/datastore/local" // registers directories
	"github.com/stepflow/stepflow/internal/usage"
)

// Open finds the backend its scheme registered; a scheme nobody imported
// is bad input saying how to get it.
func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "ds")
	b, err := datastore.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "F/x", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	for root, want := range map[string]string{
		"":                "the datastore root is empty",
		"s3://bucket/p":   "go build -tags stepflow_aws",
		"gs://bucket/p":   `unknown scheme "gs"`,
		"azure://account": `known: file`,
	} {
		_, err := datastore.Open(ctx, root, nil)
		if err == nil || !usage.Is(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want bad input containing %q", root, err, want)
		}
	}
	if got := datastore.Scheme("s3://b/p"); got != "s3" {
		t.Errorf("Scheme(s3://b/p) = %q", got)
	}
	if got := datastore.Scheme("/tmp/x"); got != datastore.FileScheme {
		t.Errorf("Scheme(/tmp/x) = %q", got)
	}
}
