package flow

import (
	"fmt"
	"slices"
	"strings"
)

// secrets are the values of the secrets a task may read.
type secrets struct {
	declared []Secret
	values   map[string]string
}

// SetSecrets gives the Context the secrets its step declared and their
// values, which the task fetched before the step started.
func (c *Context) SetSecrets(declared []Secret, values map[string]string) {
	c.secrets = secrets{declared: declared, values: values}
}

// Secret returns the value of the secret name, which the step or its flow
// declares with stepflow.Secrets. A name it does not declare is an error
// that lists those it does.
func (c *Context) Secret(name string) (string, error) {
	if v, ok := c.secrets.values[name]; ok {
		return v, nil
	}
	var names []string
	for _, s := range c.secrets.declared {
		names = append(names, s.Name)
	}
	slices.Sort(names)
	have := "it declares none"
	if len(names) > 0 {
		have = "it declares " + strings.Join(names, ", ")
	}
	if c.info.Test {
		return "", fmt.Errorf("secret %q is not in this test Context (%s); give it with stepflowtest.Secret(%q, VALUE)", name, have, name)
	}
	return "", fmt.Errorf("step %s reads secret %q, which neither it nor its flow declares (%s); declare it with stepflow.Secrets(%q, ARN) on the step or the flow", c.info.Step, name, have, name)
}
