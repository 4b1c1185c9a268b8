package graph

import "github.com/stepflow/stepflow/internal/artifact"

// artifacts checks that every exported field of the state can be saved
// and loaded as an artifact (artifact.Unstorable), so that a flow learns
// it from check rather than from a failed task.
func (l *linter) artifacts() {
	for _, sf := range l.f.Fields() {
		if why := artifact.Unstorable(sf.Type); why != "" {
			l.add("", "artifact-type",
				"make the field unexported (lower case) if it is not an artifact, or give it a type of data: numbers, strings, bools, time.Time, slices, arrays, maps, and structs of exported fields of such types (or stepflow.File, stepflow.Lazy)",
				"field %s of type %s cannot be an artifact: %s", sf.Name, sf.Type, why)
		}
	}
}
