package stepflow

import "sort"

func sortedCaseValues(c Cases) []string {
	vs := make([]string, 0, len(c))
	for v := range c {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	return vs
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
