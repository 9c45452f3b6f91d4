package federation

// A project's public diary as a fediverse actor, on the project's home
// node: <project>/diary, a Service that Mastodon and other servers follow
// (WebFinger acct:diary-<project id>@<host>), with its outbox (the posts
// as Create{Article}), its followers' number, each post as an Article at
// <project>/diary/posts/<id>, and an inbox that takes Follow and
// Undo{Follow} from any server (open.go). Posts reach the followers'
// servers through the delivery queue: PublishDiary, called by the node in
// the transaction that stores a post.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// DiarySource gives the public project diaries this node is home to. The
// node's diary feature implements it.
type DiarySource interface {
	// LocalDiary returns a project this node is home to whose TwinSpace
	// (and so its diary) is open; ENOTFOUND for any other id.
	LocalDiary(ctx context.Context, project string) (*twinfed.Project, error)
	// PublicPosts returns the project's diary posts, newest first.
	PublicPosts(project string) ([]*twinfed.SpaceObject, error)
}

// asPublic is ActivityStreams' public addressing.
const asPublic = nsActivityStreams + "#Public"

// diaryUserPrefix starts a diary's WebFinger user: diary-<project id>.
const diaryUserPrefix = "diary-"

func (f *Federation) diaryRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /projects/{id}/diary", f.handleDiaryActor)
	mux.HandleFunc("GET /projects/{id}/diary/outbox", f.handleDiaryOutbox)
	mux.HandleFunc("GET /projects/{id}/diary/followers", f.handleDiaryFollowers)
	mux.HandleFunc("GET /projects/{id}/diary/posts/{post}", f.handleDiaryPost)
	mux.HandleFunc("POST /projects/{id}/diary/inbox", f.handleDiaryInbox)
}

// localDiary finds the diary of a request's project, ENOTFOUND for none.
func (f *Federation) localDiary(ctx context.Context, project string) (*twinfed.Project, error) {
	if f.cfg.Diaries == nil {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "no such diary")
	}
	return f.cfg.Diaries.LocalDiary(ctx, project)
}

// publicGet opens a public object's GET: a request whose signature names
// a blocked server is refused (403); an unsigned one is served.
func (f *Federation) publicGet(w http.ResponseWriter, r *http.Request) (*twinfed.Project, bool) {
	if host := claimedKeyHost(r); host != "" {
		if b := f.blockedBy(host); b != nil {
			f.refuseBlocked(w, host, b)
			return nil, false
		}
	}
	p, err := f.localDiary(r.Context(), twinfed.ProjectURL(f.base, r.PathValue("id")))
	if err != nil {
		if twinfed.ErrorCode(err) != twinfed.ENOTFOUND {
			f.log.Error("federation: diary", "project", r.PathValue("id"), "err", err)
		}
		writeError(w, err)
		return nil, false
	}
	return p, true
}

// handleDiaryActor serves a diary's actor document.
func (f *Federation) handleDiaryActor(w http.ResponseWriter, r *http.Request) {
	p, ok := f.publicGet(w, r)
	if !ok {
		return
	}
	body, err := encodeJSON(diaryDocument(p, f.keys))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// diaryDocument is a diary's actor: a Service named after the project,
// with the node's keys as its own (as every actor of the node presents
// them).
func diaryDocument(p *twinfed.Project, keys actorKeys) map[string]any {
	diary := twinfed.DiaryURL(p.ID)
	var methods []map[string]any
	for _, mk := range keys.Multikeys {
		methods = append(methods, map[string]any{"id": diary + "#" + mk.Fragment, "type": "Multikey", "controller": diary, "publicKeyMultibase": mk.Multibase})
	}
	doc := map[string]any{
		"@context":                  []any{nsActivityStreams, nsSecurity, nsMultikey},
		"id":                        diary,
		"type":                      "Service",
		"preferredUsername":         diaryUserPrefix + projectRID(p.ID),
		"name":                      p.Title + " — diary",
		"summary":                   p.Description,
		"url":                       diary,
		"inbox":                     diary + "/inbox",
		"outbox":                    diary + "/" + collectionOutbox,
		"followers":                 diary + "/" + collectionFollowers,
		"manuallyApprovesFollowers": false,
		"discoverable":              true,
		"published":                 p.Created.UTC().Format(time.RFC3339),
		"publicKey":                 map[string]any{"id": twinfed.KeyID(diary), "owner": diary, "publicKeyPem": keys.MainPEM},
	}
	if len(methods) > 0 {
		doc["assertionMethod"] = methods
	}
	return doc
}

// projectRID is the last segment of a project's URL, its id on its node.
func projectRID(project string) string { return project[strings.LastIndexByte(project, '/')+1:] }

// absoluteURLs makes a post's relative links and images absolute on the
// home node, for readers elsewhere.
func absoluteURLs(content, base string) string {
	content = strings.ReplaceAll(content, `src="/`, `src="`+base+"/")
	return strings.ReplaceAll(content, `href="/`, `href="`+base+"/")
}

// diaryArticle is a post as an Article.
func diaryArticle(base string, p *twinfed.Project, o *twinfed.SpaceObject) map[string]any {
	diary := twinfed.DiaryURL(p.ID)
	id := twinfed.DiaryPostURL(p.ID, o.ID)
	a := map[string]any{
		"id": id, "type": "Article", "name": o.Title, "content": absoluteURLs(o.Content, base), "mediaType": "text/html",
		"url": id, "attributedTo": diary, "published": o.Created.UTC().Format(time.RFC3339),
		"to": []string{asPublic}, "cc": []string{diary + "/" + collectionFollowers},
	}
	if o.Version > 1 {
		a["updated"] = o.Updated.UTC().Format(time.RFC3339)
	}
	return a
}

// diaryActivity is Create, Update or Delete of a post, from the diary.
func diaryActivity(base string, typ twinfed.ActivityType, p *twinfed.Project, o *twinfed.SpaceObject) (id string, doc map[string]any) {
	diary := twinfed.DiaryURL(p.ID)
	post := twinfed.DiaryPostURL(p.ID, o.ID)
	id = twinfed.ActivityURL(base, "diary-"+strings.ToLower(string(typ))+"-"+shortHash(o.ID+"\x00"+o.Updated.UTC().Format(time.RFC3339Nano)))
	var object any = diaryArticle(base, p, o)
	published := o.Created
	if typ != twinfed.ActivityCreate {
		published = o.Updated
	}
	if typ == twinfed.ActivityDelete {
		object = map[string]any{"id": post, "type": "Tombstone"}
	}
	return id, map[string]any{
		"@context": nsActivityStreams, "id": id, "type": string(typ), "actor": diary,
		"published": published.UTC().Format(time.RFC3339),
		"to":        []string{asPublic}, "cc": []string{diary + "/" + collectionFollowers},
		"object": object,
	}
}

// PublishDiary delivers a diary post's change (Create, Update or Delete
// of its Article) to the diary's followers, within txn: the node calls it
// in the transaction that stores the post, on the project's home node.
// With no follower it does nothing; blocked servers are left out.
func (o *Outbox) PublishDiary(txn *badger.Txn, typ twinfed.ActivityType, p *twinfed.Project, post *twinfed.SpaceObject) error {
	diary := twinfed.DiaryURL(p.ID)
	if !o.local(diary) {
		return nil
	}
	var to []string
	err := eachFollower(txn, diary, func(_ []byte, f *twinfed.DiaryFollower) error {
		to = append(to, f.Actor)
		return nil
	})
	if err != nil || len(to) == 0 {
		return err
	}
	id, doc := diaryActivity(o.base, typ, p, post)
	body, err := encodeJSON(doc)
	if err != nil {
		return err
	}
	a := &twinfed.Activity{ID: id, Type: typ, Actor: diary, To: to, Object: twinfed.DiaryPostURL(p.ID, post.ID)}
	err = o.enqueueBody(txn, a, body, true)
	if twinfed.ErrorCode(err) == twinfed.ECONFLICT {
		return nil // this state was published already
	}
	return err
}

// handleDiaryOutbox is the diary's outbox: its posts, newest first, as
// Create{Article}, in pages.
func (f *Federation) handleDiaryOutbox(w http.ResponseWriter, r *http.Request) {
	p, ok := f.publicGet(w, r)
	if !ok {
		return
	}
	posts, err := f.cfg.Diaries.PublicPosts(p.ID)
	if err != nil {
		f.log.Error("federation: diary outbox", "project", p.ID, "err", err)
		writeError(w, err)
		return
	}
	id := twinfed.DiaryURL(p.ID) + "/" + collectionOutbox
	if r.URL.Query().Get("page") == "" {
		body, err := collectionDocument(id, len(posts))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, ContentTypeActivity, body)
		return
	}
	after := r.URL.Query().Get("after")
	start := 0
	if after != "" {
		for i, o := range posts {
			if twinfed.DiaryPostURL(p.ID, o.ID) == after {
				start = i + 1
			}
		}
	}
	items := []any{}
	next := ""
	for i := start; i < len(posts) && len(items) < collectionPageSize; i++ {
		_, a := diaryActivity(f.base, twinfed.ActivityCreate, p, posts[i])
		delete(a, "@context")
		items = append(items, a)
		if len(items) == collectionPageSize && i+1 < len(posts) {
			next = twinfed.DiaryPostURL(p.ID, posts[i].ID)
		}
	}
	self := id + "?page=true"
	if after != "" {
		self += "&after=" + url.QueryEscape(after)
	}
	doc := map[string]any{"@context": nsActivityStreams, "id": self, "type": "OrderedCollectionPage", "partOf": id, "orderedItems": items}
	if next != "" {
		doc["next"] = id + "?page=true&after=" + url.QueryEscape(next)
	}
	body, err := encodeJSON(doc)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// handleDiaryFollowers tells how many follow the diary; who they are is
// shown to the agency only (its back office), not to the fediverse.
func (f *Federation) handleDiaryFollowers(w http.ResponseWriter, r *http.Request) {
	p, ok := f.publicGet(w, r)
	if !ok {
		return
	}
	diary := twinfed.DiaryURL(p.ID)
	followers, err := f.DiaryFollowers(diary)
	if err != nil {
		writeError(w, err)
		return
	}
	id := diary + "/" + collectionFollowers
	var body []byte
	if r.URL.Query().Get("page") == "" {
		body, err = collectionDocument(id, len(followers))
	} else {
		body, err = collectionPage(id, r.URL.Query().Get("after"), nil, "")
	}
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, ContentTypeActivity, body)
}

// handleDiaryPost serves one post as an Article.
func (f *Federation) handleDiaryPost(w http.ResponseWriter, r *http.Request) {
	p, ok := f.publicGet(w, r)
	if !ok {
		return
	}
	posts, err := f.cfg.Diaries.PublicPosts(p.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	want := twinfed.DiaryURL(p.ID) + "/posts/" + r.PathValue("post")
	for _, o := range posts {
		if twinfed.DiaryPostURL(p.ID, o.ID) == want {
			a := diaryArticle(f.base, p, o)
			a["@context"] = nsActivityStreams
			body, err := encodeJSON(a)
			if err != nil {
				writeError(w, err)
				return
			}
			writeJSON(w, ContentTypeActivity, body)
			return
		}
	}
	writeError(w, twinfed.Errorf(twinfed.ENOTFOUND, "no such diary post"))
}

// diaryWebFinger resolves acct:diary-<project id>@host to the diary's
// actor, or "" when user names no diary here.
func (f *Federation) diaryWebFinger(ctx context.Context, user string) string {
	rid, ok := strings.CutPrefix(user, diaryUserPrefix)
	if !ok || rid == "" || f.cfg.Diaries == nil {
		return ""
	}
	p, err := f.cfg.Diaries.LocalDiary(ctx, twinfed.ProjectURL(f.base, rid))
	if err != nil {
		return ""
	}
	return twinfed.DiaryURL(p.ID)
}
