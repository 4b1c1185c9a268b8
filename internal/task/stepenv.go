package task

import "os"

// SetEnv sets a step's Env option in this process, for a step run
// in-process, and returns the function that restores every variable as it
// was (unset again where it was unset).
func SetEnv(env map[string]string) (restore func()) {
	type prior struct {
		v   string
		had bool
	}
	old := map[string]prior{}
	for k, v := range env {
		o, had := os.LookupEnv(k)
		old[k] = prior{o, had}
		os.Setenv(k, v)
	}
	return func() {
		for k, p := range old {
			if p.had {
				os.Setenv(k, p.v)
			} else {
				os.Unsetenv(k)
			}
		}
	}
}
