package consensus

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/raft"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// FSM is the registry's state machine: the commands of the Raft log applied
// to a Badger database. Apply and ApplyBatch are deterministic: time comes
// from the command, ids from a counter in the state.
type FSM struct {
	db      *badger.DB
	logger  *slog.Logger
	metrics *metrics

	applied atomic.Uint64
	mu      sync.Mutex
	changed chan struct{} // closed and replaced after every applied batch

	// restoring is held for writing while Restore replaces the state, so
	// that no read sees a half-dropped state.
	restoring sync.RWMutex

	// keysGen changes after every committed write of a country, host or
	// member key (and a restore): the entries of hostKeys (host → *hostKeys, the
	// members' cache of the keys that verify node writes) read before it
	// changed are stale. It moves only once the write is committed, so
	// that no entry read from the old state carries the new generation.
	// Member.Leader's remembered URL follows it too.
	keysGen  atomic.Uint64
	hostKeys sync.Map

	// feedWindow is how many changed keys the change feed keeps.
	feedWindow uint64

	// What follows is derived from the state and used only on the FSM
	// goroutine (ApplyBatch, Restore): it spares a read per entry and is
	// dropped whenever what it mirrors changes.
	countries  map[string]countryState // by code; nil after a write to a c/ key
	idemScan   bool                    // idemOldest is unknown: scan the expiry keys
	idemOldest time.Time               // the oldest remembered request id's time; zero when none
	feedLoaded bool                    // feedKeys and feedFloor hold the state's m/feed-* values
	feedKeys   uint64
	feedFloor  uint64
	seqLoaded  bool // seq holds the state's school counter (m/seq)
	seq        uint64
	// idemIDs counts the remembered request ids by a hash of the id
	// (FSM goroutine only): an id whose hash is absent was never applied,
	// so a new keyed write skips the Badger lookup of its id (a miss that
	// cost every member about a tenth of its CPU per write). It mirrors
	// the m/k/ keys: added when one is written, dropped when it is
	// forgotten, rebuilt by Restore.
	idemIDs map[uint64]uint32
	// idemRecs maps the hash of each request id a result record (m/kr/,
	// see resultRecord) remembers to that record, and idemMore holds the
	// others when ids of several records share a hash (FSM goroutine
	// only): a new id skips the lookup, a remembered one reads the record
	// that holds it. Rebuilt by Restore.
	idemRecs map[uint64]recordRef
	idemMore map[uint64][]recordRef

	// natnums is the index of the schools' national numbers, "CC/number"
	// → school id. It lives in memory only: it is derived from the
	// schools (rebuilt by Restore, kept by the school writes), and a
	// Badger key per school cost an import about a third of its CPU. The
	// FSM goroutine is its only writer, under natMu; readers take natMu
	// for reading (FSM.natnum).
	natMu   sync.RWMutex
	natnums map[string]string
}

// countryState is what a write needs to know of a country.
type countryState uint8

const (
	countryActive countryState = iota
	countryInactive
	countryUnknown
)

var _ raft.BatchingFSM = (*FSM)(nil)

// DefaultFeedWindow is how many changed keys the change feed keeps by
// default (see Config.FeedWindow).
const DefaultFeedWindow = 200_000

func newFSM(db *badger.DB, logger *slog.Logger, m *metrics) *FSM {
	f := &FSM{db: db, logger: logger, metrics: m, changed: make(chan struct{}), feedWindow: DefaultFeedWindow, idemScan: true,
		natnums: map[string]string{}}
	return f
}

func natKey(country, number string) string { return country + "/" + number }

// natnum returns the id of the school with national number number in
// country, "" when there is none. It may be newer than a reader's
// transaction: readFindSchools checks the school it reads.
func (f *FSM) natnum(country, number string) string {
	f.natMu.RLock()
	defer f.natMu.RUnlock()
	return f.natnums[natKey(country, number)]
}

// indexNatnums rebuilds the national-number index from the schools of the
// state (after a restore).
func (f *FSM) indexNatnums() error {
	idx := map[string]string{}
	err := f.db.View(func(txn *badger.Txn) error {
		return scan(txn, pSchool, func(_, v []byte) error {
			var s struct {
				ID             string `json:"id"`
				Country        string `json:"country"`
				NationalNumber string `json:"national_number"`
			}
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
			if s.NationalNumber != "" {
				idx[natKey(s.Country, s.NationalNumber)] = s.ID
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	f.natMu.Lock()
	f.natnums = idx
	f.natMu.Unlock()
	return nil
}

// Applied returns the index of the last entry applied.
func (f *FSM) Applied() uint64 { return f.applied.Load() }

// View runs fn in a read transaction of the state, never during a restore.
func (f *FSM) View(fn func(txn *badger.Txn) error) error {
	f.restoring.RLock()
	defer f.restoring.RUnlock()
	return f.db.View(fn)
}

// Changed returns a channel closed at the next applied batch.
func (f *FSM) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

func (f *FSM) setApplied(i uint64) {
	f.applied.Store(i)
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
	if f.metrics != nil {
		f.metrics.fsmIndex.Set(float64(i))
	}
}

// Apply applies one entry.
func (f *FSM) Apply(l *raft.Log) any {
	return f.ApplyBatch([]*raft.Log{l})[0]
}

// ApplyBatch applies committed entries in one Badger transaction. Each
// answer is an *ApplyResult.
func (f *FSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	w := &stateWriter{f: f, db: f.db, txn: f.db.NewTransaction(true)}
	defer func() { w.txn.Discard() }()
	var last, recorded uint64
	for i, l := range logs {
		last = l.Index
		res := &ApplyResult{Index: l.Index}
		out[i] = res
		if l.Type != raft.LogCommand || len(l.Data) == 0 {
			continue
		}
		w.changed, w.index = w.changed[:0], l.Index
		f.applyCommand(w, l.Index, l.Data, res)
		if len(w.changed) > 0 {
			w.set(changeKey(l.Index), encodeKeys(w.changed))
			recorded += uint64(len(w.changed))
		}
	}
	if recorded > 0 {
		f.pruneFeed(w, recorded)
	}
	if w.seqChanged {
		w.setUint([]byte(kSeq), f.seq)
	}
	w.setUint([]byte(kApplied), last)
	if w.err == nil {
		w.err = w.txn.Commit()
	}
	if w.err != nil {
		// The state can no longer follow the log: stopping is safer than
		// answering from a state that differs from the other members'.
		panic(fmt.Sprintf("consensus: write FSM state at index %d: %v", last, w.err))
	}
	if w.keysChanged {
		f.keysGen.Add(1)
	}
	f.setApplied(last)
	return out
}

func (f *FSM) applyCommand(w *stateWriter, index uint64, data []byte, res *ApplyResult) {
	t := CommandType(data[0])
	var err *twinfed.Error
	switch t {
	case CmdKeyed:
		f.applyKeyed(w, index, data[1:], res, nil, nil)
		return
	case CmdBatch, CmdBatchV2:
		f.applyBatch(w, t, index, data[1:], res)
		return
	}
	mark := len(w.changed) // what the entry's earlier commands changed (a batch)
	if apply, ok := commandTable[t]; ok {
		err = apply(w, index, data[1:], res)
	} else {
		// An entry from a newer version: skip it rather than stop the member.
		f.logger.Warn("registry: skipping a log entry of an unknown command type", "index", index, "type", byte(t))
		if f.metrics != nil {
			f.metrics.unknownCommands.Inc()
		}
		err = twinfed.Errorf(twinfed.EINVALID, "unknown command type %d; this member does not know it", byte(t))
	}
	if err != nil {
		res.Err = err
		w.changed = w.changed[:mark] // business-rule refusals write nothing
	}
	if w.err != nil {
		res.Err = twinfed.Errorf(twinfed.EINTERNAL, "storage error")
	}
}

// applyFunc applies one decoded command's payload.
type applyFunc func(w *stateWriter, index uint64, payload []byte, res *ApplyResult) *twinfed.Error

// command decodes the JSON payload of a command of type t into a C and
// applies it.
func command[C any](t CommandType, apply func(w *stateWriter, c *C, res *ApplyResult) *twinfed.Error) applyFunc {
	return decoded(t, func(p []byte, c *C) error { return json.Unmarshal(p, c) }, apply)
}

// decoded decodes the payload of a command of type t into a C and applies
// it. An entry this version wrote but cannot read is a bug or a corrupt
// log: it panics, because the members must not diverge on it.
func decoded[C any](t CommandType, decode func([]byte, *C) error, apply func(w *stateWriter, c *C, res *ApplyResult) *twinfed.Error) applyFunc {
	return func(w *stateWriter, index uint64, payload []byte, res *ApplyResult) *twinfed.Error {
		var c C
		if err := decode(payload, &c); err != nil {
			panic(fmt.Sprintf("consensus: undecodable %s entry at index %d: %v", t, index, err))
		}
		return apply(w, &c, res)
	}
}

func applyPutSchoolCommand(w *stateWriter, c *PutSchoolCommand, res *ApplyResult) (err *twinfed.Error) {
	res.School, err = applyPutSchool(w, c)
	return err
}

func applyImportCommand(w *stateWriter, c *ImportCommand, res *ApplyResult) (err *twinfed.Error) {
	res.IDs, err = applyImport(w, c)
	res.Count = len(res.IDs)
	return err
}

// commandTable maps every known command type to its application.
var commandTable = map[CommandType]applyFunc{
	CmdSeedCountries: command(CmdSeedCountries, func(w *stateWriter, c *SeedCommand, _ *ApplyResult) *twinfed.Error { return applySeed(w, c) }),
	CmdPutCountry: command(CmdPutCountry, func(w *stateWriter, c *PutCountryCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Country, err = applyPutCountry(w, c)
		return err
	}),
	CmdAddCountryKey: command(CmdAddCountryKey, func(w *stateWriter, c *CountryKeyCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Country, err = editCountry(w, c.Code, c.At, func(co *twinfed.Country) *twinfed.Error {
			if slices.ContainsFunc(co.Keys, func(k twinfed.NodeKey) bool { return k.ID == c.Key.ID }) {
				return twinfed.Errorf(twinfed.ECONFLICT, "the registry already lists key %s for %s", c.Key.ID, co.Code)
			}
			co.Keys = append(co.Keys, c.Key)
			return nil
		})
		return err
	}),
	CmdRemoveCountryKey: command(CmdRemoveCountryKey, func(w *stateWriter, c *CountryKeyCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Country, err = editCountry(w, c.Code, c.At, func(co *twinfed.Country) *twinfed.Error {
			n := len(co.Keys)
			co.Keys = slices.DeleteFunc(co.Keys, func(k twinfed.NodeKey) bool { return k.ID == c.Key.ID })
			if len(co.Keys) == n {
				return twinfed.Errorf(twinfed.ENOTFOUND, "%s has no key %s", co.Code, c.Key.ID)
			}
			return nil
		})
		return err
	}),
	CmdSetCountryNode: command(CmdSetCountryNode, func(w *stateWriter, c *CountryNodeCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Country, err = editCountry(w, c.Code, c.At, func(co *twinfed.Country) *twinfed.Error {
			co.NodeURL, co.Active = c.NodeURL, true
			if c.Agency != "" {
				co.Agency = c.Agency
			}
			return nil
		})
		return err
	}),
	CmdSetCountryActive: command(CmdSetCountryActive, func(w *stateWriter, c *CountryActiveCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Country, err = editCountry(w, c.Code, c.At, func(co *twinfed.Country) *twinfed.Error {
			co.Active = c.Active
			return nil
		})
		return err
	}),
	CmdPutSchool:       command(CmdPutSchool, applyPutSchoolCommand),
	CmdPutSchoolV2:     decoded(CmdPutSchoolV2, decodePutSchoolBin, applyPutSchoolCommand),
	CmdImportSchools:   command(CmdImportSchools, applyImportCommand),
	CmdImportSchoolsV2: decoded(CmdImportSchoolsV2, decodeImportBin, applyImportCommand),
	CmdRecordNQL:       command(CmdRecordNQL, func(w *stateWriter, c *NQLCommand, _ *ApplyResult) *twinfed.Error { return applyNQL(w, c) }),
	CmdConfirmEQL: command(CmdConfirmEQL, func(w *stateWriter, c *ConfirmEQLCommand, res *ApplyResult) (err *twinfed.Error) {
		res.Count, err = applyConfirmEQL(w, c)
		return err
	}),
	CmdPutPrize: command(CmdPutPrize, func(w *stateWriter, c *PrizeCommand, _ *ApplyResult) *twinfed.Error { return applyPrize(w, c) }),
	CmdSetMember: command(CmdSetMember, func(w *stateWriter, c *MemberCommand, _ *ApplyResult) *twinfed.Error {
		w.setJSON(pMember+c.Member.ID, c.Member)
		return nil
	}),
	CmdRemoveMember: command(CmdRemoveMember, func(w *stateWriter, c *MemberCommand, _ *ApplyResult) *twinfed.Error {
		w.del([]byte(pMember + c.Member.ID))
		return nil
	}),
}

// applyKeyed applies a command that carries a client's request id: the
// first entry with that id is applied and its result remembered; a later
// one (a retry) changes nothing and answers the first result, index
// included. Ids are forgotten IdempotencyWindow after they were proposed,
// measured by the proposing members' clock in the entries (deterministic).
// The id's result and expiry records are written here, or, with exp set
// (a CmdBatch's writes), the expiry gathered into exp, which the batch
// writes as one record, or, with results set (a CmdBatchV2's writes), the
// id and its result gathered into results, one record for the entry.
func (f *FSM) applyKeyed(w *stateWriter, index uint64, payload []byte, res *ApplyResult, exp *idemExpiry, results *resultRecord) {
	key, at, inner, err := decodeKeyed(payload)
	if err != nil || len(inner) == 0 || CommandType(inner[0]) == CmdKeyed || CommandType(inner[0]) == CmdBatch || CommandType(inner[0]) == CmdBatchV2 {
		panic(fmt.Sprintf("consensus: undecodable %s entry at index %d: %v", CmdKeyed, index, err))
	}
	h := idemHash(key)
	if _, ok := f.idemRecs[h]; ok {
		found, gerr := f.recordedResult(w, h, key, results, res)
		if gerr != nil {
			w.err = gerr
			res.Err = twinfed.Errorf(twinfed.EINTERNAL, "storage error")
			return
		}
		if found {
			return
		}
	}
	if f.idemIDs[h] > 0 {
		var prev ApplyResult
		if gerr := getJSON(w.txn, pIdem+key, &prev); gerr == nil {
			*res = prev
			res.Replayed = true
			return
		} else if !errors.Is(gerr, badger.ErrKeyNotFound) {
			w.err = gerr
			res.Err = twinfed.Errorf(twinfed.EINTERNAL, "storage error")
			return
		}
	}
	f.applyCommand(w, index, inner, res)
	if w.err != nil {
		return
	}
	if results != nil {
		results.add(w, at, key, res)
		f.noteProposed(at)
		f.forgetKeys(w, at.Add(-IdempotencyWindow))
		return
	}
	rec, err := appendResultJSON(make([]byte, 0, 512), res)
	if err != nil {
		w.err = err
		return
	}
	w.set([]byte(pIdem+key), rec)
	if f.idemIDs == nil {
		f.idemIDs = map[uint64]uint32{}
	}
	f.idemIDs[h]++
	if exp == nil {
		w.set(idemExpiryKey(at, key), nil)
	} else {
		exp.add(w, at, key)
	}
	f.noteProposed(at)
	f.forgetKeys(w, at.Add(-IdempotencyWindow))
}

// noteProposed keeps the time of the oldest remembered request id
// (FSM.idemOldest) when a request id proposed at at is remembered.
func (f *FSM) noteProposed(at time.Time) {
	if !f.idemScan && (f.idemOldest.IsZero() || at.Before(f.idemOldest)) {
		f.idemOldest = at
	}
}

// applyBatch applies the keyed commands of a CmdBatch or CmdBatchV2 (t)
// entry in order, each as if it were an entry of its own at index: its own
// result (refusal, replay) in res.Results; the entry's changes are the sum
// of theirs. A CmdBatch remembers each write's id and result as a write
// alone does (m/k/, and one expiry record); a CmdBatchV2 in one record for
// the entry (m/kr/, resultRecord).
func (f *FSM) applyBatch(w *stateWriter, t CommandType, index uint64, payload []byte, res *ApplyResult) {
	cmds, err := decodeBatch(payload)
	if err != nil {
		panic(fmt.Sprintf("consensus: undecodable %s entry at index %d: %v", t, index, err))
	}
	res.Results = make([]*ApplyResult, len(cmds))
	var exp idemExpiry
	var results *resultRecord
	if t == CmdBatchV2 {
		// A result (a school's JSON) is about three times its binary
		// command: the record's value mostly needs no growing.
		results = &resultRecord{f: f, index: index, size: 3*len(payload) + 64}
	}
	for i, c := range cmds {
		sub := &ApplyResult{Index: index}
		res.Results[i] = sub
		if results != nil {
			results.pos = uint32(i)
		}
		f.applyKeyed(w, index, c[1:], sub, &exp, results)
		if w.err != nil {
			res.Err = twinfed.Errorf(twinfed.EINTERNAL, "storage error")
			return
		}
	}
	exp.flush(w)
	if results != nil {
		results.flush(w)
	}
	if w.err != nil {
		res.Err = twinfed.Errorf(twinfed.EINTERNAL, "storage error")
	}
}

// idemExpiry gathers the request ids a batch's writes remembered, so that
// the ids proposed at the same time share one expiry record: its key names
// the time and the first id, its value the others (each uvarint length and
// bytes; empty for a record of one id, the form a write alone writes).
// One record an entry instead of one a write saves every member a key per
// write.
type idemExpiry struct {
	at    time.Time
	first string
	rest  []byte
}

// add gathers key, proposed at at, writing the record gathered so far
// first when its time differs.
func (e *idemExpiry) add(w *stateWriter, at time.Time, key string) {
	if e.first != "" && !at.Equal(e.at) {
		e.flush(w)
	}
	if e.first == "" {
		e.at, e.first, e.rest = at, key, e.rest[:0]
		return
	}
	e.rest = appendString(e.rest, key)
}

// flush writes the record gathered, if any.
func (e *idemExpiry) flush(w *stateWriter) {
	if e.first == "" {
		return
	}
	var v []byte
	if len(e.rest) > 0 {
		v = append([]byte(nil), e.rest...)
	}
	w.set(idemExpiryKey(e.at, e.first), v)
	e.first = ""
}

// forgetKeys deletes the request ids proposed before cutoff (the expiry
// records of about 1,000 ids and the result records of about 1,000
// entries at a time). It reads the records only when the oldest
// remembered id (kept in memory) is older than cutoff.
func (f *FSM) forgetKeys(w *stateWriter, cutoff time.Time) {
	if !f.idemScan && (f.idemOldest.IsZero() || !f.idemOldest.Before(cutoff)) {
		return
	}
	f.idemScan, f.idemOldest = false, time.Time{}
	old := f.expiredIDs(w, cutoff)
	old = f.expiredResults(w, cutoff, old)
	for _, k := range old {
		w.del(k)
	}
}

// expiredIDs returns the keys of the request ids of m/k/ proposed before
// cutoff, with their expiry records (m/ke/), and forgets their hashes.
func (f *FSM) expiredIDs(w *stateWriter, cutoff time.Time) [][]byte {
	it := w.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pIdemExp)})
	defer it.Close()
	var old [][]byte
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().KeyCopy(nil)
		at, key, ok := splitIdemExpiryKey(k)
		if !ok {
			f.idemScan = true
			break
		}
		if !at.Before(cutoff) {
			f.noteProposed(at)
			break
		}
		if len(old) >= 2000 {
			f.idemScan = true // more next time
			break
		}
		rest, err := it.Item().ValueCopy(nil)
		if err != nil {
			w.err = err
			break
		}
		old = append(old, k, []byte(pIdem+key))
		f.forgetIDHash(idemHash(key))
		for r := newBinReader(rest); len(r.b) > 0; {
			id := r.string()
			if r.err != nil {
				panic(fmt.Sprintf("consensus: malformed request id expiry record %q", k))
			}
			old = append(old, []byte(pIdem+id))
			f.forgetIDHash(idemHash(id))
		}
	}
	return old
}

// expiredResults appends to old the keys of the result records (m/kr/)
// of ids proposed before cutoff and forgets their ids' hashes.
func (f *FSM) expiredResults(w *stateWriter, cutoff time.Time, old [][]byte) [][]byte {
	it := w.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pResults)})
	defer it.Close()
	n := 0
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().KeyCopy(nil)
		ref, ok := parseRecordKey(k)
		if !ok {
			panic(fmt.Sprintf("consensus: malformed result record key %q", k))
		}
		if at := time.Unix(0, ref.at); !at.Before(cutoff) {
			f.noteProposed(at)
			break
		}
		if n >= 1000 {
			f.idemScan = true // more next time
			break
		}
		err := it.Item().Value(func(v []byte) error {
			return eachResult(v, func(id string, _ []byte) bool {
				f.dropRecordRef(idemHash(id), ref)
				return true
			})
		})
		if err != nil {
			panic(fmt.Sprintf("consensus: malformed result record %q: %v", k, err))
		}
		old = append(old, k)
		n++
	}
	return old
}

// idemHash is the key of a request id in FSM.idemIDs.
func idemHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}

func (f *FSM) forgetIDHash(h uint64) {
	if n := f.idemIDs[h]; n > 1 {
		f.idemIDs[h] = n - 1
	} else {
		delete(f.idemIDs, h)
	}
}

// indexRequestIDs rebuilds FSM.idemIDs from the state (after a restore).
func (f *FSM) indexRequestIDs() error {
	ids := map[uint64]uint32{}
	err := f.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pIdem)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids[idemHash(string(it.Item().Key()[len(pIdem):]))]++
		}
		return nil
	})
	if err != nil {
		return err
	}
	f.idemIDs = ids
	return nil
}

// pruneFeed counts the keys the entries of a batch recorded for the change
// feed and, once more than feedWindow are kept, deletes the oldest x/
// records down to half the window, raising the feed's floor (m/feed-floor):
// a reader behind the floor must reload (see Member.changes). The counts
// live in the state, so every member prunes at the same entries.
func (f *FSM) pruneFeed(w *stateWriter, recorded uint64) {
	if !f.feedLoaded {
		f.feedKeys, _ = getUint(w.txn, kFeedKeys)
		f.feedFloor, _ = getUint(w.txn, kFeedFloor)
		f.feedLoaded = true
	}
	keys := f.feedKeys + recorded
	if keys > f.feedWindow {
		target := f.feedWindow / 2
		it := w.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pChange)})
		var old [][]byte
		floor := f.feedFloor
		for it.Seek(changeKey(floor + 1)); it.Valid() && keys > target; it.Next() {
			item := it.Item()
			k := item.KeyCopy(nil)
			if len(k) != len(pChange)+8 {
				continue
			}
			n := 0
			_ = item.Value(func(v []byte) error { n = countKeys(v); return nil })
			keys -= min(keys, uint64(n))
			floor = binaryIndex(k[len(pChange):])
			old = append(old, k)
		}
		it.Close()
		for _, k := range old {
			w.del(k)
		}
		f.feedFloor = floor
		w.setUint([]byte(kFeedFloor), floor)
	}
	f.feedKeys = keys
	w.setUint([]byte(kFeedKeys), keys)
}

// stateWriter writes into a Badger transaction, starting a new one when the
// current is full, and records the keys it touched for the change feed.
type stateWriter struct {
	f       *FSM
	db      *badger.DB
	txn     *badger.Txn
	changed [][]byte
	err     error
	index   uint64 // the entry being applied
	// keysChanged: a country, host or member key was written (see
	// FSM.keysGen).
	keysChanged bool
	// seqChanged: the school counter (FSM.seq) changed, to be written.
	seqChanged bool
}

func (w *stateWriter) set(k, v []byte) {
	if w.err != nil {
		return
	}
	err := w.txn.Set(k, v)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if w.err = w.txn.Commit(); w.err != nil {
			return
		}
		w.txn = w.db.NewTransaction(true)
		err = w.txn.Set(k, v)
	}
	if err != nil {
		w.err = err
		return
	}
	w.touched(k)
}

// touched records k for the change feed and drops what the FSM caches of it.
func (w *stateWriter) touched(k []byte) {
	if len(k) > 1 && k[0] == 'c' && k[1] == '/' {
		w.f.countries = nil
		w.keysChanged = true
	}
	if len(k) > 1 && k[0] == 'h' && k[1] == '/' || bytes.HasPrefix(k, []byte(pMember)) {
		w.keysChanged = true
	}
	if mirrored(k) {
		w.changed = append(w.changed, k)
	}
}

func (w *stateWriter) setUint(k []byte, n uint64) {
	w.set(k, binary.BigEndian.AppendUint64(make([]byte, 0, 8), n))
}

func (w *stateWriter) del(k []byte) {
	if w.err != nil {
		return
	}
	err := w.txn.Delete(k)
	if errors.Is(err, badger.ErrTxnTooBig) {
		if w.err = w.txn.Commit(); w.err != nil {
			return
		}
		w.txn = w.db.NewTransaction(true)
		err = w.txn.Delete(k)
	}
	if err != nil {
		w.err = err
		return
	}
	w.touched(k)
}

func (w *stateWriter) setJSON(k string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		w.err = err
		return
	}
	w.set([]byte(k), b)
}

func encodeKeys(keys [][]byte) []byte {
	n := 0
	for _, k := range keys {
		n += 2 + len(k)
	}
	b := make([]byte, 0, n)
	for _, k := range keys {
		b = binary.BigEndian.AppendUint16(b, uint16(len(k)))
		b = append(b, k...)
	}
	return b
}

// countKeys returns how many keys encodeKeys wrote into b.
func countKeys(b []byte) int {
	n := 0
	for len(b) >= 2 {
		l := int(binary.BigEndian.Uint16(b))
		if l > len(b)-2 {
			break
		}
		b = b[2+l:]
		n++
	}
	return n
}

func decodeKeys(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > len(b) {
			break
		}
		out = append(out, b[:n:n])
		b = b[n:]
	}
	return out
}

func internal(err error) *twinfed.Error {
	if err == nil {
		return nil
	}
	var e *twinfed.Error
	if errors.As(err, &e) {
		return e
	}
	return twinfed.Errorf(twinfed.EINTERNAL, "storage error")
}

func applySeed(w *stateWriter, c *SeedCommand) *twinfed.Error {
	it := w.txn.NewIterator(badger.IteratorOptions{Prefix: []byte(pCountry)})
	it.Rewind()
	seeded := it.Valid()
	it.Close()
	if seeded {
		return nil
	}
	for _, co := range c.Countries {
		co.Updated, co.Version = c.At, w.index
		w.setJSON(pCountry+co.Code, co)
	}
	return nil
}

// ValidateNodeKey checks one key as a CSS operator adds it.
func ValidateNodeKey(k *twinfed.NodeKey) *twinfed.Error {
	err := ValidateCountry(&twinfed.Country{NodeURL: "https://node.invalid", Keys: []twinfed.NodeKey{*k}})
	if err == nil {
		return nil
	}
	fields := map[string]string{}
	for f, msg := range err.Fields {
		fields[strings.TrimPrefix(f, "keys[0].")] = msg
	}
	return &twinfed.Error{Code: twinfed.EINVALID, Message: "the key is not valid", Fields: fields}
}

func isEd25519(pub crypto.PublicKey) bool {
	_, ok := pub.(ed25519.PublicKey)
	return ok
}

// ValidateCountry checks a country record as a CSS operator sends it.
func ValidateCountry(c *twinfed.Country) *twinfed.Error {
	fields := map[string]string{}
	if c.NodeURL != "" {
		u, err := url.Parse(c.NodeURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" {
			fields["node_url"] = "must be an absolute http(s) base URL with no path, such as https://it.twinfed.example"
		}
	}
	ids := map[string]bool{}
	for i, k := range c.Keys {
		f := "keys[" + strconv.Itoa(i) + "]"
		if k.ID == "" || ids[k.ID] {
			fields[f+".id"] = "must be present and unique within the country"
		}
		ids[k.ID] = true
		if k.Algorithm != twinfed.KeyEd25519 && k.Algorithm != twinfed.KeyRSA {
			fields[f+".algorithm"] = "must be ed25519 or rsa"
		}
		switch pub, err := signing.ParsePublicPEM(k.PublicPEM); {
		case err != nil:
			fields[f+".public_pem"] = "must be a PKIX PEM Ed25519 or RSA public key"
		case k.Algorithm == twinfed.KeyEd25519 && !isEd25519(pub), k.Algorithm == twinfed.KeyRSA && isEd25519(pub):
			fields[f+".algorithm"] = "is not the algorithm of the public key"
		}
	}
	if len(c.Keys) > 0 && c.NodeURL == "" {
		fields["node_url"] = "is required when keys are given"
	}
	if len(fields) > 0 {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "the country record is not valid", Fields: fields}
	}
	return nil
}

// editCountry applies change to country code's record as the state holds
// it and stores the result (checked as a PUT is): an operator's change of
// one part never writes back a stale copy of the others.
func editCountry(w *stateWriter, code string, at time.Time, change func(co *twinfed.Country) *twinfed.Error) (*twinfed.Country, *twinfed.Error) {
	old, err := readCountry(w.txn, code)
	if err != nil {
		return nil, internal(err)
	}
	co := *old
	co.Keys = slices.Clone(old.Keys)
	if err := change(&co); err != nil {
		return nil, err
	}
	return applyPutCountry(w, &PutCountryCommand{Country: co, At: at})
}

func applyPutCountry(w *stateWriter, c *PutCountryCommand) (*twinfed.Country, *twinfed.Error) {
	if err := ValidateCountry(&c.Country); err != nil {
		return nil, err
	}
	old, err := readCountry(w.txn, c.Country.Code)
	if err != nil {
		return nil, internal(err)
	}
	if c.IfVersion != nil && *c.IfVersion != old.Version {
		return nil, twinfed.Errorf(twinfed.ECONFLICT, "the record of %s changed since it was read (version %d, now %d): read it again and redo the change", old.Code, *c.IfVersion, old.Version)
	}
	host := strings.ToLower(twinfed.URLHost(c.Country.NodeURL))
	if host != "" {
		other, err := getString(w.txn, pHost+host)
		if err == nil && other != old.Code {
			return nil, twinfed.Errorf(twinfed.ECONFLICT, "the host %s is already the node of %s", host, other)
		}
	}
	if oldHost := strings.ToLower(twinfed.URLHost(old.NodeURL)); oldHost != "" && oldHost != host {
		w.del([]byte(pHost + oldHost))
	}
	n := *old
	n.Agency, n.NodeURL, n.Active, n.Updated, n.Version = c.Country.Agency, c.Country.NodeURL, c.Country.Active, c.At, w.index
	n.Keys = make([]twinfed.NodeKey, len(c.Country.Keys))
	for i, k := range c.Country.Keys {
		if k.Added.IsZero() {
			k.Added = c.At
			for _, ok := range old.Keys {
				if ok.ID == k.ID && !ok.Added.IsZero() {
					k.Added = ok.Added
				}
			}
		}
		n.Keys[i] = k
	}
	if host != "" {
		w.set([]byte(pHost+host), []byte(n.Code))
	}
	w.setJSON(pCountry+n.Code, n)
	return &n, nil
}

// checkSchool trims a school a node or operator sends and fills its
// defaults (status proposed, institution other), then checks it against
// the federation's bounds (twinfed.ValidateSchool).
func checkSchool(s *twinfed.School) *twinfed.Error {
	s.LegalName = strings.TrimSpace(s.LegalName)
	s.NationalNumber = strings.TrimSpace(s.NationalNumber)
	if s.Institution == "" {
		s.Institution = twinfed.InstitutionOther
	}
	if s.Status == "" {
		s.Status = twinfed.SchoolProposed
	}
	return twinfed.ValidateSchool(s)
}

// activeCountry checks that code is a country taking part in the
// programme. The answer is remembered until a country is written.
func activeCountry(w *stateWriter, code string) *twinfed.Error {
	st, ok := w.f.countries[code]
	if !ok {
		c, err := readCountry(w.txn, code)
		switch {
		case err == nil && c.Active:
			st = countryActive
		case err == nil:
			st = countryInactive
		case twinfed.ErrorCode(err) == twinfed.ENOTFOUND:
			st = countryUnknown
		default:
			return internal(err)
		}
		if w.f.countries == nil {
			w.f.countries = map[string]countryState{}
		}
		w.f.countries[code] = st
	}
	switch st {
	case countryUnknown:
		return twinfed.Errorf(twinfed.EINVALID, "unknown country %q; use a country code of the programme such as IT", code)
	case countryInactive:
		return twinfed.Errorf(twinfed.ECONFLICT, "%s no longer takes part in the programme", code)
	}
	return nil
}

func nextSchoolID(w *stateWriter, country string) string {
	n, err := w.schoolSeq()
	if err != nil {
		w.err = err
	}
	n++
	w.setSchoolSeq(n)
	return string(appendSchoolID(nil, country, n))
}

// schoolSeq returns the school counter (m/seq), read from the state only
// once: the FSM goroutine is its only writer (setSchoolSeq).
func (w *stateWriter) schoolSeq() (uint64, error) {
	if !w.f.seqLoaded {
		n, err := getUint(w.txn, kSeq)
		if err != nil {
			return 0, err
		}
		w.f.seq, w.f.seqLoaded = n, true
	}
	return w.f.seq, nil
}

// setSchoolSeq sets the school counter; ApplyBatch writes it (m/seq)
// once, at the end of the entries it applies.
func (w *stateWriter) setSchoolSeq(n uint64) {
	w.f.seq, w.f.seqLoaded, w.seqChanged = n, true, true
}

// appendSchoolID appends the id of the n-th school, in country: the
// country code, a dash and n in (at least) 8 digits.
func appendSchoolID(b []byte, country string, n uint64) []byte {
	b = append(b, country...)
	b = append(b, '-')
	var d [20]byte
	i := len(d)
	for n > 0 || i > len(d)-8 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[i:]...)
}

func applyPutSchool(w *stateWriter, c *PutSchoolCommand) (*twinfed.School, *twinfed.Error) {
	s := c.School
	if err := checkSchool(&s); err != nil {
		return nil, err
	}
	if c.By != "" && s.Country != c.By {
		return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "the node of %s may write only schools of %s, not of %s", c.By, c.By, s.Country)
	}
	if err := activeCountry(w, s.Country); err != nil {
		return nil, err
	}
	var old *twinfed.School
	if s.ID != "" {
		var err error
		old, err = readSchool(w.txn, s.ID)
		if err != nil {
			return nil, internal(err)
		}
		if old.Country != s.Country {
			return nil, twinfed.Errorf(twinfed.EFORBIDDEN, "school %s belongs to %s; its country cannot change", s.ID, old.Country)
		}
	}
	if s.NationalNumber != "" {
		if id := w.f.natnums[natKey(s.Country, s.NationalNumber)]; id != "" && id != s.ID {
			return nil, &twinfed.Error{Code: twinfed.ECONFLICT, Message: fmt.Sprintf("the national school number %s is already school %s", s.NationalNumber, id),
				Fields: map[string]string{"national_number": "is already used by school " + id}}
		}
	}
	if old == nil {
		s.ID = nextSchoolID(w, s.Country)
		s.Created = c.At
	} else {
		s.Created = old.Created
		if old.NationalNumber != "" && old.NationalNumber != s.NationalNumber {
			w.f.natMu.Lock()
			delete(w.f.natnums, natKey(s.Country, old.NationalNumber))
			w.f.natMu.Unlock()
		}
	}
	s.Updated = c.At
	if s.Status == twinfed.SchoolValidated {
		if old != nil && old.Status == twinfed.SchoolValidated && old.ValidatedBy != "" {
			s.ValidatedBy = old.ValidatedBy
		} else {
			s.ValidatedBy = s.Country
		}
	} else {
		s.ValidatedBy = ""
	}
	if s.NationalNumber != "" {
		w.f.natMu.Lock()
		w.f.natnums[natKey(s.Country, s.NationalNumber)] = s.ID
		w.f.natMu.Unlock()
	}
	w.set([]byte(pSchool+s.ID), appendSchoolJSON(make([]byte, 0, 256), &s))
	return &s, nil
}

func applyImport(w *stateWriter, c *ImportCommand) ([]string, *twinfed.Error) {
	// One buffer holds every key and value the chunk writes (Badger keeps
	// them until the commit): a few allocations instead of four a school.
	size := 0
	for i := range c.Schools {
		s := &c.Schools[i]
		size += len(s.Country) + len(s.NationalNumber) + 3*len(s.ID) + len(s.LegalName) + len(s.PublicName) +
			len(s.City) + len(s.Region) + 360
	}
	buf := make([]byte, 0, size)
	keys := make([]string, len(c.Schools)) // index keys of the national numbers
	// The chunk's national numbers go into the index as they are checked,
	// with no id yet (readers hold natMu, so they never see one): a number
	// there without an id is one of this chunk's, a duplicate. A refusal
	// takes them out again, so that a refused chunk leaves the index as it
	// was.
	w.f.natMu.Lock()
	defer w.f.natMu.Unlock()
	refuse := func(err *twinfed.Error) ([]string, *twinfed.Error) {
		for _, k := range keys {
			if k != "" {
				delete(w.f.natnums, k)
			}
		}
		return nil, err
	}
	active := "" // the country last found active: an import's schools are mostly of one
	for i := range c.Schools {
		s := &c.Schools[i]
		s.ID = ""
		if s.Status == "" {
			s.Status = twinfed.SchoolValidated
		}
		if err := checkSchool(s); err != nil {
			err.Message = fmt.Sprintf("record %d: %s", i+1, err.Message)
			return refuse(err)
		}
		if s.Country != active {
			if cerr := activeCountry(w, s.Country); cerr != nil {
				return refuse(twinfed.Errorf(cerr.Code, "record %d: %s", i+1, cerr.Message))
			}
			active = s.Country
		}
		if s.NationalNumber != "" {
			k := natKey(s.Country, s.NationalNumber)
			if id, taken := w.f.natnums[k]; id != "" {
				return refuse(twinfed.Errorf(twinfed.ECONFLICT, "record %d: the national school number %s is already school %s", i+1, s.NationalNumber, id))
			} else if taken {
				j := slices.Index(keys[:i], k)
				return refuse(twinfed.Errorf(twinfed.ECONFLICT, "records %d and %d have the same national school number %s", j+1, i+1, s.NationalNumber))
			}
			w.f.natnums[k] = ""
			keys[i] = k
		}
	}
	n, err := w.schoolSeq()
	if err != nil {
		return refuse(internal(err))
	}
	ids := make([]string, len(c.Schools))
	var tt timeText
	for i := range c.Schools {
		s := &c.Schools[i]
		n++
		start := len(buf)
		buf = appendSchoolID(buf, s.Country, n)
		id := buf[start:len(buf):len(buf)]
		s.ID = string(id)
		s.Created, s.Updated = c.At, c.At
		if s.Status == twinfed.SchoolValidated {
			s.ValidatedBy = s.Country
		}
		if keys[i] != "" {
			w.f.natnums[keys[i]] = s.ID
		}
		start = len(buf)
		buf = append(append(buf, pSchool...), id...)
		key := buf[start:len(buf):len(buf)]
		start = len(buf)
		buf = appendSchoolJSONTimes(buf, s, &tt)
		w.set(key, buf[start:len(buf):len(buf)])
		ids[i] = s.ID
	}
	w.setSchoolSeq(n)
	return ids, nil
}

// ValidSchoolYear reports whether y is a school year such as 2025-2026.
func ValidSchoolYear(y string) bool {
	_, ok := twinfed.ParseSchoolYear(y)
	return ok
}

// ValidateNQL checks a National Quality Label.
func ValidateNQL(l *twinfed.QualityLabel) *twinfed.Error {
	fields := map[string]string{}
	if u, err := url.Parse(l.ProjectID); err != nil || u.Scheme == "" || u.Host == "" || len(l.ProjectID) > 500 {
		fields["project_id"] = "must be the project's URL on its founder's node"
	}
	if l.Country == "" {
		fields["country"] = "is required"
	}
	if !ValidSchoolYear(l.SchoolYear) {
		fields["school_year"] = "must be a school year such as 2025-2026"
	}
	if !twinfed.ValidLabelScore(l.Score) {
		fields["score"] = fmt.Sprintf("must be between 0 and %d", twinfed.MaxLabelScore)
	}
	if len(fields) > 0 {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "the quality label is not valid", Fields: fields}
	}
	return nil
}

func applyNQL(w *stateWriter, c *NQLCommand) *twinfed.Error {
	l := c.Label
	if err := ValidateNQL(&l); err != nil {
		return err
	}
	if c.By != "" && l.Country != c.By {
		return twinfed.Errorf(twinfed.EFORBIDDEN, "the node of %s may record only labels of its own agency, not of %s", c.By, l.Country)
	}
	if err := activeCountry(w, l.Country); err != nil {
		return err
	}
	l.Recorded = c.At
	w.setJSON(nqlKey(l.ProjectID, l.Country, l.SchoolYear), l)
	// Derive the European label (twinfed.EuropeanLabelCountries).
	var labels []twinfed.QualityLabel
	err := scan(w.txn, pNQL+l.ProjectID+"\x00", func(k, v []byte) error {
		var q twinfed.QualityLabel
		if err := json.Unmarshal(v, &q); err != nil {
			return err
		}
		labels = append(labels, q)
		return nil
	})
	if err != nil {
		return internal(err)
	}
	list := twinfed.EuropeanLabelCountries(labels, l.SchoolYear)
	if list == nil {
		return nil
	}
	e := twinfed.EuropeanLabel{ProjectID: l.ProjectID, SchoolYear: l.SchoolYear, Status: twinfed.EQLEligible}
	var old twinfed.EuropeanLabel
	if err := getJSON(w.txn, eqlKey(l.ProjectID, l.SchoolYear), &old); err == nil {
		e = old
	}
	e.Countries = list
	w.setJSON(eqlKey(l.ProjectID, l.SchoolYear), e)
	w.set([]byte(pEQLYear+l.SchoolYear+"\x00"+l.ProjectID), nil)
	return nil
}

func applyConfirmEQL(w *stateWriter, c *ConfirmEQLCommand) (int, *twinfed.Error) {
	if !ValidSchoolYear(c.SchoolYear) {
		return 0, twinfed.FieldError("school_year", "must be a school year such as 2025-2026")
	}
	var projects []string
	if len(c.Projects) > 0 {
		for _, p := range c.Projects {
			var e twinfed.EuropeanLabel
			if err := getJSON(w.txn, eqlKey(p, c.SchoolYear), &e); err != nil {
				return 0, twinfed.Errorf(twinfed.ECONFLICT, "project %s is not eligible for the %s European Quality Label: it needs NQLs from two countries", p, c.SchoolYear)
			}
			projects = append(projects, p)
		}
	} else {
		err := scan(w.txn, pEQLYear+c.SchoolYear+"\x00", func(k, _ []byte) error {
			projects = append(projects, strings.TrimPrefix(string(k), pEQLYear+c.SchoolYear+"\x00"))
			return nil
		})
		if err != nil {
			return 0, internal(err)
		}
	}
	n := 0
	for _, p := range projects {
		var e twinfed.EuropeanLabel
		if err := getJSON(w.txn, eqlKey(p, c.SchoolYear), &e); err != nil {
			return 0, internal(err)
		}
		if e.Status == twinfed.EQLAwarded {
			continue
		}
		e.Status, e.Awarded = twinfed.EQLAwarded, c.At
		w.setJSON(eqlKey(p, c.SchoolYear), e)
		n++
	}
	return n, nil
}

func applyPrize(w *stateWriter, c *PrizeCommand) *twinfed.Error {
	p := c.Entry
	fields := map[string]string{}
	if p.Year < 2005 || p.Year > 2100 {
		fields["year"] = "must be a year such as 2026"
	}
	switch p.Category {
	case twinfed.PrizeEarlyChildhood, twinfed.Prize7to11, twinfed.Prize12to15, twinfed.Prize16to19, twinfed.PrizeVocational:
	default:
		fields["category"] = "must be early_childhood, 7-11, 12-15, 16-19 or vocational"
	}
	switch p.Result {
	case "", "winner", "runner_up", "not_awarded":
	default:
		fields["result"] = "must be empty, winner, runner_up or not_awarded"
	}
	if p.ProjectID == "" {
		fields["project_id"] = "is required"
	}
	if len(fields) > 0 {
		return &twinfed.Error{Code: twinfed.EINVALID, Message: "the prize entry is not valid", Fields: fields}
	}
	if err := activeCountry(w, p.Country); err != nil {
		return err
	}
	_, eql, err := readProjectLabels(w.txn, p.ProjectID)
	if err != nil {
		return internal(err)
	}
	if eql == nil || eql.Status != twinfed.EQLAwarded {
		return twinfed.Errorf(twinfed.ECONFLICT, "project %s holds no European Quality Label; only such projects may enter a European prize", p.ProjectID)
	}
	var old twinfed.PrizeEntry
	if err := getJSON(w.txn, prizeKey(p.Year, p.Category, p.ProjectID), &old); err == nil {
		p.Entered = old.Entered
	} else {
		// A project may enter only once, whatever the year or category.
		dup := false
		_ = scan(w.txn, pPrize, func(k, _ []byte) error {
			if strings.HasSuffix(string(k), "/"+p.ProjectID) {
				dup = true
			}
			return nil
		})
		if dup {
			return twinfed.Errorf(twinfed.ECONFLICT, "project %s has already entered a European prize; a project may enter only once", p.ProjectID)
		}
		p.Entered = c.At
	}
	w.setJSON(prizeKey(p.Year, p.Category, p.ProjectID), p)
	return nil
}

// Snapshot captures the state at this point: a read transaction whose
// timestamp Persist iterates at, while later entries are applied.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &fsmSnapshot{txn: f.db.NewTransaction(false), metrics: f.metrics}, nil
}

const snapshotMagic = "TWREGSNAP1\n"

type fsmSnapshot struct {
	txn     *badger.Txn
	metrics *metrics
}

// Persist streams every key and value, length-prefixed.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	start := time.Now()
	bw := bufio.NewWriterSize(sink, 1<<20)
	n, err := writeSnapshot(s.txn, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		sink.Cancel()
		return fmt.Errorf("persist snapshot: %w", err)
	}
	if s.metrics != nil {
		s.metrics.snapshotSeconds.Observe(time.Since(start).Seconds())
		s.metrics.snapshotBytes.Set(float64(n))
	}
	return sink.Close()
}

func writeSnapshot(txn *badger.Txn, w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	if _, err := io.WriteString(cw, snapshotMagic); err != nil {
		return 0, err
	}
	it := txn.NewIterator(badger.DefaultIteratorOptions)
	defer it.Close()
	var hdr [8]byte
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		err := item.Value(func(v []byte) error {
			k := item.Key()
			binary.BigEndian.PutUint32(hdr[:4], uint32(len(k)))
			binary.BigEndian.PutUint32(hdr[4:], uint32(len(v)))
			if _, err := cw.Write(hdr[:]); err != nil {
				return err
			}
			if _, err := cw.Write(k); err != nil {
				return err
			}
			_, err := cw.Write(v)
			return err
		})
		if err != nil {
			return cw.n, err
		}
	}
	binary.BigEndian.PutUint32(hdr[:4], 0xffffffff)
	binary.BigEndian.PutUint32(hdr[4:], 0)
	_, err := cw.Write(hdr[:])
	return cw.n, err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Release ends the snapshot's read transaction.
func (s *fsmSnapshot) Release() { s.txn.Discard() }

// Restore drops the state and loads the snapshot.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	f.restoring.Lock()
	defer f.restoring.Unlock()
	defer f.keysGen.Add(1) // before the unlock: no key read from the old state stays valid
	f.countries, f.idemScan, f.feedLoaded, f.seqLoaded = nil, true, false, false
	start := time.Now()
	if err := f.db.DropAll(); err != nil {
		return fmt.Errorf("restore: drop state: %w", err)
	}
	dropped := time.Since(start)
	if err := loadSnapshot(f.db, rc); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := f.indexNatnums(); err != nil {
		return fmt.Errorf("restore: index national numbers: %w", err)
	}
	if err := f.indexRequestIDs(); err != nil {
		return fmt.Errorf("restore: index request ids: %w", err)
	}
	if err := f.indexResultRecords(); err != nil {
		return fmt.Errorf("restore: index result records: %w", err)
	}
	f.logger.Info("registry: state restored from a snapshot", "drop", dropped, "total", time.Since(start))
	var applied uint64
	_ = f.db.View(func(txn *badger.Txn) error {
		applied, _ = getUint(txn, kApplied)
		return nil
	})
	f.setApplied(applied)
	return nil
}

// withLineage returns a backup in the snapshot format with the lineage
// key set to id.
func withLineage(data []byte, id string) ([]byte, error) { return withKey(data, kLineage, id) }

// withKey returns a backup in the snapshot format with one more record,
// k = v, added before the end marker (a later record wins).
func withKey(data []byte, k, v string) ([]byte, error) {
	if len(data) < len(snapshotMagic)+8 || binary.BigEndian.Uint32(data[len(data)-8:]) != 0xffffffff {
		return nil, errors.New("no end marker")
	}
	out := make([]byte, 0, len(data)+8+len(k)+len(v))
	out = append(out, data[:len(data)-8]...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(k)))
	out = binary.BigEndian.AppendUint32(out, uint32(len(v)))
	out = append(out, k...)
	out = append(out, v...)
	return append(out, data[len(data)-8:]...), nil
}

func loadSnapshot(db *badger.DB, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<20)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return errors.New("not a registry snapshot")
	}
	wb := db.NewWriteBatch()
	defer wb.Cancel()
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fmt.Errorf("snapshot truncated: %w", err)
		}
		kl := binary.BigEndian.Uint32(hdr[:4])
		if kl == 0xffffffff {
			break
		}
		vl := binary.BigEndian.Uint32(hdr[4:])
		if kl > 1<<16 || vl > 64<<20 {
			return errors.New("snapshot corrupt: entry too large")
		}
		kv := make([]byte, int(kl)+int(vl))
		if _, err := io.ReadFull(br, kv); err != nil {
			return fmt.Errorf("snapshot truncated: %w", err)
		}
		if bytes.HasPrefix(kv[:kl], []byte(pNatNum)) {
			continue // an index older versions kept in the state (FSM.natnums)
		}
		if err := wb.Set(kv[:kl], kv[kl:]); err != nil {
			return err
		}
	}
	return wb.Flush()
}
