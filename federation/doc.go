// Package federation is a national node's ActivityPub side: the actors it
// serves (a Person per validated member, a Service for its agency, a Group
// per public project, each with paged outbox and followers collections),
// WebFinger and NodeInfo, the conversion between ActivityStreams 2.0 and
// twinfed.Activity, the inbox pipeline and the durable delivery queue.
//
// It is the only package that imports go-fed/activity; vocabulary types
// never leave it. All conversions both ways live in as2.go.
//
// Inbox: POST /inbox (or /users/{name}/inbox) → read the body with a limit →
// verify the HTTP signature against the keys the registry lists for the
// keyId's host (package signing) → parse the activity → same-origin check
// (actor, id and created objects under the signing node) → store raw and
// parsed under "fed/in/" keyed by activity id, with a processing pointer →
// 202 → an inbox worker hands it to the node's twinfed.InboxHandler and marks
// it done. A known id is acknowledged and ignored. Refusals answer 401/403
// with a short reason and are counted by reason. Another Twinfed node may
// send up to 64 activities in one signed request to POST /inbox/batch,
// which every actor document advertises (batch.go): verified once, each
// activity checked as a single POST's, all stored in one transaction,
// answered per activity.
//
// The one open edge (open.go, diary.go): a project's diary is a public
// Service actor that any fediverse server may read and follow; such a
// server's Follow and Undo{Follow} are verified with the key its own actor
// document publishes (fetched and cached), it is given only public
// objects, and the agency blocks domains (the configuration's
// blocked_domains, Block).
//
// Two objects, built in the order the node needs them: the Outbox (the
// delivery queue and everything signed: proofs, signed GETs) needs only the
// node's DB; the Federation (inbox, actors, NodeInfo) is built on the Outbox
// and the node's service.
//
// Outbox: the node calls Enqueue inside its own Badger transaction, so the
// state change and its deliveries commit together, then Notify. Each
// destination node has a queue ("fed/q/<host>/<seq>") and a dispatcher:
// FIFO per (destination, object), concurrent across objects, retries with
// exponential backoff and jitter honouring Retry-After, a circuit breaker per
// destination, and parking after the retry window. Every attempt is signed
// afresh as the activity's actor, in the destination's scheme (Ed25519
// draft-cavage to Twinfed nodes; RFC 9421 then draft-cavage with the RSA key
// to other servers, deliver.go), to the inbox the recipient's actor names;
// to a Twinfed node that advertises its batch inbox, several ready items
// go in one request signed by the node's agency (batch.go).
// The queue lives in Badger; Start resumes it after a crash.
//
// docs/federation.md is the design note: keys, metrics, the AS2 shape of
// every activity, benchmark figures.
package federation
