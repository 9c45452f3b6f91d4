package label

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/twinfed/twinfed"
)

// Where the labels are kept: the registry. The node keeps no copy; the
// registry's client caches what it reads.

// labelReadWait is how long a label page waits for the registry.
const labelReadWait = 3 * time.Second

var (
	errLabelsWrite = twinfed.Errorf(twinfed.EUNAVAILABLE, "The registry of quality labels cannot be reached right now; nothing was recorded. Try again in a few minutes.")
	errLabelsRead  = twinfed.Errorf(twinfed.EUNAVAILABLE, "The quality labels cannot be read from the registry right now; try again in a few minutes.")
)

// record writes a checked label to the registry.
func (s *Service) record(ctx context.Context, l twinfed.QualityLabel) error {
	if s.registry == nil {
		return errLabelsWrite
	}
	if err := s.registry.RecordQualityLabel(ctx, l); err != nil {
		return s.labelWriteErr(err)
	}
	return nil
}

// readBack returns the label as the registry stamped it. The client has
// waited for its cache to reach the write, so this reads it back; l itself
// when it cannot.
func (s *Service) readBack(ctx context.Context, l twinfed.QualityLabel) *twinfed.QualityLabel {
	if nat, _, err := s.registry.ProjectLabels(ctx, l.ProjectID); err == nil {
		for _, q := range nat {
			if q.Country == l.Country && q.SchoolYear == l.SchoolYear && q.Score == l.Score {
				return &q
			}
		}
	}
	return &l
}

// labelWriteErr turns the registry's refusal of a label into what the
// agency reads. The node checks the same rules first, so these are rare;
// the registry's own wording stays in the log.
func (s *Service) labelWriteErr(err error) error {
	switch twinfed.ErrorCode(err) {
	case twinfed.EINVALID:
		s.log.Warn("registry: quality label refused", "err", err)
		fields := map[string]string{}
		for k := range twinfed.ErrorFields(err) {
			switch k {
			case "school_year":
				fields[k] = msgLabelYear
			case "score":
				fields[k] = msgLabelScore
			default:
				fields["project_id"] = msgLabelUnknown
			}
		}
		if len(fields) == 0 {
			return twinfed.Errorf(twinfed.EINVALID, "The registry refused the label; check the project, the school year and the score.")
		}
		return invalid(fields)
	case twinfed.EFORBIDDEN:
		s.log.Error("registry: quality label forbidden", "err", err)
		return twinfed.Errorf(twinfed.EFORBIDDEN, "The registry does not accept this country's labels from this node; ask the Central Support Service to check the node's registration.")
	default:
		s.log.Error("registry: record quality label", "err", err)
		return errLabelsWrite
	}
}

// projectLabels reads a project's labels from the registry (its local
// cache when it is current), within labelReadWait so that a page never
// waits long for an unreachable registry; scores are kept for agency staff.
func (s *Service) projectLabels(ctx context.Context, id string, scores bool) (*ProjectLabels, error) {
	if s.registry == nil {
		return nil, errLabelsRead
	}
	ctx, cancel := context.WithTimeout(ctx, labelReadWait)
	defer cancel()
	nat, eql, err := s.registry.ProjectLabels(ctx, id)
	if err != nil {
		s.log.Warn("registry: project labels", "project", id, "err", err)
		return nil, errLabelsRead
	}
	out := &ProjectLabels{National: []NationalLabel{}, European: eql, EQL: EQLNone}
	if eql != nil {
		out.EQL = eql.Status
	}
	for _, q := range nat {
		n := NationalLabel{Country: q.Country, SchoolYear: q.SchoolYear, Recorded: q.Recorded}
		if scores {
			n.Score = &q.Score
		}
		out.National = append(out.National, n)
	}
	slices.SortFunc(out.National, func(a, b NationalLabel) int {
		if c := strings.Compare(b.SchoolYear, a.SchoolYear); c != 0 {
			return c
		}
		return strings.Compare(a.Country, b.Country)
	})
	return out, nil
}
