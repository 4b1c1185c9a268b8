package flow

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Builder declares a flow whose state is the struct T. Its methods record
// the declaration; mistakes are collected and reported by the linter, all
// together, when the flow binary starts.
type Builder[T any] struct {
	def *Flow
}

// NewBuilder starts the declaration of flow name over state type T.
func NewBuilder[T any](name string) *Builder[T] {
	t := reflect.TypeFor[T]()
	f := &Flow{Name: name, StateType: t}
	if t.Kind() != reflect.Struct {
		f.Errors = append(f.Errors, fmt.Errorf("the flow state %s is not a struct; declare the flow over a struct type whose exported fields are the artifacts", t))
	}
	return &Builder[T]{def: f}
}

// Definition returns the declared flow. It is meant for Stepflow's own
// tools; flows do not need it.
func (b *Builder[T]) Definition() *Flow { return b.def }

// Step declares a step run by fn; opts give its transition and settings.
func (b *Builder[T]) Step(name string, fn func(*T, *Context) error, opts ...StepOption) *Builder[T] {
	s := &Step{Name: name}
	if fn != nil {
		s.Func = func(c *Context, state any, _ []any) error { return fn(state.(*T), c) }
	}
	return b.add(s, opts)
}

// Join declares a join step: fn receives the states of the branches or
// foreach tasks it joins, in split order.
func (b *Builder[T]) Join(name string, fn func(*T, *Context, []*T) error, opts ...StepOption) *Builder[T] {
	s := &Step{Name: name, IsJoin: true}
	if fn != nil {
		s.Func = func(c *Context, state any, inputs []any) error {
			ins := make([]*T, len(inputs))
			for i, in := range inputs {
				ins[i] = in.(*T)
			}
			return fn(state.(*T), c, ins)
		}
	}
	return b.add(s, opts)
}

func (b *Builder[T]) add(s *Step, opts []StepOption) *Builder[T] {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.ApplyStep(s); err != nil {
			b.def.Errors = append(b.def.Errors, fmt.Errorf("step %q: %w", s.Name, err))
		}
	}
	b.def.Steps = append(b.def.Steps, s)
	return b
}

// Param declares a parameter. Its type is the type of def, which is also
// its default. The value lands in the field named by Field, or by default
// the parameter's name in CamelCase ("batch-size" -> BatchSize).
func (b *Builder[T]) Param(name string, def any, help string, opts ...ParamOption) *Builder[T] {
	ps := ParamSettings{Field: FieldName(name)}
	for _, o := range opts {
		o(&ps)
	}
	p := &Param{Name: name, Field: ps.Field, Help: help, Default: def, Required: ps.Required}
	if ps.Parse != nil {
		b.def.Errors = append(b.def.Errors, fmt.Errorf("parameter %q: ConfigParser is an option of configs, not of parameters", name))
	}
	if def == nil {
		if sf, ok := b.def.Field(ps.Field); ok {
			p.Type = sf.Type
		} else {
			b.def.Errors = append(b.def.Errors, fmt.Errorf("parameter %q: the default is nil and there is no field %s to take the type from", name, ps.Field))
		}
	} else {
		p.Type = reflect.TypeOf(def)
	}
	if p.Type != nil {
		p.Kind = KindOf(p.Type)
	}
	b.def.Params = append(b.def.Params, p)
	return b
}

// FileParam declares a file parameter: a local file (path by default, the
// run command's --NAME PATH instead) stored in the datastore when a run
// starts, whose field, a stepflow.File, every step reads. The value lands
// in the field named by Field, or by default the name in CamelCase.
func (b *Builder[T]) FileParam(name, path, help string, opts ...ParamOption) *Builder[T] {
	ps := ParamSettings{Field: FieldName(name)}
	for _, o := range opts {
		o(&ps)
	}
	p := &Param{Name: name, Field: ps.Field, Help: help, Kind: File, Path: path, Required: ps.Required}
	if ps.Parse != nil {
		b.def.Errors = append(b.def.Errors, fmt.Errorf("file parameter %q: ConfigParser is an option of configs, not of file parameters", name))
	}
	if sf, ok := b.def.Field(ps.Field); ok {
		p.Type = sf.Type
	}
	b.def.Params = append(b.def.Params, p)
	return b
}

// Config declares a config: a file (JSON, or what the ConfigParser
// option parses) read when a run starts and frozen into it. path is the default file; the value lands in
// the field named by Field, or by default the name in CamelCase.
func (b *Builder[T]) Config(name, path, help string, opts ...ParamOption) *Builder[T] {
	ps := ParamSettings{Field: FieldName(name)}
	for _, o := range opts {
		o(&ps)
	}
	c := &Config{Name: name, Field: ps.Field, Path: path, Help: help, Parse: ps.Parse}
	if sf, ok := b.def.Field(ps.Field); ok {
		c.Type = sf.Type
	}
	b.def.Configs = append(b.def.Configs, c)
	return b
}

// Schedule runs the deployed flow on a cron schedule ("0 3 * * *") in the
// given IANA time zone ("" means UTC).
func (b *Builder[T]) Schedule(cron, timezone string) *Builder[T] {
	b.def.Schedule = &Schedule{Cron: cron, Timezone: timezone}
	return b
}

// Project groups deployments of the flow under a project name.
func (b *Builder[T]) Project(name string) *Builder[T] {
	b.def.Project = name
	return b
}

// Tags adds tags to every run of the flow.
func (b *Builder[T]) Tags(tags ...string) *Builder[T] {
	b.def.Tags = append(b.def.Tags, tags...)
	return b
}

// FieldName converts a parameter name such as "batch-size" or "alpha" to
// the CamelCase field name that receives it ("BatchSize", "Alpha").
func FieldName(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up {
			b.WriteString(strings.ToUpper(string(r)))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ParamSettings are the optional settings of a parameter or config.
type ParamSettings struct {
	Field    string
	Required bool
	Parse    Parser // configs only
}

// ParamOption sets an optional setting of a parameter or config.
type ParamOption func(*ParamSettings)

// StepOption is a per-step setting: a transition or an option.
type StepOption interface {
	ApplyStep(*Step) error
}

// StepOptionFunc adapts a function to a StepOption.
type StepOptionFunc func(*Step) error

// ApplyStep calls f.
func (f StepOptionFunc) ApplyStep(s *Step) error { return f(s) }

// SetTransition sets a step's transition; a second transition is an error.
func SetTransition(t Transition) StepOption {
	return StepOptionFunc(func(s *Step) error {
		if s.Transition.Kind != End {
			return fmt.Errorf("has two transitions (%s and %s); give each step exactly one", s.Transition.Kind, t.Kind)
		}
		s.Transition = t
		return nil
	})
}

// ApplyStep sets the step's retry policy.
func (r Retry) ApplyStep(s *Step) error {
	if s.Options.Retry != nil {
		return fmt.Errorf("has two Retry options; keep one")
	}
	s.Options.Retry = &r
	return nil
}

// WithBackoff returns the policy with each delay multiplied by factor
// after every retry.
func (r Retry) WithBackoff(factor float64) Retry {
	r.Backoff = factor
	return r
}

// ApplyStep sets the step's resources.
func (r Resources) ApplyStep(s *Step) error {
	if s.Options.Resources != (Resources{}) {
		return fmt.Errorf("has two Resources options; merge them into one")
	}
	s.Options.Resources = r
	return nil
}

// ApplyStep sets the step's AWS Batch settings.
func (b Batch) ApplyStep(s *Step) error {
	if !reflect.ValueOf(s.Options.Batch).IsZero() {
		return fmt.Errorf("has two Batch options; merge them into one")
	}
	s.Options.Batch = b
	return nil
}

// Env is a set of environment variables for a step's tasks.
type Env map[string]string

// ApplyStep adds the variables to the step's environment.
func (e Env) ApplyStep(s *Step) error {
	if s.Options.Env == nil {
		s.Options.Env = map[string]string{}
	}
	for k, v := range e {
		s.Options.Env[k] = v
	}
	return nil
}

// CatchOption records a step's failure in a field instead of failing the run.
type CatchOption string

// ApplyStep sets the catch field.
func (c CatchOption) ApplyStep(s *Step) error {
	if s.Options.Catch != "" {
		return fmt.Errorf("has two Catch options; keep one")
	}
	s.Options.Catch = string(c)
	return nil
}

// DropOption names fields a join drops on purpose.
type DropOption []string

// ApplyStep adds the fields to the step's drop list.
func (d DropOption) ApplyStep(s *Step) error {
	s.Options.Drop = append(s.Options.Drop, d...)
	return nil
}

// OnBatchOption makes a local run submit the step's tasks to AWS Batch.
type OnBatchOption struct{}

// ApplyStep marks the step.
func (OnBatchOption) ApplyStep(s *Step) error {
	s.Options.OnBatch = true
	return nil
}

// CacheOption makes a step's tasks reusable across runs (Options.Cache),
// with the given code version, or the binary's identity when empty.
type CacheOption string

// ApplyStep sets the step's cache.
func (v CacheOption) ApplyStep(s *Step) error {
	if s.Options.Cache != nil {
		return fmt.Errorf("has two Cache options; keep one")
	}
	if strings.TrimSpace(string(v)) != string(v) || strings.ContainsAny(string(v), "\n\r\x00") {
		return fmt.Errorf("has Cache(%q): a version has no surrounding spaces or control characters; give e.g. Cache(\"v3\")", string(v))
	}
	s.Options.Cache = &Cache{Version: string(v)}
	return nil
}

// TimeoutOption limits the duration of each attempt.
type TimeoutOption time.Duration

// ApplyStep sets the timeout.
func (t TimeoutOption) ApplyStep(s *Step) error {
	if s.Options.Timeout != 0 {
		return fmt.Errorf("has two Timeout options; keep one")
	}
	s.Options.Timeout = time.Duration(t)
	if t == 0 {
		return fmt.Errorf("has Timeout(0); remove it or give a positive duration")
	}
	return nil
}
