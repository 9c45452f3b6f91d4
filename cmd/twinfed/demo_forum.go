package main

import (
	"context"
	"fmt"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/forum"
)

// demoIdea is a partner-forum post the demo starts with, and its author.
type demoIdea struct {
	author string
	post   twinfed.ForumPost
}

// demoIdeas are the partner-forum posts the demo starts with: one per
// node, by one of its teachers, in the node's language. A node's post
// reaches the nodes started after it by their catch-up (the directory's
// backfill), the others by delivery.
var demoIdeas = map[string]demoIdea{
	"IT": {"marco.bianchi", twinfed.ForumPost{Thread: "age_12_15", Title: "L'acqua della nostra città", Subjects: []string{"science", "geography"}, AgeBands: []string{"age_12_15"},
		Languages: []string{"it", "en"}, Seeking: []string{"FR", "ES", "PT"}, Months: 6,
		Idea: "Le nostre classi misurano l'acqua che usano a scuola e a casa, confrontano i dati con i partner e propongono insieme un piano per risparmiarla."}},
	"FR": {"lucas.bernard", twinfed.ForumPost{Thread: "age_16_19", Title: "Un robot pour trier les déchets", Subjects: []string{"computing", "mathematics"}, AgeBands: []string{"age_16_19"},
		Languages: []string{"fr", "en"}, Seeking: []string{"IT", "DE"}, Months: 9,
		Idea: "Chaque classe programme une partie d'un petit robot qui reconnaît les déchets ; les élèves échangent leur code et présentent le robot commun en fin d'année."}},
	"ES": {"marta.sanchez", twinfed.ForumPost{Thread: "age_6_11", Title: "Cuentos de dos ciudades", Subjects: []string{"native_language", "art"}, AgeBands: []string{"age_6_11"},
		Languages: []string{"es", "en"}, Seeking: []string{"IT", "FR"}, Months: 4,
		Idea: "Los alumnos escriben e ilustran cuentos sobre su ciudad y los intercambian con los de la escuela socia para crear un libro bilingüe."}},
}

// seedForum posts the node's demo idea once.
func seedForum(ctx context.Context, f *forum.Service, dc demoCountry) error {
	idea, ok := demoIdeas[dc.Code]
	if !ok {
		return nil
	}
	author := &twinfed.Principal{Username: idea.author, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
	page, err := f.Search(ctx, author, forum.Query{Text: idea.post.Title})
	if err != nil {
		return fmt.Errorf("forum: %w", err)
	}
	for _, p := range page.Posts {
		if f.IsLocal(p.ID) {
			return nil // seeded by an earlier run
		}
	}
	if _, err := f.Post(ctx, author, &idea.post); err != nil {
		return fmt.Errorf("forum: the demo idea of %s: %w", author.Username, err)
	}
	return nil
}
