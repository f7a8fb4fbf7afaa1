package ingest

import "github.com/prometheus/client_golang/prometheus"

// metrics of the poller.
type metrics struct {
	fetches   *prometheus.CounterVec
	duration  prometheus.Histogram
	published prometheus.Counter
	failing   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_ingest_fetches_total",
			Help: "Feed fetches, by outcome: 2xx, 3xx, 4xx, 5xx or error (no HTTP answer, or a body that is not a feed).",
		}, []string{"status_class"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_ingest_fetch_duration_seconds",
			Help:    "Time to fetch and parse a feed.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 14),
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsflow_ingest_articles_published_total",
			Help: "Articles published to the raw topic and acknowledged.",
		}),
		failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsflow_ingest_feeds_failing",
			Help: "Feeds whose last poll failed.",
		}),
	}
	reg.MustRegister(m.fetches, m.duration, m.published, m.failing)
	return m
}
