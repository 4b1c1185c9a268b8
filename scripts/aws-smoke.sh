#!/usr/bin/env bash
# A smoke test of Stepflow on a real AWS account (docs/deploy.md):
#
#   bash scripts/aws-smoke.sh --subnets subnet-1,subnet-2 --security-groups sg-1 [--region eu-west-1] [--prefix P]
#   bash scripts/aws-smoke.sh --dry-run      # print every step and AWS call; run nothing
#
# Every run names what it makes with a prefix of its own (default
# smoke-<8 random hex digits>): the stack stepflow-<prefix>, its resources
# <prefix>-... (the template's Prefix) and the state machines <prefix>_Flow
# (the name prefix), so two runs, or a run and your own deployment, share
# nothing.
#
# It creates the CloudFormation stack, deploys examples/hello and runs it,
# deploys examples/foreach with a foreach wider than the inline threshold
# (a distributed Map) and runs it, deploys scripts/smokeflow, whose step
# fails on its first attempt, runs it (it fails), resumes it (redrive; it
# succeeds), checks the artifacts of the runs with the stepflow inspector
# on the S3 datastore, and deletes everything it created: the deployments
# (state machines, schedule), the job definitions it registered, the bucket's
# objects, the stack (the flow images with it), and the table and log group
# the stack keeps when deleted. It stops at the first failure and says which
# phase failed; the delete phase runs then too.
#
# Needs: the aws CLI with credentials for the account, go, and permission to
# create the stack's resources (IAM roles included). Costs: a few minutes of
# AWS Batch compute.
set -euo pipefail
cd "$(dirname "$0")/.."

dry=0 prefix=smoke-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n') region=${AWS_REGION:-us-east-1} subnets= sgs=
while (($#)); do
	case $1 in
	--dry-run) dry=1 ;;
	--prefix) prefix=$2; shift ;;
	--region) region=$2; shift ;;
	--subnets) subnets=$2; shift ;;
	--security-groups) sgs=$2; shift ;;
	-h | --help) sed -n '2,30p' "$0"; exit 0 ;;
	*) echo "aws-smoke.sh: unknown argument $1; see --help" >&2; exit 2 ;;
	esac
	shift
done
if ((!dry)) && [[ -z $subnets || -z $sgs ]]; then
	echo "aws-smoke.sh: give --subnets and --security-groups (a VPC's subnets with internet access, and a security group), or --dry-run" >&2
	exit 2
fi
if [[ ! $prefix =~ ^[a-z0-9-]{1,20}$ ]]; then
	echo "aws-smoke.sh: --prefix $prefix: use 1 to 20 lower-case letters, digits and dashes (the template's Prefix)" >&2
	exit 2
fi
subnets=${subnets:-subnet-EXAMPLE} sgs=${sgs:-sg-EXAMPLE}
stack=stepflow-$prefix
export AWS_REGION=$region
work=$(mktemp -d)
export STEPFLOW_CONFIG=$work/config.json STEPFLOW_TOKEN_HOME=$work/tokens STEPFLOW_NAME_PREFIX=$prefix
: >"$work/create.log"

phase() { printf '\n== phase %s\n' "$*"; }
# run prints a command and runs it, unless --dry-run.
run() {
	printf '+ %s\n' "$*"
	((dry)) || "$@"
}
# capture VAR CMD...: runs CMD and keeps its stdout in VAR (a placeholder
# with --dry-run).
capture() {
	local var=$1
	shift
	printf '+ %s\n' "$*"
	if ((dry)); then
		printf -v "$var" '<%s>' "$var"
	else
		printf -v "$var" '%s' "$("$@")"
	fi
}
# runid pulls the run id out of trigger's output.
runid() {
	if ((dry)); then
		echo "<run id>"
	else
		grep -o 'sfn-[0-9a-f-]*' <<<"$1" | head -n1
	fi
}

sfn() { local flow=$1; shift; run go run -tags stepflow_aws "$flow" step-functions "$@"; }
# deploy runs create and keeps its output: the job definitions it registered
# are deleted at the end.
deploy() {
	local flow=$1
	shift
	printf '+ %s\n' "$(echo go run -tags stepflow_aws "$flow" step-functions create "$@")"
	((dry)) || go run -tags stepflow_aws "$flow" step-functions create "$@" | tee -a "$work/create.log"
}

# datastore_root prints the stack's DatastoreRoot output.
datastore_root() {
	aws cloudformation describe-stacks --stack-name "$stack" --output text \
		--query "Stacks[0].Outputs[?OutputKey=='DatastoreRoot'].OutputValue"
}

cleanup() {
	local status=$?
	phase "delete: every deployment, its job definitions, the stack, its bucket and what the stack keeps"
	for flow in ./examples/hello ./examples/foreach ./scripts/smokeflow; do
		sfn "$flow" delete --force || true
	done
	# The job definitions this run registered (their names hash their
	# content, the deployment's production token included: no one else's).
	local jd arn
	for jd in $(sed -n 's/^job definition \([^:]*\): registered$/\1/p' "$work/create.log"); do
		for arn in $(aws batch describe-job-definitions --job-definition-name "$jd" --status ACTIVE \
			--query 'jobDefinitions[].jobDefinitionArn' --output text || true); do
			run aws batch deregister-job-definition --job-definition "$arn" || true
		done
	done
	if ((dry)); then
		run aws batch deregister-job-definition --job-definition "<each job definition create registered>"
	fi
	if ((!dry)); then
		root=$(datastore_root) && run aws s3 rm --recursive "$root" || true
	else
		run aws s3 rm --recursive "<DatastoreRoot>"
	fi
	run aws cloudformation delete-stack --stack-name "$stack"
	run aws cloudformation wait stack-delete-complete --stack-name "$stack" || true
	# Kept by the stack (DeletionPolicy Retain); a later stack of the same
	# Prefix would fail on them.
	run aws dynamodb delete-table --table-name "$prefix-bookkeeping" || true
	run aws logs delete-log-group --log-group-name "/$prefix/step-functions" || true
	rm -rf "$work"
	if ((status != 0)); then
		echo "aws-smoke.sh: FAILED (exit $status); the phase above the delete phase is the one" >&2
	fi
	exit "$status"
}
trap cleanup EXIT

phase "stack: create the CloudFormation stack and configure from its outputs"
run aws cloudformation deploy --stack-name "$stack" --template-file deploy/cloudformation/stepflow.yaml \
	--capabilities CAPABILITY_IAM --parameter-overrides "Prefix=$prefix" "Subnets=$subnets" "SecurityGroups=$sgs"
run aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json
((dry)) || aws cloudformation describe-stacks --stack-name "$stack" --query 'Stacks[0].Outputs' --output json >"$work/outputs.json"
run go run ./cmd/stepflow configure aws --from-outputs "$work/outputs.json"

phase "deploy and run hello"
deploy ./examples/hello
capture out go run -tags stepflow_aws ./examples/hello step-functions trigger --wait --interval 10s
hello=$(runid "$out")

phase "deploy and run a wide foreach (a distributed Map)"
deploy ./examples/foreach --distributed-map-threshold 2
capture out go run -tags stepflow_aws ./examples/foreach step-functions trigger --wait --interval 10s
foreach=$(runid "$out")

phase "fail: a run whose step fails on purpose"
deploy ./scripts/smokeflow
printf '+ %s\n' "go run -tags stepflow_aws ./scripts/smokeflow step-functions trigger --wait --interval 10s   (must fail)"
if ((dry)); then
	smoke="<smoke run id>"
else
	if out=$(go run -tags stepflow_aws ./scripts/smokeflow step-functions trigger --wait --interval 10s); then
		echo "aws-smoke.sh: the smoke flow's run succeeded; it must fail on its first attempt" >&2
		exit 1
	fi
	smoke=$(runid "$out")
fi

phase "resume: redrive the failed run; it must succeed"
sfn ./scripts/smokeflow resume "$smoke"
sfn ./scripts/smokeflow status --watch --interval 10s "$smoke"

phase "check: the artifacts, read from the S3 datastore with the stepflow inspector"
capture root aws cloudformation describe-stacks --stack-name "$stack" --output text \
	--query "Stacks[0].Outputs[?OutputKey=='DatastoreRoot'].OutputValue"
check() { # check FLOW/RUN/STEP/TASK ARTIFACT WANT
	local got
	capture got go run ./cmd/stepflow dump --datastore-root "$root" --json "$1" "$2"
	if ((!dry)) && [[ $got != "$3" ]]; then
		echo "aws-smoke.sh: $1 $2 is $got, want $3" >&2
		exit 1
	fi
}
check "HelloFlow/$hello/end/0" Shout '"HELLO, WORLD!"'
check "ForeachFlow/$foreach/end/0" Total 14
check "SmokeFlow/$smoke/end/0" Result '"fixed on attempt 1"'
echo "aws-smoke.sh: every phase passed"
