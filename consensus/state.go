package consensus

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

// Key layout of the registry state. The FSM's Badger database and a
// client's cache hold the same keys (the change feed ships them as they
// are), so the read functions below serve both.
//
//	c/<code>                          country JSON
//	h/<host>                          country code of the node at host
//	s/<id>                            school JSON; ids start with the country code
//	sn/<country>/<national number>    school id
//	q/<project>\x00<country>\x00<year> national quality label JSON
//	e/<project>\x00<year>             European label JSON
//	ey/<year>\x00<project>            (empty) eligible or awarded European label of that year
//	p/<year>/<category>/<project>     prize entry JSON
//	mb/<id>                           cluster member JSON
//	x/<index>                         keys changed by the entry at index (FSM only; the
//	                                  oldest are pruned, see FSM.pruneFeed)
//	m/feed-floor, m/feed-keys         x/ records exist for every entry after the floor;
//	                                  how many keys they list (FSM only)
//	m/applied, m/seq                  applied index, school counter (FSM only)
//	m/lineage                         id of the last restore, "" before any
//	m/k/<request id>                  result of the write with that id (FSM only)
//	m/ke/<unix nanos><request id>     (empty) when that id was proposed (FSM only)
//	m/kr/<unix nanos><index><n>       the request ids and results of the writes
//	                                  n, n+1, … of the CmdBatchV2 entry at index,
//	                                  proposed at that time (FSM only; resultRecord)
const (
	pCountry   = "c/"
	pHost      = "h/"
	pSchool    = "s/"
	pNatNum    = "sn/"
	pNQL       = "q/"
	pEQL       = "e/"
	pEQLYear   = "ey/"
	pPrize     = "p/"
	pMember    = "mb/"
	pChange    = "x/"
	kApplied   = "m/applied"
	kSeq       = "m/seq"
	kFeedKeys  = "m/feed-keys"
	kFeedFloor = "m/feed-floor" // the x/ records of entries up to it may have been pruned
	kCacheIdx  = "m/cache-index"
	kLineage   = "m/lineage" // set by a restore: the state's history starts again
	pIdem      = "m/k/"
	pIdemExp   = "m/ke/"
	pResults   = "m/kr/"
)

func idemExpiryKey(at time.Time, id string) []byte {
	k := binary.BigEndian.AppendUint64([]byte(pIdemExp), uint64(at.UnixNano()))
	return append(k, id...)
}

func splitIdemExpiryKey(k []byte) (time.Time, string, bool) {
	if len(k) < len(pIdemExp)+8 {
		return time.Time{}, "", false
	}
	ns := int64(binary.BigEndian.Uint64(k[len(pIdemExp):]))
	return time.Unix(0, ns), string(k[len(pIdemExp)+8:]), true
}

// Mirrored reports whether a state key is shipped by the change feed.
func mirrored(key []byte) bool {
	return !strings.HasPrefix(string(key), pChange) && !strings.HasPrefix(string(key), "m/")
}

func changeKey(index uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(pChange), index)
}

func nqlKey(project, country, year string) string {
	return pNQL + project + "\x00" + country + "\x00" + year
}

func eqlKey(project, year string) string { return pEQL + project + "\x00" + year }

func prizeKey(year int, category, project string) string {
	return fmt.Sprintf("%s%04d/%s/%s", pPrize, year, category, project)
}

// Member is a registry cluster member as the FSM records it, so that any
// member can find the leader's HTTP address.
type MemberInfo struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raft_addr"`
	HTTPURL  string `json:"http_url"`
	// Batches is set by a member that applies CmdBatch entries, in its
	// own record: POST /v1/batch is served only once every voter of the
	// configuration has said so (Member.ServesBatches), since a member
	// of an older version would skip the entry and hold a different state.
	Batches bool `json:"batches,omitempty"`
	// BatchRecords is set by a member that applies CmdBatchV2 entries:
	// they are proposed only once every voter has said so
	// (Member.RecordsBatchResults), for the same reason.
	BatchRecords bool `json:"batch_records,omitempty"`
}

func getJSON(txn *badger.Txn, key string, v any) error {
	item, err := txn.Get([]byte(key))
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

func getString(txn *badger.Txn, key string) (string, error) {
	item, err := txn.Get([]byte(key))
	if err != nil {
		return "", err
	}
	b, err := item.ValueCopy(nil)
	return string(b), err
}

func getUint(txn *badger.Txn, key string) (uint64, error) {
	item, err := txn.Get([]byte(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(b []byte) error {
		if len(b) == 8 {
			n = binary.BigEndian.Uint64(b)
		}
		return nil
	})
	return n, err
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, badger.ErrKeyNotFound) {
		return twinfed.Errorf(twinfed.ENOTFOUND, format, args...)
	}
	return err
}

func readCountry(txn *badger.Txn, code string) (*twinfed.Country, error) {
	var c twinfed.Country
	if err := getJSON(txn, pCountry+code, &c); err != nil {
		return nil, noCountry(err, code)
	}
	return &c, nil
}

// noCountry is err, from reading the record of the country code, as the
// registry says it: ENOTFOUND for an unknown code.
func noCountry(err error, code string) error {
	return notFound(err, "no country has the code %q; use an ISO 3166-1 alpha-2 code of the programme such as IT", code)
}

func readCountries(txn *badger.Txn) ([]*twinfed.Country, error) {
	var out []*twinfed.Country
	err := scan(txn, pCountry, func(_, v []byte) error {
		var c twinfed.Country
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		out = append(out, &c)
		return nil
	})
	return out, err
}

func readCountryByHost(txn *badger.Txn, host string) (*twinfed.Country, error) {
	code, err := hostCountry(txn, host)
	if err != nil {
		return nil, err
	}
	return readCountry(txn, code)
}

// hostCountry returns the code of the country whose node has host;
// ENOTFOUND when none.
func hostCountry(txn *badger.Txn, host string) (string, error) {
	code, err := getString(txn, pHost+strings.ToLower(host))
	if err != nil {
		return "", notFound(err, "no node of this federation has the host %q", host)
	}
	return code, nil
}

func readSchool(txn *badger.Txn, id string) (*twinfed.School, error) {
	var s twinfed.School
	item, err := txn.Get([]byte(pSchool + id))
	if err == nil {
		err = item.Value(func(b []byte) error { return decodeSchool(b, &s) })
	}
	if err != nil {
		return nil, notFound(err, "no school has the id %q", id)
	}
	return &s, nil
}

// decodeSchool decodes a school of the state into s, a zero School: with
// decodeHotShared when it is of the form the state is written in (about
// half encoding/json's CPU: BenchmarkDecodeHot/StoredSchool), else with
// encoding/json.
func decodeSchool(b []byte, s *twinfed.School) error {
	if decodeHotShared(b, s) {
		return nil
	}
	return json.Unmarshal(b, s)
}

func readMembers(txn *badger.Txn) ([]MemberInfo, error) {
	var out []MemberInfo
	err := scan(txn, pMember, func(_, v []byte) error {
		var m MemberInfo
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// scan calls fn for each key with the prefix, in key order.
func scan(txn *badger.Txn, prefix string, fn func(k, v []byte) error) error {
	opts := badger.DefaultIteratorOptions
	opts.Prefix = []byte(prefix)
	it := txn.NewIterator(opts)
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		if err := item.Value(func(v []byte) error { return fn(item.Key(), v) }); err != nil {
			return err
		}
	}
	return nil
}

// Page sizes of school searches.
const (
	DefaultPage = 20
	MaxPage     = 200
)

func matchSchool(s *twinfed.School, f twinfed.SchoolFilter, words []string) bool {
	if f.Country != "" && s.Country != f.Country {
		return false
	}
	if f.City != "" && !strings.EqualFold(s.City, f.City) {
		return false
	}
	if f.Region != "" && !strings.EqualFold(s.Region, f.Region) {
		return false
	}
	if f.Status != "" && s.Status != f.Status {
		return false
	}
	if f.NationalNumber != "" && s.NationalNumber != f.NationalNumber {
		return false
	}
	if len(words) > 0 {
		name := strings.ToLower(s.LegalName + " " + s.PublicName)
		for _, w := range words {
			if !strings.Contains(name, w) {
				return false
			}
		}
	}
	return true
}

// readFindSchools finds schools in txn. natnum looks a national number up
// (the registry's FSM.natnum, a client cache's sn/ keys); the school it
// names is read in txn and must still have that number.
func readFindSchools(txn *badger.Txn, f twinfed.SchoolFilter, natnum func(country, number string) string) ([]*twinfed.School, int, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultPage
	}
	if limit > MaxPage {
		limit = MaxPage
	}
	out := []*twinfed.School{}
	if f.Country != "" && f.NationalNumber != "" {
		id := natnum(f.Country, f.NationalNumber)
		if id == "" {
			return out, 0, nil
		}
		s, err := readSchool(txn, id)
		if twinfed.ErrorCode(err) == twinfed.ENOTFOUND {
			return out, 0, nil // written after txn began
		}
		if err != nil {
			return nil, 0, err
		}
		if !matchSchool(s, f, strings.Fields(strings.ToLower(f.Query))) {
			return out, 0, nil
		}
		if f.Offset > 0 {
			return out, 1, nil
		}
		return append(out, s), 1, nil
	}
	prefix := pSchool
	if f.Country != "" {
		prefix = pSchool + f.Country + "-"
	}
	words := strings.Fields(strings.ToLower(f.Query))
	total := 0
	err := scan(txn, prefix, func(_, v []byte) error {
		var s twinfed.School
		if err := decodeSchool(v, &s); err != nil {
			return err
		}
		if !matchSchool(&s, f, words) {
			return nil
		}
		if total >= f.Offset && len(out) < limit {
			out = append(out, &s)
		}
		total++
		return nil
	})
	return out, total, err
}

func readProjectLabels(txn *badger.Txn, project string) ([]twinfed.QualityLabel, *twinfed.EuropeanLabel, error) {
	nqls := []twinfed.QualityLabel{}
	err := scan(txn, pNQL+project+"\x00", func(_, v []byte) error {
		var l twinfed.QualityLabel
		if err := json.Unmarshal(v, &l); err != nil {
			return err
		}
		nqls = append(nqls, l)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var best *twinfed.EuropeanLabel
	err = scan(txn, pEQL+project+"\x00", func(_, v []byte) error {
		var e twinfed.EuropeanLabel
		if err := json.Unmarshal(v, &e); err != nil {
			return err
		}
		// An awarded label wins over an eligible one; the latest year wins among equals.
		if best == nil || (e.Status == twinfed.EQLAwarded && best.Status != twinfed.EQLAwarded) ||
			(e.Status == best.Status && e.SchoolYear > best.SchoolYear) {
			best = &e
		}
		return nil
	})
	return nqls, best, err
}

func readEuropeanLabels(txn *badger.Txn, year string) ([]twinfed.EuropeanLabel, error) {
	out := []twinfed.EuropeanLabel{}
	err := scan(txn, pEQLYear+year+"\x00", func(k, _ []byte) error {
		project := strings.TrimPrefix(string(k), pEQLYear+year+"\x00")
		var e twinfed.EuropeanLabel
		if err := getJSON(txn, eqlKey(project, year), &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

func readPrizes(txn *badger.Txn, year int) ([]twinfed.PrizeEntry, error) {
	out := []twinfed.PrizeEntry{}
	prefix := pPrize
	if year > 0 {
		prefix = fmt.Sprintf("%s%04d/", pPrize, year)
	}
	err := scan(txn, prefix, func(_, v []byte) error {
		var p twinfed.PrizeEntry
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Category < out[j].Category })
	return out, err
}
