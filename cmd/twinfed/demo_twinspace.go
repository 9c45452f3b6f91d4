package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/project"
	"github.com/twinfed/twinfed/node/twinspace"
	"github.com/twinfed/twinfed/node/twinspace/discuss"
	"github.com/twinfed/twinfed/node/twinspace/pages"
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
			return d.demoPupils(ctx, it, fr, marco, lucas) // a resumed demo: fresh passwords to print
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
			v, err := s.n.Node().TwinSpaces().Core.OpenView(ctx, s.p, p.ID, false)
			if err != nil {
				return err
			}
			return v.RequireMember()
		}); err != nil {
			return err
		}
	}
	if err := d.fillTwinSpace(ctx, p.ID, it, fr, marco, lucas); err != nil {
		return err
	}
	return d.demoPupils(ctx, it, fr, marco, lucas)
}

// fillTwinSpace writes the demo TwinSpace's content.
func (d *demoMain) fillTwinSpace(ctx context.Context, id string, it, fr *nodeMain, marco, lucas *twinfed.Principal) error {
	its, frs := it.Node().TwinSpaces().Core, fr.Node().TwinSpaces().Core
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
	return d.fillTools(ctx, id, it, fr, marco, lucas)
}

// demoPupilNames are the demo's pupils, by their teacher.
var demoPupilNames = map[string][]string{
	"marco.bianchi": {"Giulia Ferri", "Matteo Conti", "Sofia Russo"},
	"lucas.bernard": {"Léa Moreau", "Hugo Laurent", "Chloé Simon"},
}

// fillTools writes what the TwinSpace's tools hold: pupils of both
// schools (one a pupil administrator), files, pages (one published, edited
// from the partner node), a forum discussion with replies, the chat, and
// a diary post.
func (d *demoMain) fillTools(ctx context.Context, id string, it, fr *nodeMain, marco, lucas *twinfed.Principal) error {
	itn, frn := it.Node(), fr.Node()
	// Pupils, added to the TwinSpace by their own teacher.
	pupilOf := map[string][]*twinfed.Principal{}
	for _, t := range []struct {
		n *nodeMain
		p *twinfed.Principal
	}{{it, marco}, {fr, lucas}} {
		creds, err := t.n.Node().Pupils().CreatePupils(ctx, t.p, demoPupilNames[t.p.Username])
		if err != nil {
			return fmt.Errorf("pupils: %w", err)
		}
		var names []string
		for _, c := range creds {
			names = append(names, c.Username)
			pupilOf[t.p.Username] = append(pupilOf[t.p.Username], &twinfed.Principal{Username: c.Username, Role: twinfed.RolePupil})
		}
		if err := waitFor(ctx, 30*time.Second, func() error {
			_, err := t.n.Node().TwinSpaces().Core.AddMembers(ctx, t.p, id, names)
			return err
		}); err != nil {
			return fmt.Errorf("add pupils: %w", err)
		}
	}
	giulia, lea := pupilOf["marco.bianchi"][0], pupilOf["lucas.bernard"][0]
	if err := itn.TwinSpaces().Core.SetRole(ctx, marco, id, twinfed.PupilURL(it.Config.BaseURL, giulia.Username), twinfed.SpacePupilAdmin); err != nil {
		return fmt.Errorf("pupil administrator: %w", err)
	}

	// Files: a folder of measurements, a chart from each school.
	folder, err := itn.TwinSpaces().Materials.CreateFolder(ctx, marco, id, "", "Measurements")
	if err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	florence, err := itn.TwinSpaces().Materials.Upload(ctx, marco, id, folder.ID, "water-florence.png", bytes.NewReader(demoChart([]int{62, 48, 55, 40, 37}, color.RGBA{0x1f, 0x6f, 0xb4, 0xff})))
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	if err := waitFor(ctx, 30*time.Second, func() error { return demoHas(frn.TwinSpaces().Core, id, folder.ID) }); err != nil {
		return err
	}
	if _, err := frn.TwinSpaces().Materials.Upload(ctx, lucas, id, folder.ID, "garonne-toulouse.png", bytes.NewReader(demoChart([]int{30, 45, 52, 41, 33}, color.RGBA{0x2a, 0x9d, 0x8f, 0xff}))); err != nil {
		return fmt.Errorf("upload on FR: %w", err)
	}

	// Pages: the project's page, published, with the chart and a video;
	// a draft sub-page; Lucas adds a paragraph from the FR node.
	img := "/twinspace/materials/file?" + url.Values{"id": {id}, "m": {florence.ID}}.Encode()
	home, err := itn.TwinSpaces().Pages.Save(ctx, marco, id, pages.Edit{Title: "Our project",
		Content: `<h2>Water around us</h2><p>Two schools, two rivers: the <strong>Arno</strong> in Florence and the <strong>Garonne</strong> in Toulouse. Each month our pupils measure how much water their school uses and compare.</p>` +
			`<figure><img src="` + html.EscapeString(img) + `" alt="Water used by our school, week by week"><figcaption>Florence: litres per pupil per day</figcaption></figure>` +
			`<p><iframe src="https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ" title="Video"></iframe></p>`})
	if err != nil {
		return fmt.Errorf("page: %w", err)
	}
	if err := itn.TwinSpaces().Pages.Publish(ctx, marco, id, home.ID, true); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if _, err := itn.TwinSpaces().Pages.Save(ctx, giulia, id, pages.Edit{Parent: home.ID, Title: "Week 1: how we measure",
		Content: "<ol><li>Read the water meter on Monday at 8:00.</li><li>Read it again on Friday at 16:00.</li><li>Divide by the number of pupils and days.</li></ol>"}); err != nil {
		return fmt.Errorf("sub-page: %w", err)
	}
	var onFR *twinfed.SpaceObject
	if err := waitFor(ctx, 30*time.Second, func() error {
		return frn.TwinSpaces().Core.Store().View(func(txn *badger.Txn) (err error) {
			onFR, err = twinspace.Object(txn, id, home.ID)
			if err == nil && !onFR.Public {
				err = errors.New("not published yet")
			}
			return err
		})
	}); err != nil {
		return err
	}
	if _, err := frn.TwinSpaces().Pages.Save(ctx, lucas, id, pages.Edit{Page: home.ID, Title: onFR.Title, Base: onFR.Version,
		Content: onFR.Content + "<p>Toulouse joins with the lycée's data from the Garonne: see the Materials tab.</p>"}); err != nil {
		return fmt.Errorf("page edited on FR: %w", err)
	}

	// The forum: a discussion, a thread, replies from both countries.
	disc, err := itn.TwinSpaces().Forum.OpenDiscussion(ctx, marco, id, discuss.Input{Title: "Our measurements", Text: "Everything about how we measure and what we find."})
	if err != nil {
		return fmt.Errorf("discussion: %w", err)
	}
	thread, err := itn.TwinSpaces().Forum.OpenThread(ctx, giulia, id, disc.ID, discuss.Input{Title: "Why does our school use more water in week 1?", Text: "Our figure for week 1 is much higher than the others. Any ideas?"})
	if err != nil {
		return fmt.Errorf("thread: %w", err)
	}
	if err := waitFor(ctx, 30*time.Second, func() error { return demoHas(frn.TwinSpaces().Core, id, thread.ID) }); err != nil {
		return err
	}
	if _, err := frn.TwinSpaces().Forum.Reply(ctx, lea, id, thread.ID, discuss.Input{Text: "Maybe the gardens were watered that week? Ours are, in spring."}); err != nil {
		return fmt.Errorf("reply on FR: %w", err)
	}
	if _, err := frn.TwinSpaces().Forum.Reply(ctx, lucas, id, thread.ID, discuss.Input{Text: "Good question! Let's check with the caretakers."}); err != nil {
		return fmt.Errorf("reply on FR: %w", err)
	}

	// The chat, open to pupils.
	for _, m := range []struct {
		n    *nodeMain
		p    *twinfed.Principal
		text string
	}{{it, marco, "Ciao a tutti! The meeting is on Thursday."}, {fr, lea, "Bonjour ! We have our first figures."}, {it, giulia, "Us too! Week 1 was strange."}} {
		if _, err := m.n.Node().TwinSpaces().Chat.Send(ctx, m.p, id, m.text); err != nil {
			return fmt.Errorf("chat: %w", err)
		}
	}

	// The public diary.
	if _, err := itn.TwinSpaces().Diary.Save(ctx, marco, id, "", "Our first month",
		`<p>This month our pupils measured the water their schools use. Florence: 48 litres per pupil a day on average; Toulouse will publish theirs next week.</p><p><img src="`+html.EscapeString(img)+`" alt="Water used by our school"></p>`); err != nil {
		return fmt.Errorf("diary: %w", err)
	}
	return nil
}

// demoHas reports nil once ts holds object id of project's TwinSpace.
func demoHas(ts *twinspace.Service, project, id string) error {
	return ts.Store().View(func(txn *badger.Txn) error {
		_, err := twinspace.Object(txn, project, id)
		return err
	})
}

// demoPupils gives the demo's pupils fresh passwords (none is stored in
// clear) and lists their logins with the other processes'.
func (d *demoMain) demoPupils(ctx context.Context, it, fr *nodeMain, marco, lucas *twinfed.Principal) error {
	for _, t := range []struct {
		n *nodeMain
		p *twinfed.Principal
	}{{it, marco}, {fr, lucas}} {
		pupils, _, err := t.n.Node().Pupils().Mine(ctx, t.p)
		if err != nil {
			return err
		}
		for _, a := range pupils {
			c, err := t.n.Node().Pupils().ResetPassword(ctx, t.p, a.Username)
			if err != nil {
				return err
			}
			d.Info.Processes = append(d.Info.Processes, demoProcess{Process: "node " + t.n.Config.Country, Role: "pupil (" + a.DisplayName + ")",
				Country: t.n.Config.Country, URL: t.n.Config.BaseURL + "/pupils/login", Username: c.Username, Password: c.Password})
		}
	}
	return nil
}

// demoChart draws a small bar chart (a PNG) of values, in c.
func demoChart(values []int, c color.RGBA) []byte {
	const w, h = 320, 200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	bar := w / (2*len(values) + 1)
	for i, v := range values {
		x := bar * (2*i + 1)
		draw.Draw(img, image.Rect(x, h-10-v*3, x+bar, h-10), image.NewUniform(c), image.Point{}, draw.Src)
	}
	draw.Draw(img, image.Rect(0, h-10, w, h-8), image.NewUniform(color.Gray{0x55}), image.Point{}, draw.Src)
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}
