package twinfed

import "context"

// Registry is what a national node needs of the federation's shared registry.
// The consensus package's client implements it over the registry's HTTP API.
//
// Reads may be served from a local cache while the registry is unreachable.
// Writes are signed by the node and accepted only for its own country: they
// return EFORBIDDEN for another country, EINVALID for bad input, ECONFLICT for
// a duplicate national school number, EUNAVAILABLE when no member answers.
type Registry interface {
	// Country returns one country; ENOTFOUND for an unknown code.
	Country(ctx context.Context, code string) (*Country, error)
	// Countries returns every country, active or not.
	Countries(ctx context.Context) ([]*Country, error)
	// CountryByHost returns the country whose node has the given host
	// (host[:port] of its base URL); ENOTFOUND when no node has it.
	CountryByHost(ctx context.Context, host string) (*Country, error)

	// School returns one school; ENOTFOUND for an unknown id.
	School(ctx context.Context, id string) (*School, error)
	// FindSchools returns a page of schools and the total number matching.
	FindSchools(ctx context.Context, f SchoolFilter) ([]*School, int, error)
	// PutSchool creates (empty ID) or updates a school of the node's country
	// and returns it as stored.
	PutSchool(ctx context.Context, s *School) (*School, error)

	// RecordQualityLabel records a National Quality Label given by the node's agency.
	RecordQualityLabel(ctx context.Context, l QualityLabel) error
	// ProjectLabels returns the national and European labels of a project.
	ProjectLabels(ctx context.Context, projectID string) ([]QualityLabel, *EuropeanLabel, error)
}
