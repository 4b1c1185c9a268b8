package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Fingerprint returns a hash of everything the linter and the runtime read
// from the definition: the flow's name and settings, its state struct's
// fields and their types, each step's name, kind, transition and options,
// the parameters and configs, and the mistakes recorded while it was
// declared. Two binaries built from the same flow code give the same
// fingerprint. The local runtime passes the fingerprint of the definition
// it checked to every task, so a task process trusts that check instead of
// repeating it, and refuses to run when its own definition differs (a
// binary rebuilt after the run started).
func (f *Flow) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "flow %q project %q tags %q\n", f.Name, f.Project, f.Tags)
	if f.Schedule != nil {
		fmt.Fprintf(h, "schedule %q %q\n", f.Schedule.Cron, f.Schedule.Timezone)
	}
	if t := f.StateType; t != nil {
		fmt.Fprintf(h, "state %s %s\n", t, t.Kind())
		for _, sf := range f.Fields() {
			fmt.Fprintf(h, "field %s %s %q\n", sf.Name, sf.Type, sf.Tag)
		}
	}
	for _, err := range f.Errors {
		fmt.Fprintf(h, "error %q\n", err.Error())
	}
	for _, s := range f.Steps {
		fmt.Fprintf(h, "step %q join %t func %t %+v\n", s.Name, s.IsJoin, s.Func != nil, s.Transition)
		o := s.Options
		if o.Retry != nil {
			fmt.Fprintf(h, "retry %+v\n", *o.Retry)
		}
		if b := o.Batch; b.Swappiness != nil {
			fmt.Fprintf(h, "swappiness %d\n", *b.Swappiness)
		}
		o.Retry, o.Batch.Swappiness = nil, nil // pointers: printed above
		fmt.Fprintf(h, "options %+v\n", o)     // fmt prints maps sorted
	}
	for _, p := range f.Params {
		fmt.Fprintf(h, "param %q %q %q %d %v %t %#v\n", p.Name, p.Field, p.Help, p.Kind, p.Type, p.Required, p.Default)
	}
	for _, c := range f.Configs {
		fmt.Fprintf(h, "config %q %q %q %q %v\n", c.Name, c.Field, c.Path, c.Help, c.Type)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
