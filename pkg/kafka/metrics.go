package kafka

import (
	"github.com/prometheus/client_golang/prometheus"
	kafka "github.com/segmentio/kafka-go"
)

// lagCollector exports a consumer-group reader's lag at scrape time.
type lagCollector struct {
	r     *kafka.Reader
	stage string
	desc  *prometheus.Desc
}

// RegisterLag exports newsflow_kafka_consumer_lag{stage,topic}: the
// messages of the reader's topic not yet fetched by this replica, the
// first sign of a stage falling behind. Nothing else may call r.Stats.
func RegisterLag(reg prometheus.Registerer, r *kafka.Reader, stage string) error {
	return reg.Register(&lagCollector{
		r:     r,
		stage: stage,
		desc: prometheus.NewDesc("newsflow_kafka_consumer_lag",
			"Messages of the consumed topic not yet fetched by this replica's partitions.",
			[]string{"stage", "topic"}, nil),
	})
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.r.Stats()
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(st.Lag), c.stage, c.r.Config().Topic)
}
