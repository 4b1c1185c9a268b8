package stepflow_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/stepflow/stepflow"
)

// TestHooksStayHidden checks that the types whose state Stepflow's own
// packages reach through hooks (their internal types) show only their
// documented methods: the hooks are unexported methods of embedded holders.
func TestHooksStayHidden(t *testing.T) {
	for _, c := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[*stepflow.Lazy[[]float64]](), []string{"Get", "Set"}},
		{reflect.TypeFor[*stepflow.File](), []string{"Open", "SetPath", "Size"}},
		{reflect.TypeFor[*stepflow.Flow[struct{}]](), nil},
	} {
		var got []string
		for m := range c.typ.Methods() {
			got = append(got, m.Name)
		}
		if c.want == nil {
			// Flow: its methods are the declaration's; none is a hook.
			for _, m := range got {
				if slices.Contains([]string{"Definition", "Holder", "LazySource", "FileSource"}, m) {
					t.Errorf("%s has the method %s", c.typ, m)
				}
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s has the methods %q, want %q", c.typ, got, c.want)
		}
		for i := range c.typ.Elem().NumField() {
			if f := c.typ.Elem().Field(i); f.IsExported() {
				t.Errorf("%s has the exported field %s", c.typ, f.Name)
			}
		}
	}
}
