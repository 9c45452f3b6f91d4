package consensus

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A CmdBatchV2 entry remembers the request ids and results of its writes
// in one result record instead of two keys a write (the id's result under
// m/k/ and its share of an expiry record under m/ke/): every member
// inserts one key an entry into its state instead of one more a write.
// The record's key, m/kr/<time><index><n>, names when its ids were
// proposed (unix nanoseconds), the entry's index and the position n in
// the entry of its first write (both big-endian, 8 and 4 bytes), so that
// the records sort by time for forgetting them, as the expiry records do.
// Its value is, for each write, the request id and the result's JSON
// (each a uvarint length and bytes). The writes of an entry proposed at
// the same time share one record; a write proposed at another time
// starts another. A write that repeats a remembered id (a replay) adds
// nothing.

// recordRef names a result record: the parts of its key.
type recordRef struct {
	at    int64 // unix nanoseconds
	index uint64
	n     uint32
}

// key returns the record's key in the state.
func (r recordRef) key() []byte {
	k := make([]byte, 0, len(pResults)+20)
	k = append(k, pResults...)
	k = binary.BigEndian.AppendUint64(k, uint64(r.at))
	k = binary.BigEndian.AppendUint64(k, r.index)
	return binary.BigEndian.AppendUint32(k, r.n)
}

// parseRecordKey returns the reference a result record's key names.
func parseRecordKey(k []byte) (recordRef, bool) {
	if len(k) != len(pResults)+20 {
		return recordRef{}, false
	}
	k = k[len(pResults):]
	return recordRef{at: int64(binary.BigEndian.Uint64(k)), index: binary.BigEndian.Uint64(k[8:]), n: binary.BigEndian.Uint32(k[16:])}, true
}

var errMalformedRecord = errors.New("malformed result record")

// eachResult calls fn with each request id of a result record's value and
// its result's JSON, in order, until fn returns false.
func eachResult(v []byte, fn func(id string, result []byte) bool) error {
	for len(v) > 0 {
		var parts [2][]byte
		for i := range parts {
			n, k := binary.Uvarint(v)
			if k <= 0 || n > uint64(len(v)-k) {
				return errMalformedRecord
			}
			parts[i], v = v[k:k+int(n)], v[k+int(n):]
		}
		if !fn(string(parts[0]), parts[1]) {
			return nil
		}
	}
	return nil
}

// resultRecord gathers the request ids and results of a CmdBatchV2
// entry's writes (FSM.applyBatch) and writes them as result records.
type resultRecord struct {
	f     *FSM
	index uint64 // the entry's
	pos   uint32 // the position in the entry of the write being applied
	open  bool   // ref names the record being gathered
	ref   recordRef
	buf   []byte // the gathered record's value
	size  int    // the capacity a record's value starts with
	json  []byte // a result's JSON, reused
}

// add gathers the id key, proposed at at, and its result res, writing the
// record gathered so far first when it was proposed at another time.
func (r *resultRecord) add(w *stateWriter, at time.Time, key string, res *ApplyResult) {
	if r.open && r.ref.at != at.UnixNano() {
		r.flush(w)
	}
	if !r.open {
		r.open, r.ref, r.buf = true, recordRef{at: at.UnixNano(), index: r.index, n: r.pos}, make([]byte, 0, r.size)
	}
	var err error
	if r.json, err = appendResultJSON(r.json[:0], res); err != nil {
		w.err = err
		return
	}
	r.buf = appendString(r.buf, key)
	r.buf = binary.AppendUvarint(r.buf, uint64(len(r.json)))
	r.buf = append(r.buf, r.json...)
	r.f.addRecordRef(idemHash(key), r.ref)
}

// flush writes the record gathered, if any. Its value is the state's
// from then on: the next record gets a buffer of its own.
func (r *resultRecord) flush(w *stateWriter) {
	if !r.open {
		return
	}
	w.set(r.ref.key(), r.buf)
	r.open, r.buf = false, nil
}

// recordedResult looks the request id key (of hash h) up in the result
// records that may hold it, the one being gathered (cur, nil outside a
// CmdBatchV2) included: when one does, res is its first result, marked
// replayed, and found is true.
func (f *FSM) recordedResult(w *stateWriter, h uint64, key string, cur *resultRecord, res *ApplyResult) (found bool, err error) {
	look := func(ref recordRef) error {
		var v []byte
		if cur != nil && cur.open && cur.ref == ref {
			v = cur.buf
		} else {
			item, err := w.txn.Get(ref.key())
			if err != nil {
				return fmt.Errorf("read result record %x: %w", ref.key(), err)
			}
			if v, err = item.ValueCopy(nil); err != nil {
				return err
			}
		}
		var derr error
		merr := eachResult(v, func(id string, result []byte) bool {
			if id != key {
				return true
			}
			var prev ApplyResult
			if derr = json.Unmarshal(result, &prev); derr == nil {
				*res, found = prev, true
				res.Replayed = true
			}
			return false
		})
		return errors.Join(merr, derr)
	}
	if err := look(f.idemRecs[h]); err != nil || found {
		return found, err
	}
	for _, ref := range f.idemMore[h] {
		if err := look(ref); err != nil || found {
			return found, err
		}
	}
	return false, nil
}

// addRecordRef notes that the result record ref holds a request id of
// hash h.
func (f *FSM) addRecordRef(h uint64, ref recordRef) {
	if f.idemRecs == nil {
		f.idemRecs, f.idemMore = map[uint64]recordRef{}, map[uint64][]recordRef{}
	}
	if _, ok := f.idemRecs[h]; ok {
		f.idemMore[h] = append(f.idemMore[h], ref)
		return
	}
	f.idemRecs[h] = ref
}

// dropRecordRef forgets that the result record ref holds a request id of
// hash h.
func (f *FSM) dropRecordRef(h uint64, ref recordRef) {
	more := f.idemMore[h]
	if f.idemRecs[h] == ref {
		if len(more) == 0 {
			delete(f.idemRecs, h)
			return
		}
		f.idemRecs[h] = more[len(more)-1]
		more = more[:len(more)-1]
	} else if i := slices.Index(more, ref); i >= 0 {
		more = slices.Delete(more, i, i+1)
	}
	if len(more) == 0 {
		delete(f.idemMore, h)
	} else {
		f.idemMore[h] = more
	}
}

// indexResultRecords rebuilds FSM.idemRecs and FSM.idemMore from the
// result records of the state (after a restore).
func (f *FSM) indexResultRecords() error {
	f.idemRecs, f.idemMore = map[uint64]recordRef{}, map[uint64][]recordRef{}
	return f.db.View(func(txn *badger.Txn) error {
		return scan(txn, pResults, func(k, v []byte) error {
			ref, ok := parseRecordKey(k)
			if !ok {
				return fmt.Errorf("malformed result record key %q", k)
			}
			return eachResult(v, func(id string, _ []byte) bool {
				f.addRecordRef(idemHash(id), ref)
				return true
			})
		})
	})
}

// RecordsBatchResults reports whether this member proposes a batch's
// writes as a CmdBatchV2 entry (one result record an entry) rather than
// a CmdBatch: every voter of the Raft configuration has recorded that it
// applies CmdBatchV2 entries (MemberInfo.BatchRecords). A member of an
// older version skips an entry of a type it does not know. Kept as
// ServesBatches keeps its answer.
func (m *Member) RecordsBatchResults() bool {
	return m.everyVoter(&m.batchRecordsAt, func(mi *MemberInfo) bool { return mi.BatchRecords })
}
