package flow

import "fmt"

// Holder carries a flow definition inside a value of the public API
// without exposing it: the public Flow type embeds a Holder under an
// unexported alias, so its unexported method is promoted but neither the
// field nor the method shows in the public documentation. Stepflow's own
// packages get the definition back with DefinitionOf.
type Holder struct{ def *Flow }

// NewHolder returns a Holder of def.
func NewHolder(def *Flow) Holder { return Holder{def: def} }

func (h *Holder) definition() *Flow { return h.def }

// definer is what DefinitionOf looks for: a value embedding a Holder.
type definer interface{ definition() *Flow }

// DefinitionOf returns the flow definition held by v, a *stepflow.Flow[T],
// and false when v holds none.
func DefinitionOf(v any) (*Flow, bool) {
	d, ok := v.(definer)
	if !ok {
		return nil, false
	}
	def := d.definition()
	return def, def != nil
}

// MustDefinitionOf is DefinitionOf for values known to hold a definition,
// such as the flows declared in tests; it panics when v holds none.
func MustDefinitionOf(v any) *Flow {
	def, ok := DefinitionOf(v)
	if !ok {
		panic(fmt.Sprintf("flow.MustDefinitionOf: %T holds no flow definition", v))
	}
	return def
}
