// Package geo finds the places an article talks about and resolves them to
// GeoNames records: a geoparser over a gazetteer derived from GeoNames
// (cities of 1,000 people or more, countries, US states, continents), a
// curated list of regions, and country demonyms.
//
// Toponym candidates are the LOC mentions an entity tagger found, plus what
// the parser's own spotter finds: country names and demonyms ("Syrian" →
// Syria), and gazetteer names in capitalised text, guarded against words
// and given names that are also towns ("Mark", "Nice", "Reading"). An
// ambiguous name goes to the candidate that the article's other places
// support — a "City, State" qualifier, the countries and US states the
// article names, nearby places — and then to the most populous one, so
// "Aleppo" is in Syria while "Alexandria, La." stays in Louisiana.
package geo

import (
	"github.com/newsflow/newsflow/pkg/article"
)

// Field is one field of an article as the parser reads it.
type Field struct {
	// Name is the article field: article.FieldTitle, FieldSummary or
	// FieldContent. It is copied into the mentions found in Text.
	Name string
	Text string
	// Locations are the byte spans [start,end) of LOC mentions an entity
	// tagger found in Text; may be nil. Spans outside Text or not on UTF-8
	// boundaries are ignored.
	Locations [][2]int
}

// Parser resolves the places of an article. It is immutable once loaded
// and safe for concurrent use.
type Parser struct {
	g *gazetteer
}

// Load builds a Parser from the embedded gazetteer. It takes about a third
// of a second and holds about 41 MiB of heap; load once and share.
func Load() (*Parser, error) {
	g, err := loadGazetteer()
	if err != nil {
		return nil, err
	}
	return &Parser{g: g}, nil
}

// Version names the gazetteer data the parser was loaded from, for
// enrich_version: it changes whenever the derived file, the regions, the
// aliases or the stop names change.
func (p *Parser) Version() string { return p.g.version }

// Places returns the places the fields mention, one per GeoNames record
// with every mention, most mentioned first, and the ISO 3166-1 alpha-2
// codes of the countries the article is about, most salient first. It is a
// pure function of its input: no I/O, and the same input gives the same
// output.
func (p *Parser) Places(fields ...Field) (places []article.Place, countries []string) {
	d := newDoc(p.g, fields)
	d.spot()
	d.resolve()
	return d.output()
}
