package flow

// TriggerKind says what starts a deployed flow: a user event or another
// flow's finish.
type TriggerKind int

// The trigger kinds.
const (
	OnEvent  TriggerKind = iota // a user event (step-functions send-event NAME)
	OnFinish                    // a run of another flow finished
)

// Trigger starts the deployed flow when an event arrives on EventBridge.
// Each trigger becomes one EventBridge rule (step-functions create).
type Trigger struct {
	Kind TriggerKind
	// Event is the user event's name (its detail-type), for OnEvent.
	Event string
	// Flow is the upstream flow, for OnFinish; Project and Branch name
	// its deployment ("" for Project: this flow's project, or none if
	// NoProject; "" for Branch: the deployment's own branch).
	// OnlySuccess limits the trigger to runs that succeeded.
	Flow, Project, Branch string
	NoProject             bool
	OnlySuccess           bool
	// Mappings give parameters values from the event; parameters not
	// mapped take their defaults.
	Mappings []Mapping
}

// UpstreamProject is the project of the upstream flow a finish trigger t
// of flow f listens to: t.Project, or f's project unless NoProject.
func (t *Trigger) UpstreamProject(f *Flow) string {
	if t.Project == "" && !t.NoProject {
		return f.Project
	}
	return t.Project
}

// Mapping gives the parameter Param the value at Path in the event: a
// dotted path into a user event ("detail.date"), or, for a finish
// trigger, one of FinishFields.
type Mapping struct {
	Param string
	Path  string
}

// FinishFields are what a finish trigger can map to parameters: the
// upstream run's id ("sfn-..."), its pathspec (Flow/run id, where its
// artifacts are in the datastore), its flow and its final status
// (SUCCEEDED, FAILED, TIMED_OUT or ABORTED). All are strings.
var FinishFields = []string{"run_id", "pathspec", "flow", "status"}

// Trigger adds a trigger to the flow.
func (b *Builder[T]) Trigger(t Trigger) *Builder[T] {
	b.def.Triggers = append(b.def.Triggers, &t)
	return b
}
