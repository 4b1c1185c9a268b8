package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"time"
)

// Fingerprint returns a hash of everything the linter and the runtime read
// from the definition: the flow's name and settings, its state struct's
// fields and their types, each step's name, kind, transition and options,
// the parameters and configs, and the mistakes recorded while it was
// declared. Two binaries built from the same flow code give the same
// fingerprint. The local runtime passes the fingerprint of the definition
// it checked to every task, so a task process trusts that check instead of
// repeating it, and refuses to run when its own definition differs (a
// binary rebuilt after the run started).
//
// Every task process computes it once, so it is written field by field,
// without fmt or reflection, whose first use in a process cost more than
// the rest of it; TestFingerprintCoversOptions makes sure no option is
// left out.
func (f *Flow) Fingerprint() string {
	// One allocation for the text of a flow of a few dozen steps, not a
	// dozen growing ones (each size class a fresh span, each span pages
	// the process has not touched yet).
	c := canonical{b: make([]byte, 0, 8<<10)}
	c.str("flow", f.Name)
	c.str("project", f.Project)
	c.strs("tags", f.Tags)
	c.secrets(f.Secrets)
	c.bool("on finish", f.OnFinish != nil)
	if s := f.Schedule; s != nil {
		c.str("schedule", s.Cron)
		c.str("timezone", s.Timezone)
	}
	if t := f.StateType; t != nil {
		c.str("state", t.String())
		c.str("kind", t.Kind().String())
		for _, sf := range f.Fields() {
			c.str("field", sf.Name)
			c.str("type", sf.Type.String())
			c.str("tag", string(sf.Tag))
		}
	}
	for _, err := range f.Errors {
		c.str("error", err.Error())
	}
	for _, s := range f.Steps {
		c.step(s)
	}
	for _, p := range f.Params {
		c.str("param", p.Name)
		c.str("field", p.Field)
		c.str("help", p.Help)
		c.int("kind", int64(p.Kind))
		c.str("type", typeName(p.Type))
		c.bool("required", p.Required)
		c.str("default", literal(p.Default))
		if p.Kind == File {
			c.str("path", p.Path)
		}
	}
	for _, cf := range f.Configs {
		c.str("config", cf.Name)
		c.str("field", cf.Field)
		c.str("path", cf.Path)
		c.str("help", cf.Help)
		c.str("type", typeName(cf.Type))
		c.bool("parser", cf.Parse != nil)
	}
	sum := sha256.Sum256(c.b)
	return hex.EncodeToString(sum[:16])
}

// step writes everything of a step but its function, of which only
// whether it is set.
func (c *canonical) step(s *Step) {
	c.str("step", s.Name)
	c.bool("func", s.Func != nil)
	c.bool("join", s.IsJoin)
	t := s.Transition
	c.int("transition", int64(t.Kind))
	c.strs("targets", t.Targets)
	c.str("on", t.Field)
	for _, k := range t.Cases {
		c.str("case", k.Value)
		c.str("target", k.Target)
	}
	o := s.Options
	if r := o.Retry; r != nil {
		c.int("retry", int64(r.Times))
		c.int("delay", int64(r.Delay))
		c.float("backoff", r.Backoff)
	}
	c.str("catch", o.Catch)
	c.int("timeout", int64(o.Timeout))
	c.strMap("env", o.Env)
	r := o.Resources
	c.float("cpu", r.CPU)
	c.str("memory", r.Memory)
	c.int("gpu", int64(r.GPU))
	c.str("shm", r.SharedMemory)
	c.str("disk", r.Disk)
	b := o.Batch
	c.str("image", b.Image)
	c.str("queue", b.Queue)
	c.str("job role", b.JobRole)
	c.str("execution role", b.ExecutionRole)
	c.str("platform", b.Platform)
	for _, m := range b.Tmpfs {
		c.str("tmpfs", m.Path)
		c.str("size", m.Size)
		c.strs("opts", m.Opts)
	}
	for _, v := range b.EFS {
		c.str("efs", v.FileSystemID)
		c.str("path", v.Path)
		c.str("root", v.RootDir)
		c.bool("ro", v.ReadOnly)
	}
	for _, v := range b.HostVolumes {
		c.str("host", v.HostPath)
		c.str("path", v.Path)
		c.bool("ro", v.ReadOnly)
	}
	c.str("swap", b.Swap)
	if b.Swappiness != nil {
		c.int("swappiness", int64(*b.Swappiness))
	}
	c.str("log driver", b.LogDriver)
	c.strMap("log options", b.LogOptions)
	c.strMap("batch tags", b.Tags)
	c.int("inferentia", int64(b.Inferentia))
	c.int("trainium", int64(b.Trainium))
	c.int("efa", int64(b.EFA))
	c.bool("privileged", b.Privileged)
	c.strs("drop", o.Drop)
	c.secrets(o.Secrets)
	if o.OnBatch { // written only when set: older fingerprints stay as they were
		c.bool("on batch", true)
	}
	if k := o.Cache; k != nil {
		c.str("cache", k.Version)
	}
}

// secrets adds secret declarations (names and ARNs: no value is known).
func (c *canonical) secrets(secrets []Secret) {
	for _, s := range secrets {
		c.str("secret", s.Name)
		c.str("arn", s.ARN)
	}
}

// literal is a parameter default with its type: the common kinds without
// fmt, any other as %T %#v.
func literal(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case string:
		return "string " + strconv.Quote(v)
	case int:
		return "int " + strconv.Itoa(v)
	case int64:
		return "int64 " + strconv.FormatInt(v, 10)
	case float64:
		return "float64 " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "bool " + strconv.FormatBool(v)
	case time.Duration:
		return "duration " + strconv.FormatInt(int64(v), 10)
	}
	return fmt.Sprintf("%T %#v", v, v)
}

// canonical is an unambiguous text of a definition: one labelled value a
// line, every string quoted, so two different definitions never give the
// same text.
type canonical struct{ b []byte }

func (c *canonical) label(l string) {
	c.b = append(c.b, l...)
	c.b = append(c.b, ' ')
}

func (c *canonical) str(l, s string) {
	c.label(l)
	c.b = append(strconv.AppendQuote(c.b, s), '\n')
}

func (c *canonical) strs(l string, ss []string) {
	c.label(l)
	c.b = strconv.AppendInt(c.b, int64(len(ss)), 10)
	for _, s := range ss {
		c.b = strconv.AppendQuote(append(c.b, ' '), s)
	}
	c.b = append(c.b, '\n')
}

// strMap writes m in the order of its keys.
func (c *canonical) strMap(l string, m map[string]string) {
	c.label(l)
	c.b = strconv.AppendInt(c.b, int64(len(m)), 10)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		c.b = strconv.AppendQuote(append(c.b, ' '), k)
		c.b = strconv.AppendQuote(append(c.b, '='), m[k])
	}
	c.b = append(c.b, '\n')
}

func (c *canonical) int(l string, n int64) {
	c.label(l)
	c.b = append(strconv.AppendInt(c.b, n, 10), '\n')
}

func (c *canonical) float(l string, x float64) {
	c.label(l)
	c.b = append(strconv.AppendFloat(c.b, x, 'g', -1, 64), '\n')
}

func (c *canonical) bool(l string, v bool) {
	c.label(l)
	c.b = append(strconv.AppendBool(c.b, v), '\n')
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.String()
}
