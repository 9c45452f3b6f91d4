// Package eventical writes events as iCalendar (RFC 5545): one file per
// event and a member's feed (node/event). Times are written in the
// programme's zone (TZID=Europe/Brussels) with its VTIMEZONE, so that
// calendar applications show them in their own zone.
package eventical

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

// vtimezone is Europe/Brussels' rule since 1996: CET, CEST from the last
// Sunday of March to the last Sunday of October.
const vtimezone = "BEGIN:VTIMEZONE\r\nTZID:" + twinfed.ProgrammeZone + "\r\n" +
	"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n" +
	"END:VTIMEZONE\r\n"

// Write writes events as one iCalendar document stamped at now; cet is
// the programme's zone (twinfed.ProgrammeZone).
func Write(events []*twinfed.Event, now time.Time, cet *time.Location) []byte {
	var b bytes.Buffer
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Twinfed//Events//EN\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n")
	b.WriteString(vtimezone)
	stamp := now.UTC().Format("20060102T150405Z")
	for _, e := range events {
		b.WriteString("BEGIN:VEVENT\r\n")
		line(&b, "UID", e.ID)
		line(&b, "DTSTAMP", stamp)
		b.WriteString("DTSTART;TZID=" + twinfed.ProgrammeZone + ":" + e.Start.In(cet).Format("20060102T150405") + "\r\n")
		b.WriteString("DTEND;TZID=" + twinfed.ProgrammeZone + ":" + e.End().In(cet).Format("20060102T150405") + "\r\n")
		line(&b, "SUMMARY", escape(e.Title))
		if e.Description != "" {
			line(&b, "DESCRIPTION", escape(e.Description))
		}
		if e.Place != "" {
			line(&b, "LOCATION", escape(e.Place))
		}
		line(&b, "URL", e.ID)
		line(&b, "ORGANIZER;CN="+paramValue(e.OrgName), e.Organiser)
		line(&b, "SEQUENCE", fmt.Sprint(e.Version)) // bumped by each change
		if e.Cancelled {
			b.WriteString("STATUS:CANCELLED\r\n")
		}
		b.WriteString("END:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.Bytes()
}

// line writes a content line, folded at 75 octets (RFC 5545 3.1).
func line(b *bytes.Buffer, name, value string) {
	l := name + ":" + value
	for len(l) > 75 {
		cut := 75
		for cut > 1 && (l[cut]&0xC0) == 0x80 { // never inside a UTF-8 sequence
			cut--
		}
		b.WriteString(l[:cut] + "\r\n ")
		l = l[cut:]
	}
	b.WriteString(l + "\r\n")
}

// escape escapes a TEXT value (RFC 5545 3.3.11).
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// paramValue quotes a parameter value, dropping what a quoted one cannot hold.
func paramValue(s string) string {
	return `"` + strings.NewReplacer(`"`, "", "\r", "", "\n", "").Replace(s) + `"`
}
