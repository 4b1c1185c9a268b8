package stepflow

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// MergeArtifacts sets each artifact (exported field) of dst to the value its
// join inputs agree on. Fields named in exclude are left alone. When inputs
// disagree on other fields, it still merges every field they agree on and
// returns an error naming each conflicting field, so a join can decide
// (set them itself, or exclude them).
//
// A join's state already starts with the artifacts its inputs share
// unchanged (by content hash); MergeArtifacts also merges values that are
// equal but were computed separately in each branch.
func MergeArtifacts[T any](dst *T, inputs []*T, exclude ...string) error {
	if len(inputs) == 0 {
		return nil
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	var conflicts []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || slices.Contains(exclude, f.Name) {
			continue
		}
		first := reflect.ValueOf(inputs[0]).Elem().Field(i)
		agree := true
		for _, in := range inputs[1:] {
			if !reflect.DeepEqual(first.Interface(), reflect.ValueOf(in).Elem().Field(i).Interface()) {
				agree = false
				break
			}
		}
		if !agree {
			conflicts = append(conflicts, f.Name)
			continue
		}
		v.Field(i).Set(first)
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("merge artifacts: the join's inputs disagree on %s; set them in the join, or pass them to MergeArtifacts as exclude",
			strings.Join(conflicts, ", "))
	}
	return nil
}
