package consensus

import (
	"reflect"
	"testing"

	"github.com/twinfed/twinfed"
)

// TestCountryCache_Clone checks that cloneCountry copies every field of
// twinfed.Country that could share memory (a slice, a map, a pointer): a
// field added to it that the clone does not copy fails here.
func TestCountryCache_Clone(t *testing.T) {
	copied := map[string]bool{"Keys": true}
	ty := reflect.TypeFor[twinfed.Country]()
	for i := range ty.NumField() {
		f := ty.Field(i)
		switch f.Type.Kind() {
		case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
			if !copied[f.Name] {
				t.Errorf("twinfed.Country.%s (a %s) is not copied by cloneCountry", f.Name, f.Type.Kind())
			}
		}
	}
	co := &twinfed.Country{Code: "IT", Keys: []twinfed.NodeKey{{ID: "k1"}}}
	c := cloneCountry(co)
	c.Keys[0].ID = "changed"
	if co.Keys[0].ID != "k1" {
		t.Fatal("the clone shares the country's keys")
	}
}
