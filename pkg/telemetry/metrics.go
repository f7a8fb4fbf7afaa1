package telemetry

import (
	"context"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/version"
)

// buildInfo exports newsflow_build_info, the Prometheus convention for
// telling which build a target runs: a constant 1 labelled with it.
func buildInfo() prometheus.Collector {
	revision := version.Commit()
	if revision == "" {
		revision = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "newsflow_build_info",
		Help:        "Always 1; the labels name the build the process runs.",
		ConstLabels: prometheus.Labels{"version": version.Version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return g
}

// readyCollector exports the readiness checks at scrape time.
type readyCollector struct {
	h       *Health
	timeout time.Duration
	desc    *prometheus.Desc
}

// Collector returns a collector of newsflow_ready{check}: 1 while the
// named readiness check passes, 0 while it fails. Each scrape runs the
// checks, each within timeout.
func (h *Health) Collector(timeout time.Duration) prometheus.Collector {
	return &readyCollector{h: h, timeout: timeout, desc: prometheus.NewDesc("newsflow_ready",
		"1 while the readiness check passes (the process can make progress), 0 while it fails.",
		[]string{"check"}, nil)}
}

func (c *readyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *readyCollector) Collect(ch chan<- prometheus.Metric) {
	failing := c.h.Ready(context.Background(), c.timeout)
	for _, name := range c.h.Names() {
		v := 1.0
		if _, bad := failing[name]; bad {
			v = 0
		}
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, name)
	}
}
