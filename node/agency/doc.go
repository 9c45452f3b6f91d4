// Package agency is the national agency's back office: the validation
// queue of members who submitted their registration, the queue of schools
// members proposed, the staff accounts, the statistics, the members'
// export (CSV) and bulk import, as pages under /backoffice (its labels are
// the label feature's) and the JSON API under /api/v1/agency/ (the
// federation's operator API, /api/v1/agency/federation/, is mounted by the
// node).
//
// The rules it enforces:
//
//   - every page and method is for agency staff (Require, asking
//     twinfed.Role.IsAgency); staff accounts and imports for an agency
//     admin only;
//   - a member is validated or rejected only while pending, and validated
//     only once their main school is a registry school (a proposed school
//     is decided first); a rejection gives the member a reason (1 to 1000
//     characters), mailed with the decision in the member's language
//     (web.Catalog.Mail; the reason quoted as the officer wrote it);
//   - a proposed school is decided once: validated, it is written to the
//     registry for the node's country (twinfed.Registry.PutSchool; a retry
//     adopts the school an earlier attempt wrote) and the proposing
//     member's profile points to it; rejected, with a reason;
//   - the export defuses spreadsheet formulas in member-written text.
//
// It owns no keys: the members and their status index are the account
// feature's (Accounts), the school proposals and the weekly counts of
// submissions the registration's (Proposals); it reads and writes them
// through those interfaces, in its own transactions.
//
// It imports the kits (store, mail, web) and the root package; the node's
// assembly gives it the account and registration services (Accounts,
// Proposals).
package agency
