// Package training is the national node's professional development: the
// agencies' training offers (learning events, expert talks, webinars,
// national and regional workshops, seminars, conferences), members'
// applications, the selection by each member's own agency (accept, waiting
// list, refuse with a reason) in its back office, completion, and the
// certificate of participation (PDF, in the holder's language).
//
// The rules are the root package's (training.go): twinfed.ValidateTraining
// (the fields, the days, the deadline, the places per country),
// twinfed.CanPublishTraining (an agency's staff, for their country),
// twinfed.TrainingOpenTo and twinfed.CanApply (the audience, the deadline,
// no second application), twinfed.FirstState (unlimited places: accepted
// at once), twinfed.DecideApplication (only the applicant's own agency;
// accepting refused once the country's places are taken),
// twinfed.CanComplete and twinfed.HasTrainingCertificate.
//
// Across nodes (inbox.go): the publishing node sends each offer open to
// every country to every other active node of the registry (Create, then
// Update for a change or a cancellation), from its agency actor; a node
// keeps an offer only from the agency actor of the registered node of the
// offer's country. Applications never leave the member's node: the member
// applies on their own node, their own agency selects there, and the count
// of a country's places is that node's. Members are told of decisions
// through node/notice (kinds training_decided and training_completed, by
// e-mail as they prefer), and of a cancellation (training_cancelled).
//
// Keys it owns (node/store/keys.go): store.PrefixTraining (pd/, the
// offers), store.PrefixTrainingApp (pq/, this node's members'
// applications by training) and store.PrefixMyTraining (pr/, a member's
// applications).
package training
