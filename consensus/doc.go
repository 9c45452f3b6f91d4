// Package consensus is the federation's registry: a cluster of 3 or 5
// members run by the Central Support Service that replicates, with
// hashicorp/raft, the shared truth of the federation: countries and their
// nodes' URLs and signing keys (the trust root), schools, National and
// European Quality Labels and European prizes.
//
// A Member runs one registry member: the Raft log and stable store on
// Pebble (PebbleLog, one synced batch per Raft batch; a Badger LogStore of
// an older data dir is moved into it at open), the state machine (FSM)
// whose state is a Badger database, snapshots, and the HTTP API
// (/v1/...), which forwards writes to the leader and serves reads at two
// consistency levels (stale and consistent). Log entries are commands: one
// type byte (CommandType) then a JSON payload; unknown types are skipped
// with a log line and business-rule refusals come back as the entry's
// result, a *twinfed.Error.
// The API is described in openapi.json (OpenAPI 3.1), served at
// /v1/openapi.json and held against the registered routes by the tests.
//
// With Config.TLS (tls.go) Raft and the API use mutual TLS: Raft takes
// only members' certificates of the cluster's CA, and the admin token needs
// an operator's or a member's client certificate beside it.
//
// A Client is what national nodes and CSS tools use: it implements
// twinfed.Registry and signing.KeySource, tries the members in turn, signs
// node writes (gathering a node's concurrent writes into one signed batch,
// POST /v1/batch, committed as one CmdBatch or CmdBatchV2 entry: batch.go,
// results.go, client_batch.go), and keeps a local Badger cache fed by the change feed
// so that a node keeps answering reads while the registry is unreachable.
//
// See docs/registry.md for the design, the API reference and operations.
package consensus
