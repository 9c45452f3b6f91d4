package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace"
)

// The demo's project and its TwinSpace: Marco Bianchi (IT) and Lucas
// Bernard (FR) are contacts and run "Water around us", approved by both
// agencies, with a TwinSpace already lived in. (Giulia Rossi and Camille
// Martin stay free for the README's tour, which founds a project by hand.)

const demoProjectTitle = "Water around us"

func demoMember(username string) *twinfed.Principal {
	return &twinfed.Principal{Username: username, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
}

// demoOfficer is the demo agency officer of the node of country code.
func demoOfficer(code string) *twinfed.Principal {
	return &twinfed.Principal{Username: "agency." + strings.ToLower(code), Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
}

// seedTwinSpace makes the demo project (once: a resumed demo keeps it) and
// fills its TwinSpace.
func (d *demoMain) seedTwinSpace(ctx context.Context) error {
	it, fr := d.nodes["IT"], d.nodes["FR"]
	if it == nil || fr == nil {
		return errors.New("the IT and FR nodes are needed")
	}
	marco, lucas := demoMember("marco.bianchi"), demoMember("lucas.bernard")
	marcoURL, lucasURL := twinfed.ActorURL(it.Config.BaseURL, "marco.bianchi"), twinfed.ActorURL(fr.Config.BaseURL, "lucas.bernard")
	mine, err := it.Node().Projects().MyProjects(ctx, marco)
	if err != nil {
		return err
	}
	for _, p := range mine.Approved {
		if p.Title == demoProjectTitle {
			return nil
		}
	}
	d.progress("Founding the demo project %q (IT and FR) and filling its TwinSpace…", demoProjectTitle)
	wait := func(what string, fn func() error) error {
		if err := waitFor(ctx, 60*time.Second, fn); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	// Contacts.
	if ok, _ := it.Node().Social().IsContact(ctx, "marco.bianchi", lucasURL); !ok {
		if err := wait("contact request", func() error {
			_, err := it.Node().Social().RequestContact(ctx, marco, lucasURL, "Shall we work on water together?")
			if twinfed.ErrorCode(err) == twinfed.ECONFLICT {
				return nil
			}
			return err
		}); err != nil {
			return err
		}
		if err := wait("contact answer", func() error {
			_, err := fr.Node().Social().AnswerContact(ctx, lucas, marcoURL, true)
			return err
		}); err != nil {
			return err
		}
		if err := wait("contact accepted", func() error {
			if ok, _ := it.Node().Social().IsContact(ctx, "marco.bianchi", lucasURL); !ok {
				return errors.New("not yet")
			}
			return nil
		}); err != nil {
			return err
		}
	}
	// The project, accepted by Lucas and approved by both agencies.
	m, err := it.Node().Accounts().Member(ctx, "marco.bianchi")
	if err != nil || len(m.Schools) == 0 {
		return fmt.Errorf("marco.bianchi's school: %v", err)
	}
	draft := project.ProjectDraft{SchoolID: m.Schools[0].SchoolID, Partner: lucasURL, Title: demoProjectTitle,
		Description: "<p>Our pupils (14–16) measure the water their families and schools use in Florence and Toulouse, compare the rivers of both cities, and write a shared guide to saving water.</p>",
		Subjects:    []string{"science", "mathematics"}, PupilAges: []int{14, 15, 16}, Languages: []string{"en", "it", "fr"}, Tools: []string{"forum", "chat"},
		Aims: "Measure, compare and act on water use", WorkProcess: "Monthly data exchanges, online meetings, a shared guide", ExpectedResults: "A bilingual water-saving guide and a data set"}
	var p *twinfed.Project
	if err := wait("create the project (Lucas's profile in IT's directory)", func() (err error) {
		p, err = it.Node().Projects().CreateProject(ctx, marco, draft)
		return err
	}); err != nil {
		return err
	}
	if err := wait("Lucas's answer", func() error {
		_, err := fr.Node().Projects().AnswerInvitation(ctx, lucas, p.ID, true, "")
		return err
	}); err != nil {
		return err
	}
	for _, dec := range []struct {
		n     *nodeMain
		actor string
	}{{it, marcoURL}, {fr, lucasURL}} {
		if err := wait("agency approval", func() error {
			_, err := dec.n.Node().Projects().DecideParticipation(ctx, demoOfficer(dec.n.Config.Country), p.ID, dec.actor, true, "")
			return err
		}); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		n *nodeMain
		p *twinfed.Principal
	}{{it, marco}, {fr, lucas}} {
		if err := wait("the TwinSpace open", func() error {
			v, err := s.n.Node().TwinSpaces().OpenView(ctx, s.p, p.ID, false)
			if err != nil {
				return err
			}
			return v.RequireMember()
		}); err != nil {
			return err
		}
	}
	return d.fillTwinSpace(ctx, p.ID, it, fr, marco, lucas)
}

// fillTwinSpace writes the demo TwinSpace's content.
func (d *demoMain) fillTwinSpace(ctx context.Context, id string, it, fr *nodeMain, marco, lucas *twinfed.Principal) error {
	its, frs := it.Node().TwinSpaces(), fr.Node().TwinSpaces()
	if err := its.SaveSettings(ctx, marco, id, "Florence and Toulouse measure, compare and save water, together.", true); err != nil {
		return err
	}
	for _, u := range []struct {
		ts       *twinspace.Service
		p        *twinfed.Principal
		text     string
		bulletin bool
	}{
		{its, marco, "Welcome to our TwinSpace! This month: each class measures the water its school uses in one week.", false},
		{frs, lucas, "Bonjour Florence! Our first measurements are in the Materials tab.", false},
		{its, marco, "Online meeting on Thursday at 15:00 CET: pupils present their first figures.", false},
		{frs, lucas, "Teachers: shall we mix the pupils into four international teams for the guide?", true},
		{its, marco, "Yes, four teams of six. I will prepare the list of pupils.", true},
	} {
		if _, err := u.ts.PostUpdate(ctx, u.p, id, u.text, u.bulletin); err != nil {
			return err
		}
	}
	return nil
}
