package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/config"
	"github.com/twinfed/twinfed/consensus"
	"github.com/twinfed/twinfed/node/account"
)

// demoPassword is every demo account's password. The demo runs on loopback
// only; its logins are printed on purpose.
const demoPassword = "eTwinning-demo"

func (d *demoMain) nodePort(i int) int { return d.BasePort + 21 + i }

// startNodes starts the IT, FR and ES nodes, records each node's URL and key
// in the registry, and seeds an agency officer and sample teachers.
func (d *demoMain) startNodes(ctx context.Context, token string) error {
	admin, err := consensus.OpenClient(ctx, consensus.ClientConfig{Members: d.registryURLs(), AdminToken: token, Logger: d.logger})
	if err != nil {
		return fmt.Errorf("registry client: %w", err)
	}
	defer admin.Close()

	// The nodes start side by side: each one's start-up is mostly waiting
	// (Badger, the registry, password hashing), and the demo should be
	// ready within seconds.
	started := make([]*startedNode, len(demoCountries))
	errs := make([]error, len(demoCountries))
	var wg sync.WaitGroup
	for i, dc := range demoCountries {
		started[i] = new(startedNode)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.startNode(ctx, i, dc, admin, started[i])
		}()
	}
	wg.Wait()
	d.nodes = map[string]*nodeMain{}
	for i, dc := range demoCountries {
		if started[i].m != nil {
			d.closers = append(d.closers, started[i].m.Close)
			d.nodes[dc.Code] = started[i].m
		}
		d.Info.Processes = append(d.Info.Processes, started[i].procs...)
	}
	return errors.Join(errs...)
}

// startedNode is what starting one demo node gives: the node, and its
// logins for demo.json.
type startedNode struct {
	m     *nodeMain
	procs []demoProcess
}

// startNode starts, registers and seeds one demo node.
func (d *demoMain) startNode(ctx context.Context, i int, dc demoCountry, admin *consensus.Client, started *startedNode) error {
	var err error
	addr := fmt.Sprintf("127.0.0.1:%d", d.nodePort(i))
	cfg := config.DefaultNode()
	cfg.Country = dc.Code
	cfg.BaseURL = "http://" + addr
	cfg.HTTPAddr = addr
	cfg.MetricsAddr = fmt.Sprintf("127.0.0.1:%d", d.BasePort+31+i)
	cfg.DataDir = filepath.Join(d.DataDir, "nodes", strings.ToLower(dc.Code))
	cfg.Registry = d.registryURLs()
	cfg.Agency.Name = dc.Agency
	cfg.Languages = demoLanguages(dc)
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("node %s: %w", dc.Code, err)
	}
	d.progress("Starting the %s node on %s…", dc.Code, cfg.BaseURL)
	m := &nodeMain{Config: cfg, Logger: d.logger.With("process", "node "+dc.Code)}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return fmt.Errorf("node %s: %w", dc.Code, err)
	}
	started.m = m

	var co *twinfed.Country
	err = retryUnavailable(ctx, func() (err error) {
		co, err = admin.Country(ctx, dc.Code)
		return err
	})
	if err != nil {
		return fmt.Errorf("country %s: %w", dc.Code, err)
	}
	if co.NodeURL != cfg.BaseURL || !hasKeys(co.Keys, m.NodeKeys()) {
		d.progress("Recording the %s node's URL and keys in the registry…", dc.Code)
		co.Agency, co.NodeURL, co.Active = dc.Agency, cfg.BaseURL, true
		co.Keys = m.NodeKeys()
		// Only if no one changed the record since it was read.
		if err := retryUnavailable(ctx, func() error { _, err := admin.ReplaceCountry(ctx, *co, co.Version); return err }); err != nil {
			return fmt.Errorf("register the %s node in the registry: %w", dc.Code, err)
		}
	}
	if started.procs, err = d.seedNode(ctx, dc, m.Node().Accounts(), admin, cfg.BaseURL); err != nil {
		return fmt.Errorf("seed %s: %w", dc.Code, err)
	}
	if err := seedForum(ctx, m.Node().Forum(), dc); err != nil {
		return fmt.Errorf("seed %s: %w", dc.Code, err)
	}
	if err := seedTraining(ctx, m.Node().Training(), dc); err != nil {
		return fmt.Errorf("seed %s: %w", dc.Code, err)
	}
	return nil
}

// demoLanguages returns the UI languages of a demo node: the country's
// language first (the default), English, then
// the other UI languages, so that the demo shows every one of the 36.
func demoLanguages(dc demoCountry) []string {
	out := []string{"en"}
	if dc.Language != "" && dc.Language != "en" {
		out = []string{dc.Language, "en"}
	}
	for _, code := range twinfed.UILanguageCodes() {
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// hasKeys reports whether keys holds every one of want.
func hasKeys(keys, want []twinfed.NodeKey) bool {
	for _, k := range want {
		if !hasKey(keys, k) {
			return false
		}
	}
	return true
}

func hasKey(keys []twinfed.NodeKey, k twinfed.NodeKey) bool {
	for _, x := range keys {
		if x.ID == k.ID && x.PublicPEM == k.PublicPEM {
			return true
		}
	}
	return false
}

// seedNode creates the agency officer and the sample teachers that do not
// exist yet, and lists their logins.
func (d *demoMain) seedNode(ctx context.Context, dc demoCountry, acc *account.Service, reg twinfed.Registry, base string) (procs []demoProcess, err error) {
	code := strings.ToLower(dc.Code)
	officer := "agency." + code
	// exists spares a resumed demo the password hashing of accounts it has.
	exists := func(username string) bool {
		_, err := acc.Member(ctx, username)
		return err == nil
	}
	if !exists(officer) {
		d.progress("Creating the %s agency officer and %d teachers…", dc.Code, len(dc.Teachers))
		_, err := acc.CreateStaff(ctx, nil, officer, officer+"@demo.twinfed.example", "Agency", "Officer "+dc.Code, demoPassword, twinfed.RoleAgencyOfficer)
		if err != nil && twinfed.ErrorCode(err) != twinfed.ECONFLICT {
			return nil, fmt.Errorf("agency officer: %w", err)
		}
	}
	procs = append(procs, demoProcess{
		Process: "node " + dc.Code, Role: "agency officer", Country: dc.Code, URL: base + "/backoffice", Username: officer, Password: demoPassword,
	})

	var schools []*twinfed.School
	err = retryUnavailable(ctx, func() (err error) {
		schools, _, err = reg.FindSchools(ctx, twinfed.SchoolFilter{Country: dc.Code, Limit: len(dc.Teachers) * 7})
		return err
	})
	if err != nil || len(schools) < len(dc.Teachers) {
		return nil, fmt.Errorf("the registry has no schools for %s yet: %v", dc.Code, err)
	}
	for i, t := range dc.Teachers {
		s := schools[i*7%len(schools)]
		m := &twinfed.Member{
			Schools:     []twinfed.MemberSchool{{SchoolID: s.ID, Name: s.Name(), Region: s.Region, Level: s.Level, Role: "teacher"}},
			Description: t.Description,
			Languages:   t.Languages,
			PupilAges:   t.Ages,
			Subjects:    t.Subjects,
			Available:   twinfed.Available{Project: true, Erasmus: i%2 == 0},
			Public:      twinfed.PublicFields,
			Locale:      dc.Language,
		}
		procs = append(procs, demoProcess{
			Process: "node " + dc.Code, Role: "teacher", Country: dc.Code, URL: base + "/users/" + url.PathEscape(t.Username), Username: t.Username, Password: demoPassword,
		})
		if exists(t.Username) {
			continue
		}
		email := t.Username + "@" + code + ".demo.twinfed.example"
		_, err := acc.SeedMember(ctx, account.PreRegistration{
			FirstName: t.First, LastName: t.Last, Email: email, EmailConfirm: email,
			Username: t.Username, Password: demoPassword, PasswordConfirm: demoPassword, Locale: dc.Language,
		}, m)
		if err != nil && twinfed.ErrorCode(err) != twinfed.ECONFLICT {
			return nil, fmt.Errorf("teacher %s: %w", t.Username, err)
		}
	}
	return procs, nil
}
