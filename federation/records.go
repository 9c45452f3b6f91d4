package federation

// Stored records. Every delivery and every incoming activity writes and
// reads a few of them, so they are a compact binary form rather than JSON:
// a format byte (recordV1), then the fields in a fixed order, strings and
// byte strings as a uvarint length and the bytes, times as a presence byte
// and the Unix time in nanoseconds (varint), counts as uvarints. Records
// written before this format are JSON objects (they start with '{') and are
// still read.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
)

const recordV1 = 1

var errRecord = errors.New("federation: malformed record")

type recWriter struct{ b []byte }

func (w *recWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }

func (w *recWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *recWriter) bytes(p []byte) {
	w.uint(uint64(len(p)))
	w.b = append(w.b, p...)
}

func (w *recWriter) time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	w.b = append(w.b, 1)
	w.b = binary.AppendVarint(w.b, t.UnixNano())
}

func (w *recWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// recReader reads what recWriter wrote; the first problem sets err and
// every later read returns a zero value.
type recReader struct {
	b   []byte
	err error
}

func (r *recReader) uint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errRecord
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns a copy: Badger's value is only valid inside Item.Value.
func (r *recReader) bytes() []byte {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errRecord
		return nil
	}
	p := bytes.Clone(r.b[:n])
	r.b = r.b[n:]
	return p
}

func (r *recReader) str() string {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.b)) {
		r.err = errRecord
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *recReader) flag() byte {
	if r.err != nil || len(r.b) == 0 {
		r.err = errRecord
		return 0
	}
	f := r.b[0]
	r.b = r.b[1:]
	return f
}

func (r *recReader) time() time.Time {
	if r.flag() == 0 || r.err != nil {
		return time.Time{}
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errRecord
		return time.Time{}
	}
	r.b = r.b[n:]
	return time.Unix(0, v).UTC()
}

func (r *recReader) bool() bool { return r.flag() == 1 }

// end returns the first problem, or an error if bytes are left over.
func (r *recReader) end() error {
	if r.err == nil && len(r.b) != 0 {
		r.err = errRecord
	}
	return r.err
}

// version reads the format byte; json reports an older JSON record.
func (r *recReader) version() (json bool) {
	if len(r.b) > 0 && r.b[0] == '{' {
		return true
	}
	if r.flag() != recordV1 {
		r.err = errRecord
	}
	return false
}

// encodeQueueItem is the stored form of a queue or parked item.
func encodeQueueItem(qi *queueItem) []byte {
	w := recWriter{b: make([]byte, 0, 64+len(qi.Dest)+len(qi.Inbox)+len(qi.ActivityID)+len(qi.Actor)+len(qi.Order)+len(qi.LastError))}
	w.b = append(w.b, recordV1)
	w.str(qi.Dest)
	w.str(qi.Inbox)
	w.str(qi.ActivityID)
	w.str(qi.Actor)
	w.str(string(qi.Type))
	w.str(qi.Order)
	w.time(qi.Enqueued)
	w.uint(uint64(qi.Attempts))
	w.time(qi.NextAt)
	w.str(qi.LastError)
	w.time(qi.Parked)
	return w.b
}

func decodeQueueItem(v []byte, qi *queueItem) error {
	r := recReader{b: v}
	if r.version() {
		return json.Unmarshal(v, qi)
	}
	qi.Dest = r.str()
	qi.Inbox = r.str()
	qi.ActivityID = r.str()
	qi.Actor = r.str()
	qi.Type = twinfed.ActivityType(r.str())
	qi.Order = r.str()
	qi.Enqueued = r.time()
	qi.Attempts = int(r.uint())
	qi.NextAt = r.time()
	qi.LastError = r.str()
	qi.Parked = r.time()
	return r.end()
}

// encodeOutRecord is the stored form of an activity the node sent: its AS2
// body and its recipients (who may read it at its id).
func encodeOutRecord(to []string, body []byte) []byte {
	w := recWriter{b: make([]byte, 0, 16+len(body)+64*len(to))}
	w.b = append(w.b, recordV1)
	w.bytes(body)
	w.uint(uint64(len(to)))
	for _, r := range to {
		w.str(r)
	}
	return w.b
}

// decodeOutRecord returns the body and recipients of a stored activity.
func decodeOutRecord(v []byte) (body []byte, to []string, err error) {
	r := recReader{b: v}
	if r.version() {
		var rec outRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return nil, nil, err
		}
		return rec.Body, rec.Activity.To, nil
	}
	body = r.bytes()
	n := r.uint()
	if n > uint64(len(r.b)) {
		return nil, nil, errRecord
	}
	to = make([]string, 0, n)
	for range n {
		to = append(to, r.str())
	}
	return body, to, r.end()
}

// encodeInRecord is the stored form of an incoming activity. The parsed
// activity is not stored: it is the raw body decoded again.
func encodeInRecord(rec *inRecord) []byte {
	w := recWriter{b: make([]byte, 0, 64+len(rec.Raw)+len(rec.Sender)+len(rec.Dropped)+256)}
	w.b = append(w.b, recordV1)
	w.bytes(rec.Raw)
	w.str(rec.Sender)
	w.time(rec.Received)
	w.uint(uint64(len(rec.Headers)))
	for _, k := range slices.Sorted(maps.Keys(rec.Headers)) { // the same record, the same bytes
		w.str(k)
		w.str(rec.Headers[k])
	}
	w.bool(rec.Done)
	w.str(rec.Dropped)
	w.time(rec.Processed)
	return w.b
}

// decodeInRecord reads a stored incoming activity. rec.Activity is set only
// for a record of an earlier version; parsed returns it in every case.
func decodeInRecord(v []byte, rec *inRecord) error {
	r := recReader{b: v}
	if r.version() {
		return json.Unmarshal(v, rec)
	}
	rec.Raw = r.bytes()
	rec.Sender = r.str()
	rec.Received = r.time()
	n := r.uint()
	if n > uint64(len(r.b)) {
		return errRecord
	}
	rec.Headers = make(map[string]string, n)
	for range n {
		k := r.str()
		rec.Headers[k] = r.str()
	}
	rec.Done = r.bool()
	rec.Dropped = r.str()
	rec.Processed = r.time()
	return r.end()
}

// parsed sets rec.Activity from the raw body, unless it is set already.
// The body was decoded before the 202, so this fails only if a later
// version of DecodeActivity refuses what an earlier one accepted.
func (rec *inRecord) parsed() error {
	if rec.Activity.ID != "" {
		return nil
	}
	a, err := DecodeActivity(rec.Raw)
	if err != nil {
		return err
	}
	rec.Activity = *a
	return nil
}

// encodeDone is the done marker of an incoming activity: what became of it,
// apart from its record, so that marking it done does not write the raw
// body and headers again.
func encodeDone(dropped string, processed time.Time) []byte {
	w := recWriter{b: make([]byte, 0, 16+len(dropped))}
	w.b = append(w.b, recordV1)
	w.str(dropped)
	w.time(processed)
	return w.b
}

// decodeDone reads a done marker into rec.
func decodeDone(v []byte, rec *inRecord) error {
	r := recReader{b: v}
	if r.flag() != recordV1 {
		return errRecord
	}
	rec.Done = true
	rec.Dropped = r.str()
	rec.Processed = r.time()
	return r.end()
}

// readIn reads the record of the incoming activity id into rec, with its
// outcome from the done marker if there is one (records of earlier
// versions carry it themselves). badger.ErrKeyNotFound when it never
// arrived.
func readIn(txn *badger.Txn, id string, rec *inRecord) error {
	item, err := txn.Get([]byte(prefixIn + id))
	if err != nil {
		return err
	}
	if err := item.Value(func(v []byte) error { return decodeInRecord(v, rec) }); err != nil {
		return err
	}
	item, err = txn.Get([]byte(prefixInD + id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return item.Value(func(v []byte) error { return decodeDone(v, rec) })
}
