// Package registration is a member's registration on the national node,
// after the first form: the four steps (the main school, the role there,
// the preferences, the submission to the agency's queue) and the choice of
// a school, from the registry or proposed to the agency, at registration
// and later (a validated member's further schools: AddSchool,
// RemoveSchool, /account/schools). Its pages (web.go) also serve the first
// form, the confirmation link and its resending, which the account
// feature carries out (Accounts).
//
// The rules it enforces, asking the root package:
//
//   - which step comes next, and that every step is done before the
//     submission: twinfed.RegistrationStep;
//   - who may edit the steps: a confirmed member not yet validated, or
//     rejected and correcting (ECONFLICT while pending or once validated,
//     EFORBIDDEN before the confirmation);
//   - the eligibility policy: twinfed.Eligibility.CheckSchool for the chosen
//     or proposed school, twinfed.Eligibility.CheckRole for the role (again
//     at the submission, against the current policy);
//   - a chosen school is a validated registry school of the node's country;
//     a proposal within the registry's bounds (twinfed.ValidateSchool) with
//     its legal name, city and region, and the length of a vocational
//     school's courses;
//   - the preferences: twinfed.CheckPreferences, after the description is
//     sanitised (web.NewHTMLPolicy).
//
// The keys it owns (node/store/keys.go): store.PrefixProposal (the school
// proposals, which the agency decides through ProposalIn, PutProposal and
// EachProposal) and store.PrefixRegWeekly (the submissions per ISO week,
// for the agency's statistics: SubmissionsPerWeek). The member's record is
// the account feature's: the service reads and writes it through Members,
// in its own transactions.
//
// It imports the kits (store, web), the account feature (its
// PreRegistration and Session) and the root package; the node's assembly
// gives it the account service (Members, Accounts), and registers its
// UnlinkProposals on the accounts' deletion and its ProposedBy as the
// accounts' Proposals (the export).
package registration
