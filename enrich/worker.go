package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Stage is the name of this stage on dead letters.
const Stage = "enrich"

// Worker consumes raw articles in a consumer group, enriches them and
// publishes them to the enriched topic.
type Worker struct {
	cfg      *config.Config
	enricher *Enricher
	reader   *kafkago.Reader
	writer   *kafkago.Writer
	dlq      *kafkago.Writer
	log      *slog.Logger
	metrics  *metrics
	now      func() time.Time
}

// NewWorker returns a worker whose metrics register on reg; Close releases
// its Kafka clients.
func NewWorker(cfg *config.Config, e *Enricher, log *slog.Logger, reg prometheus.Registerer) *Worker {
	w := &Worker{
		cfg:      cfg,
		enricher: e,
		reader:   kafka.NewReader(cfg.Kafka, cfg.Topics.Raw, cfg.Enrich.Group),
		writer:   kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched),
		dlq:      kafka.NewWriter(cfg.Kafka, cfg.Topics.DLQ),
		log:      log,
		metrics:  newMetrics(reg),
		now:      time.Now,
	}
	_ = kafka.RegisterLag(reg, w.reader, Stage)
	return w
}

// Run blocks until ctx is done. Offsets of a batch are committed only
// after every enriched article of it was acknowledged on the enriched
// topic and every message that could not be decoded was acknowledged on
// the dead-letter topic.
func (w *Worker) Run(ctx context.Context) error {
	opts := kafka.BatchOptions{Max: w.cfg.Enrich.BatchSize, Linger: 50 * time.Millisecond, Drain: w.cfg.Telemetry.ShutdownTimeout}
	return kafka.Consume(ctx, w.reader, opts, w.log, w.handle)
}

func (w *Worker) handle(ctx context.Context, batch []kafkago.Message) error {
	start := time.Now()
	out := make([]kafkago.Message, 0, len(batch))
	var (
		dead   []kafkago.Message
		topics []string
	)
	now := w.now()
	for _, m := range batch {
		msg, tags, err := w.process(m, now)
		if err != nil {
			w.log.Warn("dead-lettering message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			dead = append(dead, kafka.DeadLetter(m, Stage, err))
			continue
		}
		out = append(out, msg)
		topics = append(topics, tags...)
	}
	if err := kafka.WriteAll(ctx, w.writer, w.log, out...); err != nil {
		return err
	}
	if err := kafka.WriteAll(ctx, w.dlq, w.log, dead...); err != nil {
		return err
	}
	w.metrics.articles.WithLabelValues("enriched").Add(float64(len(out)))
	w.metrics.articles.WithLabelValues("dead_lettered").Add(float64(len(dead)))
	for _, t := range topics {
		w.metrics.topics.WithLabelValues(t).Inc()
	}
	w.metrics.batch.Observe(time.Since(start).Seconds())
	return nil
}

// process enriches one raw message into an enriched one, and returns
// the topic ids it tagged.
func (w *Worker) process(m kafkago.Message, now time.Time) (kafkago.Message, []string, error) {
	a, err := article.Decode(m.Value)
	if err != nil {
		return kafkago.Message{}, nil, err
	}
	if key := string(m.Key); key != "" && key != a.ID {
		return kafkago.Message{}, nil, fmt.Errorf("message key %q differs from article id %q", key, a.ID)
	}
	enriched := w.enricher.Enrich(*a, now)
	b, err := article.Encode(&enriched)
	if err != nil {
		return kafkago.Message{}, nil, err
	}
	return kafkago.Message{Key: []byte(a.ID), Value: b, Headers: kafka.Headers(article.SchemaVersionHeader())}, enriched.TopicIDs(), nil
}

// Close leaves the consumer group and flushes the writers.
func (w *Worker) Close() error {
	err := w.reader.Close()
	if werr := w.writer.Close(); err == nil {
		err = werr
	}
	if derr := w.dlq.Close(); err == nil {
		err = derr
	}
	return err
}
