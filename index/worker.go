package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Stage is the name of this stage on dead letters.
const Stage = "index"

// inFlight is how many batches a worker handles at once: while one bulk
// request is on the wire the next batches are decoded and sent, which
// keeps the node busy; offsets are still committed in order. Three
// measured best on a two-core node (BenchmarkIndexStageVsBulkIndexer).
const inFlight = 3

// Worker consumes enriched articles in a consumer group and indexes them.
type Worker struct {
	cfg     *config.Config
	reader  *kafkago.Reader
	dlq     *kafkago.Writer
	bulk    *Bulk
	log     *slog.Logger
	metrics *metrics
}

// NewWorker returns an indexer writing through es whose metrics register
// on reg; Close releases its Kafka clients.
func NewWorker(cfg *config.Config, es *elasticsearch.Client, log *slog.Logger, reg prometheus.Registerer) *Worker {
	w := &Worker{
		cfg:     cfg,
		reader:  kafka.NewReader(cfg.Kafka, cfg.Topics.Enriched, cfg.Index.Group),
		dlq:     kafka.NewWriter(cfg.Kafka, cfg.Topics.DLQ),
		bulk:    NewBulk(es, cfg.Elasticsearch.Alias, cfg.Index.FlushBytes, log),
		log:     log,
		metrics: newMetrics(reg),
	}
	w.bulk.MaxBackoff = cfg.Index.MaxBackoff
	_ = kafka.RegisterLag(reg, w.reader, Stage)
	return w
}

// Run blocks until ctx is done. A batch closes at BatchSize messages,
// FlushBytes of values or FlushInterval after its first message; up to
// inFlight batches are written at once. Offsets are committed in order,
// each batch only after every message of it was acknowledged by
// Elasticsearch or by the dead-letter topic. While Elasticsearch is down,
// Run waits on the batches in hand and reads nothing more.
func (w *Worker) Run(ctx context.Context) error {
	opts := kafka.BatchOptions{Max: w.cfg.Index.BatchSize, Linger: w.cfg.Index.FlushInterval, MaxBytes: w.cfg.Index.FlushBytes, Drain: w.cfg.Telemetry.ShutdownTimeout}
	return kafka.ConsumePipelined(ctx, w.reader, opts, inFlight, w.log, w.handle)
}

func (w *Worker) handle(ctx context.Context, batch []kafkago.Message) error {
	start := time.Now()
	items := make([]Item, 0, len(batch))
	origin := make([]int, 0, len(batch)) // item position → batch position
	var dead []kafkago.Message
	for i, m := range batch {
		it, err := toItem(m, w.cfg.Elasticsearch.Alias)
		if err != nil {
			w.log.Warn("dead-lettering message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", err)
			dead = append(dead, kafka.DeadLetter(m, Stage, err))
			continue
		}
		items = append(items, it)
		origin = append(origin, i)
	}
	rejected, err := w.bulk.Write(ctx, items)
	if err != nil {
		return err
	}
	for _, r := range rejected {
		m := batch[origin[r.Index]]
		w.log.Warn("dead-lettering rejected document", "partition", m.Partition, "offset", m.Offset, "status", r.Status, "reason", r.Reason)
		dead = append(dead, kafka.DeadLetter(m, Stage, errors.New("elasticsearch rejected the document: "+r.Reason)))
	}
	if err := writeChunked(ctx, w.dlq, w.log, dead); err != nil {
		return err
	}
	w.metrics.documents.WithLabelValues("indexed").Add(float64(len(items) - len(rejected)))
	w.metrics.documents.WithLabelValues("dead_lettered").Add(float64(len(dead)))
	w.metrics.batch.Observe(time.Since(start).Seconds())
	w.metrics.lastAck.SetToCurrentTime()
	return nil
}

// dlqChunkBytes bounds the values written to the dead-letter topic in one
// call. The writer puts a call's messages for a partition into one record
// batch, which the broker refuses whole above message.max.bytes (1 MiB by
// default): a batch of rejected full-text articles must not exceed it, or
// it would be retried forever.
const dlqChunkBytes = 512 << 10

// writeChunked writes msgs in calls of at most dlqChunkBytes of values
// (one message at least), each retried until acknowledged.
func writeChunked(ctx context.Context, w *kafkago.Writer, log *slog.Logger, msgs []kafkago.Message) error {
	for start := 0; start < len(msgs); {
		end, size := start+1, len(msgs[start].Value)
		for end < len(msgs) && size+len(msgs[end].Value) <= dlqChunkBytes {
			size += len(msgs[end].Value)
			end++
		}
		if err := kafka.WriteAll(ctx, w, log, msgs[start:end]...); err != nil {
			return err
		}
		start = end
	}
	return nil
}

// toItem decodes an enriched article message into a document for its
// monthly index behind alias.
func toItem(m kafkago.Message, alias string) (Item, error) {
	a, err := article.Decode(m.Value)
	if err != nil {
		return Item{}, err
	}
	if key := string(m.Key); key != "" && key != a.ID {
		return Item{}, fmt.Errorf("message key %q differs from article id %q", key, a.ID)
	}
	var buf bytes.Buffer
	buf.Grow(len(m.Value))
	enc := json.NewEncoder(&buf)
	// Elasticsearch reads < > & as they are; escaping them only costs.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(NewDocument(a)); err != nil {
		return Item{}, fmt.Errorf("encoding document %s: %w", a.ID, err)
	}
	doc := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	it := Item{Index: IndexName(alias, a.PublishedAt), ID: a.ID, Doc: doc}
	if a.EnrichedAt != nil {
		it.Version = a.EnrichedAt.UnixMicro()
	}
	return it, nil
}

// Close leaves the consumer group and flushes the dead-letter writer.
func (w *Worker) Close() error {
	err := w.reader.Close()
	if derr := w.dlq.Close(); err == nil {
		err = derr
	}
	return err
}
