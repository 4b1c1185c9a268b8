package graph_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/graph"
)

func intStep(*int, *stepflow.Context) error { return nil }

// tail ends a flow under construction: a -> end.
func tail(b *stepflow.Flow[st]) *flow.Flow { return flow.MustDefinitionOf(b.Step("end", fn)) }

// ok is a minimal valid flow whose start step takes opts.
func ok(opts ...stepflow.StepOption) *stepflow.Flow[st] {
	return newFlow().Step("start", fn, append([]stepflow.StepOption{next("end")}, opts...)...)
}

// branchJoin builds start -branch(a,b)-> join -> end, with opts on a.
func branchJoin(opts ...stepflow.StepOption) *stepflow.Flow[st] {
	return newFlow().Step("start", fn, branch("a", "b")).
		Step("a", fn, append([]stepflow.StepOption{next("join")}, opts...)...).
		Step("b", fn, next("join")).
		Join("join", jn, next("end"))
}

var lintCases = []struct {
	name  string
	def   func() *flow.Flow
	rules []string // the exact set of rule ids reported
	msg   string   // a substring of the error
}{
	// Names.
	{"duplicate step", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", fn, next("end")).Step("a", fn, next("end")))
	}, []string{"duplicate-step"}, `step "a": step is declared more than once`},
	{"reserved step name", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("runs")).Step("runs", fn, next("end")))
	}, []string{"reserved-step"}, `"runs" is a reserved name`},
	{"step named like the resume claims' folder", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("resumes")).Step("resumes", fn, next("end")))
	}, []string{"reserved-step"}, `"resumes" is a reserved name`},
	{"invalid step name", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("Bad-Name")).Step("Bad-Name", fn, next("end")))
	}, []string{"step-name"}, `step name "Bad-Name" is not valid`},
	{"too long step name", func() *flow.Flow {
		long := strings.Repeat("s", 65)
		return tail(newFlow().Step("start", fn, next(long)).Step(long, fn, next("end")))
	}, []string{"step-name"}, "step name is 65 characters long; shorten it to at most 64"},
	{"invalid flow name", func() *flow.Flow {
		return flow.MustDefinitionOf(stepflow.New[st]("my flow").Step("start", fn, next("end")).Step("end", fn))
	}, []string{"flow-name"}, `flow name "my flow" is not valid`},
	{"state type not a struct", func() *flow.Flow {
		return flow.MustDefinitionOf(stepflow.New[int]("IntFlow").Step("start", intStep, stepflow.Next("end")).Step("end", intStep))
	}, []string{"definition"}, "the flow state int is not a struct"},
	{"nil step function", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", nil, next("end")))
	}, []string{"no-function"}, `step "a": step has no function`},
	{"nil join function", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("join")).Step("b", fn, next("join")).
			Join("join", nil, next("end")))
	}, []string{"no-function"}, `step "join": step has no function`},

	// Transitions.
	{"unknown target", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("nowhere")))
	}, []string{"unknown-target"}, `next targets unknown step "nowhere"; use one of: end, start`},
	{"unknown branch target", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "typo")).Step("a", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"unknown-target"}, `branch targets unknown step "typo"`},
	{"unreachable step", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("end")).Step("orphan", fn, next("end")))
	}, []string{"unreachable"}, `step "orphan": step is not reachable from start`},
	{"cycle", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", fn, next("b")).Step("b", fn, next("a")))
	}, []string{"cycle"}, "closes a cycle: a -> b -> a"},
	{"self loop", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", fn, next("a")))
	}, []string{"cycle"}, `transition to "a" closes a cycle: a -> a`},
	{"missing start", func() *flow.Flow {
		return tail(newFlow().Step("begin", fn, next("end")))
	}, []string{"no-start"}, "the flow has no start step"},
	{"missing end", func() *flow.Flow {
		return flow.MustDefinitionOf(newFlow().Step("start", fn, next("finish")).Step("finish", fn))
	}, []string{"no-end", "no-transition"}, "the flow has no end step"},
	{"end with transition", func() *flow.Flow {
		return flow.MustDefinitionOf(newFlow().Step("start", fn, next("a")).Step("a", fn, next("end")).Step("end", fn, next("a")))
	}, []string{"end-transition"}, "the end step has a next transition"},
	{"end as join", func() *flow.Flow {
		return flow.MustDefinitionOf(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("end")).Step("b", fn, next("end")).
			Join("end", jn))
	}, []string{"end-join"}, "the end step is declared as a join"},
	{"step without transition", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", fn))
	}, []string{"no-transition"}, `step "a": step has no transition`},
	{"start targeted", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a")).Step("a", fn, next("start")))
	}, []string{"start-target"}, "next targets the start step"},
	{"two transitions on one step", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("a"), next("end")).Step("a", fn, next("end")))
	}, []string{"definition"}, `step "start": has two transitions (next and next)`},
	{"branch with one target", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a")).Step("a", fn, next("end")))
	}, []string{"branch-width"}, "Branch has 1 target(s)"},
	{"branch with duplicate target", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "a")).Step("a", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"branch-duplicate"}, `Branch lists "a" twice`},
	{"branch directly into join", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "join")).Step("a", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"branch-into-join"}, `branch goes directly into join "join"`},

	// Splits and joins.
	{"unbalanced join", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("join")).Step("b", fn, next("end")).
			Join("join", jn, next("end")))
	}, []string{"unbalanced-join"}, `branch b does not reach join "join"`},
	{"split never joined", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("end")).Step("b", fn, next("end")))
	}, []string{"open-split"}, "end is reached inside branch a of start, which is never joined; join start before end"},
	{"foreach never joined", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, foreach("Items", "a")).Step("a", fn, next("end")))
	}, []string{"open-split"}, "end is reached inside the foreach of start"},
	{"crossing joins", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, branch("c", "d")).
			Step("c", fn, next("inner")).Step("d", fn, next("outer")).Step("b", fn, next("outer")).
			Join("inner", jn, next("outer")).Join("outer", jn, next("end")))
	}, []string{"crossing-join"}, `step "a": split is closed by two joins, "inner" and "outer"`},
	{"split closed by two joins", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("j1")).Step("b", fn, next("j2")).
			Join("j1", jn, next("end")).Join("j2", jn, next("end")))
	}, []string{"crossing-join"}, `split is closed by two joins, "j1" and "j2"`},
	{"join without split", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"join-without-split"}, "join is reached outside any split, so it has nothing to join"},
	{"join after join", func() *flow.Flow {
		return tail(branchJoin().Join("join", jn, next("join2")).Join("join2", jn, next("end")))
	}, []string{"duplicate-step"}, `step "join": step is declared more than once`},
	{"one join too many", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("j")).Step("b", fn, next("j")).
			Join("j", jn, next("j2")).Join("j2", jn, next("end")))
	}, []string{"join-without-split"}, `step "j2": join is reached outside any split`},
	{"merge of branches at a non-join", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("m")).Step("b", fn, next("m")).
			Step("m", fn, next("end")))
	}, []string{"merge-without-join"}, `branches a and b of "start" meet here, but the step is not a join; declare m with Join`},
	{"foreach directly into join", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, foreach("Items", "join")).Join("join", jn, next("end")))
	}, []string{"foreach-into-join"}, `foreach goes directly into join "join"`},
	{"foreach over a non-slice", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, foreach("Mode", "a")).Step("a", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"foreach-field"}, `foreach over field "Mode" of type string, which is not a slice`},
	{"foreach over a missing field", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, foreach("Nope", "a")).Step("a", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"foreach-field"}, `foreach over field "Nope", but st has no field of that name`},
	{"join with a non-Next transition", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("join")).Step("b", fn, next("join")).
			Join("join", jn, foreach("Items", "c")).Step("c", fn, next("j2")).Join("j2", jn, next("end")))
	}, []string{"join-transition"}, "a join may only have a Next transition, not foreach"},

	// Switch.
	{"switch on a missing field", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, stepflow.Switch("Nope", cases("x", "a", "y", "end"))).Step("a", fn, next("end")))
	}, []string{"switch-field"}, `switch on field "Nope", but st has no field of that name`},
	{"switch on a JSON-typed field", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, stepflow.Switch("Data", cases("x", "a", "y", "end"))).Step("a", fn, next("end")))
	}, []string{"switch-field"}, `switch on field "Data" of type map[string]int`},
	{"switch with one case", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, stepflow.Switch("Mode", cases("x", "a"))).Step("a", fn, next("end")))
	}, []string{"switch-cases"}, "switch has 1 case(s)"},
	{"switch into a join", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).
			Step("a", fn, stepflow.Switch("Mode", cases("x", "join", "y", "c"))).Step("c", fn, next("join")).
			Step("b", fn, next("join")).Join("join", jn, next("end")))
	}, []string{"switch-into-join"}, `case "x" goes directly into join "join"`},

	// Parameters and configs.
	{"two parameters with one name", func() *flow.Flow {
		return tail(ok().Param("count", 1, "").Param("count", 2, ""))
	}, []string{"param-clash"}, `parameter "count" has the same name as a parameter`},
	{"parameter and config with one name", func() *flow.Flow {
		return tail(ok().Param("mode", "x", "").Config("mode", "m.json", "", stepflow.Field("Data")))
	}, []string{"param-clash"}, `config "mode" has the same name as a parameter`},
	{"parameter named like a built-in flag", func() *flow.Flow {
		return tail(ok().Param("tag", "x", ""))
	}, []string{"param-clash"}, `parameter "tag" clashes with a built-in flag`},
	{"two parameters share a field", func() *flow.Flow {
		return tail(ok().Param("mode", "x", "").Param("other", "y", "", stepflow.Field("Mode")))
	}, []string{"param-clash"}, `parameter "other" and parameter "mode" share field "Mode"`},
	{"parameter default of the wrong type", func() *flow.Flow {
		return tail(ok().Param("count", "three", ""))
	}, []string{"param-type"}, `parameter "count" has a default of type string, but field Count is int`},
	{"parameter without field", func() *flow.Flow {
		return tail(ok().Param("alpha", 0.5, ""))
	}, []string{"param-field"}, `parameter "alpha" has no field "Alpha" to receive its value`},
	{"parameter with a nil default and no field", func() *flow.Flow {
		return tail(ok().Param("ghost", nil, ""))
	}, []string{"definition", "param-field"}, `the default is nil and there is no field Ghost`},
	{"invalid parameter name", func() *flow.Flow {
		return tail(ok().Param("Max_Count", 1, "", stepflow.Field("Count")))
	}, []string{"param-name"}, `parameter name "Max_Count" is not valid`},
	{"config without field", func() *flow.Flow {
		return tail(ok().Config("settings", "s.json", ""))
	}, []string{"param-field"}, `config "settings" has no field "Settings"`},
	{"TOML config without a parser", func() *flow.Flow {
		return tail(ok().Config("settings", "s.toml", "", stepflow.Field("Mode")))
	}, []string{"config-format"}, `config "settings": default file s.toml is TOML, and the config has no parser for it (JSON is built in)`},
	{"config with an unknown format", func() *flow.Flow {
		return tail(ok().Config("settings", "s.ini", "", stepflow.Field("Mode")))
	}, []string{"config-format"}, `config "settings": default file s.ini is not JSON, and the config has no parser for it`},
	{"parser on a parameter", func() *flow.Flow {
		return tail(ok().Param("name", "x", "", stepflow.Field("Mode"), stepflow.ConfigParser(func([]byte, any) error { return nil })))
	}, []string{"definition"}, `parameter "name": ConfigParser is an option of configs, not of parameters`},

	// Step options.
	{"retry out of range", func() *flow.Flow {
		return tail(ok(stepflow.Retry(10, time.Second)))
	}, []string{"retry-range"}, "retry count 10 is out of range"},
	{"negative retry count", func() *flow.Flow {
		return tail(ok(stepflow.Retry(-1, time.Second)))
	}, []string{"retry-range"}, "retry count -1 is out of range"},
	{"negative retry delay", func() *flow.Flow {
		return tail(ok(stepflow.Retry(2, -time.Second)))
	}, []string{"retry-delay"}, "retry delay -1s is negative"},
	{"retry backoff below 1", func() *flow.Flow {
		return tail(ok(stepflow.Retry(2, time.Second).WithBackoff(0.5)))
	}, []string{"retry-backoff"}, "retry backoff 0.5 is below 1"},
	{"two retry options", func() *flow.Flow {
		return tail(ok(stepflow.Retry(1, 0), stepflow.Retry(2, 0)))
	}, []string{"definition"}, "has two Retry options"},
	{"timeout too small", func() *flow.Flow {
		return tail(ok(stepflow.Timeout(time.Millisecond)))
	}, []string{"timeout-range"}, "timeout 1ms is shorter than one second"},
	{"timeout too large", func() *flow.Flow {
		return tail(ok(stepflow.Timeout(400 * 24 * time.Hour)))
	}, []string{"timeout-range"}, "timeout 9600h0m0s is out of range"},
	{"zero timeout", func() *flow.Flow {
		return tail(ok(stepflow.Timeout(0)))
	}, []string{"definition"}, "has Timeout(0)"},
	{"two cache options", func() *flow.Flow {
		return tail(ok(stepflow.Cache(), stepflow.Cache("v2")))
	}, []string{"definition"}, "has two Cache options"},
	{"empty cache version", func() *flow.Flow {
		return tail(ok(stepflow.Cache("")))
	}, []string{"definition"}, `has Cache(""): give a version, or call Cache() for the binary's identity`},
	{"two cache versions", func() *flow.Flow {
		return tail(ok(stepflow.Cache("v1", "v2")))
	}, []string{"definition"}, `has Cache with 2 versions; give one, e.g. Cache("v1")`},
	{"cache version with spaces", func() *flow.Flow {
		return tail(ok(stepflow.Cache(" v1")))
	}, []string{"definition"}, `a version has no surrounding spaces or control characters`},
	{"catch on a foreach step", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, foreach("Items", "a"), stepflow.Catch("Err")).Step("a", fn, next("join")).
			Join("join", jn, next("end")))
	}, []string{"catch-kind"}, "catch is not allowed on a foreach step"},
	{"catch on a switch step", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, stepflow.Switch("Mode", cases("x", "a", "y", "end")), stepflow.Catch("Fail")).
			Step("a", fn, next("end")))
	}, []string{"catch-kind"}, "catch is not allowed on a switch step"},
	{"drop on a step that is not a join", func() *flow.Flow {
		return tail(ok(stepflow.Drop("Count")))
	}, []string{"drop-join"}, `Drop("Count") on a step that is not a join`},
	{"drop of a field that does not exist", func() *flow.Flow {
		return tail(newFlow().Step("start", fn, branch("a", "b")).Step("a", fn, next("join")).Step("b", fn, next("join")).
			Join("join", jn, next("end"), stepflow.Drop("Nope")))
	}, []string{"drop-field"}, `Drop names field "Nope", which does not exist in st`},
	{"catch field missing", func() *flow.Flow {
		return tail(ok(stepflow.Catch("Nope")))
	}, []string{"catch-field"}, `catch field "Nope" does not exist in st`},
	{"catch field of the wrong type", func() *flow.Flow {
		return tail(ok(stepflow.Catch("Count")))
	}, []string{"catch-field"}, `catch field "Count" has type int`},
	{"env var with a reserved prefix", func() *flow.Flow {
		return tail(ok(stepflow.Env{"STEPFLOW_RUN": "x"}))
	}, []string{"env-reserved"}, `environment variable "STEPFLOW_RUN" uses a reserved prefix`},
	{"invalid env var name", func() *flow.Flow {
		return tail(ok(stepflow.Env{"1BAD": "x"}))
	}, []string{"env-name"}, `environment variable name "1BAD" is not valid`},
	{"Fargate with tmpfs", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", Tmpfs: []stepflow.Tmpfs{{Path: "/tmp", Size: "1GiB"}}}))
	}, []string{"fargate"}, "tmpfs are not supported by AWS Batch on Fargate"},
	{"Fargate with GPUs", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE"}, stepflow.Resources{GPU: 1}))
	}, []string{"fargate"}, "GPUs are not supported by AWS Batch on Fargate"},
	{"unknown platform", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "LAMBDA"}))
	}, []string{"batch-platform"}, `platform "LAMBDA" is not known`},
	{"bad memory size", func() *flow.Flow {
		return tail(ok(stepflow.Resources{Memory: "lots"}))
	}, []string{"resources"}, `memory: size "lots" is not a number`},
	{"negative cpu", func() *flow.Flow {
		return tail(ok(stepflow.Resources{CPU: -1}))
	}, []string{"resources"}, "cpu -1 is negative"},
	{"two resources options", func() *flow.Flow {
		return tail(ok(stepflow.Resources{CPU: 1}, stepflow.Resources{Memory: "1GiB"}))
	}, []string{"definition"}, "has two Resources options"},
	{"bad EFS volume", func() *flow.Flow {
		return tail(ok(stepflow.Batch{EFS: []stepflow.EFSVolume{{FileSystemID: "vol-1", Path: "data"}}}))
	}, []string{"batch-efs"}, `EFS file system id "vol-1" is not valid`},
	{"relative host volume", func() *flow.Flow {
		return tail(ok(stepflow.Batch{HostVolumes: []stepflow.HostVolume{{HostPath: "cache", Path: "/cache"}}}))
	}, []string{"batch-host-volume"}, `host volume "cache":"/cache" is not absolute`},
	{"bad tmpfs", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Tmpfs: []stepflow.Tmpfs{{Path: "scratch", Size: "big"}}}))
	}, []string{"batch-tmpfs"}, `tmpfs path "scratch" is not absolute`},
	{"swappiness out of range", func() *flow.Flow {
		s := 101
		return tail(ok(stepflow.Batch{Swappiness: &s}))
	}, []string{"batch-swappiness"}, "swappiness 101 is out of range"},
	{"log options without driver", func() *flow.Flow {
		return tail(ok(stepflow.Batch{LogOptions: map[string]string{"a": "b"}}))
	}, []string{"batch-log"}, "log options are set without a log driver"},
	{"Fargate with shared memory", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE"}, stepflow.Resources{SharedMemory: "1GiB"}))
	}, []string{"fargate"}, "shared memory are not supported by AWS Batch on Fargate"},
	{"Fargate with swap", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", Swap: "1GiB"}))
	}, []string{"fargate"}, "swap are not supported by AWS Batch on Fargate"},
	{"Fargate privileged", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", Privileged: true}))
	}, []string{"fargate"}, "privileged are not supported by AWS Batch on Fargate"},
	{"Fargate with host volumes", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", HostVolumes: []stepflow.HostVolume{{HostPath: "/a", Path: "/a"}}}))
	}, []string{"fargate"}, "host volumes are not supported by AWS Batch on Fargate"},
	{"Fargate with EFA", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", EFA: 1}))
	}, []string{"fargate"}, "EFA devices are not supported by AWS Batch on Fargate"},
	{"Fargate with Inferentia", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", Inferentia: 1}))
	}, []string{"fargate"}, "Inferentia devices are not supported by AWS Batch on Fargate"},
	{"not a Fargate size", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE"}, stepflow.Resources{CPU: 1, Memory: "16GiB"}))
	}, []string{"fargate-size"}, "1 vCPU with 16384 MiB of memory is not a Fargate size"},
	{"Fargate disk out of range", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE"}, stepflow.Resources{Disk: "10GiB"}))
	}, []string{"fargate-disk"}, "disk 10GiB is outside the Fargate ephemeral storage range"},
	{"log driver not on Fargate", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Platform: "FARGATE", LogDriver: "syslog"}))
	}, []string{"batch-log"}, `log driver "syslog" is not supported by AWS Batch on FARGATE`},
	{"unknown log driver", func() *flow.Flow {
		return tail(ok(stepflow.Batch{LogDriver: "nope"}))
	}, []string{"batch-log"}, `log driver "nope" is not supported by AWS Batch on EC2; use one of: awsfirelens`},
	{"fractional cpu on EC2", func() *flow.Flow {
		return tail(ok(stepflow.Resources{CPU: 0.5}))
	}, []string{"batch-cpu"}, "cpu 0.5 is fractional, which AWS Batch refuses on EC2"},
	{"tiny memory", func() *flow.Flow {
		return tail(ok(stepflow.Resources{Memory: "2MiB"}))
	}, []string{"batch-memory"}, "memory 2 MiB is below the AWS Batch minimum"},
	{"memory too large", func() *flow.Flow {
		return tail(ok(stepflow.Resources{Memory: "3000000GiB"}))
	}, []string{"resources"}, "memory 3000000GiB is too large"},
	{"Inferentia and Trainium", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Inferentia: 1, Trainium: 1}))
	}, []string{"batch-devices"}, "both Inferentia and Trainium devices are set; give Inferentia or Trainium devices, not both"},
	{"swappiness without swap", func() *flow.Flow {
		s := 10
		return tail(ok(stepflow.Batch{Swappiness: &s}))
	}, []string{"batch-swappiness"}, "swappiness is set without swap"},
	{"empty tmpfs", func() *flow.Flow {
		return tail(ok(stepflow.Batch{Tmpfs: []stepflow.Tmpfs{{Path: "/t", Size: "0"}}}))
	}, []string{"batch-tmpfs"}, "tmpfs /t has no size"},
	{"two mounts at one path", func() *flow.Flow {
		return tail(ok(stepflow.Batch{EFS: []stepflow.EFSVolume{{FileSystemID: "fs-1", Path: "/m"}, {FileSystemID: "fs-2", Path: "/m"}}}))
	}, []string{"batch-mount"}, "two volumes are mounted at /m; mount each container path once"},
	{"many Batch mistakes", func() *flow.Flow {
		s := 101
		return tail(ok(stepflow.Resources{CPU: 2, Memory: "3GiB", GPU: 1, Disk: "300GiB"},
			stepflow.Batch{Platform: "FARGATE", Swappiness: &s, LogDriver: "syslog", Tmpfs: []stepflow.Tmpfs{{Path: "t", Size: "1GiB"}},
				EFS: []stepflow.EFSVolume{{FileSystemID: "x", Path: "/m"}}}))
	}, []string{"batch-efs", "batch-log", "batch-swappiness", "batch-tmpfs", "fargate", "fargate-disk", "fargate-size"},
		"flow TestFlow has 9 problems"},

	// Flow settings.
	{"bad cron", func() *flow.Flow {
		return tail(ok().Schedule("every day", ""))
	}, []string{"schedule"}, `schedule "every day" has 2 fields, not five`},
	{"cron minute out of range", func() *flow.Flow {
		return tail(ok().Schedule("61 3 * * *", ""))
	}, []string{"schedule"}, `schedule "61 3 * * *" is not a valid cron expression`},
	{"cron month out of range", func() *flow.Flow {
		return tail(ok().Schedule("0 3 * 13 *", ""))
	}, []string{"schedule"}, `is not a valid cron expression`},
	{"cron restricting both days", func() *flow.Flow {
		return tail(ok().Schedule("0 3 1 * 1", ""))
	}, []string{"schedule"}, `restricts both the day of the month and the day of the week`},
	{"cron with six fields", func() *flow.Flow {
		return tail(ok().Schedule("0 3 * * ? 2030", ""))
	}, []string{"schedule"}, `has 6 fields, not five`},
	{"unknown time zone", func() *flow.Flow {
		return tail(ok().Schedule("0 3 * * *", "Mars/Olympus_Mons"))
	}, []string{"schedule"}, `schedule time zone "Mars/Olympus_Mons" is not known`},
	{"required parameter with a schedule", func() *flow.Flow {
		return tail(ok().Param("mode", "", "", stepflow.Required()).Schedule("0 3 * * *", "UTC"))
	}, []string{"schedule-param"}, `parameter "mode" is required, but a scheduled run cannot supply it`},
	{"invalid project", func() *flow.Flow {
		return tail(ok().Project("My Project"))
	}, []string{"project"}, `project name "My Project" is not valid`},
	{"empty tag", func() *flow.Flow {
		return tail(ok().Tags(""))
	}, []string{"tag"}, `tag "" is not valid`},
	{"system tag", func() *flow.Flow {
		return tail(ok().Tags("production:abc"))
	}, []string{"tag"}, `tag "production:abc" is not valid: it starts with "production:", which Stepflow reserves`},
	// Secrets.
	{"secret name", func() *flow.Flow {
		return tail(ok(stepflow.Secrets("db-pass", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db")))
	}, []string{"secret-name"}, `secret name "db-pass" is not valid`},
	{"secret arn", func() *flow.Flow {
		return tail(ok(stepflow.Secrets("db", "arn:aws:ssm:us-east-1:123456789012:document/db")))
	}, []string{"secret-arn"}, `secret "db" has ARN "arn:aws:ssm:us-east-1:123456789012:document/db", which is not the ARN of an AWS Secrets Manager secret or an AWS Systems Manager parameter`},
	{"parameter arn without a name", func() *flow.Flow {
		return tail(ok(stepflow.Secrets("db", "arn:aws:ssm:us-east-1:123456789012:parameter/")))
	}, []string{"secret-arn"}, `secret "db" has ARN "arn:aws:ssm:us-east-1:123456789012:parameter/"`},
	{"secret twice", func() *flow.Flow {
		return tail(ok(stepflow.Secrets("DB", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db")).
			Secrets("db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"))
	}, []string{"secret-twice"}, `secret "DB" is declared twice for this step`},
	{"flow secret arn", func() *flow.Flow {
		return tail(ok().Secrets("db", "prod/db"))
	}, []string{"secret-arn"}, `secret "db" has ARN "prod/db"`},
	{"on finish twice", func() *flow.Flow {
		h := func(*stepflow.Context, *stepflow.Finished[st]) error { return nil }
		return tail(ok().OnFinish(h).OnFinish(h))
	}, []string{"definition"}, "OnFinish is called twice; a flow has one exit hook"},
	{"on finish nil", func() *flow.Flow {
		return tail(ok().OnFinish(nil))
	}, []string{"definition"}, "OnFinish is given a nil function"},
	{"resumed tag", func() *flow.Flow {
		return tail(ok().Tags("Resumed:r1"))
	}, []string{"tag"}, `tag "Resumed:r1" is not valid: it starts with "resumed:"`},
}

func TestLint(t *testing.T) {
	if len(lintCases) < 35 {
		t.Fatalf("only %d cases", len(lintCases))
	}
	for _, tc := range lintCases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			g, err := graph.New(tc.def())
			var le *graph.LintError
			if !errors.As(err, &le) {
				t.Fatalf("graph.New = %v, %v; want a *LintError", g, err)
			}
			if g != nil {
				t.Errorf("graph.New returned a graph along with violations")
			}
			var rules []string
			for _, v := range le.Violations {
				rules = append(rules, v.Rule)
				if v.Problem == "" || v.Fix == "" || v.Rule == "" {
					t.Errorf("incomplete violation %+v", v)
				}
			}
			slices.Sort(rules)
			rules = slices.Compact(rules)
			if !slices.Equal(rules, tc.rules) {
				t.Errorf("rules = %q, want %q\n%v", rules, tc.rules, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error does not contain %q:\n%v", tc.msg, err)
			}
		})
	}
}

// Every violation of a flow is reported at once.
func TestLintReportsAll(t *testing.T) {
	def := flow.MustDefinitionOf(newFlow().
		Param("count", "x", "").
		Step("start", fn, branch("a", "b"), stepflow.Retry(20, 0)).
		Step("a", fn, next("nowhere")).
		Step("b", nil, next("join")).
		Join("join", jn, next("end")).
		Step("end", fn))
	_, err := graph.New(def)
	var le *graph.LintError
	if !errors.As(err, &le) {
		t.Fatalf("err = %v", err)
	}
	var rules []string
	for _, v := range le.Violations {
		rules = append(rules, v.Rule)
	}
	slices.Sort(rules)
	want := []string{"no-function", "param-type", "retry-range", "unknown-target"}
	if !slices.Equal(rules, want) {
		t.Errorf("rules = %q, want %q\n%v", rules, want, err)
	}
	if !strings.HasPrefix(err.Error(), "flow TestFlow has 4 problems:\n  ") {
		t.Errorf("Error() = %q", err.Error())
	}
}

// Every option and flow setting used correctly passes the linter.
func TestLintValidOptions(t *testing.T) {
	swap := 60
	def := flow.MustDefinitionOf(newFlow().
		Param("mode", "x", "", stepflow.Required()).
		Param("count", 3, "").
		Config("settings", "s.json", "", stepflow.Field("Data")).
		Step("start", fn, next("a"),
			stepflow.Retry(9, time.Second).WithBackoff(2), stepflow.Timeout(time.Hour), stepflow.Catch("Err"),
			stepflow.Env{"MY_VAR": "1"}, stepflow.Resources{CPU: 2, Memory: "8GiB", GPU: 1, SharedMemory: "1GiB", Disk: "100GB"},
			stepflow.Batch{Image: "img", Queue: "q", Platform: "EC2", Tmpfs: []stepflow.Tmpfs{{Path: "/scratch", Size: "1GiB"}},
				EFS:         []stepflow.EFSVolume{{FileSystemID: "fs-1", Path: "/efs"}},
				HostVolumes: []stepflow.HostVolume{{HostPath: "/h", Path: "/c"}}, Swap: "2GiB", Swappiness: &swap,
				LogDriver: "awslogs", LogOptions: map[string]string{"k": "v"}, Inferentia: 1, EFA: 1, Privileged: true}).
		Step("a", fn, next("end"), stepflow.Catch("Fail"),
			stepflow.Secrets("db_password", "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/db-AbC123"),
			stepflow.Batch{Platform: "FARGATE", EFS: []stepflow.EFSVolume{{FileSystemID: "fs-2", Path: "/efs"}}}).
		Step("end", fn).
		Project("my_project").Tags("a", "b").
		Secrets("api", "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api_key+x=y.z@w"))
	if _, err := graph.New(def); err != nil {
		t.Fatal(err)
	}
	def.Schedule = &flow.Schedule{Cron: "0 3 * * *", Timezone: "Europe/Paris"}
	def.Params = def.Params[1:] // a schedule needs no required parameter
	if _, err := graph.New(def); err != nil {
		t.Fatal(err)
	}
}
