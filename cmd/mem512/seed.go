package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node"
)

// sessionsFile holds the seeded members' session tokens, one a line.
const sessionsFile = "mem512-sessions.txt"

// seed fills o.data with an in-process node (the store and the
// directory's snapshot as `twinfed node` keeps them): o.members members
// of its own, 20 of them logged in with a post each on their wall, and
// o.profiles public profiles of 36 countries in the directory, indexed.
func seed(ctx context.Context, o options) error {
	n, err := node.Open(ctx, node.Options{
		Dir: o.data, Addr: "127.0.0.1:0", BaseURL: fmt.Sprintf("http://127.0.0.1:%d", o.port),
		Service: node.Config{Country: "IT", AgencyName: "Indire", Policy: twinfed.ItalianEligibility(), Hash: node.HashParams{Time: 1, Memory: 8 << 10, Threads: 1}},
		Server:  node.ServerConfig{Languages: []string{"it", "en"}},
		Metrics: prometheus.NewRegistry(),
	})
	if err != nil {
		return err
	}
	defer n.Close()
	now := time.Now().UTC()
	var batch []*twinfed.Member
	for i := range o.members {
		u := fmt.Sprintf("member%06d", i)
		batch = append(batch, &twinfed.Member{Username: u, FirstName: "Nome" + strconv.Itoa(i), LastName: "Cognome", Email: u + "@scuola.it",
			Status: twinfed.StatusValidated, Created: now, Validated: now,
			Schools:     []twinfed.MemberSchool{{SchoolID: "it-" + strconv.Itoa(i%500), Name: "Istituto Comprensivo " + strconv.Itoa(i%500), Region: "Lazio", Level: twinfed.LevelPrimary, Role: "teacher"}},
			Description: "<p>Insegno da molti anni e mi interessano i progetti europei.</p>", Languages: []string{"it", "en"}, PupilAges: []int{10, 11},
			Subjects: []string{"mathematics"}, Interests: []string{"robotics"}, Available: twinfed.Available{Project: true}, Public: twinfed.PublicFields})
	}
	if err := n.Agency().ImportMembers(ctx, nil, batch); err != nil {
		return err
	}
	var tokens []string
	for i := range 20 {
		u := fmt.Sprintf("member%06d", i)
		tok, err := login(ctx, n, o.data, u)
		if err != nil {
			return fmt.Errorf("log in %s: %w", u, err)
		}
		tokens = append(tokens, tok)
		me := &twinfed.Principal{Username: u, Role: twinfed.RoleMember, Status: twinfed.StatusValidated}
		for k := range 5 {
			if _, err := n.Feed().Publish(ctx, me, fmt.Sprintf("Il nostro progetto, giorno %d: le classi hanno presentato i loro lavori.", k+1), nil); err != nil {
				return fmt.Errorf("post: %w", err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(o.data, sessionsFile), []byte(strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
		return err
	}
	dir := n.Directory()
	wb := n.Store().DB().NewWriteBatch()
	for i := range o.profiles {
		if err := dir.PutInBatch(wb, profile(i)); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	dir.Imported()
	for dir.DirectoryBacklog() > 0 {
		time.Sleep(2 * time.Second) // counting the backlog reads its keys: not too often
	}
	return nil // Close writes the index's snapshot
}

// resetLink finds the password-reset token in a spooled mail (quoted-
// printable soft breaks undone).
var resetLink = regexp.MustCompile(`/password/reset\?token=([A-Za-z0-9_-]+)`)

// login gives member u a password through the reset link mailed to it
// and logs in, returning the session token.
func login(ctx context.Context, n *node.Node, dir, u string) (string, error) {
	acc := n.Accounts()
	if err := acc.RequestPasswordReset(ctx, u+"@scuola.it"); err != nil {
		return "", err
	}
	var token string
	for deadline := time.Now().Add(30 * time.Second); token == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(dir, "mail-spool", "*.eml"))
		for _, f := range files {
			raw, _ := os.ReadFile(f)
			s := strings.ReplaceAll(strings.ReplaceAll(string(raw), "=\r\n", ""), "=3D", "=")
			if strings.Contains(s, "To: "+u+"@scuola.it\r\n") {
				if m := resetLink.FindStringSubmatch(s); m != nil {
					token = m[1]
				}
			}
		}
	}
	if token == "" {
		return "", errors.New("no reset mail")
	}
	const password = "eTwinning-mem512"
	if err := acc.ResetPassword(ctx, token, password, password); err != nil {
		return "", err
	}
	_, tok, _, err := acc.Login(ctx, u, password, "127.0.0.1")
	return tok, err
}

func readSessions(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, sessionsFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}

// The synthetic federation: 36 countries of very different sizes, each
// with its own given names and surnames made of syllables, drawn with a
// heavy head (a few very common, most rare) as real names are.
var (
	fedCountries = strings.Fields("IT FR ES DE PL RO TR PT GR EL CZ HU SE BE NL AT BG HR SK DK FI IE LT LV EE SI MT CY LU IS NO MK RS AL BA UA")
	syllables    = strings.Fields("ka lo mi ra ne to sa ri be vo du li ma ko te ni pa gu ser an dre mar el fi ja zo ste lu ba ge ci ol")
	topics       = strings.Fields("robotics climate music theatre coding history art health reading citizenship water football astronomy poetry cooking heritage migration democracy recycling mathematics")
	levels       = []twinfed.SchoolLevel{twinfed.LevelPrimary, twinfed.LevelLowerSecondary, twinfed.LevelUpperSecondary, twinfed.LevelEarlyChildhood}
)

// skewed draws from 0 to n-1 with a heavy head.
func skewed(r *rand.Rand, n int) int { u := r.Float64(); return int(u * u * u * float64(n)) }

// word is name number k of country c's list kind (3,000 in each).
func word(c, kind string, k int) string {
	r := rand.New(rand.NewPCG(uint64(k), uint64(len(c)*31+int(c[0])*7+int(c[1])+len(kind)*1000)))
	var b strings.Builder
	for range 2 + r.IntN(2) {
		b.WriteString(syllables[r.IntN(len(syllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// profile is the i-th public profile of the synthetic federation.
func profile(i int) *twinfed.Profile {
	r := rand.New(rand.NewPCG(uint64(i), 512))
	c := fedCountries[skewed(r, len(fedCountries))]
	given, surname := word(c, "given", skewed(r, 3000)), word(c, "surname", skewed(r, 3000))
	username := strings.ToLower(given+"."+surname) + strconv.Itoa(i)
	desc := "<p>I teach " + twinfed.Subjects[r.IntN(len(twinfed.Subjects))] + " and love projects about " + topics[skewed(r, len(topics))] + " and " + topics[r.IntN(len(topics))] + ".</p>"
	age := 3 + r.IntN(16)
	return &twinfed.Profile{
		ID: fmt.Sprintf("https://%s.twinfed.example/users/%s", strings.ToLower(c), username), Username: username, Country: c,
		Name: given + " " + surname, SchoolName: "School " + word(c, "town", skewed(r, 400)) + " " + strconv.Itoa(1+r.IntN(40)),
		SchoolLevel: levels[r.IntN(len(levels))], Region: word(c, "region", r.IntN(6)), Role: "teacher",
		Subjects:  []string{twinfed.Subjects[skewed(r, len(twinfed.Subjects))]},
		Languages: []string{strings.ToLower(c), "en"}, PupilAges: []int{age, age + 1}, Description: desc,
		Interests: []string{topics[skewed(r, len(topics))]}, Available: twinfed.Available{Project: r.IntN(3) != 0},
		Updated: time.Unix(1_600_000_000+int64(r.IntN(200_000_000)), 0),
	}
}
