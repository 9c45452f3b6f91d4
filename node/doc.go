// Package node is a country's national node: the application services that
// enforce the registration and validation rules of DOMAIN.md, their Badger
// store, and the HTTP server that offers them as a server-rendered web UI
// (English and the country's language) and a JSON API under /api/v1.
//
// The pieces:
//
//   - The kits, in their import order (ARCHITECTURE.md, "The national
//     node's layout"): store (Badger with SyncWrites, after-commit hooks,
//     the JSON helpers, and keys.go: every key prefix of the node with the
//     feature that owns it; DB is exposed so that the federation can write
//     its outbox, "fed/", in the transaction of a state change), mail
//     (Spool, SMTP), search (the in-memory index), outbox (the Outbox and
//     Prover interfaces, Activities), notice (notifications and the unread
//     index).
//   - The features moved out of node so far: directory (the federated
//     directory of public profiles, its index, backfill and pages) and
//     account (members' accounts, sessions, profiles, export, deletion),
//     assembled in assemble_account.go.
//   - Server (server.go): the assembly of the HTTP side on the kit
//     node/web (routing, sessions, CSRF, limits, page rendering, i18n,
//     the layout, static files, metrics). Each feature's handlers are in
//     <feature>_web.go and <feature>_api.go (project,
//     twinspace), its templates
//     in templates/<feature>/, registered by its <feature>Routes. It mounts
//     the federation's ActivityPub handler when one is given (Node.Mount).
//   - The feature packages moved out of node, each built in its
//     assemble_<feature>.go with the adapters that answer its interfaces:
//     label (node/label, the quality labels; Node.Labels); social
//     (node/social: contacts, follows, messages, notifications; Node.Social).
//   - nodetest: the helpers of the tests of node and of its features (a
//     real node, a cookie-jar browser, the mail spool's readers).
//
// See docs/node.md for the design and docs/api.md for the JSON API.
package node
