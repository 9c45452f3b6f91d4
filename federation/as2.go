package federation

// This file is the one place where ActivityStreams 2.0 meets the domain:
// every conversion between go-fed/activity vocabulary types and twinfed
// types, both ways, lives here (as GoToSocial's typeutils does).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
	"github.com/twinfed/twinfed"
)

// Namespaces and media types.
const (
	nsActivityStreams = "https://www.w3.org/ns/activitystreams"
	nsSecurity        = "https://w3id.org/security/v1"
	nsTwinfed         = "https://twinfed.eu/ns#"

	// propContact marks a Follow that is a contact request.
	propContact = "twinfed:contact"
	// propProfile carries the domain fields of a public profile on a Person.
	propProfile = "twinfed:profile"
	// propProject carries the whole project record on its Group.
	propProject = "twinfed:project"
	// propForum carries the whole partner-forum post (or reply) on its Note.
	propForum = "twinfed:forumPost"
	// propEvent carries the whole event record on its Event.
	propEvent = "twinfed:event"
	// propTraining carries the whole training offer on its Event.
	propTraining = "twinfed:training"
	// propSpace carries the whole TwinSpace object on its Note.
	propSpace = "twinfed:spaceObject"
	// propFile carries the record of a file of an event's archive on its
	// Note (node/event/eventfiles).
	propFile = "twinfed:eventFile"
	// propLikes carries a wall post's like count (twinfed.PostLikes) on
	// the post's Note, beside its likes collection's totalItems.
	propLikes = "twinfed:postLikes"
	// propEndpoints is ActivityPub's endpoints (sharedInbox), which the
	// go-fed vocabulary does not know.
	propEndpoints = "endpoints"
	// propAssertionMethod lists an actor's keys as Multikeys (FEP-521a).
	propAssertionMethod = "assertionMethod"
	// nsMultikey is the context that defines Multikey and assertionMethod.
	nsMultikey = "https://w3id.org/security/multikey/v1"

	// ContentTypeActivity is the media type of ActivityPub documents.
	ContentTypeActivity = "application/activity+json"
	// ContentTypeLD is the JSON-LD media type ActivityPub also accepts.
	ContentTypeLD = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
)

// as2Activity is what every go-fed activity type we exchange has in common.
type as2Activity interface {
	vocab.Type
	GetActivityStreamsActor() vocab.ActivityStreamsActorProperty
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	GetActivityStreamsObject() vocab.ActivityStreamsObjectProperty
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
	GetActivityStreamsTo() vocab.ActivityStreamsToProperty
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	GetActivityStreamsTarget() vocab.ActivityStreamsTargetProperty
	SetActivityStreamsTarget(vocab.ActivityStreamsTargetProperty)
	GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	GetActivityStreamsPublished() vocab.ActivityStreamsPublishedProperty
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	GetUnknownProperties() map[string]interface{}
}

func newAS2Activity(t twinfed.ActivityType) (as2Activity, bool) {
	switch t {
	case twinfed.ActivityFollow:
		return streams.NewActivityStreamsFollow(), true
	case twinfed.ActivityAccept:
		return streams.NewActivityStreamsAccept(), true
	case twinfed.ActivityReject:
		return streams.NewActivityStreamsReject(), true
	case twinfed.ActivityUndo:
		return streams.NewActivityStreamsUndo(), true
	case twinfed.ActivityCreate:
		return streams.NewActivityStreamsCreate(), true
	case twinfed.ActivityUpdate:
		return streams.NewActivityStreamsUpdate(), true
	case twinfed.ActivityDelete:
		return streams.NewActivityStreamsDelete(), true
	case twinfed.ActivityInvite:
		return streams.NewActivityStreamsInvite(), true
	case twinfed.ActivityJoin:
		return streams.NewActivityStreamsJoin(), true
	case twinfed.ActivityLeave:
		return streams.NewActivityStreamsLeave(), true
	case twinfed.ActivityAnnounce:
		return streams.NewActivityStreamsAnnounce(), true
	case twinfed.ActivityFlag:
		return streams.NewActivityStreamsFlag(), true
	case twinfed.ActivityLike:
		return streams.NewActivityStreamsLike(), true
	}
	return nil, false
}

// profileExt is the part of a profile that has no ActivityStreams property.
type profileExt struct {
	Country     string              `json:"country,omitempty"`
	SchoolID    string              `json:"school_id,omitempty"`
	SchoolName  string              `json:"school_name,omitempty"`
	SchoolLevel twinfed.SchoolLevel `json:"school_level,omitempty"`
	Region      string              `json:"region,omitempty"`
	Role        string              `json:"role,omitempty"`
	Subjects    []string            `json:"subjects,omitempty"`
	Languages   []string            `json:"languages,omitempty"`
	PupilAges   []int               `json:"pupil_ages,omitempty"`
	Interests   []string            `json:"interests,omitempty"`
	Available   twinfed.Available   `json:"available"`
}

func mustURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, twinfed.Errorf(twinfed.EINVALID, "%q is not an absolute http(s) URL", raw)
	}
	return u, nil
}

func idProperty(raw string) (vocab.JSONLDIdProperty, error) {
	u, err := mustURL(raw)
	if err != nil {
		return nil, err
	}
	p := streams.NewJSONLDIdProperty()
	p.Set(u)
	return p, nil
}

// actorKeys are the node keys every actor document presents as the actor's
// own: MainPEM as publicKey (<actor>#main-key; the RSA key, which is what
// Mastodon reads) and each of Multikeys as an assertionMethod Multikey
// (FEP-521a) at <actor>#<Fragment>.
type actorKeys struct {
	MainPEM   string
	Multikeys []multikey
}

// multikey is one key of an actor's assertionMethod.
type multikey struct {
	Fragment  string // e.g. "ed25519-key"
	Multibase string // publicKeyMultibase
}

// publicKey describes the keys an actor document presents.
type publicKey struct {
	Owner string
	Keys  actorKeys
}

// setPublicKey sets what an actor document has beside its profile: its
// keys (publicKey, assertionMethod) and its paged outbox and followers
// collections (<actor>/outbox, <actor>/followers).
func setPublicKey(t interface {
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	GetUnknownProperties() map[string]any
}, k publicKey) error {
	outbox, err := mustURL(k.Owner + "/" + collectionOutbox)
	if err != nil {
		return err
	}
	followers, err := mustURL(k.Owner + "/" + collectionFollowers)
	if err != nil {
		return err
	}
	obp := streams.NewActivityStreamsOutboxProperty()
	obp.SetIRI(outbox)
	t.SetActivityStreamsOutbox(obp)
	fp := streams.NewActivityStreamsFollowersProperty()
	fp.SetIRI(followers)
	t.SetActivityStreamsFollowers(fp)

	id, err := idProperty(twinfed.KeyID(k.Owner))
	if err != nil {
		return err
	}
	owner, err := mustURL(k.Owner)
	if err != nil {
		return err
	}
	pk := streams.NewW3IDSecurityV1PublicKey()
	pk.SetJSONLDId(id)
	op := streams.NewW3IDSecurityV1OwnerProperty()
	op.Set(owner)
	pk.SetW3IDSecurityV1Owner(op)
	pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pem.Set(k.Keys.MainPEM)
	pk.SetW3IDSecurityV1PublicKeyPem(pem)
	prop := streams.NewW3IDSecurityV1PublicKeyProperty()
	prop.AppendW3IDSecurityV1PublicKey(pk)
	t.SetW3IDSecurityV1PublicKey(prop)
	if len(k.Keys.Multikeys) > 0 {
		var am []any
		for _, mk := range k.Keys.Multikeys {
			am = append(am, map[string]any{
				"id": k.Owner + "#" + mk.Fragment, "type": "Multikey",
				"controller": k.Owner, "publicKeyMultibase": mk.Multibase,
			})
		}
		t.GetUnknownProperties()[propAssertionMethod] = am
	}
	return nil
}

// personFromProfile builds the Person of a public profile. inbox and key are
// set for an actor document, left empty for a Person embedded in an Update.
func personFromProfile(p *twinfed.Profile, inbox, sharedInbox string, key *publicKey) (vocab.ActivityStreamsPerson, error) {
	person := streams.NewActivityStreamsPerson()
	id, err := idProperty(p.ID)
	if err != nil {
		return nil, err
	}
	person.SetJSONLDId(id)
	if p.Username != "" {
		pu := streams.NewActivityStreamsPreferredUsernameProperty()
		pu.SetXMLSchemaString(p.Username)
		person.SetActivityStreamsPreferredUsername(pu)
	}
	if p.Name != "" {
		n := streams.NewActivityStreamsNameProperty()
		n.AppendXMLSchemaString(p.Name)
		person.SetActivityStreamsName(n)
	}
	if p.Description != "" {
		s := streams.NewActivityStreamsSummaryProperty()
		s.AppendXMLSchemaString(p.Description)
		person.SetActivityStreamsSummary(s)
	}
	if p.PhotoURL != "" {
		u, err := mustURL(p.PhotoURL)
		if err != nil {
			return nil, err
		}
		img := streams.NewActivityStreamsImage()
		up := streams.NewActivityStreamsUrlProperty()
		up.AppendIRI(u)
		img.SetActivityStreamsUrl(up)
		icon := streams.NewActivityStreamsIconProperty()
		icon.AppendActivityStreamsImage(img)
		person.SetActivityStreamsIcon(icon)
	}
	if !p.Updated.IsZero() {
		up := streams.NewActivityStreamsUpdatedProperty()
		up.Set(p.Updated.UTC())
		person.SetActivityStreamsUpdated(up)
	}
	if inbox != "" {
		u, err := mustURL(inbox)
		if err != nil {
			return nil, err
		}
		ip := streams.NewActivityStreamsInboxProperty()
		ip.SetIRI(u)
		person.SetActivityStreamsInbox(ip)
		person.GetUnknownProperties()[propEndpoints] = map[string]any{"sharedInbox": sharedInbox}
	}
	if key != nil {
		if err := setPublicKey(person, *key); err != nil {
			return nil, err
		}
	}
	person.GetUnknownProperties()[propProfile] = profileExt{
		Country: p.Country, SchoolID: p.SchoolID, SchoolName: p.SchoolName,
		SchoolLevel: p.SchoolLevel, Region: p.Region, Role: p.Role,
		Subjects: p.Subjects, Languages: p.Languages, PupilAges: p.PupilAges,
		Interests: p.Interests, Available: p.Available,
	}
	return person, nil
}

func profileFromPerson(person vocab.ActivityStreamsPerson) (*twinfed.Profile, error) {
	p := &twinfed.Profile{}
	if id := person.GetJSONLDId(); id != nil && id.Get() != nil {
		p.ID = id.Get().String()
	}
	if p.ID == "" {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Person has no id")
	}
	if pu := person.GetActivityStreamsPreferredUsername(); pu != nil && pu.IsXMLSchemaString() {
		p.Username = pu.GetXMLSchemaString()
	}
	p.Name = firstString(person.GetActivityStreamsName())
	p.Description = firstString(person.GetActivityStreamsSummary())
	if icon := person.GetActivityStreamsIcon(); icon != nil {
		for it := icon.Begin(); it != icon.End(); it = it.Next() {
			if it.IsActivityStreamsImage() {
				if u := it.GetActivityStreamsImage().GetActivityStreamsUrl(); u != nil && u.Len() > 0 && u.At(0).IsIRI() {
					p.PhotoURL = u.At(0).GetIRI().String()
				}
			}
			break
		}
	}
	if up := person.GetActivityStreamsUpdated(); up != nil && up.IsXMLSchemaDateTime() {
		p.Updated = up.Get().UTC()
	}
	if raw, ok := person.GetUnknownProperties()[propProfile]; ok {
		var ext profileExt
		if err := remarshal(raw, &ext); err != nil {
			return nil, twinfed.Errorf(twinfed.EINVALID, "the Person's %s is malformed", propProfile)
		}
		p.Country, p.SchoolID, p.SchoolName = ext.Country, ext.SchoolID, ext.SchoolName
		p.SchoolLevel, p.Region, p.Role = ext.SchoolLevel, ext.Region, ext.Role
		p.Subjects, p.Languages, p.PupilAges = twinfed.SubjectIDs(ext.Subjects), ext.Languages, ext.PupilAges
		p.Interests, p.Available = ext.Interests, ext.Available
	}
	return p, nil
}

// firstString returns the first plain string of a multi-valued natural
// language property (name, summary, content).
func firstString(p interface {
	Len() int
}) string {
	switch v := p.(type) {
	case vocab.ActivityStreamsNameProperty:
		if v != nil {
			for it := v.Begin(); it != v.End(); it = it.Next() {
				if it.IsXMLSchemaString() {
					return it.GetXMLSchemaString()
				}
			}
		}
	case vocab.ActivityStreamsSummaryProperty:
		if v != nil {
			for it := v.Begin(); it != v.End(); it = it.Next() {
				if it.IsXMLSchemaString() {
					return it.GetXMLSchemaString()
				}
			}
		}
	case vocab.ActivityStreamsContentProperty:
		if v != nil {
			for it := v.Begin(); it != v.End(); it = it.Next() {
				if it.IsXMLSchemaString() {
					return it.GetXMLSchemaString()
				}
			}
		}
	}
	return ""
}

func remarshal(in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// groupFromProject is a project as its Group actor: the title as name, the
// description as summary, and the whole record under twinfed:project.
func groupFromProject(p *twinfed.Project) (vocab.ActivityStreamsGroup, error) {
	g := streams.NewActivityStreamsGroup()
	id, err := idProperty(p.ID)
	if err != nil {
		return nil, fmt.Errorf("project id: %w", err)
	}
	g.SetJSONLDId(id)
	n := streams.NewActivityStreamsNameProperty()
	n.AppendXMLSchemaString(p.Title)
	g.SetActivityStreamsName(n)
	if p.Description != "" {
		sp := streams.NewActivityStreamsSummaryProperty()
		sp.AppendXMLSchemaString(p.Description)
		g.SetActivityStreamsSummary(sp)
	}
	if !p.Updated.IsZero() {
		up := streams.NewActivityStreamsUpdatedProperty()
		up.Set(p.Updated.UTC())
		g.SetActivityStreamsUpdated(up)
	}
	g.GetUnknownProperties()[propProject] = p
	return g, nil
}

// eventFromDomain is an event as an AS2 Event: its title as name, its
// description as content, its start and end, its place as location (by
// name), and the whole record under twinfed:event.
func eventFromDomain(e *twinfed.Event) (vocab.ActivityStreamsEvent, error) {
	ev := streams.NewActivityStreamsEvent()
	id, err := idProperty(e.ID)
	if err != nil {
		return nil, fmt.Errorf("event id: %w", err)
	}
	ev.SetJSONLDId(id)
	n := streams.NewActivityStreamsNameProperty()
	n.AppendXMLSchemaString(e.Title)
	ev.SetActivityStreamsName(n)
	st := streams.NewActivityStreamsStartTimeProperty()
	st.Set(e.Start.UTC())
	ev.SetActivityStreamsStartTime(st)
	et := streams.NewActivityStreamsEndTimeProperty()
	et.Set(e.End().UTC())
	ev.SetActivityStreamsEndTime(et)
	ev.GetUnknownProperties()[propEvent] = e
	return ev, nil
}

func eventToDomain(ev vocab.ActivityStreamsEvent) (*twinfed.Event, error) {
	var id string
	if v := ev.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	raw, ok := ev.GetUnknownProperties()[propEvent]
	if id == "" || !ok {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Event must have an id and a %s", propEvent)
	}
	e := new(twinfed.Event)
	if err := remarshal(raw, e); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Event's %s is malformed", propEvent)
	}
	if e.ID != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Event %s carries the record of event %s", id, e.ID)
	}
	return e, nil
}

// trainingFromDomain is a training offer as an AS2 Event: its title as
// name, its first and last day, and the whole record under
// twinfed:training.
func trainingFromDomain(t *twinfed.Training) (vocab.ActivityStreamsEvent, error) {
	ev := streams.NewActivityStreamsEvent()
	id, err := idProperty(t.ID)
	if err != nil {
		return nil, fmt.Errorf("training id: %w", err)
	}
	ev.SetJSONLDId(id)
	n := streams.NewActivityStreamsNameProperty()
	n.AppendXMLSchemaString(t.Title)
	ev.SetActivityStreamsName(n)
	st := streams.NewActivityStreamsStartTimeProperty()
	st.Set(t.Start.UTC())
	ev.SetActivityStreamsStartTime(st)
	et := streams.NewActivityStreamsEndTimeProperty()
	et.Set(t.End.UTC())
	ev.SetActivityStreamsEndTime(et)
	ev.GetUnknownProperties()[propTraining] = t
	return ev, nil
}

func trainingToDomain(ev vocab.ActivityStreamsEvent) (*twinfed.Training, error) {
	var id string
	if v := ev.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	t := new(twinfed.Training)
	if err := remarshal(ev.GetUnknownProperties()[propTraining], t); err != nil || id == "" {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Event's %s is malformed", propTraining)
	}
	if t.ID != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Event %s carries the record of training %s", id, t.ID)
	}
	return t, nil
}

func projectFromGroup(g vocab.ActivityStreamsGroup) (*twinfed.Project, error) {
	var id string
	if v := g.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	raw, ok := g.GetUnknownProperties()[propProject]
	if id == "" || !ok {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Group must have an id and a %s", propProject)
	}
	p := new(twinfed.Project)
	if err := remarshal(raw, p); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Group's %s is malformed", propProject)
	}
	if p.ID != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Group %s carries the record of project %s", id, p.ID)
	}
	return p, nil
}

func noteFromDomain(n *twinfed.Note) (vocab.ActivityStreamsNote, error) {
	note := streams.NewActivityStreamsNote()
	id, err := idProperty(n.ID)
	if err != nil {
		return nil, err
	}
	note.SetJSONLDId(id)
	from, err := mustURL(n.From)
	if err != nil {
		return nil, err
	}
	at := streams.NewActivityStreamsAttributedToProperty()
	at.AppendIRI(from)
	note.SetActivityStreamsAttributedTo(at)
	if n.To != "" {
		to, err := mustURL(n.To)
		if err != nil {
			return nil, err
		}
		tp := streams.NewActivityStreamsToProperty()
		tp.AppendIRI(to)
		note.SetActivityStreamsTo(tp)
	}
	c := streams.NewActivityStreamsContentProperty()
	c.AppendXMLSchemaString(n.Content)
	note.SetActivityStreamsContent(c)
	if n.InReplyTo != "" {
		u, err := mustURL(n.InReplyTo)
		if err != nil {
			return nil, err
		}
		r := streams.NewActivityStreamsInReplyToProperty()
		r.AppendIRI(u)
		note.SetActivityStreamsInReplyTo(r)
	}
	if !n.Published.IsZero() {
		p := streams.NewActivityStreamsPublishedProperty()
		p.Set(n.Published.UTC())
		note.SetActivityStreamsPublished(p)
	}
	if !n.Updated.IsZero() {
		up := streams.NewActivityStreamsUpdatedProperty()
		up.Set(n.Updated.UTC())
		note.SetActivityStreamsUpdated(up)
	}
	if len(n.Images) > 0 {
		ap := streams.NewActivityStreamsAttachmentProperty()
		for _, im := range n.Images {
			u, err := mustURL(im.URL)
			if err != nil {
				return nil, fmt.Errorf("note image: %w", err)
			}
			img := streams.NewActivityStreamsImage()
			up := streams.NewActivityStreamsUrlProperty()
			up.AppendIRI(u)
			img.SetActivityStreamsUrl(up)
			mt := streams.NewActivityStreamsMediaTypeProperty()
			mt.Set(im.MediaType)
			img.SetActivityStreamsMediaType(mt)
			ap.AppendActivityStreamsImage(img)
		}
		note.SetActivityStreamsAttachment(ap)
	}
	if n.File != nil {
		note.GetUnknownProperties()[propFile] = n.File
	}
	return note, nil
}

func noteToDomain(note vocab.ActivityStreamsNote) (*twinfed.Note, error) {
	n := &twinfed.Note{}
	if id := note.GetJSONLDId(); id != nil && id.Get() != nil {
		n.ID = id.Get().String()
	}
	if n.ID == "" {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note has no id")
	}
	if at := note.GetActivityStreamsAttributedTo(); at != nil && at.Len() > 0 && at.At(0).IsIRI() {
		n.From = at.At(0).GetIRI().String()
	}
	if to := note.GetActivityStreamsTo(); to != nil && to.Len() > 0 && to.At(0).IsIRI() {
		n.To = to.At(0).GetIRI().String()
	}
	n.Content = firstString(note.GetActivityStreamsContent())
	if r := note.GetActivityStreamsInReplyTo(); r != nil && r.Len() > 0 && r.At(0).IsIRI() {
		n.InReplyTo = r.At(0).GetIRI().String()
	}
	if p := note.GetActivityStreamsPublished(); p != nil && p.IsXMLSchemaDateTime() {
		n.Published = p.Get().UTC()
	}
	if up := note.GetActivityStreamsUpdated(); up != nil && up.IsXMLSchemaDateTime() {
		n.Updated = up.Get().UTC()
	}
	if ap := note.GetActivityStreamsAttachment(); ap != nil {
		for it := ap.Begin(); it != ap.End(); it = it.Next() {
			if !it.IsActivityStreamsImage() {
				continue
			}
			img := it.GetActivityStreamsImage()
			var im twinfed.PostImage
			if up := img.GetActivityStreamsUrl(); up != nil && up.Len() > 0 && up.At(0).IsIRI() {
				im.URL = up.At(0).GetIRI().String()
			}
			if mt := img.GetActivityStreamsMediaType(); mt != nil && mt.IsRFCRfc2045() {
				im.MediaType = mt.Get()
			}
			if im.URL != "" {
				n.Images = append(n.Images, im)
			}
		}
	}
	if v := note.GetUnknownProperties()[propFile]; v != nil {
		n.File = new(twinfed.EventFile)
		if err := remarshal(v, n.File); err != nil || n.File.ID != n.ID {
			return nil, twinfed.Errorf(twinfed.EINVALID, "the Note %s carries a malformed %s", n.ID, propFile)
		}
	}
	return n, nil
}

// noteFromForumPost is a partner-forum post (or reply) as a Note: its
// author as attributedTo, its idea as content, its thread as context (the
// post it answers as inReplyTo), and the whole record under
// twinfed:forumPost.
func noteFromForumPost(f *twinfed.ForumPost) (vocab.ActivityStreamsNote, error) {
	note, err := noteFromDomain(&twinfed.Note{ID: f.ID, From: f.Author, Content: f.Idea, InReplyTo: f.InReplyTo, Published: f.Published})
	if err != nil {
		return nil, err
	}
	if f.Title != "" {
		n := streams.NewActivityStreamsNameProperty()
		n.AppendXMLSchemaString(f.Title)
		note.SetActivityStreamsName(n)
	}
	if f.Thread != "" {
		u, err := mustURL(nsTwinfed + "forum/" + f.Thread)
		if err != nil {
			return nil, err
		}
		cp := streams.NewActivityStreamsContextProperty()
		cp.AppendIRI(u)
		note.SetActivityStreamsContext(cp)
	}
	note.GetUnknownProperties()[propForum] = f
	return note, nil
}

// forumPostFromNote reads the record a Note carries under
// twinfed:forumPost; EINVALID when it is malformed or is not the Note's.
func forumPostFromNote(note vocab.ActivityStreamsNote) (*twinfed.ForumPost, error) {
	var id string
	if v := note.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	f := new(twinfed.ForumPost)
	if err := remarshal(note.GetUnknownProperties()[propForum], f); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note's %s is malformed", propForum)
	}
	if id == "" || f.ID != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note %s carries the forum post %s", id, f.ID)
	}
	return f, nil
}

// noteFromSpaceObject is a TwinSpace object as a Note: its writer as
// attributedTo, its text as content, its title as name, the project's
// Group as context, and the whole record under twinfed:spaceObject.
func noteFromSpaceObject(o *twinfed.SpaceObject) (vocab.ActivityStreamsNote, error) {
	note, err := noteFromDomain(&twinfed.Note{ID: o.ID, From: o.Writer(), Content: o.Content, Published: o.Created})
	if err != nil {
		return nil, err
	}
	if o.Title != "" {
		n := streams.NewActivityStreamsNameProperty()
		n.AppendXMLSchemaString(o.Title)
		note.SetActivityStreamsName(n)
	}
	if o.Project != "" {
		u, err := mustURL(o.Project)
		if err != nil {
			return nil, err
		}
		cp := streams.NewActivityStreamsContextProperty()
		cp.AppendIRI(u)
		note.SetActivityStreamsContext(cp)
	}
	note.GetUnknownProperties()[propSpace] = o
	return note, nil
}

// spaceObjectFromNote reads the record a Note carries under
// twinfed:spaceObject; EINVALID when it is malformed or is not the Note's.
func spaceObjectFromNote(note vocab.ActivityStreamsNote) (*twinfed.SpaceObject, error) {
	var id string
	if v := note.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	o := new(twinfed.SpaceObject)
	if err := remarshal(note.GetUnknownProperties()[propSpace], o); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note's %s is malformed", propSpace)
	}
	if id == "" || o.ID != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note %s carries the TwinSpace object %s", id, o.ID)
	}
	return o, nil
}

// noteFromPostLikes is a wall post's like count as the post's Note: its
// id, its likes collection with the count as totalItems, and the whole
// record under twinfed:postLikes.
func noteFromPostLikes(l *twinfed.PostLikes) (vocab.ActivityStreamsNote, error) {
	note := streams.NewActivityStreamsNote()
	id, err := idProperty(l.Post)
	if err != nil {
		return nil, fmt.Errorf("liked post: %w", err)
	}
	note.SetJSONLDId(id)
	c := streams.NewActivityStreamsCollection()
	n := streams.NewActivityStreamsTotalItemsProperty()
	n.Set(l.Likes)
	c.SetActivityStreamsTotalItems(n)
	lp := streams.NewActivityStreamsLikesProperty()
	lp.SetActivityStreamsCollection(c)
	note.SetActivityStreamsLikes(lp)
	note.GetUnknownProperties()[propLikes] = l
	return note, nil
}

// postLikesFromNote reads the like count a Note carries under
// twinfed:postLikes; EINVALID when it is malformed or is not the Note's.
func postLikesFromNote(note vocab.ActivityStreamsNote) (*twinfed.PostLikes, error) {
	var id string
	if v := note.GetJSONLDId(); v != nil && v.Get() != nil {
		id = v.Get().String()
	}
	l := new(twinfed.PostLikes)
	if err := remarshal(note.GetUnknownProperties()[propLikes], l); err != nil || l.Likes < 0 {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note's %s is malformed", propLikes)
	}
	if id == "" || l.Post != id {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the Note %s carries the likes of post %s", id, l.Post)
	}
	return l, nil
}

// EncodeActivity turns a domain activity into its ActivityStreams 2.0 JSON
// document, as it is delivered and served at its id. An activity with no
// embedded object is written by encodeSimple, byte for byte as go-fed
// writes it; every other goes through go-fed.
func EncodeActivity(a *twinfed.Activity) ([]byte, error) {
	if b, ok := encodeSimple(a); ok {
		return b, nil
	}
	return encodeActivityStreams(a)
}

// encodeActivityStreams is EncodeActivity through go-fed's vocabulary types.
func encodeActivityStreams(a *twinfed.Activity) ([]byte, error) {
	act, ok := newAS2Activity(a.Type)
	if !ok {
		return nil, twinfed.Errorf(twinfed.EINVALID, "activity type %q is not supported", a.Type)
	}
	id, err := idProperty(a.ID)
	if err != nil {
		return nil, fmt.Errorf("activity id: %w", err)
	}
	act.SetJSONLDId(id)
	actor, err := mustURL(a.Actor)
	if err != nil {
		return nil, fmt.Errorf("activity actor: %w", err)
	}
	ap := streams.NewActivityStreamsActorProperty()
	ap.AppendIRI(actor)
	act.SetActivityStreamsActor(ap)
	if len(a.To) > 0 {
		tp := streams.NewActivityStreamsToProperty()
		for _, r := range a.To {
			u, err := mustURL(r)
			if err != nil {
				return nil, fmt.Errorf("activity to: %w", err)
			}
			tp.AppendIRI(u)
		}
		act.SetActivityStreamsTo(tp)
	}
	op := streams.NewActivityStreamsObjectProperty()
	switch {
	case a.Project != nil && a.Object == a.Project.ID:
		g, err := groupFromProject(a.Project)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsGroup(g)
	case a.Training != nil && a.Object == a.Training.ID:
		ev, err := trainingFromDomain(a.Training)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsEvent(ev)
	case a.Event != nil && a.Object == a.Event.ID:
		ev, err := eventFromDomain(a.Event)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsEvent(ev)
	case a.Profile != nil:
		person, err := personFromProfile(a.Profile, "", "", nil)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsPerson(person)
	case a.Likes != nil:
		note, err := noteFromPostLikes(a.Likes)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsNote(note)
	case a.Note != nil:
		note, err := noteFromDomain(a.Note)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsNote(note)
	case a.Forum != nil:
		note, err := noteFromForumPost(a.Forum)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsNote(note)
	case a.Space != nil:
		note, err := noteFromSpaceObject(a.Space)
		if err != nil {
			return nil, err
		}
		op.AppendActivityStreamsNote(note)
	case a.Object != "":
		u, err := mustURL(a.Object)
		if err != nil {
			return nil, fmt.Errorf("activity object: %w", err)
		}
		op.AppendIRI(u)
	}
	if op.Len() > 0 {
		act.SetActivityStreamsObject(op)
	}
	if a.Target != "" {
		tp := streams.NewActivityStreamsTargetProperty()
		if a.Project != nil && a.Target == a.Project.ID && a.Object != a.Project.ID {
			g, err := groupFromProject(a.Project)
			if err != nil {
				return nil, err
			}
			tp.AppendActivityStreamsGroup(g)
		} else {
			u, err := mustURL(a.Target)
			if err != nil {
				return nil, fmt.Errorf("activity target: %w", err)
			}
			tp.AppendIRI(u)
		}
		act.SetActivityStreamsTarget(tp)
	}
	if a.Summary != "" {
		sp := streams.NewActivityStreamsSummaryProperty()
		sp.AppendXMLSchemaString(a.Summary)
		act.SetActivityStreamsSummary(sp)
	}
	if !a.Published.IsZero() {
		pp := streams.NewActivityStreamsPublishedProperty()
		pp.Set(a.Published.UTC())
		act.SetActivityStreamsPublished(pp)
	}
	if a.Contact {
		act.GetUnknownProperties()[propContact] = true
	}
	return serialize(act)
}

// serialize writes a vocabulary value as JSON with a @context naming every
// vocabulary it uses, Twinfed's extension included.
func serialize(t vocab.Type) ([]byte, error) {
	m, err := streams.Serialize(t)
	if err != nil {
		return nil, fmt.Errorf("serialize %s: %w", t.GetTypeName(), err)
	}
	ctx := []any{nsActivityStreams}
	if _, ok := t.JSONLDContext()[nsSecurity]; ok {
		ctx = append(ctx, nsSecurity)
	}
	if _, ok := m[propAssertionMethod]; ok {
		ctx = append(ctx, nsMultikey)
	}
	ctx = append(ctx, map[string]string{"twinfed": nsTwinfed})
	m["@context"] = ctx
	return encodeJSON(m)
}

// DecodeActivity parses an ActivityStreams 2.0 activity into its domain
// form. It returns EINVALID, saying what is wrong, for anything that is not a
// well-formed activity of a supported type. The shapes Twinfed sends are
// read by decodeSimple, exactly as go-fed would read them; everything else
// goes through go-fed.
func DecodeActivity(body []byte) (*twinfed.Activity, error) {
	return decodeActivity(body, true)
}

// decodeActivity is DecodeActivity; with simple false it always uses go-fed
// (FuzzDecodeActivity compares the two).
func decodeActivity(body []byte, simple bool) (*twinfed.Activity, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the body is not a JSON object")
	}
	if dec.More() {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the body has data after the JSON object")
	}
	typeName, _ := m["type"].(string)
	// simpleType lists newAS2Activity's types: asking newAS2Activity would
	// build a go-fed value (about a tenth of an inbox request's CPU) only
	// to throw it away.
	if !simpleType(twinfed.ActivityType(typeName)) {
		return nil, twinfed.Errorf(twinfed.EINVALID, "activity type %q is not supported", m["type"])
	}
	if _, ok := m["@context"]; !ok {
		m["@context"] = nsActivityStreams // go-fed resolves types through the context
	}
	if simple {
		if a, ok := decodeSimple(m, typeName); ok {
			return a, nil
		}
	}
	t, err := resolveActivity(m)
	if err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the body is not a valid %s activity", typeName)
	}
	act, ok := t.(as2Activity)
	if !ok || t.GetTypeName() != typeName {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the body is not a valid %s activity", typeName)
	}
	a := &twinfed.Activity{Type: twinfed.ActivityType(typeName)}
	if id := act.GetJSONLDId(); id != nil && id.Get() != nil {
		a.ID = id.Get().String()
	}
	if _, err := mustURL(a.ID); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the activity id must be an absolute http(s) URL")
	}
	if ap := act.GetActivityStreamsActor(); ap != nil && ap.Len() == 1 {
		it := ap.At(0)
		switch {
		case it.IsIRI():
			a.Actor = it.GetIRI().String()
		case it.GetType() != nil && it.GetType().GetJSONLDId() != nil && it.GetType().GetJSONLDId().Get() != nil:
			a.Actor = it.GetType().GetJSONLDId().Get().String()
		}
	}
	if _, err := mustURL(a.Actor); err != nil {
		return nil, twinfed.Errorf(twinfed.EINVALID, "the activity must have exactly one actor, an absolute http(s) URL")
	}
	if tp := act.GetActivityStreamsTo(); tp != nil {
		for it := tp.Begin(); it != tp.End(); it = it.Next() {
			if it.IsIRI() {
				a.To = append(a.To, it.GetIRI().String())
			}
		}
	}
	if op := act.GetActivityStreamsObject(); op != nil && op.Len() > 0 {
		if op.Len() > 1 {
			return nil, twinfed.Errorf(twinfed.EINVALID, "the activity must have at most one object")
		}
		it := op.At(0)
		switch {
		case it.IsIRI():
			a.Object = it.GetIRI().String()
		case it.IsActivityStreamsPerson():
			p, err := profileFromPerson(it.GetActivityStreamsPerson())
			if err != nil {
				return nil, err
			}
			a.Profile, a.Object = p, p.ID
		case it.IsActivityStreamsNote() && it.GetActivityStreamsNote().GetUnknownProperties()[propForum] != nil:
			f, err := forumPostFromNote(it.GetActivityStreamsNote())
			if err != nil {
				return nil, err
			}
			a.Forum, a.Object = f, f.ID
		case it.IsActivityStreamsNote() && it.GetActivityStreamsNote().GetUnknownProperties()[propSpace] != nil:
			o, err := spaceObjectFromNote(it.GetActivityStreamsNote())
			if err != nil {
				return nil, err
			}
			a.Space, a.Object = o, o.ID
		case it.IsActivityStreamsNote() && it.GetActivityStreamsNote().GetUnknownProperties()[propLikes] != nil:
			l, err := postLikesFromNote(it.GetActivityStreamsNote())
			if err != nil {
				return nil, err
			}
			a.Likes, a.Object = l, l.Post
		case it.IsActivityStreamsNote():
			n, err := noteToDomain(it.GetActivityStreamsNote())
			if err != nil {
				return nil, err
			}
			a.Note, a.Object = n, n.ID
		case it.IsActivityStreamsGroup():
			p, err := projectFromGroup(it.GetActivityStreamsGroup())
			if err != nil {
				return nil, err
			}
			a.Project, a.Object = p, p.ID
		case it.IsActivityStreamsEvent() && it.GetActivityStreamsEvent().GetUnknownProperties()[propTraining] != nil:
			tr, err := trainingToDomain(it.GetActivityStreamsEvent())
			if err != nil {
				return nil, err
			}
			a.Training, a.Object = tr, tr.ID
		case it.IsActivityStreamsEvent():
			e, err := eventToDomain(it.GetActivityStreamsEvent())
			if err != nil {
				return nil, err
			}
			a.Event, a.Object = e, e.ID
		default:
			if t := it.GetType(); t != nil && t.GetJSONLDId() != nil && t.GetJSONLDId().Get() != nil {
				a.Object = t.GetJSONLDId().Get().String()
			} else {
				return nil, twinfed.Errorf(twinfed.EINVALID, "the activity's object must be a URL or an object with an id")
			}
		}
	}
	if tp := act.GetActivityStreamsTarget(); tp != nil && tp.Len() > 0 {
		switch it := tp.At(0); {
		case it.IsIRI():
			a.Target = it.GetIRI().String()
		case it.IsActivityStreamsGroup():
			if a.Project != nil {
				return nil, twinfed.Errorf(twinfed.EINVALID, "the activity carries two projects")
			}
			p, err := projectFromGroup(it.GetActivityStreamsGroup())
			if err != nil {
				return nil, err
			}
			a.Project, a.Target = p, p.ID
		}
	}
	a.Summary = firstString(act.GetActivityStreamsSummary())
	if pp := act.GetActivityStreamsPublished(); pp != nil && pp.IsXMLSchemaDateTime() {
		a.Published = pp.Get().UTC()
	}
	if v, ok := act.GetUnknownProperties()[propContact].(bool); ok {
		a.Contact = v
	}
	return a, nil
}

// resolvedKey is the context key under which resolveActivity's callbacks
// find where to put the value they receive.
type resolvedKey struct{}

// activityResolver turns a JSON map into the go-fed value of one of the
// activity types we exchange. streams.ToType would build a resolver with a
// callback for each of the vocabulary's hundred-odd types on every call; this
// one is built once, and its callbacks hand their value back through the
// context, so it is safe for concurrent use.
var activityResolver = func() *streams.JSONResolver {
	put := func(ctx context.Context, t vocab.Type) error {
		*ctx.Value(resolvedKey{}).(*vocab.Type) = t
		return nil
	}
	r, err := streams.NewJSONResolver(
		func(ctx context.Context, v vocab.ActivityStreamsFollow) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsAccept) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsReject) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsUndo) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsCreate) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsUpdate) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsDelete) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsInvite) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsJoin) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsLeave) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsAnnounce) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsFlag) error { return put(ctx, v) },
		func(ctx context.Context, v vocab.ActivityStreamsLike) error { return put(ctx, v) },
	)
	if err != nil {
		panic("federation: activity resolver: " + err.Error()) // the callbacks' signatures are fixed above
	}
	return r
}()

// resolveActivity is streams.ToType for the activity types of newAS2Activity.
func resolveActivity(m map[string]any) (vocab.Type, error) {
	var t vocab.Type
	if err := activityResolver.Resolve(context.WithValue(context.Background(), resolvedKey{}, &t), m); err != nil {
		return nil, err
	}
	if t == nil {
		return nil, fmt.Errorf("no activity")
	}
	return t, nil
}

// personDocument is the actor document of a member.
func personDocument(p *twinfed.Profile, base string, keys actorKeys) ([]byte, error) {
	person, err := personFromProfile(p, p.ID+"/inbox", twinfed.SharedInboxURL(base), &publicKey{Owner: p.ID, Keys: keys})
	if err != nil {
		return nil, err
	}
	person.GetUnknownProperties()[propEndpoints] = actorEndpoints(base)
	return serialize(person)
}

// actorEndpoints is the endpoints of the node's actors: the shared inbox
// and the batch inbox other Twinfed nodes may post batches to (batch.go).
func actorEndpoints(base string) map[string]any {
	return map[string]any{"sharedInbox": twinfed.SharedInboxURL(base), propBatchInbox: strings.TrimRight(base, "/") + batchPath}
}

// groupDocument is the actor document of a project's Group.
func groupDocument(p *twinfed.Project, base, name string, keys actorKeys) ([]byte, error) {
	g, err := groupFromProject(p)
	if err != nil {
		return nil, err
	}
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(name)
	g.SetActivityStreamsPreferredUsername(pu)
	inbox, err := mustURL(p.ID + "/inbox")
	if err != nil {
		return nil, err
	}
	ip := streams.NewActivityStreamsInboxProperty()
	ip.SetIRI(inbox)
	g.SetActivityStreamsInbox(ip)
	g.GetUnknownProperties()[propEndpoints] = actorEndpoints(base)
	if err := setPublicKey(g, publicKey{Owner: p.ID, Keys: keys}); err != nil {
		return nil, err
	}
	return serialize(g)
}

// serviceDocument is the actor document of the node's agency.
func serviceDocument(base, name string, keys actorKeys) ([]byte, error) {
	svc := streams.NewActivityStreamsService()
	actor := twinfed.AgencyURL(base)
	id, err := idProperty(actor)
	if err != nil {
		return nil, err
	}
	svc.SetJSONLDId(id)
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(agencyUsername)
	svc.SetActivityStreamsPreferredUsername(pu)
	n := streams.NewActivityStreamsNameProperty()
	n.AppendXMLSchemaString(name)
	svc.SetActivityStreamsName(n)
	inbox, err := mustURL(twinfed.SharedInboxURL(base))
	if err != nil {
		return nil, err
	}
	ip := streams.NewActivityStreamsInboxProperty()
	ip.SetIRI(inbox)
	svc.SetActivityStreamsInbox(ip)
	svc.GetUnknownProperties()[propEndpoints] = actorEndpoints(base)
	if err := setPublicKey(svc, publicKey{Owner: actor, Keys: keys}); err != nil {
		return nil, err
	}
	return serialize(svc)
}

// orderKey is the key deliveries and inbox processing keep FIFO by, within
// one destination: activities that open something (Follow, Invite, Join,
// Leave, Announce) are keyed by their own id, so that the Accept, Reject or
// Undo that refers to them (object = that id) follows them in order; every
// other activity is keyed by its object (the Person updated then deleted, the
// Note created).
func orderKey(a *twinfed.Activity) string {
	switch a.Type {
	case twinfed.ActivityFollow, twinfed.ActivityInvite, twinfed.ActivityJoin, twinfed.ActivityLeave, twinfed.ActivityAnnounce:
		return a.ID
	}
	if a.Object != "" {
		return a.Object
	}
	return a.ID
}

// critical reports whether an activity must never be dropped: approvals and
// refusals (Accept, Reject) and deletions.
func critical(t twinfed.ActivityType) bool {
	return t == twinfed.ActivityAccept || t == twinfed.ActivityReject || t == twinfed.ActivityDelete
}

// The collections every actor has, at <actor>/<name>.
const (
	collectionOutbox    = "outbox"
	collectionFollowers = "followers"
)

// collectionDocument is an actor's OrderedCollection: its size and its
// first page.
func collectionDocument(id string, total int) ([]byte, error) {
	return encodeJSON(map[string]any{
		"@context": nsActivityStreams, "id": id, "type": "OrderedCollection",
		"totalItems": total, "first": id + "?page=true",
	})
}

// collectionPage is one page of an actor's collection: its items and, but
// for the last page, the next one (after: the last item of this one).
func collectionPage(id, after string, items []string, next string) ([]byte, error) {
	self := id + "?page=true"
	if after != "" {
		self += "&after=" + url.QueryEscape(after)
	}
	if items == nil {
		items = []string{}
	}
	doc := map[string]any{
		"@context": nsActivityStreams, "id": self, "type": "OrderedCollectionPage",
		"partOf": id, "orderedItems": items,
	}
	if next != "" {
		doc["next"] = id + "?page=true&after=" + url.QueryEscape(next)
	}
	return encodeJSON(doc)
}
