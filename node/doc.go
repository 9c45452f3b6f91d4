// Package node assembles a country's national node: the kits and the
// feature packages below it, the inbound router, the HTTP server and the
// node's lifecycle (Open, Mount, Shutdown, Close). It holds no rule of its
// own: the rules are in the root package, each feature package applies
// its own, and node only wires them.
//
// # The map
//
// Packages in their import order (a package imports only packages above
// it in this list; layout_test.go at the module root holds the order):
//
//	twinfed (root)        types and the pure rules, standard library only
//	node/store            Badger, after-commit hooks, JSON helpers; keys.go: every key prefix and its owner; BlobNamed; Serializer (a single writer per key)
//	node/inbound          the inbound router's kit: a feature's Routes (its claims on activities from other nodes), the Router
//	node/blob             files by content hash (Store: Disk, or S3 object storage), their type by content (Sniff), thumbnails
//	node/blob/s3test      a real S3-compatible server (versitygw) for tests
//	node/mail             outgoing mail (spool, SMTP) and its durable queue
//	node/search           the in-memory inverted index (directory, project search)
//	node/outbox           the Outbox and Prover interfaces, Activities (this node's activities out)
//	node/notice           notifications, the unread index, their e-mails (preferences, digests, unsubscribe)
//	node/web              HTTP kit: mux, sessions, CSRF, limits, pages, JSON helpers, i18n, layout, static files, the page editor
//	node/web/pagehtml     the HTML of TwinSpace pages: its policy and check, the embeddable services, revisions compared
//	node/web/ratelimit    the web kit's per-client-address limits (token buckets by limit and client)
//	node/web/tmplset      the web kit's page templates, parsed per language on first use (the default one at start)
//	node/project/certificate  the PDF certificates' kit: fonts, right-to-left lines, the project start certificate
//	node/event/eventical  the events as iCalendar (RFC 5545): a leaf the events write their files and feeds with
//	node/feature          what every feature is built from: the Kit (the node's identity, store, registry, activities, notices, mail, catalogue, log, clock) and the features' routes
//	node/directory        the federated directory of public profiles, its pages and backfill
//	node/account          accounts, sessions, passwords, e-mail changes, profiles, export, deletion
//	node/registration     the four registration steps, school choice and proposals
//	node/pupil            pupils' and visitors' accounts (made by teachers), their login, the credentials sheet
//	node/agency           the agency's back office: validation queues, staff, statistics, import, export
//	node/social           contacts, follows, messages, the notifications page
//	node/project          projects, invitations, the agencies' decisions, search, certificates
//	node/twinspace        the TwinSpace of an approved project
//	node/twinspace/pages  the TwinSpace's Pages tool: the tree of pages, the editor, drafts, publication, revisions
//	node/twinspace/materials  the TwinSpace's Materials tab: folders, files (kept on the uploader's node), thumbnails, quotas
//	node/twinspace/discuss  the TwinSpace's Forum tab: discussions, threads, replies, unread markers
//	node/label            the agencies' quality labels (kept in the registry)
//	node/forum            the partner-finding forum: posts in every node's replica, search, replies, reports
//	node/feed             wall posts, replies and likes, the home feed, profile tabs, post images and the image proxy
//	node/event            events: the wizard, lists, calendar, bookings decided by the home node, iCalendar, reminders, editing, photos
//	node/training         professional development: the agencies' training, applications selected by the member's agency, certificates
//	node/event/eventapi   the events' JSON API (/api/v1/events…)
//	node/event/eventforum the forum of an event: its organiser and confirmed participants, across nodes; edits, deletions, the catch-up from the home node, its JSON API
//	node/event/eventcert  the events' certificates of participation: made on the home node, fetched signed for another node's member
//	node/event/eventfiles the file archive of an event: files kept on the uploader's node, records through the home node
//	node/event/eventplaces the counts of places of another node's event for its page, asked of its home node (signed, cached 10 s), and served to the audience's nodes
//	node/event/eventroom  the meeting room of an event: the home node's join links (for other nodes' members too), {user} ids, the room's presence reports
//	node/twinspace/chat   the TwinSpace's Chat tab: messages, the live event stream (SSE), removal
//	node/twinspace/diary  the TwinSpace's public project diary: posts, the Atom feed, the diary's fediverse actor's pages
//	node/twinspace/workspace  the TwinSpace and its tools assembled: built together, routes registered together
//	node/event/eventtools     the events and their tools (forum, file archive, API) assembled, as the TwinSpace's
//	node                  this package: the assembly
//	node/nodetest         helpers for tests of node and its features
//
// Each feature package has the same files: doc.go (the rules it applies,
// naming the root functions it asks, and the keys it owns), assemble.go
// (Assemble: the feature built on the node's kit, node/feature, and on
// the features below it; its hooks and routes), service.go,
// store.go, inbox.go (the inbound activities it handles, and its
// InboxRoutes: which are its own), web.go, api.go, templates/.
//
// # Where the rules live
//
//   - Every agency approves a project: twinfed.(*Project).EveryAgencyApproved
//     (project.go at the root), with ApplyDecision and Permissions beside
//     it; node/project applies decisions (DecideParticipation, ApplyDecision).
//   - A country's eligibility policy: twinfed.Eligibility (eligibility.go
//     at the root), read from the [eligibility] section of the node's
//     configuration; node/registration asks CheckRole and CheckSchool.
//   - The European label from two countries' national labels:
//     twinfed.EuropeanLabelCountries (label.go at the root), applied by the
//     registry (consensus, applyNQL); node/label shows the result.
//   - The open edge's blocks: twinfed.BlockCovers (fediverse.go at the
//     root: a domain blocks itself and its subdomains), applied by the
//     federation; node/twinspace/diary shows the agency's page.
//   - The same-origin check on inbound activities: twinfed.CheckSameOrigin
//     (activity.go at the root), asked by the federation's inbox for every
//     verified activity; node/directory adds that a profile comes from its
//     own country's node (CheckProfileOrigin).
//   - The agency's exclusion from a private TwinSpace:
//     twinfed.(*Project).InTwinSpace (twinspace.go at the root), asked by
//     node/twinspace, the project card and the inbound handlers.
//   - The partner forum's rules: twinfed.CheckForumPost, CanPostInForum,
//     CanHideForumPost (only the author's own agency hides a post),
//     ForumPostVisible, CanReplyForumPost, CheckForumOrigin (forum.go at
//     the root), asked by node/forum's service and inbound handlers.
//   - Who sees a wall post, and a post's bounds: twinfed.CanSeePost and
//     twinfed.ValidatePost (wallpost.go at the root); node/feed asks them
//     for its pages, its JSON API and what other nodes send. A replica's
//     like count: twinfed.PostLikes.ReplicaLikes, and only a newer one
//     replaces it (twinfed.NewerLikes).
//   - Events: twinfed.ValidateEvent (30 to 90 minutes online, a future
//     start, existing countries), twinfed.CanSeeEvent (the audience),
//     twinfed.CanBook and twinfed.DecideBooking (the capacity, decided by
//     the event's home node for every booking, Join → Accept/Reject),
//     twinfed.EventSlots and twinfed.FreeRoom (the meeting rooms), in
//     event.go at the root; node/event applies them (docs/events.md).
//     The event's tools: twinfed.CanUseEventTools (event.go),
//     twinfed.CanDeleteEventFile and twinfed.CheckEventFile
//     (eventfile.go), asked by node/event/eventforum and eventfiles.
//   - Professional development: twinfed.ValidateTraining,
//     twinfed.CanPublishTraining, twinfed.CanApply, twinfed.DecideApplication
//     (only the applicant's own agency; the places per country),
//     twinfed.CanComplete (training.go at the root); node/training applies
//     them (docs/training.md).
//   - School validity and its bounds: twinfed.ValidateSchool (school.go);
//     the label score's bound: twinfed.ValidLabelScore (label.go); the
//     registration step: twinfed.RegistrationStep.
//
// # The assembly
//
//   - node.go: Open builds the store (unless the caller gives one), the
//     service, the server and the listener; Close stops them in reverse.
//   - service.go: NewService builds the kit (node/feature) and each
//     feature on it with the feature's own Assemble (its assemble.go),
//     in the import order: a feature is built on the services of the
//     features below it, which answer the interfaces it declares
//     (checked with var _ lines beside its Assemble), and registers its
//     hooks on them (account deletion, the directory's deleted actors and
//     backfill) and its routes on the kit. Where a lower package reads
//     upward a type it cannot name, the upper feature answers with a view
//     of its own (social.DirectoryView for the directory's Social,
//     label.CardLabels for the project card's Labels).
//   - inbox.go: the inbound router. Each feature's InboxRoutes say which
//     activities from other nodes are its own and how it applies them
//     (node/inbound); the node orders the features (newInbox), and each
//     activity runs in one transaction that also records its id
//     (store.PrefixApplied), so a replay changes nothing.
//   - server.go: the HTTP side on node/web: the node's own routes
//     (health, the federation's endpoints, the home page), then the
//     routes every feature added to the kit.
//   - features.go: one accessor per feature (Node.Accounts, …).
//   - openapi.go: the JSON API's description, openapi.json (OpenAPI 3.1,
//     written by hand), served at /api/v1/openapi.json; openapi_test.go
//     holds it against the routes the server registers.
//
// See docs/node.md for the design and docs/api.md for the JSON API.
package node
