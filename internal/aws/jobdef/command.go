package jobdef

import (
	"strings"

	"github.com/stepflow/stepflow/internal/taskcontract"
)

// Command returns the job definition's command: a POSIX sh script that
// fetches the code package (the flow's own static binary) from the URL in
// the Batch parameter code_url and runs `<binary> step "$STEPFLOW_STEP"`.
// Everything else the task needs comes from its environment (the task
// contract, docs/task-contract.md and docs/state-machine.md).
//
// The URL reaches the script as its first argument ($1, from
// Ref::code_url), never as script text, and the only interpolated value
// (the flow name in the binary's file name) is single-quoted, so no value
// can change what the script runs.
func Command(flowName string) []string {
	return []string{"sh", "-c", Bootstrap(flowName), "stepflow-bootstrap", "Ref::" + CodeURLParam}
}

// Bootstrap is the script of Command.
//
// A URL whose last element is a SHA-256 (the content address the code
// package is published under, <root>/<flow>/code/<sha256>) is fetched once
// per machine: the binary is kept as $TMPDIR/stepflow-<flow>-<sha256>,
// checked against its digest (when sha256sum exists), and reused by every
// later task on that machine. Any other URL is fetched every time. A fetch
// goes to a temporary name in the same directory and is renamed into place,
// so concurrent tasks never run a partial file. s3:// URLs use the aws CLI,
// with --endpoint-url "$STEPFLOW_S3_ENDPOINT" when that is set (an
// S3-compatible store).
func Bootstrap(flowName string) string {
	lines := []string{
		`set -eu`,
		`url=$1`,
		`dir=${TMPDIR:-/tmp}`,
		`sum=${url##*/}`,
		`case "$sum" in`,
		`*[!0-9a-f]*) sum= ;;`,
		`esac`,
		`[ "${#sum}" -eq 64 ] || sum=`,
		`if [ -n "$sum" ]; then bin="$dir"/` + Quote("stepflow-"+flowName+"-") + `"$sum"; else bin="$dir"/` + Quote("stepflow-"+flowName) + `; fi`,
		`if [ -z "$sum" ] || [ ! -x "$bin" ]; then`,
		`tmp=$(mktemp "$dir/.stepflow-fetch.XXXXXX")`,
		`trap 'rm -f -- "$tmp"' EXIT`,
		`case "$url" in`,
		`s3://*)`,
		`set -- s3 cp --only-show-errors`,
		`if [ -n "${STEPFLOW_S3_ENDPOINT:-}" ]; then set -- --endpoint-url "$STEPFLOW_S3_ENDPOINT" "$@"; fi`,
		`aws "$@" "$url" "$tmp" ;;`,
		`https://*|http://*) curl -fsSL -o "$tmp" "$url" ;;`,
		`file://*) cp -- "${url#file://}" "$tmp" ;;`,
		`*) echo "stepflow: cannot fetch the code package from $url" >&2; exit 2 ;;`,
		`esac`,
		`if [ -n "$sum" ] && command -v sha256sum >/dev/null; then`,
		`got=$(sha256sum < "$tmp"); got=${got%% *}`,
		`if [ "$got" != "$sum" ]; then echo "stepflow: the code package $url has SHA-256 $got" >&2; exit 2; fi`,
		`fi`,
		`chmod +x -- "$tmp"`,
		`mv -f -- "$tmp" "$bin"`,
		`trap - EXIT`,
		`fi`,
		`exec "$bin" step "$` + taskcontract.EnvStep + `"`,
	}
	return strings.Join(lines, "\n") + "\n"
}
