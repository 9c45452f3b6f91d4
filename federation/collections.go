package federation

import (
	"context"
	"net/http"

	"github.com/twinfed/twinfed"
)

// FollowersSource gives the followers of the node's actors, for their
// followers collections. The node's social service implements it.
type FollowersSource interface {
	// FollowersPage returns up to limit followers (actor URLs) of a local
	// actor, in a stable order, after the follower after ("" for the
	// first page), the follower to continue after ("" on the last page)
	// and how many followers there are. Actors with no followers of their
	// own (a project, the agency) have none.
	FollowersPage(ctx context.Context, actor, after string, limit int) (items []string, next string, total int, err error)
}

// collectionPageSize is how many items a collection page holds.
const collectionPageSize = 50

// collection serves the outbox or followers collection of the actor that
// resolve finds for the request (an ENOTFOUND error for none).
//
// Both are paged OrderedCollections. The outbox lists the actor's public
// activities: Twinfed addresses every activity to its recipients, so it
// is empty. The followers collection tells its size to anyone, and its
// items only to a request signed by a node of the federation: who follows
// a teacher is that teacher's personal data.
func (f *Federation) collection(name string, resolve func(r *http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		actor, err := resolve(r)
		if err != nil {
			if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
				f.log.Error("federation: collection", "name", name, "err", err)
			}
			writeError(w, err)
			return
		}
		id := actor + "/" + name
		after := r.URL.Query().Get("after")
		var items []string
		var next string
		total := 0
		if name == collectionFollowers && f.cfg.Followers != nil {
			if items, next, total, err = f.cfg.Followers.FollowersPage(r.Context(), actor, after, collectionPageSize); err != nil {
				f.log.Error("federation: followers", "actor", actor, "err", err)
				writeError(w, err)
				return
			}
			if _, err := f.verifier.Verify(r, nil); err != nil {
				items, next = nil, ""
			}
		}
		var body []byte
		if r.URL.Query().Get("page") == "" {
			body, err = collectionDocument(id, total)
		} else {
			body, err = collectionPage(id, after, items, next)
		}
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, ContentTypeActivity, body)
	}
}

// personActor, groupActor and agencyActor find the actor of a collection's
// request.
func (f *Federation) personActor(r *http.Request) (string, error) {
	if f.cfg.Actors == nil {
		return "", twinfed.Errorf(twinfed.ENOTFOUND, "no such member")
	}
	p, err := f.cfg.Actors.LocalProfile(r.Context(), r.PathValue("name"))
	if err != nil {
		return "", err
	}
	return p.ID, nil
}

func (f *Federation) groupActor(r *http.Request) (string, error) {
	id := twinfed.ProjectURL(f.base, r.PathValue("id"))
	if f.cfg.Projects == nil {
		return "", twinfed.Errorf(twinfed.ENOTFOUND, "no such project")
	}
	if _, err := f.cfg.Projects.LocalProject(r.Context(), id); err != nil {
		return "", err
	}
	return id, nil
}

func (f *Federation) agencyActor(*http.Request) (string, error) {
	return twinfed.AgencyURL(f.base), nil
}
