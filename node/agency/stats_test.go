package agency

import (
	"fmt"
	"testing"
	"time"
)

// A week is shown as the date of its Monday (ISO 8601 weeks).
func TestWeekCount_Monday(t *testing.T) {
	for y := time.Now().Year() - 1; y <= time.Now().Year()+5; y++ {
		for _, d := range []time.Time{time.Date(y, time.January, 1, 9, 0, 0, 0, time.UTC), time.Date(y, time.June, 17, 9, 0, 0, 0, time.UTC), time.Date(y, time.December, 31, 9, 0, 0, 0, time.UTC)} {
			year, week := d.ISOWeek()
			m := WeekCount{Week: fmt.Sprintf("%d-W%02d", year, week)}.Monday()
			if m.Weekday() != time.Monday {
				t.Fatalf("%s: Monday() is a %s", d.Format("2006-01-02"), m.Weekday())
			}
			if my, mw := m.ISOWeek(); my != year || mw != week {
				t.Fatalf("%s (week %d-W%d): Monday() %s is in week %d-W%d", d.Format("2006-01-02"), year, week, m.Format("2006-01-02"), my, mw)
			}
		}
	}
	if !(WeekCount{Week: "garbage"}).Monday().IsZero() || !(WeekCount{Week: "2026-W60"}).Monday().IsZero() {
		t.Fatal("an unreadable week has a Monday")
	}
}
