package flow

import (
	"reflect"
	"strings"
	"testing"
	"time"
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
	c := &Config{Name: "settings", Type: reflect.TypeFor[Cfg]()}
	want := Cfg{">", 4}
	for path, data := range map[string]string{
		"a.json": `{"prefix": ">", "scale": 4}`,
		"a.toml": "prefix = \">\"\nscale = 4\n",
		"a.yaml": "prefix: \">\"\nscale: 4\n",
	} {
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
		if _, err := c.Decode(path, []byte(data)); err == nil || !strings.Contains(err.Error(), "config settings") {
			t.Errorf("Decode(%s) = %v, want an error naming the config", path, err)
		}
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
