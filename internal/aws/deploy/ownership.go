package deploy

import "strings"

// checkOwner is the one ownership check of every command that changes a
// deployment: create (on the first lookup, and again after losing a
// creation race), delete, terminate and resume. It refuses a state machine
// that Stepflow did not create (no flow tag), one that belongs to another
// flow, and a production deployment of another owner without its token
// (--authorize, or the token cached by this user's own deploy), and one
// deployed with another name prefix, project or branch whose name happens
// to be the same (scope, statemachine.MachineScope). d nil (no
// such machine) passes. doing names the action for messages ("redeploy",
// "delete").
//
// This guards against accidents: two users or two branches deploying
// under one name, a typo in --name-prefix, a machine that someone made by
// hand. The owner tag is a user name, which anyone can claim; IAM is the
// security boundary (docs/deploy.md).
func checkOwner(d *Deployment, flow, scope, user, given, cached, doing string) error {
	if d == nil {
		return nil
	}
	if d.Flow == "" {
		return userf("a state machine named %s exists and was not deployed by Stepflow (it has no %s tag); Stepflow will not %s it: choose another name with --branch or --name-prefix",
			d.Name, TagFlow, doing)
	}
	if d.Flow != flow {
		return userf("state machine %s belongs to flow %s, not %s; Stepflow will not %s it: choose another name with --branch or --name-prefix",
			d.Name, d.Flow, flow, doing)
	}
	if have := d.Tags[TagScope]; have != "" && have != scope {
		// Machines deployed before the scope tag have none; a redeploy
		// adds it.
		return userf("state machine %s is the deployment of flow %s with %s, and this command names it with %s: the two names coincide; Stepflow will not %s it: choose another name with --branch or --name-prefix",
			d.Name, d.Flow, describeScope(have), describeScope(scope), doing)
	}
	return authorize(d, user, given, cached, doing)
}

// describeScope says in words what a statemachine.MachineScope holds:
// "project a, no branch, no name prefix".
func describeScope(scope string) string {
	var parts []string
	for _, f := range strings.Fields(scope) {
		k, v, _ := strings.Cut(f, "=")
		if k == "prefix" {
			k = "name prefix"
		}
		if v == "" {
			parts = append(parts, "no "+k)
		} else {
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}
