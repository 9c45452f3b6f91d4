package main

import "testing"

func TestDemoSchools_UniqueNationalNumbers(t *testing.T) {
	for _, dc := range demoCountries {
		seen := map[string]bool{}
		names := map[string]bool{}
		for _, s := range demoSchools(dc) {
			if seen[s.NationalNumber] {
				t.Fatalf("%s: national number %s twice", dc.Code, s.NationalNumber)
			}
			seen[s.NationalNumber] = true
			names[s.PublicName] = true
		}
		if len(seen) != demoSchoolsPerCountry || len(names) != demoSchoolsPerCountry {
			t.Fatalf("%s: %d numbers, %d names, want %d distinct", dc.Code, len(seen), len(names), demoSchoolsPerCountry)
		}
	}
}
