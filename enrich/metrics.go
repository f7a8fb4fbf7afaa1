package enrich

import "github.com/prometheus/client_golang/prometheus"

// metrics of the enrich worker.
type metrics struct {
	articles  *prometheus.CounterVec
	topics    *prometheus.CounterVec
	languages *prometheus.CounterVec
	stories   *prometheus.CounterVec
	batch     prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		articles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_enrich_articles_total",
			Help: "Raw messages handled, by outcome: enriched (published) or dead_lettered.",
		}, []string{"outcome"}),
		topics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_enrich_topics_total",
			Help: "Topic tags given, by taxonomy topic id.",
		}, []string{"topic"}),
		languages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_enrich_languages_total",
			Help: "Enriched articles by language: an ISO 639-1 code the detector knows, other, or unknown.",
		}, []string{"language"}),
		stories: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_enrich_stories_total",
			Help: "Story assignments, by outcome: new (the article starts a story), joined (it joins a recent story) or known (it was seen before).",
		}, []string{"outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_enrich_batch_duration_seconds",
			Help:    "Time to enrich a batch and have it acknowledged by Kafka.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	reg.MustRegister(m.articles, m.topics, m.languages, m.stories, m.batch)
	return m
}
