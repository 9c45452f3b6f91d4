package web

import "time"

// FormatDuration writes d in words in lang, with the language's plural
// forms (catalogue plural messages duration.days, duration.hours,
// duration.minutes, duration.seconds): "48 hours", "30 minutes", "2 days",
// "48 ore". It never shows Go's form ("48h0m0s").
//
// The unit is the one a reader expects: days from three days up, hours
// from two hours up (or any whole number of hours: "1 hour", "48 hours"),
// minutes below that, seconds below a minute. Days and hours are rounded
// to the nearest; minutes and seconds are rounded up, so that "try again in
// 5 minutes" is never too early.
func (c *Catalog) FormatDuration(lang string, d time.Duration) string {
	id, n := durationUnit(d)
	return c.TN(lang, id, n)
}

// durationUnit returns the plural message and the count of d.
func durationUnit(d time.Duration) (string, int) {
	const day = 24 * time.Hour
	switch {
	case d < 0:
		d = 0
	case d >= 3*day:
		return "duration.days", int((d + day/2) / day)
	case d >= 2*time.Hour || (d >= time.Hour && d%time.Hour == 0):
		return "duration.hours", int((d + time.Hour/2) / time.Hour)
	case d > 59*time.Second: // 59.5s is "1 minute", not "60 seconds"
		return "duration.minutes", int((d + time.Minute - 1) / time.Minute)
	}
	return "duration.seconds", int((d + time.Second - 1) / time.Second)
}

// Duration writes d in words in the page's language (FormatDuration), for
// templates: {{$.Duration .Wait}}.
func (p *Page) Duration(d time.Duration) string { return p.k.cat.FormatDuration(p.Lang, d) }
