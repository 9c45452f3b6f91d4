// Package node is a country's national node: the application services that
// enforce the registration and validation rules of DOMAIN.md, their Badger
// store, and the HTTP server that offers them as a server-rendered web UI
// (English and the country's language) and a JSON API under /api/v1.
//
// The pieces:
//
//   - Store (store.go): Badger with SyncWrites, every key under a prefix of
//     this package ("u/", "e/", "ss/", …). DB is exposed so that the
//     federation package can write its outbox ("fed/") in the same
//     transaction as a state change, through Store.Update.
//   - Service (service.go, accounts.go, registration.go, agency.go,
//     profile.go): accounts, the four-step registration, the eligibility
//     policy, the agency's validation queues, profiles and their public part.
//     It talks to the registry only through twinfed.Registry.
//   - Server (server.go): the assembly of the HTTP side on the kit
//     node/web (routing, sessions, CSRF, limits, page rendering, i18n,
//     the layout, static files, metrics). Each feature's handlers are in
//     <feature>_web.go and <feature>_api.go (account, registration,
//     agency, directory, social, project, twinspace, label), its templates
//     in templates/<feature>/, registered by its <feature>Routes. It mounts
//     the federation's ActivityPub handler when one is given (Node.Mount).
//
// See docs/node.md for the design and docs/api.md for the JSON API.
package node
