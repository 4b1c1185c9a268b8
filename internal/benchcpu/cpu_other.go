//go:build !unix

package benchcpu

import (
	"testing"
	"time"
)

func cpuTime(*testing.B) (time.Duration, bool) { return 0, false }
