package main

import (
	"context"
	"fmt"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/event"
)

// demoEvent is an event a demo teacher organises, days after the demo's
// first run, at a preferred CET slot (else the day's first free one).
type demoEvent struct {
	Country, Organiser string
	Days               int
	Slot               string
	In                 event.Input
}

// demoEvents give the Events menu something to find on every node: an
// online evening for IT and FR teachers (which Marco Bianchi books from
// IT, so that his "My events" has it), a certifying webinar for the whole
// federation, and an in-person meeting in Valencia.
var demoEvents = []demoEvent{
	{Country: "FR", Organiser: "camille.martin", Days: 2, Slot: "17:00", In: event.Input{
		Title: "Café eTwinning : des projets entre la France et l'Italie", Language: "fr", Kind: twinfed.EventOnline, Minutes: 60, Expected: 40,
		Audience: twinfed.AudienceCountries, Countries: []string{"FR", "IT"},
		Description: "Une heure pour se présenter, raconter un projet réussi et trouver un partenaire de l'autre côté des Alpes. Venez avec une idée !"}},
	{Country: "IT", Organiser: "giulia.rossi", Days: 5, Slot: "16:30", In: event.Input{
		Title: "Webinar: gli alunni nel TwinSpace", Language: "it", Kind: twinfed.EventOnline, Minutes: 45, Expected: 80, Certifying: true,
		Audience:    twinfed.AudienceAll,
		Description: "Come creare gli account degli alunni, organizzare le pagine e il forum, e usare il diario del progetto. Con attestato di partecipazione."}},
	{Country: "ES", Organiser: "lucia.garcia", Days: 10, Slot: "10:00", In: event.Input{
		Title: "Encuentro eTwinning en Valencia", Language: "es", Kind: twinfed.EventInPerson, Minutes: 180, Expected: 25,
		Place: "CEIP Lluís Vives, Valencia", Audience: twinfed.AudienceAll,
		Description: "Una mañana para conocer a los docentes de la Comunitat Valenciana que trabajan con eTwinning e intercambiar experiencias."}},
}

// seedEvents creates the demo's events (once: a resumed demo keeps them)
// and books Marco Bianchi (IT) on the French evening.
func (d *demoMain) seedEvents(ctx context.Context) error {
	cet, err := time.LoadLocation(twinfed.ProgrammeZone)
	if err != nil {
		return err
	}
	var booked string
	for _, de := range demoEvents {
		n := d.nodes[de.Country]
		if n == nil {
			continue
		}
		ev, who := n.Node().Events(), demoMember(de.Organiser)
		mine, err := ev.List(ctx, who, event.Filter{Mine: true})
		if err != nil {
			return err
		}
		if i := indexOfTitle(mine, de.In.Title); i >= 0 {
			if de.Country == "FR" {
				booked = mine[i].ID
			}
			continue
		}
		in := de.In
		in.Date = time.Now().In(cet).AddDate(0, 0, de.Days).Format("2006-01-02")
		in.Slot = de.Slot
		if in.Kind == twinfed.EventOnline {
			if in.Slot, err = freeSlot(ctx, ev, in.Date, in.Minutes, de.Slot); err != nil {
				return err
			}
		}
		d.progress("Creating the event %q on %s…", in.Title, de.Country)
		e, err := ev.Create(ctx, who, in)
		if err != nil {
			return fmt.Errorf("the demo event %q: %w", in.Title, err)
		}
		if de.Country == "FR" {
			booked = e.ID
		}
	}
	if it := d.nodes["IT"]; it != nil && booked != "" {
		// The event reaches IT through the federation: book once it has.
		return waitFor(ctx, 60*time.Second, func() error {
			_, err := it.Node().Events().Participate(ctx, demoMember("marco.bianchi"), booked)
			return err
		})
	}
	return nil
}

// indexOfTitle is the index of the event titled title among events, -1
// when none is.
func indexOfTitle(events []*twinfed.Event, title string) int {
	for i, e := range events {
		if e.Title == title {
			return i
		}
	}
	return -1
}

// freeSlot is want ("hh:mm", CET) if a meeting room is free then on date,
// else the day's first free slot.
func freeSlot(ctx context.Context, ev *event.Service, date string, minutes int, want string) (string, error) {
	slots, err := ev.Slots(ctx, date, minutes)
	if err != nil {
		return "", err
	}
	if len(slots) == 0 {
		return "", fmt.Errorf("no meeting room is free on %s", date)
	}
	cet, _ := time.LoadLocation(twinfed.ProgrammeZone)
	for _, t := range slots {
		if t.In(cet).Format("15:04") == want {
			return want, nil
		}
	}
	return slots[0].In(cet).Format("15:04"), nil
}
