#!/usr/bin/env bash
# The test command of Stepflow: bash scripts/test.sh
#
# On a fresh Debian machine (as root) it installs what the tests need
# (Graphviz, Chromium; Node.js and the npm test tools pinned in package-lock.json),
# then checks formatting, runs go vet and runs every Go test.
#
# Arguments go to go test, e.g. bash scripts/test.sh -count=1 (ignore cached
# results) or -run; CI passes none.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s (at %d s)\n' "$*" "$SECONDS"; }

tmp=$(mktemp -d)
# On an early exit, let a background npm ci finish (not write into
# node_modules after the script has ended).
# The same for the background go test (started before go test ./...).
trap 'if [[ -n ${npm_pid:-} ]]; then wait "$npm_pid" 2>/dev/null || true; fi; if [[ -n ${bg_pid:-} ]]; then wait "$bg_pid" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT

if ! command -v go >/dev/null; then
	echo "scripts/test.sh: the go command is not installed; install Go $(sed -n 's/^go //p' go.mod) from https://go.dev/dl/" >&2
	exit 1
fi

# The tests' temporary files go to memory (/dev/shm) when it is a tmpfs
# with 4 GiB free and TMPDIR is not set: the tests create and delete
# datastores by the thousand, and on an ext4 that has seen many deletions
# creating a file costs far more system time than on tmpfs (see
# internal/testproc/tempdir.go). Caches kept between runs stay on disk
# ($STEPFLOW_DISK_TMPDIR). go test without this script does the same for
# the packages that create the most files (testproc.UseMemoryTemp).
if [[ -z ${TMPDIR:-} && $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]] &&
	(($(df --output=avail -B1 /dev/shm | tail -n 1) >= 4 << 30)); then
	export STEPFLOW_DISK_TMPDIR=/tmp
	export TMPDIR="/dev/shm/stepflow-tests-$(id -u)"
	mkdir -p -m 700 "$TMPDIR"
fi

# System packages, installed only when missing (apt-get update only then).
missing=()
command -v dot >/dev/null || missing+=(graphviz)
command -v aws >/dev/null || missing+=(awscli)
# Debian's chromium: internal/ui's browser test drives it (and fails without it).
command -v chromium >/dev/null || missing+=(chromium)
# Debian's numpy, for Debian's python3: the .npy export test reads with it.
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
if [[ -f package.json ]] && ! command -v npm >/dev/null; then
	missing+=(nodejs npm)
fi
if ((${#missing[@]} > 0)); then
	step "installing ${missing[*]}"
	sudo=()
	if [[ $(id -u) -ne 0 ]]; then
		sudo=(sudo)
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python test tools, pinned: cfn-lint (the CloudFormation template) and
# moto_server (the template deployed into emulated AWS). pip comes with
# python3-pip on Debian when the machine has none.
pytools=()
command -v cfn-lint >/dev/null || pytools+=(cfn-lint==1.51.0)
command -v moto_server >/dev/null || pytools+=("moto[server]==5.2.1")
if ((${#pytools[@]} > 0)); then
	step "pip install ${pytools[*]}"
	if ! python3 -m pip --version >/dev/null 2>&1; then
		sudo=()
		if [[ $(id -u) -ne 0 ]]; then
			sudo=(sudo)
		fi
		export DEBIAN_FRONTEND=noninteractive
		"${sudo[@]}" apt-get update -qq
		"${sudo[@]}" apt-get install -y -qq --no-install-recommends python3-pip python3-venv >/dev/null
	fi
	# Debian's system Python refuses global installs (PEP 668): use a
	# virtual environment under .stepflow-tools then, and put it on PATH.
	if ! python3 -m pip install -q "${pytools[@]}" 2>/dev/null; then
		python3 -m venv .stepflow-tools
		.stepflow-tools/bin/pip install -q "${pytools[@]}"
	fi
fi
if [[ -d .stepflow-tools/bin ]]; then
	export PATH="$PWD/.stepflow-tools/bin:$PATH"
fi

# npm test tools, reinstalled only when package.json or the lockfile changed.
# The lockfile pins a Node.js (the optional node-<os>-<arch> packages, one of
# which fits this machine) that satisfies the tools' engines
# (aws-local-stepfunctions 3 needs Node >= 22; Debian ships 20). It is
# installed first, on its own, and the tools are then installed by npm
# running under it, so npm checks their engines against the Node.js the
# tests use (node_modules/.bin/node), not against the system's.
# npm works in the background while gofmt and go vet use the CPU.
npm_install() {
	npm ci --omit=dev --no-audit --no-fund
	if [[ ! -x node_modules/.bin/node ]]; then
		echo "scripts/test.sh: package-lock.json pins no Node.js for $(uname -s)/$(uname -m); add node-<os>-<arch> to optionalDependencies" >&2
		return 1
	fi
	local pinned
	pinned=$(mktemp -d)
	cp node_modules/.bin/node "$pinned/node" # npm ci removes node_modules first
	PATH="$pinned:$PATH" npm ci --no-audit --no-fund
	rm -rf "$pinned"
}
npm_pid=
if [[ -f package.json ]]; then
	stamp=node_modules/.stepflow-npm-ci
	want=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1)
	if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
		step "npm ci, in the background (the pinned Node.js, then the test tools under it)"
		npm_install >"$tmp/npm.log" 2>&1 &
		npm_pid=$!
	fi
fi

step "gofmt -l ."
unformatted=$(find . \( -name node_modules -o -name '.?*' \) -prune -o -name '*.go' -print | xargs -r gofmt -l)
if [[ -n $unformatted ]]; then
	echo "these files need gofmt -w:" >&2
	echo "$unformatted" >&2
	exit 1
fi

step "go vet ./... (the plain build, then the AWS build: -tags stepflow_aws)"
go vet ./...
go vet -tags stepflow_aws ./...

if [[ -n $npm_pid ]]; then
	step "npm ci (waiting for it)"
	npm_status=0
	wait "$npm_pid" || npm_status=$?
	cat "$tmp/npm.log"
	if ((npm_status != 0)); then
		echo "scripts/test.sh: npm ci failed" >&2
		exit 1
	fi
	npm_pid=
	echo "$want" >"$stamp"
fi
if [[ -f package.json ]]; then
	echo "Node.js for the tests: node_modules/.bin/node $(node_modules/.bin/node --version)"
fi

step "go test -tags stepflow_aws and the fuzz tests, in the background beside go test ./..."
# Both run beside go test ./... below, whose packages mostly wait (on
# child processes, emulators, sleeps): on 2 cores the fuzzers and the
# tagged tests fill that idle CPU instead of running before it. Their
# output is printed, and their status checked, after go test ./....
background_checks() {
	# The tag only adds an import to package stepflow (aws.go): test that
	# variant of the packages built on it; ./... below tests the plain one.
	# The examples' tests run the same stepflowtest code with or without
	# the tag, so one example (foreach: a foreach, a join and a card)
	# stands for them; go vet -tags stepflow_aws above type-checks them all.
	# TestREADMECommands runs the README's commands, which build what they
	# run themselves (go run, with or without the tag): the tag of the test
	# binary changes nothing in it, so it runs once, in ./... below.
	echo "-- go test -tags stepflow_aws: the packages the build tag changes"
	go test -tags stepflow_aws -skip '^TestREADMECommands$' "$@" . ./stepflowtest/ ./examples/foreach/
	# The seeds (f.Add in each Fuzz function) run in go test ./... as well;
	# here the fuzzer mutates them for 10,000 inputs each (a count, not a
	# duration: a duration's deadline can stop the engine in the middle of an
	# input and report "context deadline exceeded" though nothing failed). One
	# package per -fuzz.
	echo "-- fuzz tests: each fuzz target for 10,000 inputs on top of its committed seeds"
	go test -run XXX -fuzz FuzzParse -fuzztime 10000x ./internal/pathspec
	go test -run XXX -fuzz FuzzIndices -fuzztime 10000x ./internal/pathspec
	go test -run XXX -fuzz FuzzDecode -fuzztime 10000x ./internal/artifact
	go test -run XXX -fuzz FuzzParamParse -fuzztime 10000x ./internal/flow
	go test -run XXX -fuzz FuzzBlobRead -fuzztime 10000x ./internal/datastore
	go test -run XXX -fuzz FuzzEventPath -fuzztime 10000x ./internal/graph
	go test -run XXX -fuzz FuzzPNG -fuzztime 10000x ./card
	echo "-- background checks took $((SECONDS - bg_start)) s"
}
bg_start=$SECONDS
(set -e; background_checks "$@") >"$tmp/background.log" 2>&1 &
bg_pid=$!

step "go test ./..."
# Every test runs, the emulated-AWS end-to-end runs included (no -short:
# CI skips nothing). The timeout is generous: on a busy 2-core machine the
# suite is slower, not failing; the emulators die with a timed-out test
# process (internal/testproc). internal/tools/testsummary turns the JSON
# stream back into go test's usual output (ok/FAIL lines, failed tests'
# output), then prints each package's time and the slowest tests. Three
# test binaries run at once (-p 3) on any machine: a few packages mostly
# wait (on Chromium, emulators, child processes), so two would leave a
# core idle much of the time.
go build -o "$tmp/testsummary" ./internal/tools/testsummary
start=$SECONDS
set +e
go test -json -p 3 -timeout 60m "$@" ./... 2>&1 | tee "$tmp/test.json" | "$tmp/testsummary" | tee "$tmp/summary.txt"
statuses=("${PIPESTATUS[@]}")
set -e
echo "go test took $((SECONDS - start)) s"

step "go test -tags stepflow_aws and the fuzz tests (waiting for them)"
bg_status=0
wait "$bg_pid" || bg_status=$?
bg_pid=
cat "$tmp/background.log"
echo "scripts/test.sh $SECONDS s in all"
# go test ./...'s closing count again, last, after the background output.
grep -E '^[0-9]+ passed, [0-9]+ failed' "$tmp/summary.txt" || true
if ((statuses[0] != 0 || statuses[2] != 0 || bg_status != 0)); then
	echo "FAIL" >&2
	exit 1
fi
echo "PASS"
