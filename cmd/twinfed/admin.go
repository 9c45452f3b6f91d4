package main

// The admin command: `twinfed admin` is the agency's back office on the
// command line. It talks to a running node's JSON API (docs/api.md) with
// the agency's bearer token ([agency] api_token in the node's config),
// so it works on a live node, locally or remotely, and every action goes
// through the same checks as the web UI:
//
//	twinfed admin --node https://it.twinfed.example --token $TOKEN members --status pending
//	twinfed admin … validate-member maria
//	twinfed admin … reject-member maria --reason "Attach your employment certificate."
//	twinfed admin … schools                # proposed schools
//	twinfed admin … validate-school ID     # writes it to the registry
//	twinfed admin … reject-school ID --reason "…"
//	twinfed admin … stats
//	twinfed admin … export-csv --out members.csv
//	twinfed admin … create-staff --username u --email e --first-name f --last-name l --role agency_officer --password-file p
//	twinfed admin … federation status [--json]   # delivery queue per destination node
//	twinfed admin … federation parked [--destination HOST] [--json]
//	twinfed admin … federation requeue --destination HOST
//
// --node and --token default to TWINFED_NODE_URL and TWINFED_ADMIN_TOKEN.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
)

func adminCommand() *cli.Command {
	return &cli.Command{
		Name:  "admin",
		Usage: "the agency's back office on the command line, through a node's JSON API",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", EnvVars: []string{"TWINFED_NODE_URL"}, Value: "http://127.0.0.1:8080", Usage: "base URL of the node"},
			&cli.StringFlag{Name: "token", EnvVars: []string{"TWINFED_ADMIN_TOKEN"}, Usage: "the agency's API token ([agency] api_token)"},
		},
		Subcommands: []*cli.Command{
			{Name: "members", Usage: "list members (the validation queue by default)",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "status", Value: "pending", Usage: "pending, validated, rejected, registering or unconfirmed"}},
				Action: adminMembers},
			{Name: "validate-member", Usage: "validate a pending member", ArgsUsage: "USERNAME", Action: adminAction("members", "validate", false)},
			{Name: "reject-member", Usage: "reject a pending member with a reason the member reads", ArgsUsage: "USERNAME",
				Flags: []cli.Flag{&cli.StringFlag{Name: "reason", Required: true}}, Action: adminAction("members", "reject", true)},
			{Name: "schools", Usage: "list school proposals",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "status", Value: "proposed", Usage: "proposed, validated or rejected"}},
				Action: adminSchools},
			{Name: "validate-school", Usage: "validate a proposed school (it is written to the registry)", ArgsUsage: "ID", Action: adminAction("schools", "validate", false)},
			{Name: "reject-school", Usage: "reject a proposed school with a reason", ArgsUsage: "ID",
				Flags: []cli.Flag{&cli.StringFlag{Name: "reason", Required: true}}, Action: adminAction("schools", "reject", true)},
			{Name: "stats", Usage: "members by status, region and school level; registrations per week", Action: adminStats},
			{Name: "export-csv", Usage: "export every member as CSV",
				Flags: []cli.Flag{&cli.StringFlag{Name: "out", Usage: "file to write; standard output when empty"}}, Action: adminCSV},
			{Name: "create-staff", Usage: "create an agency officer or admin account",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "username", Required: true}, &cli.StringFlag{Name: "email", Required: true},
					&cli.StringFlag{Name: "first-name", Required: true}, &cli.StringFlag{Name: "last-name", Required: true},
					&cli.StringFlag{Name: "role", Value: "agency_officer", Usage: "agency_officer or agency_admin"},
					&cli.StringFlag{Name: "password-file", Required: true, Usage: "file holding the initial password"},
				}, Action: adminStaff},
			adminFederationCommand(),
		},
	}
}

// adminFederationPath is where the node serves federation.AdminHandler.
const adminFederationPath = "/api/v1/agency/federation"

func adminFederationCommand() *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print the node's JSON answer instead of a table"}
	return &cli.Command{
		Name:  "federation",
		Usage: "health of deliveries to the other nodes: queue depth, oldest item, last error, parked items, circuit breaker",
		Subcommands: []*cli.Command{
			{Name: "status", Usage: "one line per destination node", Flags: []cli.Flag{jsonFlag}, Action: adminFederationStatus},
			{Name: "parked", Usage: "deliveries given up after the retry window or refused for good",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "destination", Usage: "only this destination (host[:port], as status lists it)"}, jsonFlag},
				Action: adminFederationParked},
			{Name: "requeue", Usage: "put a destination's parked deliveries back in its queue with a fresh retry window",
				Flags:  []cli.Flag{&cli.StringFlag{Name: "destination", Required: true, Usage: "host[:port], as status lists it"}},
				Action: adminFederationRequeue},
		},
	}
}

// destinationStatus mirrors federation.DestinationStatus's JSON.
type destinationStatus struct {
	Destination string    `json:"destination"`
	Depth       int       `json:"depth"`
	Oldest      time.Time `json:"oldest"`
	Parked      int       `json:"parked"`
	Critical    int       `json:"critical"`
	BreakerOpen bool      `json:"breaker_open"`
	OpenUntil   time.Time `json:"open_until"`
	Failures    int       `json:"failures"`
	LastError   string    `json:"last_error"`
	LastErrorAt time.Time `json:"last_error_at"`
	LastSuccess time.Time `json:"last_success"`
	NotServed   []struct {
		Prefix string    `json:"prefix"`
		Until  time.Time `json:"until"`
	} `json:"not_served"`
}

func adminFederationStatus(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return a.do("GET", adminFederationPath+"/status", nil, nil, c.App.Writer)
	}
	var st []destinationStatus
	if err := a.do("GET", adminFederationPath+"/status", nil, &st, nil); err != nil {
		return err
	}
	if len(st) == 0 {
		fmt.Fprintln(c.App.Writer, "no destination yet: nothing was ever queued for another node")
		return nil
	}
	now := time.Now()
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tQUEUED\tOLDEST\tPARKED\tBREAKER\tFAILURES\tLAST SUCCESS\tLAST ERROR\tNOT SERVED")
	for _, s := range st {
		oldest := "-"
		if !s.Oldest.IsZero() {
			oldest = age(now.Sub(s.Oldest))
		}
		parked := strconv.Itoa(s.Parked)
		if s.Critical > 0 {
			parked += fmt.Sprintf(" (%d critical)", s.Critical)
		}
		breaker := "closed"
		if s.BreakerOpen {
			breaker = "open"
			if d := s.OpenUntil.Sub(now); d > 0 {
				breaker += ", retry in " + age(d)
			} else {
				breaker += ", trying"
			}
		}
		success := "-"
		if !s.LastSuccess.IsZero() {
			success = age(now.Sub(s.LastSuccess)) + " ago"
		}
		lastErr := "-"
		if s.LastError != "" {
			lastErr = oneLine(s.LastError, 100)
			if !s.LastErrorAt.IsZero() {
				lastErr = age(now.Sub(s.LastErrorAt)) + " ago: " + lastErr
			}
		}
		notServed := "-"
		for i, ns := range s.NotServed {
			if i == 0 {
				notServed = ""
			} else {
				notServed += ", "
			}
			notServed += ns.Prefix + " (asked again in " + age(max(ns.Until.Sub(now), 0)) + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", s.Destination, s.Depth, oldest, parked, breaker, s.Failures, success, lastErr, notServed)
	}
	return tw.Flush()
}

func adminFederationParked(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	path := adminFederationPath + "/parked"
	if d := c.String("destination"); d != "" {
		path += "?destination=" + url.QueryEscape(d)
	}
	if c.Bool("json") {
		return a.do("GET", path, nil, nil, c.App.Writer)
	}
	var parked []struct {
		Destination string    `json:"destination"`
		ActivityID  string    `json:"activity"`
		Type        string    `json:"type"`
		Enqueued    time.Time `json:"enqueued"`
		Parked      time.Time `json:"parked"`
		Attempts    int       `json:"attempts"`
		Reason      string    `json:"reason"`
	}
	if err := a.do("GET", path, nil, &parked, nil); err != nil {
		return err
	}
	if len(parked) == 0 {
		fmt.Fprintln(c.App.Writer, "no parked delivery")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DESTINATION\tTYPE\tACTIVITY\tQUEUED\tPARKED\tATTEMPTS\tREASON")
	for _, p := range parked {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.Destination, p.Type, p.ActivityID,
			p.Enqueued.Local().Format("2006-01-02 15:04"), p.Parked.Local().Format("2006-01-02 15:04"), p.Attempts, oneLine(p.Reason, 100))
	}
	return tw.Flush()
}

func adminFederationRequeue(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	dest := c.String("destination")
	var res struct {
		Requeued int `json:"requeued"`
	}
	if err := a.do("POST", adminFederationPath+"/requeue?destination="+url.QueryEscape(dest), nil, &res, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%d parked deliveries to %s requeued\n", res.Requeued, dest)
	return nil
}

// age prints a duration the way an operator reads it: 45s, 12m, 3h20m, 2d4h.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

// oneLine flattens s to one line of at most n runes.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n-1]) + "…"
	}
	return s
}

// adminClient calls a node's API with the agency's token.
type adminClient struct {
	base, token string
	http        *http.Client
}

func newAdminClient(c *cli.Context) (*adminClient, error) {
	tok := c.String("token")
	if tok == "" {
		return nil, errors.New("give the agency's API token with --token or TWINFED_ADMIN_TOKEN")
	}
	return &adminClient{base: strings.TrimRight(c.String("node"), "/"), token: tok, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// do sends a request and decodes a JSON answer into out (or copies the raw
// body to w when w is set). API errors come back as their message.
func (a *adminClient) do(method, path string, in any, out any, w io.Writer) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the node at %s: %w", a.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct {
				Code    string            `json:"code"`
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		raw, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			msg := e.Error.Message
			for k, v := range e.Error.Fields {
				msg += "\n  " + k + ": " + v
			}
			return errors.New(msg)
		}
		return fmt.Errorf("the node answered %s", resp.Status)
	}
	if w != nil {
		_, err = io.Copy(w, resp.Body)
		return err
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

func adminMembers(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	var res struct {
		Members []struct {
			Username  string `json:"username"`
			FirstName string `json:"first_name"`
			LastName  string `json:"last_name"`
			Email     string `json:"email"`
			Schools   []struct {
				Name       string `json:"name"`
				Role       string `json:"role"`
				ProposalID string `json:"proposal_id"`
			} `json:"schools"`
			Submitted time.Time `json:"submitted"`
		} `json:"members"`
		Total int `json:"total"`
	}
	if err := a.do("GET", "/api/v1/agency/members?limit=500&status="+url.QueryEscape(c.String("status")), nil, &res, nil); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tNAME\tE-MAIL\tSCHOOL\tROLE\tSUBMITTED")
	for _, m := range res.Members {
		school, role := "", ""
		if len(m.Schools) > 0 {
			school, role = m.Schools[0].Name, m.Schools[0].Role
			if m.Schools[0].ProposalID != "" {
				school += " (proposed)"
			}
		}
		sub := ""
		if !m.Submitted.IsZero() {
			sub = m.Submitted.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%s\t%s\t%s\t%s\n", m.Username, m.FirstName, m.LastName, m.Email, school, role, sub)
	}
	tw.Flush()
	fmt.Fprintf(c.App.Writer, "%d %s\n", res.Total, c.String("status"))
	return nil
}

func adminSchools(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	var res struct {
		Proposals []struct {
			ID          string `json:"id"`
			LegalName   string `json:"legal_name"`
			City        string `json:"city"`
			Region      string `json:"region"`
			Level       string `json:"level"`
			Institution string `json:"institution"`
			ProposedBy  string `json:"proposed_by"`
			SchoolID    string `json:"school_id"`
		} `json:"proposals"`
	}
	if err := a.do("GET", "/api/v1/agency/schools?status="+url.QueryEscape(c.String("status")), nil, &res, nil); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tTOWN\tREGION\tLEVEL\tKIND\tPROPOSED BY\tREGISTRY ID")
	for _, p := range res.Proposals {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.LegalName, p.City, p.Region, p.Level, p.Institution, p.ProposedBy, p.SchoolID)
	}
	return tw.Flush()
}

// adminAction validates or rejects a member or a school.
func adminAction(kind, verb string, withReason bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() != 1 {
			return errors.New("give exactly one " + strings.TrimSuffix(kind, "s") + " (username or id)")
		}
		a, err := newAdminClient(c)
		if err != nil {
			return err
		}
		var in any
		if withReason {
			in = map[string]string{"reason": c.String("reason")}
		}
		if err := a.do("POST", "/api/v1/agency/"+kind+"/"+url.PathEscape(c.Args().First())+"/"+verb, in, nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s %sd\n", c.Args().First(), strings.TrimSuffix(verb, "e")+"e")
		return nil
	}
}

func adminStats(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	var st struct {
		ByStatus map[string]int `json:"by_status"`
		ByRegion map[string]int `json:"by_region"`
		ByLevel  map[string]int `json:"by_level"`
		PerWeek  []struct {
			Week  string `json:"week"`
			Count int    `json:"count"`
		} `json:"registrations_per_week"`
	}
	if err := a.do("GET", "/api/v1/agency/stats", nil, &st, nil); err != nil {
		return err
	}
	w := c.App.Writer
	for _, sec := range []struct {
		title string
		m     map[string]int
	}{{"Members by status", st.ByStatus}, {"Members by region", st.ByRegion}, {"Members by school level", st.ByLevel}} {
		fmt.Fprintln(w, sec.title)
		keys := make([]string, 0, len(sec.m))
		for k := range sec.m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %-24s %d\n", k, sec.m[k])
		}
	}
	fmt.Fprintln(w, "Registrations per week")
	for _, wk := range st.PerWeek {
		fmt.Fprintf(w, "  %-24s %d\n", wk.Week, wk.Count)
	}
	return nil
}

func adminCSV(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	out := c.App.Writer
	if p := c.String("out"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	return a.do("GET", "/api/v1/agency/members.csv", nil, nil, out)
}

func adminStaff(c *cli.Context) error {
	a, err := newAdminClient(c)
	if err != nil {
		return err
	}
	pw, err := os.ReadFile(c.String("password-file"))
	if err != nil {
		return err
	}
	in := map[string]string{"username": c.String("username"), "email": c.String("email"), "first_name": c.String("first-name"),
		"last_name": c.String("last-name"), "role": c.String("role"), "password": strings.TrimRight(string(pw), "\r\n")}
	if err := a.do("POST", "/api/v1/agency/staff", in, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "%s created (%s)\n", c.String("username"), c.String("role"))
	return nil
}
