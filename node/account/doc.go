// Package account is the national node's members' accounts: the first
// form of registration and the confirmation of its e-mail address, login
// and sessions (Service is the web kit's web.Authenticator), passwords and
// their reset, the change of e-mail address, the account and profile pages
// (names, language, preferences, public fields, photo), the export of a
// member's data, the deletion of an account, and the counts NodeInfo
// publishes (Usage), and the agency's bulk import of members
// (ImportMembers). Its pages and JSON API are in web.go and api.go.
//
// The rules it enforces:
//
//   - usernames and e-mail addresses are unique, and a deleted account's
//     username stays reserved (a tombstone), so that an actor id is never
//     given to another person;
//   - passwords are stored only as argon2id hashes; failed logins are
//     limited per username and client address; sessions, confirmation and
//     reset links are random tokens stored only as their SHA-256, and a
//     link works once, before it expires;
//   - a new e-mail address is taken only once a link sent to it is opened
//     by the member logged in to the account;
//   - a member shows the federation only the public fields they chose
//     (twinfed.(*Member).PublicProfile), and only once validated
//     (PublicOf); every change of a member goes through SaveMember, which
//     writes the public profile to the directory and sends it to every
//     other node (Update{Person}, or Delete{Person} when it is no longer
//     shown) in the same transaction;
//   - the registration step a member is at (where a login leads, what
//     /api/v1/me reports) is the registration's rule, asked through
//     Registration.
//
// It writes the directory's records through directory.Service (Put,
// Remove; PutInBatch for an import). The service itself is what the other
// features ask of the accounts: the directory's, the social feature's and
// the projects' Members, the registration's Members and Accounts, the
// agency's Accounts (MembersByStatus, CountStatus, EachMember, CreateStaff,
// ImportMembers). What other features hold about a member who deletes
// their account they erase in hooks registered with OnDelete at assembly
// (the registration's UnlinkProposals, the social records); the schools a
// member proposed, for the export, it reads through Proposals
// (SetRegistration: the registration's service).
//
// It writes the e-mails of notifications in the member's language
// (NoticeMail, the node's notice.Postman: what happened, a link back, the
// preferences' link and the one-click unsubscribe link), shows the
// member's e-mail preferences per kind (/account/notifications, kept by
// node/notice) and serves the unsubscribe link (/unsubscribe: GET a
// button, POST the one-click unsubscribe, authorised by the link's
// signature).
//
// Keys it owns: store.PrefixMember (u/), store.PrefixCred (c/),
// store.PrefixEmail (e/), store.PrefixStatus (x/), store.PrefixSession
// (ss/), store.PrefixToken (tk/), store.PrefixPhoto (ph/),
// store.PrefixDeleted (d/), store.PrefixEmailChange (ec/),
// store.KeyNodeSecret.
package account
