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
func TestMember_Clone(t *testing.T) {
	var m twinfed.Member
	fill(t, reflect.ValueOf(&m).Elem(), "Member")
	c := m.Clone()
	if !reflect.DeepEqual(c, &m) {
		t.Fatalf("the clone differs: %+v, want %+v", c, &m)
	}
	shared(t, reflect.ValueOf(m), reflect.ValueOf(*c), "Member")
}

// TestCountry_Clone is TestMember_Clone for Country.
func TestCountry_Clone(t *testing.T) {
	var co twinfed.Country
	fill(t, reflect.ValueOf(&co).Elem(), "Country")
	c := co.Clone()
	if !reflect.DeepEqual(c, &co) {
		t.Fatalf("the clone differs: %+v, want %+v", c, &co)
	}
	shared(t, reflect.ValueOf(co), reflect.ValueOf(*c), "Country")
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
