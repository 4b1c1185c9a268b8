package batch

import "strings"

// Command returns the job definition's command: a POSIX sh script that
// fetches the code package (the flow's own static binary) from the URL in
// the Batch parameter code_url and runs `<binary> step "$STEPFLOW_STEP"`.
// Everything else the task needs comes from its environment (the task
// contract, docs/task-contract.md and docs/state-machine.md).
//
// The URL reaches the script as its first argument ($1, from
// Ref::code_url), never as script text, and the only interpolated value
// (the binary's file name) is single-quoted, so no value can change what
// the script runs.
func Command(flowName string) []string {
	return []string{"sh", "-c", Bootstrap(flowName), "stepflow-bootstrap", "Ref::" + CodeURLParam}
}

// Bootstrap is the script of Command.
func Bootstrap(flowName string) string {
	lines := []string{
		`set -eu`,
		`url=$1`,
		`bin="${TMPDIR:-/tmp}"/` + Quote("stepflow-"+flowName),
		`case "$url" in`,
		`s3://*) aws s3 cp --only-show-errors "$url" "$bin" ;;`,
		`https://*|http://*) curl -fsSL -o "$bin" "$url" ;;`,
		`file://*) cp -- "${url#file://}" "$bin" ;;`,
		`*) echo "stepflow: cannot fetch the code package from $url" >&2; exit 2 ;;`,
		`esac`,
		`chmod +x -- "$bin"`,
		`exec "$bin" step "$STEPFLOW_STEP"`,
	}
	return strings.Join(lines, "\n") + "\n"
}
