// Package article defines the article record that every stage of newsflow
// reads and writes: its fields, its identity rule, its JSON codec and the
// JSON Schema that consumers of news.articles.enriched code against.
package article

import (
	"time"
)

// SchemaVersion is the version of the article JSON layout this package
// writes. It is carried inside every message (schema_version) and in the
// schema-version Kafka header. A change that removes or retypes a field
// bumps it; adding an optional field does not.
const SchemaVersion = 1

// Entity types, as named by the CoNLL-2003 tag set.
const (
	EntityPerson       = "PER"
	EntityOrganization = "ORG"
	EntityLocation     = "LOC"
	EntityMisc         = "MISC"
)

// Fields of an article that mentions and evidence point into.
const (
	FieldTitle   = "title"
	FieldSummary = "summary"
	FieldContent = "content"
)

// Article is one news item as it travels through the pipeline. Ingest fills
// the identity, text, time and origin fields; enrich adds language,
// entities, places, countries, topics, story id and enrich version.
type Article struct {
	SchemaVersion int `json:"schema_version"`

	// ID is the stable identity of the article: see ID. It is the Kafka
	// message key and the Elasticsearch _id.
	ID string `json:"id"`
	// URL is the canonical URL (see CanonicalURL); empty only when the feed
	// item had no usable link and the id comes from its GUID.
	URL string `json:"url,omitempty"`
	// GUID is the feed's own item identifier, as published.
	GUID string `json:"guid,omitempty"`

	Title      string   `json:"title"`
	Summary    string   `json:"summary,omitempty"`
	Content    string   `json:"content,omitempty"`
	Authors    []string `json:"authors,omitempty"`
	Categories []string `json:"categories,omitempty"`
	ImageURL   string   `json:"image_url,omitempty"`

	// PublishedAt is when the publisher says the article appeared. When the
	// feed gave no usable date it is the fetch time and PublishedInferred is
	// true.
	PublishedAt       time.Time `json:"published_at"`
	PublishedInferred bool      `json:"published_inferred"`
	FetchedAt         time.Time `json:"fetched_at"`

	Feed   Feed   `json:"feed"`
	Source Source `json:"source"`

	// Language is an ISO 639-1 code: the feed's declared language after
	// ingest, the detected one after enrich.
	Language string `json:"language,omitempty"`

	Entities      []Entity   `json:"entities,omitempty"`
	Places        []Place    `json:"places,omitempty"`
	Countries     []string   `json:"countries,omitempty"`
	Topics        []Topic    `json:"topics,omitempty"`
	StoryID       string     `json:"story_id,omitempty"`
	EnrichVersion string     `json:"enrich_version,omitempty"`
	EnrichedAt    *time.Time `json:"enriched_at,omitempty"`
}

// Feed says which feed the article was read from.
type Feed struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

// Source is the publisher of the article.
type Source struct {
	Name string `json:"name,omitempty"`
	// Domain is the registrable domain (eTLD+1) of the article URL, or of
	// the feed URL when the article has none.
	Domain string `json:"domain,omitempty"`
	// Country is an ISO 3166-1 alpha-2 code, upper case.
	Country string `json:"country,omitempty"`
}

// Mention is a span of text in one field of the article. Start and End are
// byte offsets into that field's UTF-8 text, End exclusive.
type Mention struct {
	Field string `json:"field"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Entity is a named entity found in the article, once per canonical name
// and type, with every mention.
type Entity struct {
	// ID is stable across articles for the same canonical name and type,
	// e.g. "per:john-kerry".
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Name      string    `json:"name"`
	Count     int       `json:"count"`
	Mentions  []Mention `json:"mentions,omitempty"`
	GeoNameID int64     `json:"geonames_id,omitempty"`
}

// Place is a resolved location, once per GeoNames id. Curated regions
// with no GeoNames record (Eastern Ghouta, Kurdistan, the Gulf) have no id
// but still a name, a country where they lie in one, and coordinates.
type Place struct {
	Name        string    `json:"name"`
	GeoNameID   int64     `json:"geonames_id,omitempty"`
	CountryCode string    `json:"country_code,omitempty"`
	Admin1      string    `json:"admin1,omitempty"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Mentions    []Mention `json:"mentions,omitempty"`
}

// Topic is a taxonomy topic the article is substantially about.
type Topic struct {
	ID       string     `json:"id"`
	Score    float64    `json:"score"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Evidence is one matched rule term that contributed to a topic's score.
type Evidence struct {
	Term   string  `json:"term"`
	Weight float64 `json:"weight"`
	Field  string  `json:"field"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
}

// Text returns the body text enrichers read: the content when ingest has
// it, else the summary, and which field that is.
func (a *Article) Text() (field, text string) {
	if a.Content != "" {
		return FieldContent, a.Content
	}
	return FieldSummary, a.Summary
}

// Field returns the text of the named field, or "" for an unknown name.
func (a *Article) Field(name string) string {
	switch name {
	case FieldTitle:
		return a.Title
	case FieldSummary:
		return a.Summary
	case FieldContent:
		return a.Content
	}
	return ""
}

// TopicIDs returns the ids of the article's topics in order.
func (a *Article) TopicIDs() []string {
	ids := make([]string, len(a.Topics))
	for i, t := range a.Topics {
		ids[i] = t.ID
	}
	return ids
}
