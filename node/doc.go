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
//   - Service (service.go, accounts.go, registration.go, agency.go,
//     profile.go): accounts, the four-step registration, the eligibility
//     policy, the agency's validation queues, profiles and their public part.
//     It talks to the registry only through twinfed.Registry.
//   - Server (server.go): the assembly of the HTTP side on the kit
//     node/web (routing, sessions, CSRF, limits, page rendering, i18n,
//     the layout, static files, metrics). Each feature's handlers are in
//     <feature>_web.go and <feature>_api.go (account, registration,
//     agency, directory, social, label), its templates
//     in templates/<feature>/, registered by its <feature>Routes. It mounts
//     the federation's ActivityPub handler when one is given (Node.Mount).
//   - The feature packages, each with its service, inbound handlers, pages,
//     API and templates: project (projects, their search and the agency's
//     approval queue; project/certificate writes the start certificate's
//     PDF) and twinspace (the TwinSpace of an approved project, opened by
//     a hook on project approval). assemble_project.go builds them on the
//     kits, with adapters over Service for what they ask of the features
//     still here, and registers their routes; the inbox routes their
//     activities to them.
//
// See docs/node.md for the design and docs/api.md for the JSON API.
package node
