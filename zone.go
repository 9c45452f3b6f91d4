package twinfed

import (
	"slices"
	"sort"
)

// countryZones is the IANA time zone of each participating country
// (countries.csv): the zone of its capital, which is the zone a node shows
// its times in by default. Countries spanning several zones (Portugal's
// islands, Spain's Canaries) use the capital's; their members choose their
// own (TimeZones).
var countryZones = map[string]string{
	"AT": "Europe/Vienna", "BE": "Europe/Brussels", "BG": "Europe/Sofia", "CY": "Asia/Nicosia",
	"CZ": "Europe/Prague", "DE": "Europe/Berlin", "DK": "Europe/Copenhagen", "EE": "Europe/Tallinn",
	"ES": "Europe/Madrid", "FI": "Europe/Helsinki", "FR": "Europe/Paris", "GR": "Europe/Athens",
	"HR": "Europe/Zagreb", "HU": "Europe/Budapest", "IE": "Europe/Dublin", "IT": "Europe/Rome",
	"LT": "Europe/Vilnius", "LU": "Europe/Luxembourg", "LV": "Europe/Riga", "MT": "Europe/Malta",
	"NL": "Europe/Amsterdam", "PL": "Europe/Warsaw", "PT": "Europe/Lisbon", "RO": "Europe/Bucharest",
	"SE": "Europe/Stockholm", "SI": "Europe/Ljubljana", "SK": "Europe/Bratislava",
	"AL": "Europe/Tirane", "BA": "Europe/Sarajevo", "XK": "Europe/Belgrade", "MK": "Europe/Skopje",
	"ME": "Europe/Podgorica", "LI": "Europe/Vaduz", "IS": "Atlantic/Reykjavik", "NO": "Europe/Oslo",
	"RS": "Europe/Belgrade", "TR": "Europe/Istanbul",
	"AM": "Asia/Yerevan", "AZ": "Asia/Baku", "GE": "Asia/Tbilisi", "JO": "Asia/Amman",
	"LB": "Asia/Beirut", "MD": "Europe/Chisinau", "PS": "Asia/Hebron", "TN": "Africa/Tunis",
	"UA": "Europe/Kyiv",
}

// otherZones are the zones members of the participating countries live in
// besides their capitals'.
var otherZones = []string{"Atlantic/Azores", "Atlantic/Canary", "Atlantic/Madeira", "Asia/Gaza"}

// CountryZone returns the IANA time zone of a participating country's
// capital; ok false for a code that is not one of countries.csv.
func CountryZone(code string) (zone string, ok bool) {
	zone, ok = countryZones[code]
	return zone, ok
}

// TimeZones lists the zones a member may choose for their times, sorted:
// the participating countries' zones and their islands'.
func TimeZones() []string {
	out := slices.Clone(otherZones)
	for _, z := range countryZones {
		if !slices.Contains(out, z) {
			out = append(out, z)
		}
	}
	sort.Strings(out)
	return out
}

// ValidTimeZone reports whether zone is one of TimeZones.
func ValidTimeZone(zone string) bool { return slices.Contains(TimeZones(), zone) }
