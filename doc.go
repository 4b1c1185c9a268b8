// Package stepflow defines data and ML workflows as ordinary Go programs.
//
// A flow's state is a struct: every exported field is an artifact, saved
// after each step and loaded by the steps that follow. Steps are functions
// (usually methods) on that struct. The graph is declared up front with a
// Flow builder, checked when the binary starts, and can be drawn, run
// locally, or compiled to AWS Step Functions + AWS Batch without change.
//
// # Declaration
//
//	type TrainFlow struct {
//		Alpha  float64
//		Shards []string
//		Shard  string
//		Score  float64
//		Best   string
//	}
//
//	func main() {
//		stepflow.Main(stepflow.New[TrainFlow]("TrainFlow").
//			Param("alpha", 0.01, "learning rate").
//			Step("start", (*TrainFlow).Start, stepflow.Foreach("Shards", "train")).
//			Step("train", (*TrainFlow).Train, stepflow.Next("pick"), stepflow.Retry(2, time.Minute)).
//			Join("pick", (*TrainFlow).Pick, stepflow.Next("end")).
//			Step("end", (*TrainFlow).End))
//	}
//
// # Transitions
//
// Each step but the one named "end" has exactly one transition: Next (one
// successor), Branch (run every target in parallel), Foreach (one task per
// element of a slice field), or Switch (one target chosen by a field's
// value). Branches and foreaches are closed by a step declared with Join,
// whose function receives the joined states in split order (treat them as
// read-only). Splits nest to any depth.
//
// # Joins
//
// A join's own state starts with the artifacts all its inputs share
// unchanged. An artifact the inputs disagree on (the per-item fields of a
// foreach, a value each branch changed) starts at its zero value, and the
// join must resolve it: set it from its inputs (f.Total = a sum of
// in[i].Count), keep one input's value (f.Model = in[best].Model), or
// declare it dropped with Drop on the join (stepflow.Drop("Word")). A join
// that leaves such an artifact at zero without Drop fails, naming it: a
// join never zeroes a value silently, locally or on AWS. A dropped
// artifact starts at zero in the join whatever the number of inputs (none,
// one or many) and whether or not they agree.
//
// A run finds such a join only when it meets two inputs that disagree;
// stepflowtest.CheckJoins finds every one in a test, with a run of one
// item per foreach:
//
//	func TestJoins(t *testing.T) { stepflowtest.CheckJoins(t, newFlow()) }
//
// A foreach over an empty slice gives its join no inputs (in is empty) and
// the join's state is the foreach step's own: a join must not read in[0]
// without checking len(in). MergeArtifacts merges values that are equal
// though computed separately in each input.
//
// # Steps
//
// A step function gets the task's state and a *Context: the task's
// identity, its foreach position (Context.Index, and the element itself
// with Item), its attempt number, a context.Context cancelled on timeout
// or interruption, and Printf for output saved with the task. Returning
// an error fails the task.
//
// # Options
//
// Besides its transition, a step takes settings: Retry (with
// RetryPolicy.WithBackoff), Catch (record the failure in a string or
// Failure field and go on), Timeout, Env, Cache (reuse the task of an
// earlier run that saw the same inputs, with the same code, instead of
// running it), and for AWS Batch, Resources and Batch. Parameters
// (Flow.Param) become flags of the run command; configs (Flow.Config) are
// files frozen into each run; file parameters (Flow.FileParam) are local
// files stored with each run and read by every step, locally and in the
// cloud, through a File field.
//
// # Rules
//
// The flow starts at the step named "start" and ends at the step named
// "end". Violations of the graph rules (unknown targets, cycles, unbalanced
// joins, ...) are all reported at once, with a fix for each, by the flow
// binary's check command and before any run.
//
// # Testing
//
// A step is a plain function: a unit test calls it with a state and the
// Context of stepflowtest.Context, which carries the foreach item, index
// and attempt the step would have in a run, and a card to inspect:
//
//	c := stepflowtest.Context(t, stepflowtest.Item("shard-2"), stepflowtest.Index(2))
//	err := f.Train(c) // stepflow.Item[string](c) == "shard-2"
//
// Package stepflowtest also runs a whole flow from a test,
// in-process with a temporary datastore, and returns every task's state;
// declare the flow in a function that both main and the test call:
//
//	func newFlow() *stepflow.Flow[TrainFlow] {
//		return stepflow.New[TrainFlow]("TrainFlow"). ... .Step("end", (*TrainFlow).End)
//	}
//
//	func main() { stepflow.Main(newFlow()) }
//
//	func TestTrainFlow(t *testing.T) {
//		res := stepflowtest.Run(t, newFlow(), stepflowtest.Params{"alpha": "0.5"})
//		best := res.End().Best
//		...
//	}
package stepflow
