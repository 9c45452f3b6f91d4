package account

import (
	"reflect"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/store"
)

// TestMemberCache_CopiesAndChanges checks that MemberIn's cache hands out
// copies (a caller changing what it got changes neither the record nor
// what the next reader gets), follows every change of the record, a
// record written back to an earlier state included, and says ENOTFOUND
// once the record is gone.
func TestMemberCache_CopiesAndChanges(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var c memberCache
	put := func(m *twinfed.Member) {
		t.Helper()
		if err := st.Update(func(txn *badger.Txn) error { return store.SetJSON(txn, store.PrefixMember+m.Username, m) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func() (*twinfed.Member, error) {
		var m *twinfed.Member
		err := st.View(func(txn *badger.Txn) (err error) { m, err = c.load(txn, "anna"); return })
		return m, err
	}
	first := &twinfed.Member{Username: "anna", FirstName: "Anna", LastName: "Rossi", Country: "IT",
		Languages: []string{"it", "en"}, Schools: []twinfed.MemberSchool{{Name: "Liceo Galilei"}}}
	put(first)
	for range 3 { // a decoding, then the cache twice
		m, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(m, first) {
			t.Fatalf("got %+v, want %+v", m, first)
		}
		m.FirstName, m.Languages[0], m.Schools[0].Name = "changed", "changed", "changed"
	}
	second := *first
	second.LastName, second.Languages = "Bianchi", []string{"fr"}
	put(&second)
	if m, _ := get(); m == nil || m.LastName != "Bianchi" || !reflect.DeepEqual(m.Languages, []string{"fr"}) {
		t.Fatalf("after a change: %+v, want Bianchi speaking fr", m)
	}
	put(first) // as a restore would put it back
	if m, _ := get(); !reflect.DeepEqual(m, first) {
		t.Fatalf("after the record went back: %+v, want %+v", m, first)
	}
	if err := st.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(store.PrefixMember + "anna")) }); err != nil {
		t.Fatal(err)
	}
	if m, err := get(); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("after the deletion: %+v, %v; want ENOTFOUND", m, err)
	}
}

// TestCloneMember checks that a clone shares no slice, map or pointer
// with the member it copies, every field set: a field added to
// twinfed.Member that cloneMember does not copy fails here.
func TestCloneMember(t *testing.T) {
	var m twinfed.Member
	fill(t, reflect.ValueOf(&m).Elem(), "Member")
	c := cloneMember(&m)
	if !reflect.DeepEqual(c, &m) {
		t.Fatalf("the clone differs: %+v, want %+v", c, &m)
	}
	shared(t, reflect.ValueOf(m), reflect.ValueOf(*c), "Member")
}

// fill sets every field under v to a value that is not its zero (a slice
// of one element).
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
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(t, v.Index(0), path+"[0]")
	default:
		t.Fatalf("%s: a %s, which the test does not fill (and cloneMember may not copy)", path, v.Kind())
	}
}

// shared fails for each slice under a and b (the same type) that shares
// its elements.
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
			t.Errorf("%s: the clone shares the member's slice", path)
		}
		for i := range a.Len() {
			shared(t, a.Index(i), b.Index(i), path+"["+string(rune('0'+i))+"]")
		}
	}
}
