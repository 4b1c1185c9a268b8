package flowcmd_test

import (
	"slices"
	"strings"
	"testing"
)

// module is the import path of this module.
const module = "github.com/stepflow/stepflow"

// viewerPackages are what only the viewers (stepflow ui, stepflow card
// view) link: the card renderer and its Markdown library, and the SVG
// drawing of a run's graph.
var viewerPackages = []string{module + "/internal/cardhtml", "github.com/yuin/goldmark", module + "/internal/graphsvg"}

// cloudPackages are what only the AWS build of a flow links: the Step
// Functions compiler, the job definitions, deploy and every other
// internal/aws package, and the AWS SDK.
var cloudPackages = []string{module + "/internal/aws", "github.com/aws"}

// TestFlowBinaryLinksRuntimeOnly checks that a plain flow binary, which
// every local task starts, links the runtime only: none of the viewer
// packages, nothing of internal/aws and no AWS SDK. The AWS build
// (-tags stepflow_aws) links the compiler and the SDK, for its
// step-functions commands, and still no viewer package. The stepflow
// inspector links every viewer package, so the names checked are real.
func TestFlowBinaryLinksRuntimeOnly(t *testing.T) {
	flows := []string{"./examples/hello", "./examples/foreach"} // foreach fills a card
	for _, tags := range []string{"", "stepflow_aws"} {
		deps := listDeps(t, tags, flows...)
		for _, p := range []string{module + "/card", module + "/internal/task", module + "/internal/graphtext"} {
			if !slices.Contains(deps, p) {
				t.Fatalf("tags %q: %s is not among the dependencies of a flow binary: does the list hold them?", tags, p)
			}
		}
		for _, d := range deps {
			if under(d, viewerPackages) {
				t.Errorf("tags %q: a flow binary links %s, which only the viewers need", tags, d)
			}
			if tags == "" && under(d, cloudPackages) {
				t.Errorf("a plain flow binary links %s, which only the AWS build needs", d)
			}
		}
		if tags != "" {
			for _, p := range []string{module + "/internal/aws/statemachine", "github.com/aws/aws-sdk-go-v2/service/sfn"} {
				if !slices.Contains(deps, p) {
					t.Errorf("the AWS build of a flow does not link %s: is stepflow_aws still the tag of the AWS build?", p)
				}
			}
		}
	}
	deps := listDeps(t, "", "./cmd/stepflow")
	for _, p := range viewerPackages {
		if !slices.ContainsFunc(deps, func(d string) bool { return under(d, []string{p}) }) {
			t.Errorf("the stepflow inspector does not link %s: the list of viewer packages is stale", p)
		}
	}
}

// under reports whether the package path d is one of roots or below one.
func under(d string, roots []string) bool {
	for _, r := range roots {
		if d == r || strings.HasPrefix(d, r+"/") {
			return true
		}
	}
	return false
}
