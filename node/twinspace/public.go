package twinspace

import (
	"context"
	"net/url"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// What is public in a TwinSpace: the cover, the published pages and the
// diary's posts; and the files of Materials that a published page or a
// diary post shows (a material record's Public flag), which the public may
// then download. Nothing else.

// MaterialIDs returns the ids of the materials whose files a page's or a
// post's HTML shows (img src, a href to /twinspace/materials/file?…&m=).
func MaterialIDs(html string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, attr := range []string{`src="`, `href="`} {
		rest := html
		for {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			j := strings.IndexByte(rest, '"')
			if j < 0 {
				break
			}
			raw := strings.ReplaceAll(rest[:j], "&amp;", "&")
			rest = rest[j:]
			u, err := url.Parse(raw)
			if err != nil || u.Host != "" || (u.Path != "/twinspace/materials/file" && u.Path != "/twinspace/materials/thumb") {
				continue
			}
			if id := u.Query().Get("m"); id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// MarkMaterialsPublic makes public the materials of project with these ids
// (their files may then be served to anyone): a published page or a diary
// post shows them. It changes them as p, through the core like any other
// change (the material kind asks SpacePublishPage of a change that only
// makes a file public); a material that does not exist, is already
// public, or that p may not change is left as it is.
func (s *Service) MarkMaterialsPublic(ctx context.Context, p *twinfed.Principal, project string, ids []string) {
	for _, id := range ids {
		var m *twinfed.SpaceObject
		_ = s.store.View(func(txn *badger.Txn) error {
			m, _ = Object(txn, project, id)
			return nil
		})
		if m == nil || m.Kind != twinfed.SpaceKindMaterial || m.Deleted || m.Public {
			continue
		}
		_, err := s.Edit(ctx, p, project, twinfed.SpaceKindMaterial, id, func(v *View, o *twinfed.SpaceObject) error {
			o.Public = true
			return nil
		})
		if err != nil {
			s.log.Info("twinspace: a file a public page shows stays private", "project", project, "material", id, "err", err)
		}
	}
}
