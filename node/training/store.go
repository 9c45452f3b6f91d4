package training

import (
	"context"
	"net/url"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/notice"
	"github.com/twinfed/twinfed/node/store"
)

// The training's records: pd/<training id> (the offer), pq/<training
// id>/<username> (an application of a member of this node) and
// pr/<username>/<training id> (a member's applications).

func getTraining(txn *badger.Txn, id string) (*twinfed.Training, error) {
	t := new(twinfed.Training)
	if err := store.GetJSON(txn, store.PrefixTraining+id, t); err != nil {
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return nil, twinfed.Errorf(twinfed.ENOTFOUND, "There is no such training.")
		}
		return nil, err
	}
	return t, nil
}

// getApplication returns username's application to training id; nil when
// they have none.
func getApplication(txn *badger.Txn, id, username string) *Application {
	if username == "" {
		return nil
	}
	a := new(Application)
	if err := store.GetJSON(txn, store.PrefixTrainingApp+id+"/"+username, a); err != nil {
		return nil
	}
	return a
}

func putApplication(txn *badger.Txn, a *Application) error {
	if err := txn.Set([]byte(store.PrefixMyTraining+a.Username+"/"+a.Training), nil); err != nil {
		return err
	}
	return store.SetJSON(txn, store.PrefixTrainingApp+a.Training+"/"+a.Username, a)
}

// applications are every application to training id on this node.
func applications(txn *badger.Txn, id string) []*Application {
	var out []*Application
	_ = store.EachJSON(txn, store.PrefixTrainingApp+id+"/", func(a *Application) error {
		out = append(out, a)
		return nil
	})
	return out
}

// Forget removes a member's applications (their account is deleted).
func (s *Service) Forget(txn *badger.Txn, username string) error {
	for _, id := range store.KeysUnder(txn, store.PrefixMyTraining+username+"/", 0) {
		if err := txn.Delete([]byte(store.PrefixTrainingApp + id + "/" + username)); err != nil {
			return err
		}
	}
	return store.DeletePrefix(txn, store.PrefixMyTraining+username+"/")
}

// Path is the page of training id on this node: this node's by its last
// segment, another node's by its whole id (escaped).
func Path(id string) string {
	return "/training/" + url.PathEscape(id)
}

// idOf is the training id a page's path value names.
func idOf(v string) string {
	if u, err := url.PathUnescape(v); err == nil {
		v = u
	}
	return v
}

// announce sends t, an offer of this node open to every country, to the
// agency actors of every other active node (ty: Create or Update).
func (s *Service) announce(ctx context.Context, txn *badger.Txn, ty twinfed.ActivityType, t *twinfed.Training) error {
	if s.registry == nil || s.acts == nil || t.Audience != twinfed.TrainingAllCountries {
		return nil
	}
	list, err := s.registry.Countries(ctx)
	if err != nil {
		s.log.Warn("registry: the training reaches other nodes later", "training", t.ID, "err", err)
		return nil
	}
	var to []string
	for _, c := range list {
		if c.Active && c.NodeURL != "" && twinfed.URLHost(c.NodeURL) != twinfed.URLHost(s.cfg.BaseURL) {
			to = append(to, twinfed.AgencyURL(c.NodeURL))
		}
	}
	if len(to) == 0 {
		return nil
	}
	a := s.acts.NewBy(ty, t.Publisher)
	ct := *t
	a.To, a.Object, a.Training = to, t.ID, &ct
	return s.acts.Send(txn, a)
}

// drop is the error of an activity that can never apply: EINVALID.
func drop(format string, args ...any) error { return twinfed.Errorf(twinfed.EINVALID, format, args...) }

// ApplyTraining keeps a copy of another agency's training offer (Create or
// Update): only from the agency actor of the registered node of the
// offer's country, open to every country; a newer version replaces an
// older one, never the reverse. The node's inbox calls it within the
// transaction that records the activity's id.
func (s *Service) ApplyTraining(ctx context.Context, txn *badger.Txn, a *twinfed.Activity) error {
	t := a.Training
	if t == nil || t.Publisher != a.Actor || !strings.HasSuffix(a.Actor, "/agency") || twinfed.URLHost(t.ID) == twinfed.URLHost(s.cfg.BaseURL) {
		return drop("training sent by %s, not by its publishing agency", a.Actor)
	}
	if s.registry == nil {
		return drop("training %s: this node knows no other node", t.ID)
	}
	c, err := s.registry.CountryByHost(ctx, a.Host())
	if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
		return drop("training %s from %s, which is no node of the federation", t.ID, a.Host())
	}
	if err != nil {
		return err // the registry's cache catches up: retried
	}
	if c.Code != t.Country || twinfed.AgencyURL(c.NodeURL) != a.Actor {
		return drop("training %s of country %s sent by the node of %s", t.ID, t.Country, c.Code)
	}
	// Its bounds, as they were when it was published.
	if t.Audience != twinfed.TrainingAllCountries || twinfed.ValidateTraining(t, t.Published) != nil {
		return drop("training %s is malformed", t.ID)
	}
	old, err := getTraining(txn, t.ID)
	if err == nil && old.Version >= t.Version {
		return nil
	}
	if err := store.SetJSON(txn, store.PrefixTraining+t.ID, t); err != nil {
		return err
	}
	if t.Cancelled && (old == nil || !old.Cancelled) {
		return s.tellAll(txn, t, notice.TrainingCancelled)
	}
	return nil
}

// tellAll notifies, within txn, every member of this node who applied to
// t (a cancellation).
func (s *Service) tellAll(txn *badger.Txn, t *twinfed.Training, k notice.Kind) error {
	for _, a := range applications(txn, t.ID) {
		if err := s.tell(txn, a.Username, k, t); err != nil {
			return err
		}
	}
	return nil
}

// Has reports whether this node holds the training id.
func (s *Service) Has(txn *badger.Txn, id string) bool {
	return store.Has(txn, store.PrefixTraining+id)
}
