package index

import "github.com/prometheus/client_golang/prometheus"

// metrics of the index worker.
type metrics struct {
	documents *prometheus.CounterVec
	batch     prometheus.Histogram
	lastAck   prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		documents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsflow_index_documents_total",
			Help: "Enriched messages handled, by outcome: indexed, or dead_lettered (undecodable or rejected by Elasticsearch).",
		}, []string{"outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "newsflow_index_batch_duration_seconds",
			Help:    "Time from a batch's bulk write to its acknowledgement, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 16),
		}),
		lastAck: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "newsflow_index_last_ack_timestamp_seconds",
			Help: "Unix time of the last batch acknowledged by Elasticsearch; a stalled indexer stops advancing it.",
		}),
	}
	reg.MustRegister(m.documents, m.batch, m.lastAck)
	return m
}
