package label

import (
	"github.com/twinfed/twinfed"
	"github.com/twinfed/twinfed/node/feature"
	"github.com/twinfed/twinfed/node/project"
)

var (
	_ Registry       = twinfed.Registry(nil)
	_ Projects       = (*project.Service)(nil)
	_ project.Labels = CardLabels{}
)

// Assemble builds the quality labels on the node's kit (the registry
// keeps them) and the projects, calls recorded after each label the
// registry accepted, and adds its pages and JSON API to the node's
// routes. The project card reads the labels through ForCard.
func Assemble(k *feature.Kit, projects *project.Service, recorded func()) (*Service, error) {
	s, err := New(Config{Country: k.Country}, Deps{Registry: k.Registry, Projects: projects, Logger: k.Log, Now: k.Now, Recorded: recorded})
	if err != nil {
		return nil, err
	}
	k.AddRoutes(s.Routes)
	return s, nil
}
