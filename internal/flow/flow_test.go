package flow

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow/config/toml"
	"github.com/stepflow/stepflow/config/yaml"
)

func TestParamParse(t *testing.T) {
	type S struct{ A, B int }
	cases := []struct {
		typ  reflect.Type
		in   string
		want any
		err  string
	}{
		{reflect.TypeFor[string](), "x y", "x y", ""},
		{reflect.TypeFor[int](), "42", 42, ""},
		{reflect.TypeFor[int](), "4.2", nil, `parameter p: value "4.2" is not an integer`},
		{reflect.TypeFor[int8](), "300", nil, "integer of 8 bits"},
		{reflect.TypeFor[uint](), "-1", nil, "unsigned integer"},
		{reflect.TypeFor[float64](), "0.05", 0.05, ""},
		{reflect.TypeFor[float64](), "abc", nil, "is not a number"},
		{reflect.TypeFor[bool](), "true", true, ""},
		{reflect.TypeFor[bool](), "yes", nil, "is not a boolean"},
		{reflect.TypeFor[time.Duration](), "1m30s", 90 * time.Second, ""},
		{reflect.TypeFor[time.Duration](), "90", nil, "is not a duration"},
		{reflect.TypeFor[S](), `{"A":1,"B":2}`, S{1, 2}, ""},
		{reflect.TypeFor[S](), `{"A":`, nil, "is not JSON of type flow.S"},
		{reflect.TypeFor[[]string](), `["a"]`, []string{"a"}, ""},
		{reflect.TypeFor[float64](), "nan", nil, "is not a finite number"},
		{reflect.TypeFor[float64](), "-Inf", nil, "is not a finite number"},
		{reflect.TypeFor[float32](), "1e39", nil, "is not a number"},
		{reflect.TypeFor[S](), `{"A":1,"C":2}`, nil, `unknown field "C"`},
		{reflect.TypeFor[S](), `{"A":1} {"B":2}`, nil, "more than one JSON value"},
	}
	for _, c := range cases {
		p := &Param{Name: "p", Type: c.typ, Kind: KindOf(c.typ)}
		got, err := p.Parse(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%s, %q) error = %v, want %q", c.typ, c.in, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%s, %q) = %#v, %v", c.typ, c.in, got, err)
			continue
		}
		s, err := p.Format(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := p.Parse(s)
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("Format(%#v) = %q does not parse back: %#v %v", got, s, again, err)
		}
	}
}

func TestParseMiB(t *testing.T) {
	for in, want := range map[string]int64{"512MiB": 512, "8GiB": 8192, "4096": 4096, "2GB": 1908, "1KiB": 1, "1.5GiB": 1536} {
		if got, err := ParseMiB(in); err != nil || got != want {
			t.Errorf("ParseMiB(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-1GiB", "GiB"} {
		if _, err := ParseMiB(bad); err == nil {
			t.Errorf("ParseMiB(%q) accepted", bad)
		}
	}
}

func TestFieldName(t *testing.T) {
	for in, want := range map[string]string{"alpha": "Alpha", "batch-size": "BatchSize", "max_depth": "MaxDepth"} {
		if got := FieldName(in); got != want {
			t.Errorf("FieldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	r := &Retry{Times: 3, Delay: time.Second, Backoff: 2}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second} {
		if got := r.DelayFor(n); got != want {
			t.Errorf("DelayFor(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestConfigDecode(t *testing.T) {
	type Cfg struct {
		Prefix string `json:"prefix" toml:"prefix" yaml:"prefix"`
		Scale  int    `json:"scale" toml:"scale" yaml:"scale"`
	}
	want := Cfg{">", 4}
	for path, data := range map[string]string{
		"a.json": `{"prefix": ">", "scale": 4}`,
		"a.toml": "prefix = \">\"\nscale = 4\n",
		"a.yaml": "prefix: \">\"\nscale: 4\n",
		"a.yml":  "prefix: \">\"\nscale: 4\n",
	} {
		c := &Config{Name: "settings", Type: reflect.TypeFor[Cfg](), Parse: parsers[filepath.Ext(path)]}
		got, err := c.Decode(path, []byte(data))
		if err != nil || got != want {
			t.Errorf("Decode(%s) = %+v, %v", path, got, err)
		}
	}
	for path, data := range map[string]string{
		"b.json": `{"prefix": ">", "scael": 4}`,
		"b.toml": "scael = 4\n",
		"b.yaml": "scael: 4\n",
		"b.ini":  "x=1",
	} {
		c := &Config{Name: "settings", Type: reflect.TypeFor[Cfg](), Parse: parsers[filepath.Ext(path)]}
		if _, err := c.Decode(path, []byte(data)); err == nil || !strings.Contains(err.Error(), "config settings") {
			t.Errorf("Decode(%s) = %v, want an error naming the config", path, err)
		}
	}
	// A JSON config is one JSON object: what follows it (a second
	// document, junk) and a bare null are refused, never half read.
	for data, want := range map[string]string{
		`{"prefix":"a"}{"prefix":"IGNORED"} junk`: "data after the JSON value, from byte 14",
		`{"prefix":"a"} junk`:                     "data after the JSON value",
		`{"prefix":"a"}` + "\n[]\n":               "data after the JSON value",
		`null`:                                    "holds null, not a JSON object of settings",
		" null\n":                                 "holds null",
	} {
		c := &Config{Name: "settings", Type: reflect.TypeFor[Cfg]()}
		if got, err := c.Decode("c.json", []byte(data)); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "config settings") {
			t.Errorf("Decode(%q) = %+v, %v; want an error saying %q", data, got, err, want)
		}
	}
	if got, err := (&Config{Name: "settings", Type: reflect.TypeFor[Cfg]()}).Decode("c.json", []byte(`{"prefix": ">", "scale": 4}`+"\n\n")); err != nil || got != want {
		t.Errorf("Decode with trailing white space = %+v, %v", got, err)
	}
	// Without its parser a TOML or YAML file is refused with the fix; JSON
	// is built in.
	c := &Config{Name: "settings", Type: reflect.TypeFor[Cfg]()}
	for path, fix := range map[string]string{
		"a.toml": "stepflow.ConfigParser(toml.Parse), package github.com/stepflow/stepflow/config/toml",
		"a.yaml": "stepflow.ConfigParser(yaml.Parse), package github.com/stepflow/stepflow/config/yaml",
		"a.YML":  "stepflow.ConfigParser(yaml.Parse)",
		"a.ini":  `extension ".ini"; give a .json file, or declare the config with stepflow.ConfigParser`,
	} {
		if _, err := c.Decode(path, []byte("prefix = 1")); err == nil || !strings.Contains(err.Error(), fix) {
			t.Errorf("Decode(%s) without a parser = %v, want %q", path, err, fix)
		}
	}
	if got, err := c.Decode("a.JSON", []byte(`{"prefix": ">", "scale": 4}`)); err != nil || got != want {
		t.Errorf("Decode(a.JSON) = %+v, %v", got, err)
	}
	// A parser reads any extension but .json, which stays JSON (a TOML
	// config can be given a JSON file with --config).
	c.Parse = toml.Parse
	if got, err := c.Decode("settings.conf", []byte("prefix = \">\"\nscale = 4\n")); err != nil || got != want {
		t.Errorf("Decode(settings.conf) with toml.Parse = %+v, %v", got, err)
	}
	if got, err := c.Decode("settings.json", []byte(`{"prefix": ">", "scale": 4}`)); err != nil || got != want {
		t.Errorf("Decode(settings.json) with toml.Parse = %+v, %v", got, err)
	}
}

type holding struct{ Holder }

func TestDefinitionOf(t *testing.T) {
	def := &Flow{Name: "F"}
	if got, ok := DefinitionOf(&holding{Holder: NewHolder(def)}); !ok || got != def {
		t.Errorf("DefinitionOf(holder) = %v, %v; want the definition", got, ok)
	}
	for _, v := range []any{nil, 3, holding{Holder: NewHolder(def)}, &holding{}} {
		if got, ok := DefinitionOf(v); ok || got != nil {
			t.Errorf("DefinitionOf(%#v) = %v, %v; want nil, false", v, got, ok)
		}
	}
}

func TestRequiredParamNotEmpty(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[time.Duration]()} {
		p := &Param{Name: "name", Help: "who", Type: typ, Kind: KindOf(typ), Required: true}
		if _, err := p.Parse(""); err == nil || !strings.Contains(err.Error(), "cannot be empty") {
			t.Errorf("%s: Parse(\"\") of a required parameter = %v, want 'cannot be empty'", typ, err)
		}
	}
	p := &Param{Name: "name", Type: reflect.TypeFor[string](), Kind: String}
	if v, err := p.Parse(""); err != nil || v != "" {
		t.Errorf("optional string: Parse(\"\") = %v, %v", v, err)
	}
}

func TestConfigTooLarge(t *testing.T) {
	type C struct{ A string }
	c := &Config{Name: "settings", Type: reflect.TypeFor[C]()}
	path := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxConfigSize + 1); err != nil { // sparse: nothing is written
		t.Fatal(err)
	}
	f.Close()
	if _, err := c.Load(path); err == nil || !strings.Contains(err.Error(), "more than the 10 MiB") {
		t.Errorf("Load of a %d-byte config = %v, want refused", MaxConfigSize+1, err)
	}
}

// FuzzParamParse: whatever the value, Parse of every kind returns a value
// of the parameter's type or an error naming the parameter, never panics,
// and a parsed value formats to a string that parses back to it.
func FuzzParamParse(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "4.2", "nan", "Inf", "1e309", "true", "90s", `{"A":1,"B":2}`, `{"A":`, `["a"]`, "\x00", "9223372036854775808"} {
		f.Add(s)
	}
	type S struct{ A, B int }
	types := []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[uint8](), reflect.TypeFor[float64](),
		reflect.TypeFor[float32](), reflect.TypeFor[bool](), reflect.TypeFor[time.Duration](), reflect.TypeFor[S](), reflect.TypeFor[[]string]()}
	f.Fuzz(func(t *testing.T, s string) {
		for _, typ := range types {
			p := &Param{Name: "p", Type: typ, Kind: KindOf(typ)}
			v, err := p.Parse(s)
			if err != nil {
				if !strings.Contains(err.Error(), "parameter p") {
					t.Fatalf("%s: error does not name the parameter: %v", typ, err)
				}
				continue
			}
			if reflect.TypeOf(v) != typ {
				t.Fatalf("%s: Parse(%q) returned a %T", typ, s, v)
			}
			if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
				t.Fatalf("Parse(%q) accepted %v", s, f)
			}
			out, err := p.Format(v)
			if err != nil {
				t.Fatalf("%s: Format(%#v): %v", typ, v, err)
			}
			again, err := p.Parse(out)
			if err != nil || !reflect.DeepEqual(again, v) {
				t.Fatalf("%s: Parse(%q) = %#v formats to %q, which parses to %#v, %v", typ, s, v, out, again, err)
			}
		}
	})
}

// TestYAMLConfigManyKeys: a YAML mapping larger than the decoder handles
// in reasonable time is refused at once with a message naming the fix.
func TestYAMLConfigManyKeys(t *testing.T) {
	var b strings.Builder
	for i := range yaml.MaxKeys + 1 {
		fmt.Fprintf(&b, "k%d: v\n", i)
	}
	c := &Config{Name: "c", Type: reflect.TypeFor[map[string]string](), Parse: yaml.Parse}
	if _, err := c.Decode("c.yaml", []byte(b.String())); err == nil || !strings.Contains(err.Error(), "write this config as .json") {
		t.Errorf("Decode of %d keys = %v", yaml.MaxKeys+1, err)
	}
	c.Parse = nil
	if v, err := c.Decode("c.json", []byte(`{"a":"b"}`)); err != nil || v.(map[string]string)["a"] != "b" {
		t.Errorf("json: %v %v", v, err)
	}
}
