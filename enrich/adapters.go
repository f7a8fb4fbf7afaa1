package enrich

import (
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
)

// TaxonomyTopics adapts a taxonomy tagger to TopicTagger.
func TaxonomyTopics(tg *topics.Tagger) TopicTagger { return taxonomyTopics{tg} }

type taxonomyTopics struct{ tg *topics.Tagger }

func (t taxonomyTopics) Version() string { return t.tg.Version() }

func (t taxonomyTopics) Topics(_ TopicContext, fields ...Field) []article.Topic {
	tf := make([]topics.Field, len(fields))
	for i, f := range fields {
		tf[i] = topics.Field{Name: f.Name, Text: f.Text}
	}
	return t.tg.Tag(tf...)
}
