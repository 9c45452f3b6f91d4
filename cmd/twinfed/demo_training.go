package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/training"
)

// demoTraining are the training offers the demo's agencies start with: IT
// a learning event for every country with two places per country, FR a
// national workshop for its own teachers with unlimited places.
var demoTraining = map[string]training.Input{
	"IT": {Kind: twinfed.TrainingLearningEvent, Title: "Learning event: valutare i progetti eTwinning", Language: "it", Places: 2, Audience: twinfed.TrainingAllCountries,
		Description: "Quattro giorni di attività online, più altrettanti di riflessione: criteri di qualità, autovalutazione con gli alunni, documentare il progetto nel TwinSpace."},
	"FR": {Kind: twinfed.TrainingNationalWorkshop, Title: "Atelier national : démarrer un projet eTwinning", Language: "fr", Place: "Lyon", Audience: twinfed.TrainingOwnCountry,
		Description: "Une journée pour trouver un partenaire, écrire le projet et ouvrir son TwinSpace, avec des ambassadeurs eTwinning."},
}

// seedTraining publishes the node's demo training once, as its agency's
// officer, starting in two weeks.
func seedTraining(ctx context.Context, s *training.Service, dc demoCountry) error {
	in, ok := demoTraining[dc.Code]
	if !ok {
		return nil
	}
	officer := &twinfed.Principal{Username: "agency." + strings.ToLower(dc.Code), Role: twinfed.RoleAgencyOfficer, Status: twinfed.StatusValidated}
	list, err := s.List(ctx, officer, training.Filter{Past: true})
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	for _, t := range list {
		if t.Title == in.Title && t.Country == dc.Code {
			return nil // seeded by an earlier run
		}
	}
	day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format("2006-01-02") }
	in.Start, in.End, in.Deadline = day(14), day(17), day(7)
	if in.Kind == twinfed.TrainingNationalWorkshop {
		in.End = in.Start
	}
	if _, err := s.Publish(ctx, officer, in); err != nil {
		return fmt.Errorf("training: the demo training of %s: %w", dc.Code, err)
	}
	return nil
}
