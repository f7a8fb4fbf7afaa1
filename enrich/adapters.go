package enrich

import (
	"github.com/newsflow/newsflow/enrich/entities"
	"github.com/newsflow/newsflow/enrich/geo"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
)

// NamedEntities adapts the trained entity tagger to EntityTagger.
func NamedEntities(t *entities.Tagger) EntityTagger { return namedEntities{t} }

type namedEntities struct{ t *entities.Tagger }

func (n namedEntities) Version() string { return n.t.Version() }

func (n namedEntities) Entities(fields ...Field) []article.Entity {
	ef := make([]entities.Field, len(fields))
	for i, f := range fields {
		ef[i] = entities.Field{Name: f.Name, Text: f.Text}
	}
	return n.t.Entities(ef...)
}

// Gazetteer adapts the place parser to PlaceResolver.
func Gazetteer(p *geo.Parser) PlaceResolver { return gazetteer{p} }

type gazetteer struct{ p *geo.Parser }

func (g gazetteer) Version() string { return g.p.Version() }

func (g gazetteer) Places(fields ...PlaceField) ([]article.Place, []string) {
	gf := make([]geo.Field, len(fields))
	for i, f := range fields {
		gf[i] = geo.Field{Name: f.Name, Text: f.Text, Locations: f.Locations}
	}
	return g.p.Places(gf...)
}

// TaxonomyTopics adapts a taxonomy tagger to TopicTagger.
func TaxonomyTopics(tg *topics.Tagger) TopicTagger { return taxonomyTopics{tg} }

type taxonomyTopics struct{ tg *topics.Tagger }

func (t taxonomyTopics) Version() string { return t.tg.Version() }

func (t taxonomyTopics) Topics(c TopicContext, fields ...Field) []article.Topic {
	tf := make([]topics.Field, len(fields))
	for i, f := range fields {
		tf[i] = topics.Field{Name: f.Name, Text: f.Text}
	}
	return t.tg.TagContext(topics.Context{Entities: c.Entities, Countries: c.Countries}, tf...)
}
