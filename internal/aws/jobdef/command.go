package jobdef

// Command is every job definition's command: the arguments of the flow
// image's ENTRYPOINT, the flow binary. `step` reads which task to run from
// its environment (the task contract, docs/task-contract.md); the job's
// container overrides set it. Nothing else runs at task start: no shell,
// no download; the image digest pins the code.
func Command() []string { return []string{"step"} }
