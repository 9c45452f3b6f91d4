package federation

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/twinfed/twinfed"
)

// TestRecords_RoundTrip writes each stored record and reads it back, and
// reads the JSON records earlier versions wrote.
func TestRecords_RoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 30, 0, 123456789, time.UTC)
	t.Run("queue item", func(t *testing.T) {
		for _, qi := range []queueItem{
			{Dest: "fr.example", Inbox: "https://fr.example/inbox", ActivityID: "https://it.example/activities/1",
				Actor: "https://it.example/users/maria", Type: twinfed.ActivityFollow, Order: "https://it.example/activities/1", Enqueued: at},
			{Dest: "fr.example:8443", Inbox: "https://fr.example:8443/inbox", ActivityID: "https://it.example/activities/2",
				Actor: "https://it.example/agency", Type: twinfed.ActivityDelete, Order: "o", Enqueued: at, Attempts: 7,
				NextAt: at.Add(time.Hour), LastError: "fr.example answered 503: später", Parked: at.Add(48 * time.Hour)},
		} {
			var got queueItem
			if err := decodeQueueItem(encodeQueueItem(&qi), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, qi) {
				t.Fatalf("got %+v, want %+v", got, qi)
			}
			old, _ := json.Marshal(qi)
			got = queueItem{}
			if err := decodeQueueItem(old, &got); err != nil || !got.Enqueued.Equal(qi.Enqueued) || got.LastError != qi.LastError || got.Attempts != qi.Attempts {
				t.Fatalf("JSON record: got %+v, %v", got, err)
			}
		}
	})
	t.Run("out record", func(t *testing.T) {
		body := []byte(`{"type":"Follow"}`)
		to := []string{"https://fr.example/users/claire", "https://es.example/users/ana"}
		b, gotTo, err := decodeOutRecord(encodeOutRecord(to, body))
		if err != nil || !bytes.Equal(b, body) || !reflect.DeepEqual(gotTo, to) {
			t.Fatalf("got %s %v %v", b, gotTo, err)
		}
		old, _ := json.Marshal(outRecord{Activity: twinfed.Activity{To: to}, Body: body})
		b, gotTo, err = decodeOutRecord(old)
		if err != nil || !bytes.Equal(b, body) || !reflect.DeepEqual(gotTo, to) {
			t.Fatalf("JSON record: got %s %v %v", b, gotTo, err)
		}
	})
	t.Run("in record", func(t *testing.T) {
		a := &twinfed.Activity{ID: "https://it.example/activities/1", Type: twinfed.ActivityFollow,
			Actor: "https://it.example/users/maria", To: []string{"https://fr.example/users/claire"}, Object: "https://fr.example/users/claire"}
		raw, err := EncodeActivity(a)
		if err != nil {
			t.Fatal(err)
		}
		rec := inRecord{Raw: raw, Sender: "it.example", Received: at,
			Headers: map[string]string{"Signature": `keyId="x"`, "Date": "d", "Digest": "SHA-256=x", proofTarget: "/inbox", "Host": "fr.example"},
			Done:    true, Dropped: "test: never applies", Processed: at.Add(time.Second)}
		enc := encodeInRecord(&rec)
		if !bytes.Equal(enc, encodeInRecord(&rec)) {
			t.Fatal("the same record encodes to different bytes")
		}
		var got inRecord
		if err := decodeInRecord(enc, &got); err != nil {
			t.Fatal(err)
		}
		if err := got.parsed(); err != nil {
			t.Fatal(err)
		}
		rec.Activity = *a
		if !reflect.DeepEqual(got, rec) {
			t.Fatalf("got %+v, want %+v", got, rec)
		}
		old, _ := json.Marshal(rec)
		got = inRecord{}
		if err := decodeInRecord(old, &got); err != nil || got.Activity.ID != a.ID || !got.Done || got.Headers["Signature"] != rec.Headers["Signature"] {
			t.Fatalf("JSON record: got %+v, %v", got, err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		var qi queueItem
		var rec inRecord
		for _, v := range [][]byte{nil, {}, {2}, {recordV1}, {recordV1, 200}, encodeQueueItem(&queueItem{Dest: "x"})[:5]} {
			if decodeQueueItem(v, &qi) == nil {
				t.Errorf("queue item %v: no error", v)
			}
			if decodeInRecord(v, &rec) == nil {
				t.Errorf("in record %v: no error", v)
			}
			if _, _, err := decodeOutRecord(v); err == nil {
				t.Errorf("out record %v: no error", v)
			}
		}
	})
}

// TestRecords_DoneMarker writes done markers and reads them back into a
// record, as process and Received do.
func TestRecords_DoneMarker(t *testing.T) {
	at := time.Date(2026, 11, 23, 11, 20, 0, 5, time.UTC)
	for _, dropped := range []string{"", "test: never applies"} {
		var rec inRecord
		if err := decodeDone(encodeDone(dropped, at), &rec); err != nil {
			t.Fatal(err)
		}
		if !rec.Done || rec.Dropped != dropped || !rec.Processed.Equal(at) {
			t.Errorf("done marker %q: read back %+v", dropped, rec)
		}
	}
	var rec inRecord
	if err := decodeDone([]byte{recordV1, 3, 'a'}, &rec); err == nil {
		t.Error("a truncated done marker was read")
	}
}
