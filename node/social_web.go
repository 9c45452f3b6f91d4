package node

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/twinfed/twinfed"
)

// Web pages and JSON API of the federated features: the directory,
// contacts, follows, messages and notifications.

func (s *Server) socialRoutes() {
	m := s.mux
	m.HandleFunc("GET /people", s.member(s.people))
	m.HandleFunc("GET /people/profile", s.member(s.remoteProfile))
	m.HandleFunc("GET /contacts", s.member(s.contacts))
	m.HandleFunc("POST /contacts/request", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.RequestContact(r.Context(), p, peer, r.PostForm.Get("message"))
		return "contact_requested", err
	})))
	m.HandleFunc("POST /contacts/accept", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.AnswerContact(r.Context(), p, peer, true)
		return "contact_accepted", err
	})))
	m.HandleFunc("POST /contacts/decline", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		_, err := s.svc.AnswerContact(r.Context(), p, peer, false)
		return "contact_declined", err
	})))
	m.HandleFunc("POST /contacts/remove", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "contact_removed", s.svc.RemoveContact(r.Context(), p, peer)
	})))
	m.HandleFunc("POST /follow", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "followed", s.svc.FollowMember(r.Context(), p, peer)
	})))
	m.HandleFunc("POST /unfollow", s.member(s.socialAction(func(r *http.Request, p *twinfed.Principal, peer string) (string, error) {
		return "unfollowed", s.svc.UnfollowMember(r.Context(), p, peer)
	})))
	m.HandleFunc("GET /messages", s.member(s.messages))
	m.HandleFunc("GET /messages/with", s.member(s.conversation))
	m.HandleFunc("POST /messages", s.member(s.sendMessage))
	m.HandleFunc("GET /notifications", s.member(s.notifications))

	m.HandleFunc("GET /api/v1/directory", s.api(true, s.apiDirectory))
	m.HandleFunc("GET /api/v1/directory/suggestions", s.api(true, s.apiSuggestions))
	m.HandleFunc("GET /api/v1/directory/profile", s.api(true, s.apiDirectoryProfile))
	m.HandleFunc("GET /api/v1/contacts", s.api(true, s.apiContacts))
	m.HandleFunc("POST /api/v1/contacts", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.RequestContact(r.Context(), p, in.Peer, in.Message)
	})))
	m.HandleFunc("POST /api/v1/contacts/accept", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.AnswerContact(r.Context(), p, in.Peer, true)
	})))
	m.HandleFunc("POST /api/v1/contacts/decline", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return s.svc.AnswerContact(r.Context(), p, in.Peer, false)
	})))
	m.HandleFunc("POST /api/v1/contacts/remove", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.RemoveContact(r.Context(), p, in.Peer)
	})))
	m.HandleFunc("POST /api/v1/follows", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.FollowMember(r.Context(), p, in.Peer)
	})))
	m.HandleFunc("POST /api/v1/follows/remove", s.api(true, apiAction(s, func(r *http.Request, p *twinfed.Principal, in peerInput) (any, error) {
		return nil, s.svc.UnfollowMember(r.Context(), p, in.Peer)
	})))
	m.HandleFunc("GET /api/v1/messages", s.api(true, s.apiConversations))
	m.HandleFunc("GET /api/v1/messages/with", s.api(true, s.apiConversation))
	m.HandleFunc("POST /api/v1/messages", s.api(true, s.apiSendMessage))
	m.HandleFunc("GET /api/v1/notifications", s.api(true, s.apiNotifications))
	m.HandleFunc("GET /api/v1/me/counts", s.api(true, s.apiCounts))
}

// parseDirQuery reads a directory search from query parameters: q,
// country, region, level, role, subject, language, age_min, age_max,
// project, erasmus, kit (flags: "1" or "on"), offset.
func parseDirQuery(v url.Values) (DirectoryQuery, error) {
	q := DirectoryQuery{Text: v.Get("q"), Country: strings.ToUpper(v.Get("country")), Region: v.Get("region"), Level: twinfed.SchoolLevel(v.Get("level")),
		Role: v.Get("role"), Subject: v.Get("subject"), Language: v.Get("language")}
	flag := func(k string) bool { return v.Get(k) == "1" || v.Get(k) == "on" || v.Get(k) == "true" }
	q.Available = twinfed.Available{Project: flag("project"), Erasmus: flag("erasmus"), ProjKit: flag("kit")}
	bad := map[string]string{}
	num := func(k string) int {
		if v.Get(k) == "" {
			return 0
		}
		n, err := strconv.Atoi(v.Get(k))
		if err != nil || n < 0 {
			bad[k] = "Give pupils' ages from 0 to 99, the lowest first."
		}
		return n
	}
	q.AgeMin, q.AgeMax, q.Offset = num("age_min"), num("age_max"), num("offset")
	if len(q.Text) > 200 {
		bad["q"] = "Search for at most 200 characters."
	}
	if len(bad) > 0 {
		return q, &twinfed.Error{Code: twinfed.EINVALID, Message: "Some fields need your attention.", Fields: bad}
	}
	return q, nil
}

// peopleData is the directory page.
type peopleData struct {
	Page        *DirectoryPage
	Suggestions []*twinfed.Profile
	Searched    bool
	Countries   []*twinfed.Country
	NextURL     string
}

func (s *Server) people(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "nav.people")
	p.Nav = "people"
	p.Form = r.URL.Query()
	d := peopleData{Searched: len(r.URL.Query()) > 0}
	if s.svc.registry != nil {
		d.Countries, _ = s.svc.registry.Countries(r.Context())
	}
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		d.Page, err = s.svc.SearchDirectory(r.Context(), state(r).p, q)
	}
	if err != nil {
		p.Data = d
		if twinfed.ErrorCode(err) == twinfed.EFORBIDDEN {
			s.errorPage(w, r, err)
			return
		}
		s.fail(w, r, "people", p, err)
		return
	}
	if d.Page.Next > 0 {
		v := r.URL.Query()
		v.Set("offset", strconv.Itoa(d.Page.Next))
		d.NextURL = "/people?" + v.Encode()
	}
	if !d.Searched {
		d.Suggestions, _ = s.svc.Suggestions(r.Context(), state(r).p, 6)
	}
	p.Data = d
	s.render(w, http.StatusOK, "people", p)
}

// profileView is a profile page: the profile (its description was
// sanitised on input: by this node for its members, on arrival for other
// nodes'), and how the viewer stands to the member.
type profileView struct {
	*twinfed.Profile
	Description template.HTML
	Rel         *Relation
	Local       bool
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) {
	s.render(w, http.StatusOK, "user", s.userPageOf(w, r, prof))
}

// userPageOf is the page of a profile for this request's viewer.
func (s *Server) userPageOf(w http.ResponseWriter, r *http.Request, prof *twinfed.Profile) *page {
	p := s.newPage(w, r, "title.profile_of")
	p.Nav = "people"
	p.Data = profileView{Profile: prof, Description: template.HTML(prof.Description), Rel: s.svc.RelationTo(r.Context(), state(r).p, prof.ID),
		Local: s.svc.isLocal(prof.ID)}
	return p
}

func (s *Server) userPage(w http.ResponseWriter, r *http.Request) {
	if wantsActivity(r) && s.cfg.Federation != nil {
		s.cfg.Federation.ServeHTTP(w, r)
		return
	}
	if st := state(r); s.pageCacheable(r, st) {
		s.cachedUserPage(w, r, st, r.PathValue("username"))
		return
	}
	prof, err := s.svc.LocalProfile(r.Context(), r.PathValue("username"))
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.profilePage(w, r, prof)
}

func (s *Server) remoteProfile(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if s.svc.isLocal(id) {
		if u, ok := twinfed.UsernameFromActor(s.svc.cfg.BaseURL, id); ok {
			http.Redirect(w, r, "/users/"+url.PathEscape(u), http.StatusSeeOther)
			return
		}
	}
	prof, err := s.svc.Profile(r.Context(), state(r).p, id)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.profilePage(w, r, prof)
}

// socialAction wraps a form post about one peer (field "peer"): on success
// it goes back to the page named by "next" with a flash message.
func (s *Server) socialAction(do func(r *http.Request, p *twinfed.Principal, peer string) (string, error)) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		flash, err := do(r, state(r).p, r.PostForm.Get("peer"))
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		next := safeNext(r.PostForm.Get("next"))
		sep := "?"
		if strings.Contains(next, "?") {
			sep = "&"
		}
		http.Redirect(w, r, next+sep+"done="+flash, http.StatusSeeOther)
	}
}

func (s *Server) contacts(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.Network(r.Context(), state(r).p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.contacts")
	p.Nav = "contacts"
	p.Data = n
	s.render(w, http.StatusOK, "contacts", p)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Conversations(r.Context(), state(r).p)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.messages")
	p.Nav = "messages"
	p.Data = list
	s.render(w, http.StatusOK, "messages", p)
}

// conversationData is the page of one conversation.
type conversationData struct {
	Conv     *Conversation
	Messages []*Message
	Name     string
}

func (s *Server) conversationPage(w http.ResponseWriter, r *http.Request, peer string, ferr error) {
	conv, msgs, err := s.svc.ConversationWith(r.Context(), state(r).p, peer, 200)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.conversation")
	p.Nav = "messages"
	d := conversationData{Conv: conv, Messages: msgs, Name: displayName(conv.Profile, peer)}
	p.Data = d
	if ferr != nil {
		s.fail(w, r, "conversation", p, ferr)
		return
	}
	s.render(w, http.StatusOK, "conversation", p)
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request) {
	s.conversationPage(w, r, r.URL.Query().Get("peer"), nil)
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request) {
	to := r.PostForm.Get("to")
	if _, err := s.svc.SendMessage(r.Context(), state(r).p, to, r.PostForm.Get("content")); err != nil {
		if twinfed.ErrorCode(err) == twinfed.EINVALID && len(twinfed.ErrorFields(err)) > 0 {
			s.conversationPage(w, r, to, err)
			return
		}
		s.errorPage(w, r, err)
		return
	}
	http.Redirect(w, r, "/messages/with?peer="+url.QueryEscape(to)+"&done=sent#last", http.StatusSeeOther)
}

func (s *Server) notifications(w http.ResponseWriter, r *http.Request) {
	list, err := s.svc.Notifications(r.Context(), state(r).p, 50)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	p := s.newPage(w, r, "title.notifications")
	p.Nav = "notifications"
	p.Data = list
	s.render(w, http.StatusOK, "notifications", p)
}

// displayName is a peer's name, or user@host when the directory does not
// hold their profile.
func displayName(p *twinfed.Profile, actor string) string {
	if p != nil && p.Name != "" {
		return p.Name
	}
	return lastSegment(actor) + "@" + twinfed.URLHost(actor)
}

// profileLink is where a peer's profile page is on this node.
func profileLink(actor string) string { return "/people/profile?id=" + url.QueryEscape(actor) }

// backfillPage serves a page of this node's public profiles to another
// node (behind the signature check).
func (s *Server) backfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.svc.LocalProfiles(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// projectsBackfillPage serves the public projects this node is home to,
// to other nodes (signed GETs only).
func (s *Server) projectsBackfillPage(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page, err := s.svc.LocalPublicProjects(r.Context(), r.URL.Query().Get("after"), limit)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

// --- JSON API ---

type peerInput struct {
	Peer    string `json:"peer"`
	Message string `json:"message,omitempty"`
}

// apiAction is an API handler that decodes an In from the request body,
// does do with it for the principal and answers with do's result, or
// {"status": "ok"} when it has none.
func apiAction[In any](s *Server, do func(r *http.Request, p *twinfed.Principal, in In) (any, error)) func(http.ResponseWriter, *http.Request, *reqState) {
	return func(w http.ResponseWriter, r *http.Request, st *reqState) {
		var in In
		if err := decode(r, &in); err != nil {
			s.apiFail(w, err)
			return
		}
		out, err := do(r, st.p, in)
		if err != nil {
			s.apiFail(w, err)
			return
		}
		if out == nil {
			out = map[string]string{"status": "ok"}
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func (s *Server) apiDirectory(w http.ResponseWriter, r *http.Request, st *reqState) {
	q, err := parseDirQuery(r.URL.Query())
	if err == nil {
		var page *DirectoryPage
		if page, err = s.svc.SearchDirectory(r.Context(), st.p, q); err == nil {
			writeJSON(w, http.StatusOK, page)
			return
		}
	}
	s.apiFail(w, err)
}

func (s *Server) apiSuggestions(w http.ResponseWriter, r *http.Request, st *reqState) {
	list, err := s.svc.Suggestions(r.Context(), st.p, 10)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"profiles": list})
}

func (s *Server) apiDirectoryProfile(w http.ResponseWriter, r *http.Request, st *reqState) {
	prof, err := s.svc.Profile(r.Context(), st.p, r.URL.Query().Get("id"))
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"profile": prof, "relation": s.svc.RelationTo(r.Context(), st.p, prof.ID)})
}

func (s *Server) apiContacts(w http.ResponseWriter, r *http.Request, st *reqState) {
	n, err := s.svc.Network(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) apiConversations(w http.ResponseWriter, r *http.Request, st *reqState) {
	list, err := s.svc.Conversations(r.Context(), st.p)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
}

func (s *Server) apiConversation(w http.ResponseWriter, r *http.Request, st *reqState) {
	conv, msgs, err := s.svc.ConversationWith(r.Context(), st.p, r.URL.Query().Get("peer"), 200)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": conv, "messages": msgs})
}

func (s *Server) apiSendMessage(w http.ResponseWriter, r *http.Request, st *reqState) {
	var in struct {
		To      string `json:"to"`
		Content string `json:"content"`
	}
	if err := decode(r, &in); err != nil {
		s.apiFail(w, err)
		return
	}
	m, err := s.svc.SendMessage(r.Context(), st.p, in.To, in.Content)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request, st *reqState) {
	list, err := s.svc.Notifications(r.Context(), st.p, 50)
	if err != nil {
		s.apiFail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": list})
}

func (s *Server) apiCounts(w http.ResponseWriter, r *http.Request, st *reqState) {
	writeJSON(w, http.StatusOK, s.svc.Counts(r.Context(), st.p))
}
