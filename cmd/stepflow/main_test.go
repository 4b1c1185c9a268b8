package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore/seed"
	"github.com/stepflow/stepflow/internal/testproc"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testproc.UseMemoryTemp()
	testscript.Main(m, map[string]func(){
		"stepflow": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) },
		// seed DIR writes a fixed datastore: HelloFlow runs r1 (succeeded,
		// with a retried task), r2 (failed) and r3 (running), OtherFlow o1.
		"seed": func() {
			if len(os.Args) != 2 {
				fmt.Fprintln(os.Stderr, "usage: seed DIR")
				os.Exit(2)
			}
			if err := seed.Write(os.Args[1]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("TZ", "UTC")
			return nil
		},
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
	})
}
