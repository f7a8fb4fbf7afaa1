package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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
	now      func() time.Time
}

// NewWorker returns a worker; Close releases its Kafka clients.
func NewWorker(cfg *config.Config, e *Enricher, log *slog.Logger) *Worker {
	return &Worker{
		cfg:      cfg,
		enricher: e,
		reader:   kafka.NewReader(cfg.Kafka, cfg.Topics.Raw, cfg.Enrich.Group),
		writer:   kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched),
		dlq:      kafka.NewWriter(cfg.Kafka, cfg.Topics.DLQ),
		log:      log,
		now:      time.Now,
	}
}

// Run blocks until ctx is done. Offsets of a batch are committed only
// after every enriched article of it was acknowledged on the enriched
// topic and every message that could not be decoded was acknowledged on
// the dead-letter topic.
func (w *Worker) Run(ctx context.Context) error {
	opts := kafka.BatchOptions{Max: w.cfg.Enrich.BatchSize, Linger: 50 * time.Millisecond, Drain: 15 * time.Second}
	return kafka.Consume(ctx, w.reader, opts, w.log, w.handle)
}

func (w *Worker) handle(ctx context.Context, batch []kafkago.Message) error {
	out := make([]kafkago.Message, 0, len(batch))
	var dead []kafkago.Message
	now := w.now()
	for _, m := range batch {
		msg, err := w.process(m, now)
		if err != nil {
			w.log.Warn("dead-lettering message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			dead = append(dead, kafka.DeadLetter(m, Stage, err))
			continue
		}
		out = append(out, msg)
	}
	if err := kafka.WriteAll(ctx, w.writer, w.log, out...); err != nil {
		return err
	}
	return kafka.WriteAll(ctx, w.dlq, w.log, dead...)
}

// process enriches one raw message into an enriched one.
func (w *Worker) process(m kafkago.Message, now time.Time) (kafkago.Message, error) {
	a, err := article.Decode(m.Value)
	if err != nil {
		return kafkago.Message{}, err
	}
	if key := string(m.Key); key != "" && key != a.ID {
		return kafkago.Message{}, fmt.Errorf("message key %q differs from article id %q", key, a.ID)
	}
	enriched := w.enricher.Enrich(*a, now)
	b, err := article.Encode(&enriched)
	if err != nil {
		return kafkago.Message{}, err
	}
	return kafkago.Message{Key: []byte(a.ID), Value: b, Headers: kafka.Headers(article.SchemaVersionHeader())}, nil
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
