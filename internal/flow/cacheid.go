package flow

import (
	"crypto/sha256"
	"encoding/hex"
)

// StepIdentity returns a hash of what a step's cache key takes from the
// definition: the flow's name and its state struct's fields and their
// types (what a task decodes and stores), and the step's name, kind,
// transition and options, the cache version included. Unlike
// Fingerprint it leaves out the other steps, so that adding or changing
// one step keeps the cache entries of the others. It returns "" for a step
// the flow does not have.
func (f *Flow) StepIdentity(step string) string {
	var s *Step
	for _, st := range f.Steps {
		if st.Name == step {
			s = st
		}
	}
	if s == nil {
		return ""
	}
	c := canonical{b: make([]byte, 0, 2<<10)}
	c.str("flow", f.Name)
	if t := f.StateType; t != nil {
		c.str("state", t.String())
		for _, sf := range f.Fields() {
			c.str("field", sf.Name)
			c.str("type", sf.Type.String())
			c.str("tag", string(sf.Tag))
		}
	}
	c.step(s)
	sum := sha256.Sum256(c.b)
	return hex.EncodeToString(sum[:])
}
