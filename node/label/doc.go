// Package label is the quality labels' feature of the national node: the
// National Quality Label (NQL) an agency records for a project, and the
// labels a project's card shows, national and European.
//
// The labels live in the registry (twinfed.Registry's RecordQualityLabel
// and ProjectLabels, asked through Registry): the node keeps no record of
// them. The node is where an agency records its label and where teachers
// see their project's labels; the country of a label is always the node's
// own (the registry refuses another one).
//
// Rules it enforces before it writes (DOMAIN.md, "National Quality Label
// (current rules)"):
//   - the project is one this node holds (Projects.HeldProject), approved
//     or closed ((*twinfed.Project).Public), European, with approved
//     partners from two countries or more, one of them this node's
//     ((*twinfed.Project).ApprovedCountries);
//   - the school year is one such as 2025-2026 (twinfed.ParseSchoolYear),
//     not after the current one (twinfed.SchoolYearOf of the node's clock)
//     nor before the project's creation;
//   - the score is a whole number from 0 to twinfed.MaxLabelScore
//     (twinfed.ValidLabelScore);
//   - only agency staff record labels, list the projects to label, or read
//     the scores ((*twinfed.Principal).IsAgency); anyone who may see a
//     project (the project feature's ViewProject rules,
//     Projects.CanViewProject) reads its labels without the scores.
//
// The European Quality Label (EQL) is never written from a node: the
// registry derives it when NQLs of the same school year from two countries
// are recorded (consensus/fsm.go, applyNQL; status twinfed.EQLEligible)
// and awards it when the Central Support Service confirms the year's list
// (applyConfirmEQL; twinfed.EQLAwarded). The node shows its status, or
// EQLNone.
//
// Keys: none. The projects to label are read through Projects (the project
// feature owns store.PrefixProject and store.PrefixMyProject).
//
// Files: service.go (the service, its types and the rules), store.go (the
// registry's reads and writes), web.go (the back office's page
// /backoffice/labels and its form), api.go (/api/v1/agency/labels,
// /api/v1/projects/labels), templates/.
package label
