// Package enrich tags articles with topics (and, as the stage grows,
// language, entities, places and stories) and runs the Kafka worker that
// reads news.articles.raw and publishes news.articles.enriched. The
// taggers are pure functions of an article, usable without Kafka.
package enrich

import (
	"time"

	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/version"
)

// Enricher applies every tagger to an article. It holds only immutable
// models and is safe for concurrent use.
type Enricher struct {
	topics  *topics.Tagger
	version string
}

// New returns an enricher for the given taxonomy.
func New(tax *topics.Taxonomy) *Enricher {
	tg := topics.New(tax)
	return &Enricher{
		topics:  tg,
		version: "code=" + version.Version + ";taxonomy=" + tg.Version(),
	}
}

// Version identifies the code, models and taxonomy that produce the tags;
// it is stamped on every enriched article.
func (e *Enricher) Version() string { return e.version }

// Enrich returns a copy of a with its enrichment fields set from its text.
// It does no I/O; now is the enrichment time.
func (e *Enricher) Enrich(a article.Article, now time.Time) article.Article {
	bodyField, body := a.Text()
	fields := []topics.Field{{Name: article.FieldTitle, Text: a.Title}, {Name: bodyField, Text: body}}
	if bodyField == article.FieldContent && a.Summary != "" && !containsPrefix(a.Content, a.Summary) {
		fields = append(fields, topics.Field{Name: article.FieldSummary, Text: a.Summary})
	}
	a.Topics = e.topics.Tag(fields...)
	a.EnrichVersion = e.version
	t := now.UTC()
	a.EnrichedAt = &t
	return a
}

// containsPrefix reports whether the summary is the opening of the
// content, so matching both would count the same words twice.
func containsPrefix(content, summary string) bool {
	n := min(len(summary), 200)
	return len(content) >= n && content[:n] == summary[:n]
}
