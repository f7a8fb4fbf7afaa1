package ingest

import "github.com/prometheus/client_golang/prometheus"

// metrics of the poller. Labels are bounded: never a feed URL.
type metrics struct {
	fetches     *prometheus.CounterVec
	notModified prometheus.Counter
	duration    prometheus.Histogram
	published   prometheus.Counter
	duplicates  prometheus.Counter
	fullText    *prometheus.CounterVec
	failing     prometheus.Gauge
	owned       prometheus.Gauge
	lag         prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_ingest_fetches_total",
			Help: "Feed fetches, by outcome: 2xx, 3xx (304 Not Modified among them), 4xx, 5xx or error (no HTTP answer).",
		}, []string{"status_class"}),
		notModified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsflow_ingest_not_modified_total",
			Help: "Feed fetches answered 304 Not Modified.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_ingest_fetch_duration_seconds",
			Help:    "Time to fetch a feed, politeness wait included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsflow_ingest_articles_published_total",
			Help: "Articles published to the raw topic and acknowledged.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsflow_ingest_duplicates_skipped_total",
			Help: "Feed items not published because they were published before.",
		}),
		fullText: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_ingest_full_text_total",
			Help: "Articles of full-text feeds, by outcome: ok, shorter (the feed had more), error, skipped (over the per-poll page budget).",
		}, []string{"outcome"}),
		failing: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsflow_ingest_feeds_failing",
			Help: "Feeds owned by this replica whose recent polls failed.",
		}),
		owned: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsflow_ingest_feeds_owned",
			Help: "Feeds this replica polls.",
		}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_ingest_schedule_lag_seconds",
			Help:    "How late polls start after their due time.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 12),
		}),
	}
	reg.MustRegister(m.fetches, m.notModified, m.duration, m.published, m.duplicates, m.fullText, m.failing, m.owned, m.lag)
	return m
}
