// Package enrich tags articles with their language, named entities,
// places, topics and story, and runs the Kafka worker that reads
// news.articles.raw and publishes news.articles.enriched. The taggers
// are pure functions of an article, usable without Kafka; the story
// index is the one piece of state, owned by whoever runs the enricher.
package enrich

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/enrich/entities"
	"github.com/newsflow/newsflow/enrich/geo"
	"github.com/newsflow/newsflow/enrich/lang"
	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/version"
)

// Field is a named piece of article text: the title, summary or content.
type Field struct {
	Name, Text string
}

// EntityTagger finds the named entities of an article's fields, one
// article.Entity per canonical name and type with every mention.
type EntityTagger interface {
	Entities(fields ...Field) []article.Entity
	Version() string
}

// PlaceField is a field with the byte spans of the locations the entity
// tagger found in it.
type PlaceField struct {
	Field
	Locations [][2]int
}

// PlaceResolver resolves location mentions to places and the countries
// the article is about.
type PlaceResolver interface {
	Places(fields ...PlaceField) (places []article.Place, countries []string)
	Version() string
}

// TopicTagger tags the topics an article is substantially about.
type TopicTagger interface {
	Topics(c TopicContext, fields ...Field) []article.Topic
	Version() string
}

// TopicContext is what the earlier taggers found, for topic rules with
// entity or country conditions.
type TopicContext struct {
	Entities  []article.Entity
	Countries []string
}

// Taggers are the models an Enricher applies; a nil one is not applied.
type Taggers struct {
	Language *lang.Detector
	Entities EntityTagger
	Places   PlaceResolver
	Topics   TopicTagger
}

// Enricher applies every tagger to an article. It holds only immutable
// models and is safe for concurrent use.
type Enricher struct {
	t       Taggers
	version string
}

// New returns an enricher applying t.
func New(t Taggers) *Enricher {
	parts := []string{"code=" + version.Version}
	if t.Language != nil {
		parts = append(parts, "lang="+t.Language.Version())
	}
	if t.Entities != nil {
		parts = append(parts, "ner="+t.Entities.Version())
	}
	if t.Places != nil {
		parts = append(parts, "gazetteer="+t.Places.Version())
	}
	if t.Topics != nil {
		parts = append(parts, "taxonomy="+t.Topics.Version())
	}
	return &Enricher{t: t, version: strings.Join(parts, ";")}
}

// Load returns an enricher with every model newsflow ships (language
// profiles, the entity model, the gazetteer) and the topic taxonomy at
// taxonomyPath. The models load in parallel.
func Load(taxonomyPath string) (*Enricher, error) {
	var (
		t   Taggers
		g   errgroup.Group
		tax *topics.Taxonomy
	)
	g.Go(func() (err error) {
		tax, err = topics.Load(taxonomyPath)
		return err
	})
	g.Go(func() error {
		t.Language = lang.New()
		return nil
	})
	g.Go(func() error {
		ner, err := entities.Load()
		if err != nil {
			return err
		}
		t.Entities = NamedEntities(ner)
		return nil
	})
	g.Go(func() error {
		p, err := geo.Load()
		if err != nil {
			return fmt.Errorf("loading the gazetteer: %w", err)
		}
		t.Places = Gazetteer(p)
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	t.Topics = TaxonomyTopics(topics.New(tax))
	return New(t), nil
}

// Version identifies the code, models, gazetteer and taxonomy that
// produce the tags; it is stamped on every enriched article.
func (e *Enricher) Version() string { return e.version }

// supported reports whether the entity, place and topic models read
// language code: they are English models, and a text whose language is
// unknown is tried as English.
func supported(code string) bool { return code == "" || code == "en" }

// Enrich returns a copy of a with its enrichment fields set from its
// text: language, entities, places, countries, topics, enrich version and
// time. It does no I/O; now is the enrichment time. The story id is the
// story index's to give (see stories.Index and StoryText). Articles in a
// language the models do not read get their language only.
func (e *Enricher) Enrich(a article.Article, now time.Time) article.Article {
	fields := Fields(&a)
	if e.t.Language != nil {
		a.Language = lang.Choose(a.Language, e.t.Language.Detect(a.Title+"\n"+fields[1].Text))
	} else {
		a.Language = lang.Normalize(a.Language)
	}
	a.Entities, a.Places, a.Countries, a.Topics = nil, nil, nil, nil
	if supported(a.Language) {
		if e.t.Entities != nil {
			a.Entities = e.t.Entities.Entities(fields...)
		}
		if e.t.Places != nil {
			a.Places, a.Countries = e.t.Places.Places(placeFields(fields, a.Entities)...)
		}
		if e.t.Topics != nil {
			a.Topics = e.t.Topics.Topics(TopicContext{Entities: a.Entities, Countries: a.Countries}, fields...)
		}
	}
	a.EnrichVersion = e.version
	t := now.UTC()
	a.EnrichedAt = &t
	return a
}

// Fields returns the fields of a that the taggers read: the title, the
// body (content, or the summary when there is no content), and the
// summary too when it is not just the opening of the content.
func Fields(a *article.Article) []Field {
	bodyField, body := a.Text()
	fields := []Field{{Name: article.FieldTitle, Text: a.Title}, {Name: bodyField, Text: body}}
	if bodyField == article.FieldContent && a.Summary != "" && !containsPrefix(a.Content, a.Summary) {
		fields = append(fields, Field{Name: article.FieldSummary, Text: a.Summary})
	}
	return fields
}

// StoryText is the text an article's story fingerprint is made from (see
// stories.Text). Every replica computes it from the enriched article it
// reads back, so it depends on the article's text alone.
func StoryText(a *article.Article) string {
	_, body := a.Text()
	return stories.Text(a.Title, body)
}

// placeFields attaches to each field the spans of its LOC entities.
func placeFields(fields []Field, ents []article.Entity) []PlaceField {
	out := make([]PlaceField, len(fields))
	for i, f := range fields {
		out[i].Field = f
	}
	for _, en := range ents {
		if en.Type != article.EntityLocation {
			continue
		}
		for _, m := range en.Mentions {
			for i := range out {
				if out[i].Name == m.Field {
					out[i].Locations = append(out[i].Locations, [2]int{m.Start, m.End})
				}
			}
		}
	}
	return out
}

// containsPrefix reports whether the summary is the opening of the
// content, so matching both would count the same words twice.
func containsPrefix(content, summary string) bool {
	n := min(len(summary), 200)
	return len(content) >= n && content[:n] == summary[:n]
}
