package twinfed

import (
	"testing"
	_ "time/tzdata"

	"time"
)

func TestCountryZone_EveryCountry(t *testing.T) {
	for _, c := range SeedCountries() {
		z, ok := CountryZone(c.Code)
		if !ok {
			t.Errorf("%s (%s) has no time zone", c.Code, c.Name)
			continue
		}
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("%s: zone %s: %v", c.Code, z, err)
		}
		if !ValidTimeZone(z) {
			t.Errorf("%s: zone %s is not offered to members", c.Code, z)
		}
	}
	if _, ok := CountryZone("US"); ok {
		t.Error("US has a zone but is not a participating country")
	}
	if ValidTimeZone("America/New_York") || ValidTimeZone("") || ValidTimeZone("Local") {
		t.Error("a zone outside the list is valid")
	}
	for _, z := range TimeZones() {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("offered zone %s: %v", z, err)
		}
	}
}
