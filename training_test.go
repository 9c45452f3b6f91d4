package twinfed_test

import (
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// aTraining is a valid training of FR's agency, from tomorrow for three
// days, applications closing today in a week's time at most.
func aTraining(now time.Time, places int, aud twinfed.TrainingAudience) *twinfed.Training {
	day := now.Truncate(24 * time.Hour).Add(24 * time.Hour)
	return &twinfed.Training{ID: "https://fr.example/training/1", Kind: twinfed.TrainingLearningEvent, Title: "Apprendre en projet", Language: "fr",
		Start: day, End: day.Add(2 * 24 * time.Hour), Deadline: day, Places: places, Audience: aud, Country: "FR"}
}

func TestValidateTraining(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name   string
		change func(tr *twinfed.Training)
		field  string // "" valid
	}{
		{"valid", func(*twinfed.Training) {}, ""},
		{"today is a valid first day", func(tr *twinfed.Training) { tr.Start = now.Truncate(24 * time.Hour) }, ""},
		{"missing title", func(tr *twinfed.Training) { tr.Title = "  " }, "title"},
		{"end before start", func(tr *twinfed.Training) { tr.End = tr.Start.Add(-24 * time.Hour) }, "end"},
		{"too long", func(tr *twinfed.Training) { tr.End = tr.Start.Add(61 * 24 * time.Hour) }, "end"},
		{"start in the past", func(tr *twinfed.Training) { tr.Start = now.Add(-72 * time.Hour) }, "start"},
		{"no start", func(tr *twinfed.Training) { tr.Start = time.Time{} }, "start"},
		{"negative places", func(tr *twinfed.Training) { tr.Places = -1 }, "places"},
		{"too many places", func(tr *twinfed.Training) { tr.Places = twinfed.MaxTrainingPlaces + 1 }, "places"},
		{"unknown kind", func(tr *twinfed.Training) { tr.Kind = "party" }, "kind"},
		{"unknown language", func(tr *twinfed.Training) { tr.Language = "xx" }, "language"},
		{"unknown audience", func(tr *twinfed.Training) { tr.Audience = "friends" }, "audience"},
		{"deadline passed", func(tr *twinfed.Training) { tr.Deadline = now.Add(-time.Minute) }, "deadline"},
		{"deadline after the last day", func(tr *twinfed.Training) { tr.Deadline = tr.End.Add(72 * time.Hour) }, "deadline"},
		{"unknown country", func(tr *twinfed.Training) { tr.Country = "ZZ" }, "country"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := aTraining(now, 10, twinfed.TrainingAllCountries)
			tc.change(tr)
			err := twinfed.ValidateTraining(tr, now)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid training refused: %v", err)
				}
				return
			}
			if twinfed.ErrorCode(err) != twinfed.EINVALID || twinfed.ErrorFields(err)[tc.field] == "" {
				t.Fatalf("error %v (fields %v), want one on %q", err, twinfed.ErrorFields(err), tc.field)
			}
		})
	}
}

func TestTrainingRules(t *testing.T) {
	now := time.Now()
	officer := &twinfed.Principal{Username: "o", Role: twinfed.RoleAgencyOfficer}
	admin := &twinfed.Principal{Username: "a", Role: twinfed.RoleAgencyAdmin}
	teacher := &twinfed.Principal{Username: "t", Role: twinfed.RoleMember}
	if twinfed.CanPublishTraining(officer) != nil || twinfed.CanPublishTraining(admin) != nil {
		t.Fatal("agency staff may publish training")
	}
	if twinfed.ErrorCode(twinfed.CanPublishTraining(teacher)) != twinfed.EFORBIDDEN || twinfed.ErrorCode(twinfed.CanPublishTraining(nil)) != twinfed.EFORBIDDEN {
		t.Fatal("a teacher published training")
	}

	t.Run("apply", func(t *testing.T) {
		all, own := aTraining(now, 2, twinfed.TrainingAllCountries), aTraining(now, 2, twinfed.TrainingOwnCountry)
		cancelled := aTraining(now, 2, twinfed.TrainingAllCountries)
		cancelled.Cancelled = true
		closed := aTraining(now, 2, twinfed.TrainingAllCountries)
		closed.Deadline = now.Add(-time.Second)
		tests := []struct {
			name    string
			tr      *twinfed.Training
			country string
			cur     twinfed.ApplicationState
			code    string
		}{
			{"every country: IT", all, "IT", "", ""},
			{"own country: FR", own, "FR", "", ""},
			{"own country: IT", own, "IT", "", twinfed.EFORBIDDEN},
			{"twice", all, "IT", twinfed.ApplicationPending, twinfed.ECONFLICT},
			{"refused, again", all, "IT", twinfed.ApplicationRefused, twinfed.ECONFLICT},
			{"cancelled", cancelled, "FR", "", twinfed.EINVALID},
			{"closed", closed, "FR", "", twinfed.EINVALID},
		}
		for _, tc := range tests {
			if got := twinfed.ErrorCode(twinfed.CanApply(tc.tr, tc.country, tc.cur, now)); got != tc.code {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.code)
			}
		}
		if twinfed.FirstState(all) != twinfed.ApplicationPending {
			t.Error("limited places: the agency selects")
		}
		if twinfed.FirstState(aTraining(now, 0, twinfed.TrainingAllCountries)) != twinfed.ApplicationAccepted {
			t.Error("unlimited places: applying confirms at once")
		}
	})

	t.Run("decide", func(t *testing.T) {
		tr := aTraining(now, 2, twinfed.TrainingAllCountries)
		unlimited := aTraining(now, 0, twinfed.TrainingAllCountries)
		tests := []struct {
			name           string
			tr             *twinfed.Training
			p              *twinfed.Principal
			staff, country string
			cur, to        twinfed.ApplicationState
			reason         string
			accepted       int
			code           string
		}{
			{"own agency accepts", tr, officer, "IT", "IT", twinfed.ApplicationPending, twinfed.ApplicationAccepted, "", 1, ""},
			{"admin waits", tr, admin, "IT", "IT", twinfed.ApplicationPending, twinfed.ApplicationWaiting, "", 0, ""},
			{"refuse with a reason", tr, officer, "IT", "IT", twinfed.ApplicationWaiting, twinfed.ApplicationRefused, "Places go to new eTwinners.", 2, ""},
			{"refuse without a reason", tr, officer, "IT", "IT", twinfed.ApplicationPending, twinfed.ApplicationRefused, " ", 0, twinfed.EINVALID},
			{"another country's agency", tr, officer, "FR", "IT", twinfed.ApplicationPending, twinfed.ApplicationAccepted, "", 0, twinfed.EFORBIDDEN},
			{"publisher's agency for another country", tr, officer, "FR", "", twinfed.ApplicationPending, twinfed.ApplicationAccepted, "", 0, twinfed.EFORBIDDEN},
			{"a teacher", tr, teacher, "IT", "IT", twinfed.ApplicationPending, twinfed.ApplicationAccepted, "", 0, twinfed.EFORBIDDEN},
			{"full", tr, officer, "IT", "IT", twinfed.ApplicationWaiting, twinfed.ApplicationAccepted, "", 2, twinfed.ECONFLICT},
			{"accepted again when full", tr, officer, "IT", "IT", twinfed.ApplicationAccepted, twinfed.ApplicationAccepted, "", 2, ""},
			{"unlimited never full", unlimited, officer, "IT", "IT", twinfed.ApplicationRefused, twinfed.ApplicationAccepted, "", 500, ""},
			{"completed", tr, officer, "IT", "IT", twinfed.ApplicationCompleted, twinfed.ApplicationRefused, "no", 0, twinfed.ECONFLICT},
			{"no application", tr, officer, "IT", "IT", "", twinfed.ApplicationAccepted, "", 0, twinfed.ENOTFOUND},
			{"unknown decision", tr, officer, "IT", "IT", twinfed.ApplicationPending, "maybe", "", 0, twinfed.EINVALID},
		}
		for _, tc := range tests {
			err := twinfed.DecideApplication(tc.tr, tc.p, tc.staff, tc.country, tc.cur, tc.to, tc.reason, tc.accepted)
			if got := twinfed.ErrorCode(err); got != tc.code {
				t.Errorf("%s: %q (%v), want %q", tc.name, got, err, tc.code)
			}
		}
	})

	t.Run("complete", func(t *testing.T) {
		tr := aTraining(now, 2, twinfed.TrainingAllCountries)
		started := tr.Start.Add(time.Hour)
		tests := []struct {
			name           string
			p              *twinfed.Principal
			staff, country string
			cur            twinfed.ApplicationState
			at             time.Time
			code           string
		}{
			{"own agency, started", officer, "IT", "IT", twinfed.ApplicationAccepted, started, ""},
			{"not started", officer, "IT", "IT", twinfed.ApplicationAccepted, now, twinfed.EINVALID},
			{"waiting list", officer, "IT", "IT", twinfed.ApplicationWaiting, started, twinfed.ECONFLICT},
			{"refused", officer, "IT", "IT", twinfed.ApplicationRefused, started, twinfed.ECONFLICT},
			{"another agency", officer, "FR", "IT", twinfed.ApplicationAccepted, started, twinfed.EFORBIDDEN},
			{"the participant", teacher, "IT", "IT", twinfed.ApplicationAccepted, started, twinfed.EFORBIDDEN},
		}
		for _, tc := range tests {
			if got := twinfed.ErrorCode(twinfed.CanComplete(tr, tc.p, tc.staff, tc.country, tc.cur, tc.at)); got != tc.code {
				t.Errorf("%s: %q, want %q", tc.name, got, tc.code)
			}
		}
		for _, st := range []twinfed.ApplicationState{"", twinfed.ApplicationPending, twinfed.ApplicationAccepted, twinfed.ApplicationWaiting, twinfed.ApplicationRefused} {
			if twinfed.HasTrainingCertificate(st) {
				t.Errorf("certificate for %q", st)
			}
		}
		if !twinfed.HasTrainingCertificate(twinfed.ApplicationCompleted) {
			t.Error("no certificate for a completed training")
		}
	})
}

// TestCheckSameOrigin_Training: a node announces only its own agency's
// training.
func TestCheckSameOrigin_Training(t *testing.T) {
	tr := aTraining(time.Now(), 0, twinfed.TrainingAllCountries)
	tr.Publisher = "https://fr.example/agency"
	a := &twinfed.Activity{ID: "https://fr.example/a/1", Type: twinfed.ActivityCreate, Actor: tr.Publisher, Object: tr.ID, Training: tr}
	if err := twinfed.CheckSameOrigin("fr.example", a); err != nil {
		t.Fatalf("own training refused: %v", err)
	}
	other := *tr
	other.ID = "https://it.example/training/1"
	a.Training, a.Object = &other, other.ID
	if twinfed.ErrorCode(twinfed.CheckSameOrigin("fr.example", a)) != twinfed.EFORBIDDEN {
		t.Fatal("a node announced another node's training")
	}
}
