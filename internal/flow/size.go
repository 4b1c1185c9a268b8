package flow

import (
	"fmt"
	"strconv"
	"strings"
)

var sizeUnits = []struct {
	suffix string
	bytes  float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
}

// ParseMiB parses a size such as "512MiB", "8GiB", "2GB" or a plain number
// of MiB, and returns it in whole MiB, rounded up.
func ParseMiB(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := float64(1 << 20)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			mult = u.bytes
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || t == "" {
		return 0, fmt.Errorf("size %q is not a number with an optional unit (e.g. 512MiB, 8GiB, 4096)", s)
	}
	b := n * mult
	mib := int64(b / (1 << 20))
	if float64(mib)*(1<<20) < b {
		mib++
	}
	return mib, nil
}
