package flow

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/config/toml"
	"github.com/stepflow/stepflow/config/yaml"
)

// parsers are the config parsers by extension, as a flow declares them
// with stepflow.ConfigParser.
var parsers = map[string]Parser{".json": nil, ".toml": toml.Parse, ".yaml": yaml.Parse, ".yml": yaml.Parse}

// BenchmarkConfigLoad reads configs of 1, 2 and 4 MiB (a list of numbers
// and a map of at most yaml.MaxKeys strings) in each format: the time per MiB must stay flat
// (reading is linear). Run: go test -run XXX -bench ConfigLoad ./internal/flow
func BenchmarkConfigLoad(b *testing.B) {
	type C struct {
		Values []int             `json:"values" toml:"values" yaml:"values"`
		Names  map[string]string `json:"names" toml:"names" yaml:"names"`
	}
	c := &Config{Name: "c", Type: reflect.TypeFor[C]()}
	dir := b.TempDir()
	for _, mib := range []int{1, 2, 4} {
		n := mib << 20 / 16 // entries: about 8 bytes per number and 24 per name
		var js, tm, ym strings.Builder
		js.WriteString(`{"values": [`)
		tm.WriteString("values = [")
		ym.WriteString("values:\n")
		for i := range n {
			sep := ", "
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&js, "%s%d", sep, 1000000+i)
			fmt.Fprintf(&tm, "%s%d", sep, 1000000+i)
			fmt.Fprintf(&ym, "- %d\n", 1000000+i)
		}
		js.WriteString(`], "names": {`)
		tm.WriteString("]\n[names]\n")
		ym.WriteString("names:\n")
		for i := range min(n/4, yaml.MaxKeys) { // YAML refuses larger maps
			sep := ", "
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(&js, `%s"k%07d": "v%07d"`, sep, i, i)
			fmt.Fprintf(&tm, "k%07d = \"v%07d\"\n", i, i)
			fmt.Fprintf(&ym, "  k%07d: v%07d\n", i, i)
		}
		js.WriteString("}}")
		for ext, data := range map[string]string{"json": js.String(), "toml": tm.String(), "yaml": ym.String()} {
			path := filepath.Join(dir, fmt.Sprintf("c%d.%s", mib, ext))
			if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
				b.Fatal(err)
			}
			c := &Config{Name: "c", Type: c.Type, Parse: parsers["."+ext]}
			b.Run(fmt.Sprintf("%s/%dMiB", ext, mib), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := c.Load(path); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
