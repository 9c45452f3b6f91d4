// Package pupil is the national node's pupils' and visitors' accounts.
// Pupils have no platform account: a validated member (their teacher)
// makes one for each of their pupils, one by one or from a pasted class
// list, and the node generates a readable username and a password, shown
// once to the teacher with a printable credentials sheet (sheet.go: an A4
// PDF of slips to cut out, in DejaVu Sans, written from what the
// teacher's form sends back, since no password is stored). A visitor (an
// assessor, a head teacher, a parent) is invited by a teacher to one of
// their TwinSpaces with an expiry date; their credentials go by e-mail
// through the node's mail queue.
//
// The rules it enforces:
//
//   - a pupil's account holds a display name and nothing else personal;
//     a visitor's also the address their credentials were sent to;
//   - only validated members make accounts, and a teacher acts on their
//     own pupils and visitors only (every action checks it: own);
//   - passwords are stored only as argon2id hashes, made and checked in
//     node/account's bounded gate (account.Passwords); failed logins are
//     limited per username and address as the members' are
//     (account.LoginLimiter) and per address by the web kit (LimitLogin);
//   - a visitor is refused from the end of their last day, at login and
//     on every request of a session they opened before (Authenticate
//     answers EFORBIDDEN, naming the day);
//   - sessions are random tokens stored as their SHA-256, starting with
//     TokenPrefix: the node's one web.Authenticator hands them here and
//     the members' to node/account. The web kit keeps such a session out
//     of RequestState.Principal except on the TwinSpaces' pages (Space,
//     SpaceAPI), so that it never passes for a member's;
//   - a removed account leaves a tombstone (no hash, no TwinSpaces): its
//     username is never given again and what the pupil posted keeps their
//     display name; a teacher's deletion removes their pupils and
//     visitors (RemoveTeacher, registered on node/account's OnDelete).
//
// What the TwinSpace core asks: AddSpace and RemoveSpace (in the core's
// transaction), Spaces, Account, and OnRemove (a removed pupil leaves
// every roster). The TwinSpaces a teacher may invite a visitor to come
// from the TwinSpaces through Deps.Spaces (or UseSpaces:
// node/twinspace/workspace gives them).
//
// Its pages and JSON API are in web.go and api.go: /pupils (the
// teacher's "My pupils"), /pupils/login, /my-twinspaces, and
// /api/v1/pupils….
//
// Keys it owns: store.PrefixPupil (pu/), store.PrefixPupilOf (pt/),
// store.PrefixPupilSession (pz/).
package pupil
