package flow

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type fpState struct {
	Items []int
	Item  int
	Sum   int
}

type fpOther struct {
	Items []int
	Item  int
	Sum   int64
}

func fpStep(*fpState, *Context) error             { return nil }
func fpJoin(*fpState, *Context, []*fpState) error { return nil }

// fpFlow declares a small foreach flow; change alters one thing of it.
func fpFlow(change string) *Flow {
	retry := Retry{Times: 2, Delay: time.Second}
	if change == "retry" {
		retry.Delay = 2 * time.Second
	}
	swap := 10
	if change == "swappiness" {
		swap = 20
	}
	target := "body"
	if change == "step" {
		target = "work"
	}
	b := NewBuilder[fpState]("FP")
	b.Param("n", 3, "width")
	switch change {
	case "param":
		b.Definition().Params[0].Default = 4
	case "param type":
		b.Definition().Params[0].Default = int64(3)
	}
	env := Env{"A": "1", "B": "2"}
	if change == "env" {
		env = Env{"A": "1", "B": "3"}
	}
	b.Step("start", fpStep, SetTransition(Transition{Kind: Foreach, Targets: []string{target}, Field: "Items"}))
	b.Step(target, fpStep, SetTransition(Transition{Kind: Next, Targets: []string{"join"}}), retry,
		Batch{Swappiness: &swap}, env)
	b.Join("join", fpJoin, SetTransition(Transition{Kind: Next, Targets: []string{"end"}}))
	b.Step("end", fpStep)
	if change == "error" {
		b.Step("end", nil)
	}
	return b.Definition()
}

func TestFingerprint(t *testing.T) {
	base := fpFlow("").Fingerprint()
	if again := fpFlow("").Fingerprint(); again != base {
		t.Fatalf("the same declaration has two fingerprints: %s, %s", base, again)
	}
	if len(base) != 32 {
		t.Errorf("fingerprint %q is not 32 hex digits", base)
	}
	for _, change := range []string{"retry", "swappiness", "step", "param", "param type", "env", "error"} {
		if fp := fpFlow(change).Fingerprint(); fp == base {
			t.Errorf("changing the %s keeps the fingerprint", change)
		}
	}
	other := NewBuilder[fpOther]("FP").Definition()
	same := NewBuilder[fpState]("FP").Definition()
	if other.Fingerprint() == same.Fingerprint() {
		t.Errorf("a state field of another type keeps the fingerprint")
	}
}

// BenchmarkFingerprint: every task process computes its definition's
// fingerprint once.
//
//	go test -run XXX -bench Fingerprint ./internal/flow/
func BenchmarkFingerprint(b *testing.B) {
	f := fpFlow("")
	for b.Loop() {
		f.Fingerprint()
	}
}

// Every field of a step (its options included, and any field added later)
// must change the fingerprint: Fingerprint writes them one by one, and
// this walks the types to catch one it leaves out.
func TestFingerprintCoversOptions(t *testing.T) {
	const body = 1 // fpFlow's foreach body, which sets a retry, swappiness and env
	base := fpFlow("").Fingerprint()
	var walk func(path []int, typ reflect.Type)
	walk = func(path []int, typ reflect.Type) {
		for i := range typ.NumField() {
			sf := typ.Field(i)
			p := append(slices.Clone(path), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(p, sf.Type)
				continue
			}
			if sf.Type.Kind() == reflect.Func {
				continue // only whether it is set counts
			}
			f := fpFlow("")
			v := reflect.ValueOf(f.Steps[body]).Elem().FieldByIndex(p)
			mutate(v)
			if f.Fingerprint() == base {
				t.Errorf("changing step field %s (%s) keeps the fingerprint", fieldPath(reflect.TypeFor[Step](), p), sf.Type)
			}
			if sf.Type.Kind() == reflect.Pointer && sf.Type.Elem().Kind() == reflect.Struct {
				for j := range sf.Type.Elem().NumField() {
					f := fpFlow("")
					v := reflect.ValueOf(f.Steps[body]).Elem().FieldByIndex(p)
					if v.IsNil() {
						v.Set(reflect.New(sf.Type.Elem()))
					}
					before := f.Fingerprint()
					mutate(v.Elem().Field(j))
					if f.Fingerprint() == before {
						t.Errorf("changing step field %s.%s keeps the fingerprint", fieldPath(reflect.TypeFor[Step](), p), sf.Type.Elem().Field(j).Name)
					}
				}
			}
		}
	}
	walk(nil, reflect.TypeFor[Step]())
}

// mutate changes v to another value of its type.
func mutate(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		} else {
			mutate(v.Elem())
		}
	case reflect.Slice:
		v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		v.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf("v"))
	case reflect.Struct:
		for i := range v.NumField() {
			mutate(v.Field(i))
		}
	default:
		panic("mutate: kind " + v.Kind().String())
	}
}

func fieldPath(t reflect.Type, path []int) string {
	var names []string
	for _, i := range path {
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return strings.Join(names, ".")
}

// TestStepIdentity: a step's identity changes with its own options (its
// cache version included) and the state's fields, not with another step.
func TestStepIdentity(t *testing.T) {
	base := fpFlow("")
	name := base.Steps[1].Name
	id := base.StepIdentity(name)
	if id == "" || base.StepIdentity("nosuch") != "" {
		t.Fatalf("identity %q; of a missing step %q", id, base.StepIdentity("nosuch"))
	}
	other := fpFlow("")
	other.Steps[0].Options.Timeout++
	if other.StepIdentity(name) != id {
		t.Error("another step's option changes the identity")
	}
	own := fpFlow("")
	own.Steps[1].Options.Cache = &Cache{Version: "v2"}
	if own.StepIdentity(name) == id {
		t.Error("the step's cache version does not change its identity")
	}
}
