package twinfed

import (
	_ "embed"
	"encoding/csv"
	"slices"
	"strings"
	"time"
)

// Country groups of the programme.
const (
	GroupEU            = "eu"            // EU member states
	GroupProgramme     = "programme"     // other Erasmus+ programme countries
	GroupNeighbourhood = "neighbourhood" // European Neighbourhood countries (formerly eTwinning Plus)
)

// Country is a participating country as the registry holds it: its agency
// and the national node that speaks for it. A country that left the programme
// stays with Active false, so that its history is kept.
type Country struct {
	Code    string    `json:"code"` // ISO 3166-1 alpha-2 as the programme uses it (EL is written GR, XK for Kosovo)
	Name    string    `json:"name"`
	Group   string    `json:"group"`
	Active  bool      `json:"active"`
	Agency  string    `json:"agency,omitempty"`   // the national support organisation's name
	NodeURL string    `json:"node_url,omitempty"` // base URL of the national node, e.g. https://it.example.eu
	Keys    []NodeKey `json:"keys,omitempty"`     // keys allowed to sign for the node; several during a rotation
	Updated time.Time `json:"updated,omitzero"`
	// Version changes at every change of the record (the registry's Raft
	// index of the change); a conditional write names the version it read.
	Version uint64 `json:"version,omitempty"`
}

// Clone returns a copy of c with a list of keys of its own, so that
// changing the copy changes nothing of c (TestCountry_Clone checks every
// field).
func (c *Country) Clone() *Country {
	cp := *c
	cp.Keys = slices.Clone(c.Keys)
	return &cp
}

// NodeKey is a public key a national node signs with.
type NodeKey struct {
	ID        string    `json:"id"`        // opaque key id chosen by the node, unique within its country
	Algorithm string    `json:"algorithm"` // KeyEd25519 or KeyRSA
	PublicPEM string    `json:"public_pem"`
	Added     time.Time `json:"added,omitzero"`
}

// Key algorithms.
const (
	KeyEd25519 = "ed25519"
	KeyRSA     = "rsa"
)

//go:embed countries.csv
var countriesCSV string

// SeedCountries returns the 46 countries of the current programme, active,
// with no node yet. The registry loads them at bootstrap.
func SeedCountries() []Country {
	rows, err := csv.NewReader(strings.NewReader(countriesCSV)).ReadAll()
	if err != nil {
		panic("twinfed: embedded countries.csv: " + err.Error())
	}
	out := make([]Country, 0, len(rows)-1)
	for _, r := range rows[1:] {
		out = append(out, Country{Code: r[0], Name: r[1], Group: r[2], Active: true})
	}
	return out
}

// ValidCountryCode reports whether code is one of the seeded countries.
func ValidCountryCode(code string) bool {
	for _, c := range SeedCountries() {
		if c.Code == code {
			return true
		}
	}
	return false
}
