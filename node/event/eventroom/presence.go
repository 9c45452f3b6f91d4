package eventroom

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// The presence report is BigBlueButton's learning-analytics callback, as
// its post_events_analytics_callback script sends it once a meeting
// created with meta_analytics-callback-url has ended: a POST of JSON
// (version "1.0", meeting_id: the meetingID given at creation, here the
// room; data.attendees: each with ext_user_id, the userID given at join,
// here {user}, and duration, the seconds present over all their joins),
// authenticated by "Authorization: Bearer <JWT>", a JWT (HS256, HS384 or
// HS512) signed with the server's shared secret, here meeting_secret,
// whose only claim is its expiry: BigBlueButton makes it expire 24 hours
// after it sends the report.

// MaxReport bounds a report's body: BigBlueButton's for a hundred
// attendees, with their chats, talks and polls, is well under it.
const MaxReport = 1 << 20

// tokenLife is how long BigBlueButton's token lives; skew the clocks'
// difference allowed beyond it.
const (
	tokenLife = 24 * time.Hour
	skew      = 5 * time.Minute
)

// report is what Twinfed reads of the analytics callback's body; the rest
// (names, chats, polls…) is ignored.
type report struct {
	Version   string `json:"version"`
	MeetingID string `json:"meeting_id"`
	Data      *struct {
		Attendees []struct {
			ExtUserID string   `json:"ext_user_id"`
			Duration  *float64 `json:"duration"` // seconds
		} `json:"attendees"`
	} `json:"data"`
}

// Presence is the answer to a report: the participants by their {user}
// id, never by who they are.
type Presence struct {
	Event   string   `json:"event"`   // the event's page
	Present []string `json:"present"` // counted as attending (twinfed.PresentInRoom)
	Absent  []string `json:"absent"`  // confirmed participants present too briefly
	Unknown []string `json:"unknown"` // ids of no confirmed participant nor the organiser: ignored
}

// Presence records who attended event of the room a report names, from
// the report body authenticated by authorization (the request's header):
// each confirmed participant present for at least half the event
// (twinfed.PresentInRoom) is added to those who attended; nothing else
// changes. Errors: ENOTFOUND without a meeting secret or for a room of no
// event of this node; EUNAUTHORIZED for a missing, malformed, wrongly
// signed, expired or too long-lived token; ETOOLARGE over MaxReport;
// EINVALID for a body that is not such a report; ECONFLICT for an event
// that is not online, gives no certificate, is cancelled or has not begun.
func (s *Service) Presence(ctx context.Context, authorization string, body []byte) (*Presence, error) {
	if s.cfg.Secret == "" {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "This node takes no presence reports: it has no meeting_secret.")
	}
	if len(body) > MaxReport {
		return nil, twinfed.Errorf(twinfed.ETOOLARGE, "The report is over %d bytes.", MaxReport)
	}
	if err := s.checkToken(authorization); err != nil {
		return nil, err
	}
	var rep report
	if err := json.Unmarshal(body, &rep); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "The report is not the analytics callback's JSON: %v.", err)
	}
	if rep.Version != "1.0" || rep.MeetingID == "" || rep.Data == nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, `The report is not an analytics callback of version "1.0" with a meeting_id and data.attendees.`)
	}
	present := map[string]time.Duration{}
	for i, a := range rep.Data.Attendees {
		if a.Duration == nil || *a.Duration < 0 || *a.Duration > 1e7 {
			return nil, twinfed.Errorf(twinfed.EINVALID, "Attendee %d of the report has no duration in seconds.", i+1)
		}
		present[a.ExtUserID] += time.Duration(*a.Duration * float64(time.Second))
	}
	seg, ok := strings.CutPrefix(rep.MeetingID, "event-")
	if !ok || seg == "" || strings.ContainsAny(seg, "/?#") {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "No event of this node has the meeting room %q.", rep.MeetingID)
	}
	id := s.cfg.BaseURL + "/events/" + seg
	out := &Presence{Event: s.cfg.BaseURL + s.events.Path(id), Present: []string{}, Absent: []string{}, Unknown: []string{}}
	err := s.retry(id, func(txn *badger.Txn) error {
		out.Present, out.Absent, out.Unknown = out.Present[:0], out.Absent[:0], out.Unknown[:0]
		e, err := s.events.Event(txn, id)
		if err != nil || !s.events.IsHome(e.ID) {
			return twinfed.Errorf(twinfed.ENOTFOUND, "No event of this node has the meeting room %q.", rep.MeetingID)
		}
		switch {
		case e.Kind != twinfed.EventOnline:
			return twinfed.Errorf(twinfed.ECONFLICT, "The event of room %q is not an online event.", rep.MeetingID)
		case !e.Certifying:
			return twinfed.Errorf(twinfed.ECONFLICT, "The event of room %q gives no certificate: its attendance is not recorded.", rep.MeetingID)
		case e.Cancelled:
			return twinfed.Errorf(twinfed.ECONFLICT, "The event of room %q is cancelled.", rep.MeetingID)
		case s.now().Before(e.Start):
			return twinfed.Errorf(twinfed.ECONFLICT, "The event of room %q has not begun.", rep.MeetingID)
		}
		known := map[string]string{s.UserID(e.ID, e.Organiser): ""} // the organiser: in the room, not a participant
		for _, b := range s.events.Participants(txn, e.ID) {
			known[s.UserID(e.ID, b.Actor)] = b.Actor
		}
		var attended []string
		for uid, d := range present {
			switch actor, ok := known[uid]; {
			case !ok:
				out.Unknown = append(out.Unknown, uid)
			case actor == "":
			case twinfed.PresentInRoom(e, d):
				out.Present, attended = append(out.Present, uid), append(attended, actor)
			default:
				out.Absent = append(out.Absent, uid)
			}
		}
		return s.events.AddAttended(txn, e.ID, attended)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// retry runs fn in the event's single writer, again when it conflicted.
func (s *Service) retry(id string, fn func(txn *badger.Txn) error) error {
	for range 100 {
		if err := s.events.Serial(id, fn); !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return twinfed.Errorf(twinfed.EUNAVAILABLE, "Too many writes to the event at once; send the report again in a moment.")
}

// checkToken checks a report's "Bearer <JWT>": signed with the meeting
// secret (HS256, HS384 or HS512), not expired, and not living longer than
// BigBlueButton's tokens do.
func (s *Service) checkToken(authorization string) error {
	tok, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || tok == "" {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report has no Authorization: Bearer <JWT signed with the meeting secret>.")
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token is not a JWT (header.claims.signature).")
	}
	var head struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Exp *int64 `json:"exp"`
	}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil || json.Unmarshal(h, &head) != nil || json.Unmarshal(c, &claims) != nil {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token is not a JWT (base64url JSON header and claims).")
	}
	var alg func() hash.Hash
	switch head.Alg {
	case "HS256":
		alg = sha256.New
	case "HS384":
		alg = sha512.New384
	case "HS512":
		alg = sha512.New
	default:
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token is signed with %q; use HS256, HS384 or HS512 with the meeting secret.", head.Alg)
	}
	mac := hmac.New(alg, []byte(s.cfg.Secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token is not signed with this node's meeting secret.")
	}
	now := s.now()
	switch {
	case claims.Exp == nil:
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token has no expiry (exp).")
	case !now.Before(time.Unix(*claims.Exp, 0).Add(skew)):
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token expired at %s: the report is stale.", time.Unix(*claims.Exp, 0).UTC().Format(time.RFC3339))
	case time.Unix(*claims.Exp, 0).After(now.Add(tokenLife + skew)):
		return twinfed.Errorf(twinfed.EUNAUTHORIZED, "The report's token expires at %s, more than 24 hours from now.", time.Unix(*claims.Exp, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
