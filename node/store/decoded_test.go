package store

import (
	"reflect"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// TestDecoded_CopiesAndChanges checks that Decoded hands out copies (a
// caller changing what it got changes neither the record nor what the
// next reader gets), follows every change of the record, a record written
// back to an earlier state included, and says ENOTFOUND once the record
// is gone.
func TestDecoded_CopiesAndChanges(t *testing.T) {
	st, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var d Decoded[twinfed.Member]
	const key = PrefixMember + "anna"
	put := func(m *twinfed.Member) {
		t.Helper()
		if err := st.Update(func(txn *badger.Txn) error { return SetJSON(txn, key, m) }); err != nil {
			t.Fatal(err)
		}
	}
	get := func() (*twinfed.Member, error) {
		var m *twinfed.Member
		err := st.View(func(txn *badger.Txn) (err error) { m, err = d.Get(txn, key, (*twinfed.Member).Clone); return })
		return m, err
	}
	first := &twinfed.Member{Username: "anna", FirstName: "Anna", LastName: "Rossi", Country: "IT",
		Languages: []string{"it", "en"}, Schools: []twinfed.MemberSchool{{Name: "Liceo Galilei"}}}
	put(first)
	for range 3 { // a decoding, then the kept decoding twice
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
	if err := st.Update(func(txn *badger.Txn) error { return txn.Delete([]byte(key)) }); err != nil {
		t.Fatal(err)
	}
	if m, err := get(); twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
		t.Fatalf("after the deletion: %+v, %v; want ENOTFOUND", m, err)
	}
}
