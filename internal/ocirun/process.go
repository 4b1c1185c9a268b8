package ocirun

import (
	"errors"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultPath is the PATH a container gets when neither its image nor its
// job sets one: Docker's.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Process is what a container runs, worked out by Docker's rules from the
// image's config and the job's command and environment.
type Process struct {
	// Args is the argument vector. Args[0] is the executable: a name
	// without a slash is looked up in the container's PATH.
	Args []string
	// Env is the environment, before HOME, which comes with the user.
	Env []string
	// Dir is the working directory, absolute.
	Dir string
	// User is the image's User: "", a user name or uid, optionally with
	// ":" and a group name or gid (see LookupUser).
	User string
}

// NewProcess applies Docker's rules to the image's config cfg and the
// job's command and environment env (NAME=value entries):
//
//   - a non-empty command replaces the image's Cmd, never its Entrypoint:
//     the arguments are Entrypoint + command; an empty one keeps Cmd,
//     Entrypoint + Cmd; with no Entrypoint the command (or Cmd) is all;
//   - the image's Env applies, and env wins variable by variable; PATH
//     is DefaultPath when neither sets it;
//   - the working directory is the image's WorkingDir, or /;
//   - the user is the image's User.
func NewProcess(cfg v1.Config, command, env []string) (*Process, error) {
	args := append([]string{}, cfg.Entrypoint...)
	if len(command) > 0 {
		args = append(args, command...)
	} else {
		args = append(args, cfg.Cmd...)
	}
	if len(args) == 0 {
		return nil, errors.New("no command specified: the image has no Entrypoint or Cmd, and the job no command")
	}
	if args[0] == "" {
		return nil, errors.New("the command's executable is an empty string")
	}
	dir := cfg.WorkingDir
	if dir == "" {
		dir = "/"
	}
	if !path.IsAbs(dir) {
		return nil, fmt.Errorf("the image's working directory %q is invalid, it needs to be an absolute path", dir)
	}
	merged := mergeEnv(cfg.Env, env)
	if _, ok := lookupEnv(merged, "PATH"); !ok {
		merged = append(merged, "PATH="+DefaultPath)
	}
	return &Process{Args: args, Env: merged, Dir: path.Clean(dir), User: cfg.User}, nil
}

// mergeEnv is base with each variable of over set: replaced where base has
// it, appended where not. Within over, a later entry wins.
func mergeEnv(base, over []string) []string {
	out := append([]string{}, base...)
	at := map[string]int{}
	for i, kv := range out {
		at[envName(kv)] = i
	}
	for _, kv := range over {
		k := envName(kv)
		if i, ok := at[k]; ok {
			out[i] = kv
			continue
		}
		at[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// lookupEnv returns the value of the variable name in env.
func lookupEnv(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if envName(env[i]) == name {
			_, v, _ := strings.Cut(env[i], "=")
			return v, true
		}
	}
	return "", false
}

// envName is the name of a NAME=value entry.
func envName(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	return k
}
