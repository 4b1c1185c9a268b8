package flow

// TransitionKind says how control leaves a step.
type TransitionKind int

// The transition kinds. A step with no transition is an end step.
const (
	End     TransitionKind = iota // no successor
	Next                          // one successor
	Branch                        // static split into every target
	Foreach                       // one child task per item of a slice field
	Switch                        // one of the targets, chosen by a field's value
)

var kindNames = [...]string{"end", "next", "branch", "foreach", "switch"}

func (k TransitionKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Transition is where a step goes when it succeeds.
type Transition struct {
	Kind    TransitionKind
	Targets []string // successors; for Switch, in case order
	Field   string   // Foreach: the slice field; Switch: the field compared
	Cases   []Case   // Switch only
}

// Case maps a value of a switch field to a target step. The field's value
// is formatted with fmt.Sprint before it is compared with Value.
type Case struct {
	Value  string
	Target string
}
