package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/federation/signing"
)

// proofTarget is the key under which an incoming record keeps its request
// target (path and query), beside the signature headers.
const proofTarget = "(request-target)"

// Proof is a signed request that carried an activity, kept so that anyone
// holding it can check, later and without the sender, that the node of the
// activity's actor sent exactly this activity: an agency's approval of a
// project participation is stored with its proof.
type Proof struct {
	Method  string            `json:"method"`
	Target  string            `json:"target"` // request URI, e.g. /inbox
	Host    string            `json:"host"`
	Headers map[string]string `json:"headers"` // Date, Digest, Signature
	Body    string            `json:"body"`    // the activity as sent
}

// proof is the Proof of an incoming record, as JSON; "" for an activity
// that came in a batch, whose signature covers the other activities too
// (batch.go): such a record keeps no Signature header.
func (r *inRecord) proof() string {
	if r.Headers["Signature"] == "" {
		return ""
	}
	p := Proof{Method: http.MethodPost, Target: r.Headers[proofTarget], Host: r.Headers["Host"], Body: string(r.Raw),
		Headers: map[string]string{"Date": r.Headers["Date"], "Digest": r.Headers["Digest"], "Signature": r.Headers["Signature"]}}
	if p.Target == "" {
		p.Target = "/inbox" // recorded before targets were kept: the shared inbox
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// Prove signs a as this node would deliver it to its own shared inbox and
// returns the Proof: what an activity applied on this node, without a
// delivery, is kept with (an agency approving a participation in a project
// its node is home to).
func (o *Outbox) Prove(a *twinfed.Activity) (string, error) {
	if !o.local(a.Actor) {
		return "", twinfed.Errorf(twinfed.EINVALID, "activity %s: this node signs only for its own actors", a.ID)
	}
	body, err := EncodeActivity(a)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, twinfed.SharedInboxURL(o.base), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	if err := o.signer.Sign(req, twinfed.KeyID(a.Actor), body); err != nil {
		return "", err
	}
	p := Proof{Method: req.Method, Target: req.URL.RequestURI(), Host: req.URL.Host, Body: string(body),
		Headers: map[string]string{"Date": req.Header.Get("Date"), "Digest": req.Header.Get("Digest"), "Signature": req.Header.Get("Signature")}}
	b, err := json.Marshal(p)
	return string(b), err
}

// VerifyProof checks a Proof against the keys the registry lists now for
// the signing node, as of the proof's own Date (a proof does not go stale;
// a key the registry no longer lists no longer verifies). It returns the
// activity the proof carries and the keyId that signed it, or an error that
// says what is wrong.
func (o *Outbox) VerifyProof(ctx context.Context, proof string) (*twinfed.Activity, string, error) {
	var p Proof
	if err := json.Unmarshal([]byte(proof), &p); err != nil || p.Method == "" || p.Host == "" {
		return nil, "", twinfed.Errorf(twinfed.EINVALID, "the proof is not a signed request")
	}
	body := []byte(p.Body)
	req, err := http.NewRequestWithContext(ctx, p.Method, "http://"+p.Host+p.Target, bytes.NewReader(body))
	if err != nil {
		return nil, "", twinfed.Errorf(twinfed.EINVALID, "the proof's request is malformed")
	}
	req.Host = p.Host
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	date, err := http.ParseTime(p.Headers["Date"])
	if err != nil {
		return nil, "", twinfed.Errorf(twinfed.EINVALID, "the proof has no valid Date")
	}
	v := &signing.Verifier{Keys: o.keys, Now: func() time.Time { return date }}
	ver, err := v.Verify(req, body)
	if err != nil {
		return nil, "", err
	}
	a, err := DecodeActivity(body)
	if err != nil {
		return nil, "", err
	}
	if err := twinfed.CheckSameOrigin(ver.Host, a); err != nil {
		return nil, "", err
	}
	return a, ver.KeyID, nil
}

// Incoming is what became of an activity this node received.
type Incoming struct {
	Sender    string    `json:"sender"` // the signing node's host
	Received  time.Time `json:"received"`
	Done      bool      `json:"done"`              // the node applied it, or dropped it for good
	Dropped   string    `json:"dropped,omitempty"` // why it was dropped
	Processed time.Time `json:"processed,omitzero"`
}

// Received returns what became of the incoming activity id: ENOTFOUND when
// it never arrived.
func (f *Federation) Received(id string) (*Incoming, error) {
	var rec inRecord
	err := f.db.View(func(txn *badger.Txn) error { return readIn(txn, id, &rec) })
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, twinfed.Errorf(twinfed.ENOTFOUND, "activity %s never arrived", id)
	}
	if err != nil {
		return nil, err
	}
	return &Incoming{Sender: rec.Sender, Received: rec.Received, Done: rec.Done, Dropped: rec.Dropped, Processed: rec.Processed}, nil
}
