package graph

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
	"github.com/stepflow/stepflow/internal/flow"
	"github.com/stepflow/stepflow/internal/schedule"
)

// ReservedFlags are flag names of `run` and `step-functions trigger` that a
// parameter or config may not take.
var ReservedFlags = []string{
	"help", "h", "run-id", "max-workers", "max-num-splits", "tag", "datastore", "datastore-root",
	"config", "origin-run-id", "secrets-file", "in-process", "quiet", "json", "namespace", "with", "event",
}

// failureType has the fields of stepflow.Failure, which converts to it.
var failureType = reflect.TypeFor[flow.Failure]()

// options checks per-step options, parameters, configs and flow settings.
func (l *linter) options() {
	for _, s := range l.f.Steps {
		l.stepOptions(s)
	}
	l.params()
	l.secrets()
	l.schedule()
	l.artifacts()
}

func (l *linter) stepOptions(s *flow.Step) {
	o := s.Options
	if r := o.Retry; r != nil {
		if r.Times < 0 || r.Times > flow.MaxRetries {
			l.add(s.Name, "retry-range", fmt.Sprintf("use 0 to %d retries", flow.MaxRetries),
				"retry count %d is out of range", r.Times)
		}
		if r.Delay < 0 {
			l.add(s.Name, "retry-delay", "use a delay of zero or more", "retry delay %s is negative", r.Delay)
		}
		if r.Backoff < 0 || (r.Backoff > 0 && r.Backoff < 1) {
			l.add(s.Name, "retry-backoff", "use a backoff factor of 1 or more (2 doubles the delay each time)",
				"retry backoff %g is below 1", r.Backoff)
		}
	}
	if o.Catch != "" {
		sf, ok := l.f.Field(o.Catch)
		switch {
		case !ok:
			l.add(s.Name, "catch-field", "name an exported field of type string or stepflow.Failure",
				"catch field %q does not exist in %s", o.Catch, l.typeName())
		case sf.Type.Kind() != reflect.String && !(sf.Type.Kind() == reflect.Struct && failureType.ConvertibleTo(sf.Type)):
			l.add(s.Name, "catch-field", "use a field of type string or stepflow.Failure",
				"catch field %q has type %s", o.Catch, sf.Type)
		}
		switch s.Transition.Kind {
		case flow.Foreach, flow.Switch:
			l.add(s.Name, "catch-kind", "move the risky work to a step before it, and catch there",
				"catch is not allowed on a %s step: a failed task has no items or case to follow", s.Transition.Kind)
		}
	}
	for _, name := range o.Drop {
		switch {
		case !s.IsJoin:
			l.add(s.Name, "drop-join", "use Drop on the join step that closes the split", "Drop(%q) on a step that is not a join", name)
		default:
			if _, ok := l.f.Field(name); !ok {
				l.add(s.Name, "drop-field", "name an exported field of the flow state", "Drop names field %q, which does not exist in %s", name, l.typeName())
			}
		}
	}
	if o.Timeout < 0 || o.Timeout > flow.MaxTimeout {
		l.add(s.Name, "timeout-range", "use a timeout between 1s and 8760h (one year)", "timeout %s is out of range", o.Timeout)
	} else if o.Timeout > 0 && o.Timeout < time.Second {
		l.add(s.Name, "timeout-range", "use a timeout of at least 1s", "timeout %s is shorter than one second", o.Timeout)
	}
	for _, k := range sortedKeys(o.Env) {
		switch {
		case !envName.MatchString(k):
			l.add(s.Name, "env-name", "use letters, digits and underscores, not starting with a digit",
				"environment variable name %q is not valid", k)
		case strings.HasPrefix(k, "STEPFLOW_") || strings.HasPrefix(k, "AWS_BATCH_"):
			l.add(s.Name, "env-reserved", "rename the variable; STEPFLOW_ and AWS_BATCH_ names are set by Stepflow and AWS Batch",
				"environment variable %q uses a reserved prefix", k)
		}
	}
	l.resources(s)
	l.batch(s)
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func (l *linter) params() {
	names := map[string]string{} // flag name -> "parameter" or "config"
	fields := map[string]string{}
	claim := func(kind, name, field string, typ reflect.Type) {
		if prev, ok := names[name]; ok {
			l.add("", "param-clash", fmt.Sprintf("rename one of them"), "%s %q has the same name as a %s", kind, name, prev)
		}
		names[name] = kind
		if !paramName.MatchString(name) {
			l.add("", "param-name", "use lower-case letters, digits and dashes, starting with a letter (e.g. batch-size)",
				"%s name %q is not valid", kind, name)
		}
		if slices.Contains(ReservedFlags, name) {
			l.add("", "param-clash", "rename it; the name is a flag of run", "%s %q clashes with a built-in flag", kind, name)
		}
		sf, ok := l.f.Field(field)
		if !ok {
			l.add("", "param-field", fmt.Sprintf("add an exported field %s to %s, or name the field with stepflow.Field", field, l.typeName()),
				"%s %q has no field %q to receive its value", kind, name, field)
			return
		}
		if prev, ok := fields[field]; ok {
			l.add("", "param-clash", "give each parameter and config its own field", "%s %q and %s share field %q", kind, name, prev, field)
		}
		fields[field] = fmt.Sprintf("%s %q", kind, name)
		if typ != nil && sf.Type != typ {
			l.add("", "param-type", fmt.Sprintf("make the default a %s, or change the field's type", sf.Type),
				"%s %q has a default of type %s, but field %s is %s", kind, name, typ, field, sf.Type)
		}
	}
	for _, p := range l.f.Params {
		if p.Kind == flow.File {
			l.fileParam(p, claim)
			continue
		}
		claim("parameter", p.Name, p.Field, p.Type)
		if p.Type != nil && artifact.IsFile(p.Type) {
			l.add("", "param-type", "declare it with FileParam(name, path, help), which stores a local file for every step",
				"parameter %q is a stepflow.File, which a plain parameter cannot fill", p.Name)
		}
	}
	for _, c := range l.f.Configs {
		claim("config", c.Name, c.Field, nil)
		if format, ok := c.Format(c.Path); c.Path != "" && !ok {
			l.add("", "config-format", "declare the config with stepflow.ConfigParser(toml.Parse) or (yaml.Parse), from github.com/stepflow/stepflow/config/toml or config/yaml, or give a .json default",
				"config %q: default file %s is %s, and the config has no parser for it (JSON is built in)", c.Name, c.Path, format)
		}
	}
}

// fileParam checks a file parameter: its field is a stepflow.File.
func (l *linter) fileParam(p *flow.Param, claim func(kind, name, field string, typ reflect.Type)) {
	claim("file parameter", p.Name, p.Field, nil)
	if p.Type != nil && !artifact.IsFile(p.Type) {
		l.add("", "param-type", fmt.Sprintf("make field %s a stepflow.File", p.Field),
			"file parameter %q fills field %s, which is %s, not a stepflow.File", p.Name, p.Field, p.Type)
	}
}

func (l *linter) schedule() {
	sc := l.f.Schedule
	if sc != nil {
		if _, err := schedule.EventBridge(sc.Cron); err != nil {
			l.add("", "schedule", schedule.Fix, "%v", err)
		}
		if sc.Timezone != "" {
			if _, err := time.LoadLocation(sc.Timezone); err != nil {
				l.add("", "schedule", "use an IANA time zone such as Europe/Paris or America/New_York",
					"schedule time zone %q is not known", sc.Timezone)
			}
		}
		for _, p := range l.f.Params {
			if p.Required {
				l.add("", "schedule-param", "give the parameter a default or remove the schedule",
					"parameter %q is required, but a scheduled run cannot supply it", p.Name)
			}
		}
	}
	if l.f.Project != "" && !stepName.MatchString(l.f.Project) {
		l.add("", "project", "use lower-case letters, digits and underscores", "project name %q is not valid", l.f.Project)
	}
	for _, t := range l.f.Tags {
		if err := flow.CheckTag(t); err != nil {
			msg, fix, _ := strings.Cut(err.Error(), "; ")
			l.add("", "tag", fix, "%s", msg)
		}
	}
}
