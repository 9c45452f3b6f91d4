package twinfed_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestMember_Clone checks that a clone of a member with every field set
// is equal to it and shares none of its slices: a field added to Member
// that Clone does not copy fails here.
func TestMember_Clone(t *testing.T) { checkClone(t, "Member", (*twinfed.Member).Clone) }

// TestCountry_Clone is TestMember_Clone for Country.
func TestCountry_Clone(t *testing.T) { checkClone(t, "Country", (*twinfed.Country).Clone) }

// checkClone fills every field of a T (named name), clones it and checks
// that the clone is equal to it and shares none of its slices.
func checkClone[T any](t *testing.T, name string, clone func(*T) *T) {
	t.Helper()
	var v T
	fill(t, reflect.ValueOf(&v).Elem(), name)
	c := clone(&v)
	if !reflect.DeepEqual(c, &v) {
		t.Fatalf("the clone differs: %+v, want %+v", c, &v)
	}
	shared(t, reflect.ValueOf(v), reflect.ValueOf(*c), name)
}

// fill sets every field under v to a value that is not its zero (a slice
// of one element); a kind it does not know (a map, a pointer) fails.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Now()))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint64:
		v.SetUint(7)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	default:
		t.Fatalf("%s: a %s, which the test does not fill (and Clone may not copy)", path, v.Kind())
	}
}

// shared fails for each slice under a and b (of one type) whose elements
// they share.
func shared(t *testing.T, a, b reflect.Value, path string) {
	t.Helper()
	switch {
	case a.Type() == reflect.TypeFor[time.Time]():
	case a.Kind() == reflect.Struct:
		for i := range a.NumField() {
			shared(t, a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name)
		}
	case a.Kind() == reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: the clone shares the original's slice", path)
		}
		for i := range a.Len() {
			shared(t, a.Index(i), b.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
	}
}
