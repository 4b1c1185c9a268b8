package stepflowtest

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/stepflow/stepflow/internal/artifact"
)

// vary sets v to a made-up value that is not zero (for a bool: true when
// i is odd) and differs for each i >= 1.
func (c *joinChecker) vary(v reflect.Value, i int) error {
	t := v.Type()
	switch {
	case t == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Add(time.Duration(i) * time.Hour)))
		return nil
	case artifact.IsFile(t):
		c.files++
		path := filepath.Join(c.dir, fmt.Sprintf("input-%d-%d", i, c.files))
		if err := os.WriteFile(path, []byte(fmt.Sprintf("stepflowtest.CheckJoins: made-up file %d\n", i)), 0o644); err != nil {
			return err
		}
		v.Addr().MethodByName("SetPath").Call([]reflect.Value{reflect.ValueOf(path)})
		return nil
	case artifact.IsLazy(t):
		set := v.Addr().MethodByName("Set")
		x := reflect.New(set.Type().In(0)).Elem()
		if err := c.vary(x, i); err != nil {
			return err
		}
		set.Call([]reflect.Value{x})
		return nil
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(i%2 == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(i*7 + 3))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		v.SetUint(uint64(i*7 + 3))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(i) + 0.5)
	case reflect.Complex64, reflect.Complex128:
		v.SetComplex(complex(float64(i)+0.5, 1))
	case reflect.String:
		v.SetString(fmt.Sprintf("stepflowtest-%d", i))
	case reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		for j := range 2 {
			if err := c.vary(s.Index(j), i*10+j); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Array:
		for j := range v.Len() {
			if err := c.vary(v.Index(j), i*10+j); err != nil {
				return err
			}
		}
	case reflect.Map:
		m := reflect.MakeMap(t)
		k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
		if err := c.vary(k, i); err != nil {
			return err
		}
		if err := c.vary(e, i); err != nil {
			return err
		}
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := c.vary(p.Elem(), i); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Struct:
		set := false
		for j := range t.NumField() {
			if !t.Field(j).IsExported() {
				continue
			}
			if err := c.vary(v.Field(j), i+j); err != nil {
				return err
			}
			set = true
		}
		if !set {
			return fmt.Errorf("CheckJoins cannot make up values of %s, which has no exported field", t)
		}
	case reflect.Interface:
		x := reflect.ValueOf(i*7 + 3)
		if !x.Type().AssignableTo(t) {
			return fmt.Errorf("CheckJoins cannot make up values of the interface %s", t)
		}
		v.Set(x)
	default:
		return fmt.Errorf("CheckJoins cannot make up values of %s", t)
	}
	return nil
}
