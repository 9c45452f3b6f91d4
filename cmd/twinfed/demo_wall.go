package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twinfed/twinfed"
)

// demoWallPost is a wall post of a demo teacher.
type demoWallPost struct{ Country, Author, Text string }

// demoWallPosts fill the home feeds: Lucas Bernard (FR) and Marco Bianchi
// (IT) are contacts, so each one's post reaches the other's node; Giulia
// Rossi follows Marco on IT.
var demoWallPosts = []demoWallPost{
	{"FR", "lucas.bernard", "Nos élèves ont mesuré la qualité de l'eau de l'Ill cette semaine : les résultats sont dans le TwinSpace de « Water around us ». Merci à nos partenaires de Bari !"},
	{"IT", "marco.bianchi", "Oggi in classe abbiamo confrontato i dati sull'acqua raccolti a Bari e a Strasburgo. Gli alunni non vedono l'ora del prossimo incontro online con la Francia!"},
	{"IT", "giulia.rossi", "Cerco una scuola primaria per un progetto sulle fiabe europee (8-10 anni), in inglese o in francese. Scrivetemi!"},
}

// seedWall posts the demo's wall posts once (a resumed demo keeps them),
// has Giulia follow Marco, and Marco like Lucas's post once it has reached
// IT.
func (d *demoMain) seedWall(ctx context.Context) error {
	it, fr := d.nodes["IT"], d.nodes["FR"]
	if it == nil || fr == nil {
		return errors.New("the IT and FR nodes are needed")
	}
	marcoURL := twinfed.ActorURL(it.Config.BaseURL, "marco.bianchi")
	if err := it.Node().Social().FollowMember(ctx, demoMember("giulia.rossi"), marcoURL); err != nil && twinfed.ErrorCode(err) != twinfed.ECONFLICT {
		return fmt.Errorf("giulia follows marco: %w", err)
	}
	for _, wp := range demoWallPosts {
		n := d.nodes[wp.Country]
		who := demoMember(wp.Author)
		mine, err := n.Node().Feed().ByAuthor(ctx, who, twinfed.ActorURL(n.Config.BaseURL, wp.Author), "", 1)
		if err != nil {
			return err
		}
		if len(mine.Items) > 0 {
			continue
		}
		if _, err := n.Node().Feed().Publish(ctx, who, wp.Text, nil); err != nil {
			return fmt.Errorf("the wall post of %s: %w", wp.Author, err)
		}
	}
	// Lucas's post reaches IT through the federation.
	lucasURL := twinfed.ActorURL(fr.Config.BaseURL, "lucas.bernard")
	return waitFor(ctx, 60*time.Second, func() error {
		page, err := it.Node().Feed().ByAuthor(ctx, demoMember("marco.bianchi"), lucasURL, "", 1)
		if err != nil {
			return err
		}
		if len(page.Items) == 0 || page.Items[0].Post == nil {
			return twinfed.Errorf(twinfed.EUNAVAILABLE, "Lucas's post has not reached IT yet")
		}
		if page.Items[0].Post.Likes > 0 {
			return nil
		}
		return it.Node().Feed().Like(ctx, demoMember("marco.bianchi"), page.Items[0].Post.ID)
	})
}
