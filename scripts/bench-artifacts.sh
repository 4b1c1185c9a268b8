#!/usr/bin/env bash
# bench-artifacts.sh prints, side by side, what large artifacts cost end to
# end: a flow (scripts/benchartifacts) writes a value in one task, passes it
# through a task that ignores it, and reads it in a third, each task its own
# process; the same flow with --mode plain writes and reads the same bytes
# with os.WriteFile and os.ReadFile. Usage: bash scripts/bench-artifacts.sh [MiB]
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-256}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bigflow" ./scripts/benchartifacts

# step_ms RUN STEP: the duration of a task from its attempt record.
step_ms() {
	python3 - "$work/ds/BigFlow/runs/$1/$2/0/0/attempt.json" <<'PY'
import json, sys, datetime
a = json.load(open(sys.argv[1]))
p = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(round((p(a["end"]) - p(a["start"])).total_seconds() * 1000))
PY
}

printf '%-8s %-9s %9s %9s %9s %11s %10s %12s\n' shape mode "write ms" "ignore ms" "read ms" "w+r ms" "peak MiB" "stored MiB"
for shape in float64 struct bytes lazy; do
	for mode in artifact plain; do
		[ "$shape" = lazy ] && [ "$mode" = plain ] && continue
		rm -rf "$work/ds" "$work/plain" && mkdir -p "$work/plain"
		/usr/bin/time -f %M -o "$work/rss" "$work/bigflow" run --datastore-root "$work/ds" \
			--shape "$shape" --mode "$mode" --mib "$mib" --dir "$work/plain" >/dev/null 2>&1
		run=$(ls "$work/ds/BigFlow/runs")
		w=$(step_ms "$run" start) i=$(step_ms "$run" ignore) r=$(step_ms "$run" consume)
		if [ "$mode" = plain ]; then
			stored=$(du -sm --apparent-size "$work/plain" | cut -f1)
		else
			stored=$(du -sm --apparent-size "$work/ds/BigFlow/blobs" | cut -f1)
		fi
		printf '%-8s %-9s %9s %9s %9s %11s %10s %12s\n' "$shape" "$mode" "$w" "$i" "$r" $((w + r)) \
			$(($(cat "$work/rss") / 1024)) "$stored"
	done
done
echo "(write: the task that makes the value and stores it, including making it;"
echo " peak: the largest resident set of the runtime and its task processes)"
