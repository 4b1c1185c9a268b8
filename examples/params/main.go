// Command params shows every parameter kind, a config file and every step
// option. Run it from the repository root (the config's default path,
// examples/params/settings.toml, is relative to the working directory;
// elsewhere pass --config settings=PATH):
//
//	go run ./examples/params run --name ada
//	go run ./examples/params run --name ada --count 5 --weights '{"a":1,"b":1}'
//
// The compute step fails on its first attempt and succeeds on the retry;
// the risky step always fails and its failure is caught into Failure.
//
// Final artifacts (run --name ada, defaults otherwise):
// Message=">> hello, ada", Style="plain", Attempt=1, Score=16
// (= 3*4*0.5 + 2*5), Failure={Step:"risky" Error:"step risky: cannot divide 16 by zero" Attempts:1}
// (the runtime prefixes the error with the step),
// WaitSeconds=90, Flags="verbose=false",
// Summary=">> hello, ada | score 16 | wait 90s | verbose=false | caught: step risky: cannot divide 16 by zero".
package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/stepflow/stepflow"
	"github.com/stepflow/stepflow/config/toml"
)

// Weights is a JSON parameter: --weights '{"a":2,"b":5}'.
type Weights struct {
	A int `json:"a"`
	B int `json:"b"`
}

// Settings is the config read from settings.toml.
type Settings struct {
	Prefix string `toml:"prefix" json:"prefix" yaml:"prefix"`
	Scale  int    `toml:"scale" json:"scale" yaml:"scale"`
}

// ParamsFlow uses every kind of parameter and option.
type ParamsFlow struct {
	// Parameters.
	Greeting string        // string
	Count    int           // int
	Ratio    float64       // float
	Verbose  bool          // bool
	Wait     time.Duration // duration
	Weights  Weights       // JSON
	Name     string        // required string
	// Config.
	Settings Settings

	Message     string
	Style       string
	Attempt     int
	Score       float64
	Failure     stepflow.Failure // receives the caught failure of risky
	WaitSeconds int
	Flags       string
	Summary     string
}

// Start builds the message; PARAMS_STYLE comes from the step's Env option.
func (f *ParamsFlow) Start(c *stepflow.Context) error {
	f.Message = f.Settings.Prefix + f.Greeting + ", " + f.Name
	f.Style = os.Getenv("PARAMS_STYLE")
	return nil
}

// Compute fails on its first attempt; the retry succeeds.
func (f *ParamsFlow) Compute(c *stepflow.Context) error {
	if c.Attempt() == 0 {
		return errors.New("compute: transient failure on the first attempt")
	}
	f.Attempt = c.Attempt()
	f.Score = float64(f.Count*f.Settings.Scale)*f.Ratio + float64(f.Weights.A*f.Weights.B)
	return nil
}

// Risky always fails; Catch records the failure and the flow goes on.
func (f *ParamsFlow) Risky(c *stepflow.Context) error {
	return fmt.Errorf("cannot divide %g by zero", f.Score)
}

// Heavy runs on a big AWS Batch EC2 machine when deployed.
func (f *ParamsFlow) Heavy(c *stepflow.Context) error {
	f.WaitSeconds = int(f.Wait.Seconds())
	f.Flags = fmt.Sprintf("verbose=%t", f.Verbose)
	return nil
}

// Report runs on Fargate when deployed.
func (f *ParamsFlow) Report(c *stepflow.Context) error {
	f.Summary = fmt.Sprintf("%s | score %g | wait %ds | %s | caught: %s",
		f.Message, f.Score, f.WaitSeconds, f.Flags, f.Failure.Error)
	return nil
}

// End prints the summary.
func (f *ParamsFlow) End(c *stepflow.Context) error {
	c.Printf("%s\n", f.Summary)
	return nil
}

// newFlow declares the flow: main runs it, main_test.go tests it.
func newFlow() *stepflow.Flow[ParamsFlow] {
	swappiness := 10
	return stepflow.New[ParamsFlow]("ParamsFlow").
		Param("greeting", "hello", "how to greet").
		Param("count", 3, "how many units").
		Param("ratio", 0.5, "scale factor").
		Param("verbose", false, "print more").
		Param("wait", 90*time.Second, "how long the job may wait").
		Param("weights", Weights{A: 2, B: 5}, "JSON weights, e.g. {\"a\":2,\"b\":5}").
		Param("name", "", "who to greet", stepflow.Required()).
		Config("settings", "examples/params/settings.toml", "prefix and scale (TOML)", stepflow.ConfigParser(toml.Parse)).
		Step("start", (*ParamsFlow).Start, stepflow.Next("compute"),
			stepflow.Env{"PARAMS_STYLE": "plain"},
			stepflow.Timeout(time.Minute),
			stepflow.Resources{CPU: 1, Memory: "512MiB"}).
		Step("compute", (*ParamsFlow).Compute, stepflow.Next("risky"),
			stepflow.Retry(3, 10*time.Millisecond).WithBackoff(2)).
		Step("risky", (*ParamsFlow).Risky, stepflow.Next("heavy"),
			stepflow.Catch("Failure")).
		Step("heavy", (*ParamsFlow).Heavy, stepflow.Next("report"),
			stepflow.Resources{CPU: 4, Memory: "8GiB", SharedMemory: "1GiB", Disk: "50GiB"},
			stepflow.Batch{
				Queue:         "stepflow-ec2",
				JobRole:       "arn:aws:iam::123456789012:role/stepflow-task",
				ExecutionRole: "arn:aws:iam::123456789012:role/stepflow-ecs",
				Platform:      "EC2",
				Tmpfs:         []stepflow.Tmpfs{{Path: "/scratch", Size: "2GiB", Opts: []string{"noexec"}}},
				EFS:           []stepflow.EFSVolume{{FileSystemID: "fs-0123abcd", Path: "/mnt/shared", RootDir: "/data", ReadOnly: true}},
				HostVolumes:   []stepflow.HostVolume{{HostPath: "/var/cache/models", Path: "/models", ReadOnly: true}},
				Swap:          "4GiB",
				Swappiness:    &swappiness,
				LogDriver:     "awslogs",
				LogOptions:    map[string]string{"awslogs-group": "/stepflow/params"},
				Tags:          map[string]string{"team": "data"},
				Privileged:    false,
			}).
		Step("report", (*ParamsFlow).Report, stepflow.Next("end"),
			stepflow.Resources{CPU: 0.5, Memory: "1GiB", Disk: "30GiB"},
			stepflow.Batch{
				Platform:      "FARGATE",
				ExecutionRole: "arn:aws:iam::123456789012:role/stepflow-ecs",
				EFS:           []stepflow.EFSVolume{{FileSystemID: "fs-0123abcd", Path: "/mnt/shared"}},
			}).
		Step("end", (*ParamsFlow).End).
		Project("examples").
		Tags("example", "params").
		// Deployed, the flow also starts on the event "data.ready"
		// (step-functions send-event data.ready --payload
		// '{"name":"ada","count":5}') and whenever HelloFlow (which has
		// no project, hence InProject("")) succeeds; run --event FILE
		// tries an event locally.
		Trigger(stepflow.OnEvent("data.ready", stepflow.Map("name", "detail.name"), stepflow.Map("count", "detail.count"))).
		TriggerOnFinish("HelloFlow", stepflow.InProject(""), stepflow.OnlyOnSuccess(), stepflow.Map("name", "pathspec"))
}

func main() { stepflow.Main(newFlow()) }
