package stepflow_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMETestTools checks that the README names everything
// scripts/test.sh installs: each apt package, each pip tool with its pinned
// version, and each npm package of package.json with its version.
func TestREADMETestTools(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile("scripts/test.sh")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	// missing+=(graphviz), pytools+=("moto[server]==5.2.1"), and the
	// packages of each apt-get install line that names them.
	for _, m := range regexp.MustCompile(`(?m)(?:missing|pytools)\+=\(([^)]*)\)`).FindAllStringSubmatch(string(script), -1) {
		for _, f := range strings.Fields(m[1]) {
			want = append(want, strings.Trim(f, `"`))
		}
	}
	for _, m := range regexp.MustCompile(`(?m)apt-get install -y -qq --no-install-recommends ([a-z0-9 .-]+) >`).FindAllStringSubmatch(string(script), -1) {
		want = append(want, strings.Fields(m[1])...)
	}
	var pkg struct {
		DevDependencies      map[string]string
		OptionalDependencies map[string]string
	}
	data, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatal(err)
	}
	for name, v := range pkg.DevDependencies {
		want = append(want, name, v)
	}
	for name, v := range pkg.OptionalDependencies {
		want = append(want, name, v)
	}
	if len(want) < 15 {
		t.Fatalf("found only %q in scripts/test.sh and package.json", want)
	}
	for _, w := range want {
		if !strings.Contains(string(readme), w) {
			t.Errorf("README.md does not say that scripts/test.sh installs %s", w)
		}
	}
}
