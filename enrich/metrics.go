package enrich

import "github.com/prometheus/client_golang/prometheus"

// metrics of the enrich worker.
type metrics struct {
	articles *prometheus.CounterVec
	topics   *prometheus.CounterVec
	batch    prometheus.Histogram
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
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_enrich_batch_duration_seconds",
			Help:    "Time to enrich a batch and have it acknowledged by Kafka.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
	}
	reg.MustRegister(m.articles, m.topics, m.batch)
	return m
}
