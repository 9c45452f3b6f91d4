package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/consensus/consensustest"
)

// TestLabelsCommand walks the CSS's yearly round through the CLI against a
// real registry: two agencies' NQLs make a project eligible, the operator
// lists and confirms the year's EQLs and records a prize entry; bad input
// and a wrong token change nothing.
func TestLabelsCommand(t *testing.T) {
	cluster := consensustest.MustOpenCluster(t, 1)
	ctx := context.Background()
	project := "https://it.example/projects/7"
	for _, c := range []string{"IT", "FR"} {
		if err := cluster.MustNodeClient(t, c, "https://"+strings.ToLower(c)+".example").RecordQualityLabel(ctx, twinfed.QualityLabel{ProjectID: project, Country: c, SchoolYear: "2025-2026", Score: 25}); err != nil {
			t.Fatalf("%s's NQL: %v", c, err)
		}
	}

	run := func(out any, args ...string) error {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"twinfed", "labels", args[0], "--member=" + cluster.URLs[0], "--token=" + cluster.AdminToken}, args[1:]...)
		err := newApp(&stdout, &stderr).RunContext(ctx, args)
		if err == nil && out != nil {
			if jerr := json.Unmarshal(stdout.Bytes(), out); jerr != nil {
				t.Fatalf("%v: output %q: %v", args, stdout.String(), jerr)
			}
		}
		return err
	}
	var eqls []twinfed.EuropeanLabel
	if err := run(&eqls, "european", "--school-year", "2025-2026"); err != nil || len(eqls) != 1 || eqls[0].Status != twinfed.EQLEligible {
		t.Fatalf("european: %+v %v", eqls, err)
	}
	if err := run(nil, "european", "--school-year", "2025"); err == nil || !strings.Contains(err.Error(), "school_year") {
		t.Fatalf("a bad school year: %v, want an error naming school_year", err)
	}
	var stdout, stderr bytes.Buffer
	err := newApp(&stdout, &stderr).RunContext(ctx, []string{"twinfed", "labels", "confirm", "--member=" + cluster.URLs[0],
		"--token=wrong-token-wrong-token", "--school-year", "2025-2026"})
	if err == nil {
		t.Fatal("a wrong admin token confirmed the labels")
	}
	var shown consensus.ProjectLabels
	if err := run(&shown, "show", project); err != nil || shown.European == nil || shown.European.Status != twinfed.EQLEligible || len(shown.National) != 2 {
		t.Fatalf("after a refused confirmation: %+v %v", shown, err)
	}

	var confirmed map[string]int
	if err := run(&confirmed, "confirm", "--school-year", "2025-2026"); err != nil || confirmed["awarded"] != 1 {
		t.Fatalf("confirm: %v %v", confirmed, err)
	}
	if err := run(&shown, "show", project); err != nil || shown.European.Status != twinfed.EQLAwarded {
		t.Fatalf("show after confirm: %+v %v", shown.European, err)
	}

	if err := run(nil, "prize", "--year", "2026", "--category", "4-11", "--project", project, "--country", "IT"); err == nil || !strings.Contains(err.Error(), "category") {
		t.Fatalf("a bad category: %v, want an error naming the category", err)
	}
	var prizes []twinfed.PrizeEntry
	if err := run(&prizes, "prizes", "--year", "2026"); err != nil || len(prizes) != 0 {
		t.Fatalf("a refused entry was recorded: %+v %v", prizes, err)
	}
	if err := run(nil, "prize", "--year", "2026", "--category", "7-11", "--project", project, "--country", "IT"); err != nil {
		t.Fatalf("prize entry: %v", err)
	}
	if err := run(&prizes, "prizes", "--year", "2026"); err != nil || len(prizes) != 1 || prizes[0].ProjectID != project || prizes[0].Category != "7-11" {
		t.Fatalf("prizes: %+v %v", prizes, err)
	}
}
