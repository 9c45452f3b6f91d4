package web

import (
	"slices"
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/twinfed/twinfed"
)

// The vocabularies' values (twinfed.Subjects, SchoolRoles, SchoolLevels)
// are ids; pages show them by their catalogue names. A value that is not
// an id (text an older node sent) is shown as it was written, never as a
// message key.

// SubjectName is a subject's name in the page's language: the message
// subject.<id> for an id of twinfed.Subjects, or the value as it is for
// text that names no subject (a peer's free text), never a raw key.
func (p *Page) SubjectName(id string) string {
	if slices.Contains(twinfed.Subjects, id) {
		return p.T("subject." + id)
	}
	return id
}

// SubjectNames is the names of subjects (SubjectName), comma-separated.
func (p *Page) SubjectNames(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = p.SubjectName(id)
	}
	return strings.Join(names, p.T("format.list_separator"))
}

// RoleName is a school role's name in the page's language (role.<id>), or
// the value as it is when it names no role.
func (p *Page) RoleName(id string) string {
	if slices.Contains(twinfed.SchoolRoles, id) {
		return p.T("role." + id)
	}
	return id
}

// LevelName is a school level's name in the page's language
// (level.<id>), or the value as it is when it names no level (a peer's).
func (p *Page) LevelName(level twinfed.SchoolLevel) string {
	if slices.Contains(twinfed.SchoolLevels, level) {
		return p.T("level." + string(level))
	}
	return string(level)
}

// SubjectChoices lists the subjects a form offers (Page.Subjects) in the
// alphabetical order of their names in the page's language.
func (p *Page) SubjectChoices() []string {
	if v, ok := p.k.subjectOrder.Load(p.Lang); ok {
		return v.([]string)
	}
	tag, err := language.Parse(p.Lang)
	if err != nil {
		tag = language.English
	}
	coll := collate.New(tag)
	ids := slices.Clone(p.Subjects)
	slices.SortFunc(ids, func(a, b string) int { return coll.CompareString(p.SubjectName(a), p.SubjectName(b)) })
	p.k.subjectOrder.Store(p.Lang, ids)
	return ids
}
