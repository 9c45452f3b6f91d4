package web

import (
	"net/http"
	"slices"
)

// LanguageRow is one line of the languages page.
type LanguageRow struct {
	Code    string
	Dir     string // its text direction, for the endonym's dir attribute
	Endonym string // its name in itself
	Exists  bool   // it has a catalogue
	Percent int    // how much of English it translates
	Offered bool   // this node offers it
}

// languagesPage is /languages, public: each of the 36 UI languages, its
// name in itself and in the reader's language, how complete its
// catalogue is (Catalog.Audit) and whether this node offers it.
func (k *Kit) languagesPage(w http.ResponseWriter, r *http.Request) {
	p := k.NewPage(w, r, "title.languages")
	var rows []LanguageRow
	for _, st := range k.cat.Audit() {
		rows = append(rows, LanguageRow{Code: st.Lang, Dir: k.cat.Dir(st.Lang), Endonym: Endonym(st.Lang), Exists: st.Exists,
			Percent: st.Percent(), Offered: slices.Contains(k.cat.Languages(), st.Lang)})
	}
	p.Data = rows
	k.Render(w, http.StatusOK, "languages", p)
}
