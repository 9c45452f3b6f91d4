package agency

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Stats are the agency's statistics.
type Stats struct {
	ByStatus map[string]int `json:"by_status"`
	ByRegion map[string]int `json:"by_region"` // validated and pending members, by main school's region
	ByLevel  map[string]int `json:"by_level"`  // same, by main school's level
	PerWeek  []WeekCount    `json:"registrations_per_week"`
	Schools  map[string]int `json:"school_proposals_by_status"`
}

// WeekCount is the number of registrations submitted in an ISO week.
type WeekCount struct {
	Week  string `json:"week"` // e.g. 2026-W47
	Count int    `json:"count"`
}

// Monday is the first day of the week (UTC), for pages to write as a
// date in the reader's language; zero when Week cannot be read.
func (w WeekCount) Monday() time.Time {
	var year, week int
	if _, err := fmt.Sscanf(w.Week, "%d-W%d", &year, &week); err != nil || week < 1 || week > 53 {
		return time.Time{}
	}
	// 4 January is always in week 1 (ISO 8601).
	jan4 := time.Date(year, time.January, 4, 12, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday()) + 6) % 7))
	return monday.AddDate(0, 0, 7*(week-1))
}

// Stats computes the agency's statistics. Agency only.
func (s *Service) Stats(ctx context.Context, p *twinfed.Principal) (*Stats, error) {
	if err := Require(p); err != nil {
		return nil, err
	}
	st := &Stats{ByStatus: map[string]int{}, ByRegion: map[string]int{}, ByLevel: map[string]int{}, Schools: map[string]int{}}
	err := s.store.View(func(txn *badger.Txn) error {
		for _, status := range twinfed.MemberStatuses {
			st.ByStatus[string(status)] = s.accounts.CountStatus(txn, status)
		}
		if err := s.accounts.EachMember(txn, func(m *twinfed.Member) error {
			if m.Role != twinfed.RoleMember || (m.Status != twinfed.StatusValidated && m.Status != twinfed.StatusPending) {
				return nil
			}
			region, level := "(none)", "(none)"
			if ms := m.MainSchool(); ms != nil {
				if ms.Region != "" {
					region = ms.Region
				}
				if ms.Level != "" {
					level = string(ms.Level)
				}
			}
			st.ByRegion[region]++
			st.ByLevel[level]++
			return nil
		}); err != nil {
			return err
		}
		for w, n := range s.proposals.SubmissionsPerWeek(txn) {
			st.PerWeek = append(st.PerWeek, WeekCount{Week: w, Count: n})
		}
		sort.Slice(st.PerWeek, func(i, j int) bool { return st.PerWeek[i].Week < st.PerWeek[j].Week })
		return s.proposals.EachProposal(txn, func(sp *twinfed.SchoolProposal) error {
			st.Schools[string(sp.Status)]++
			return nil
		})
	})
	return st, s.internal("stats", err)
}

// ExportCSV writes every member (agency staff excluded) as CSV. Agency only.
func (s *Service) ExportCSV(ctx context.Context, p *twinfed.Principal, w io.Writer) error {
	if err := Require(p); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"username", "first_name", "last_name", "email", "status", "school_id", "school_name", "region", "level", "role_at_school", "schools", "created", "submitted", "validated", "reject_reason"})
	err := s.store.View(func(txn *badger.Txn) error {
		return s.accounts.EachMember(txn, func(m *twinfed.Member) error {
			if m.Role != twinfed.RoleMember {
				return nil
			}
			var sid, sname, region, level, role string
			if ms := m.MainSchool(); ms != nil {
				sid, sname, region, level, role = ms.SchoolID, ms.Name, ms.Region, string(ms.Level), ms.Role
			}
			return cw.Write([]string{m.Username, csvSafe(m.FirstName), csvSafe(m.LastName), m.Email, string(m.Status), sid, csvSafe(sname), csvSafe(region), level, role,
				strconv.Itoa(len(m.Schools)), fmtTime(m.Created), fmtTime(m.Submitted), fmtTime(m.Validated), csvSafe(m.RejectReason)})
		})
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	return s.internal("export csv", err)
}

// csvSafe defuses spreadsheet formulas in member-written text.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
