package enrich

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/enrich/lang"
	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Stage is the name of this stage on dead letters.
const Stage = "enrich"

// maxMessageBytes is the most a publish request to one partition may
// carry: Kafka's default message.max.bytes (1 MiB and 12 bytes) less room
// for the batch header. Enriched articles are several times larger than
// raw ones, so a batch of them must be split to this size, and an article
// larger than this alone cannot be published and is dead-lettered.
const maxMessageBytes = 1<<20 - 4<<10

// Worker consumes raw articles in a consumer group, enriches them and
// publishes them to the enriched topic.
//
// A batch is enriched by a bounded pool of lanes: each message goes to
// the lane its key hashes to, and a lane works in order, so two versions
// of one article are never enriched out of order. The batch is published
// in the order it was read, so order per key holds on the enriched topic
// too. Across replicas, work is shared by partitions.
type Worker struct {
	cfg      *config.Config
	enricher *Enricher
	stories  *stories.Index
	ready    <-chan struct{}
	reader   *kafkago.Reader
	writer   *kafkago.Writer
	dlq      *kafkago.Writer
	log      *slog.Logger
	metrics  *metrics
	lanes    int
	now      func() time.Time

	mu   sync.Mutex
	done map[int]int64 // next offset to process, by raw partition
}

// WorkerOptions are the parts of a worker that differ between the
// running stage and a replay.
type WorkerOptions struct {
	// Group is the consumer group on the raw topic.
	Group string
	// Stories assigns story ids; nil leaves them unset.
	Stories *stories.Index
	// StoriesReady, when set, holds back consumption until it is closed:
	// the story index must know the recent stories first (StoryTail).
	StoriesReady <-chan struct{}
}

// NewWorker returns a worker whose metrics register on reg; Close releases
// its Kafka clients.
func NewWorker(cfg *config.Config, e *Enricher, opts WorkerOptions, log *slog.Logger, reg prometheus.Registerer) *Worker {
	lanes := cfg.Enrich.Workers
	if lanes <= 0 {
		lanes = runtime.GOMAXPROCS(0)
	}
	w := &Worker{
		cfg:      cfg,
		enricher: e,
		stories:  opts.Stories,
		ready:    opts.StoriesReady,
		reader:   kafka.NewReader(cfg.Kafka, cfg.Topics.Raw, opts.Group),
		writer:   kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched),
		dlq:      kafka.NewWriter(cfg.Kafka, cfg.Topics.DLQ),
		log:      log,
		metrics:  newMetrics(reg),
		lanes:    lanes,
		now:      time.Now,
		done:     map[int]int64{},
	}
	// The writer counts bytes before compression, so batches of this size
	// are within the broker's limit after it too.
	w.writer.BatchBytes = maxMessageBytes
	_ = kafka.RegisterLag(reg, w.reader, Stage)
	return w
}

// Run blocks until ctx is done. Offsets of a batch are committed only
// after every enriched article of it was acknowledged on the enriched
// topic and every message that could not be decoded was acknowledged on
// the dead-letter topic.
func (w *Worker) Run(ctx context.Context) error {
	if w.ready != nil {
		select {
		case <-w.ready:
		case <-ctx.Done():
			return nil
		}
	}
	opts := kafka.BatchOptions{Max: w.cfg.Enrich.BatchSize, Linger: 50 * time.Millisecond, Drain: w.cfg.Telemetry.ShutdownTimeout}
	return kafka.Consume(ctx, w.reader, opts, w.log, w.handle)
}

// result is the outcome of one raw message.
type result struct {
	msg      kafkago.Message // enriched, or the dead letter
	dead     bool
	topics   []string
	language string
	story    string // outcome for the stories metric, "" without an index
}

// enriched is a raw message after the taggers, before its story.
type enriched struct {
	article article.Article
	err     error
}

func (w *Worker) handle(ctx context.Context, batch []kafkago.Message) error {
	start := time.Now()
	now := w.now()
	tagged := make([]enriched, len(batch))
	w.enrichLanes(batch, tagged, now)

	// Stories are assigned in the order the batch was read, so which
	// article of a story comes first does not depend on lane timing.
	results := make([]result, len(batch))
	for i, m := range batch {
		results[i] = w.finish(m, tagged[i])
	}
	out := make([]kafkago.Message, 0, len(batch))
	var dead []kafkago.Message
	for _, r := range results {
		if r.dead {
			dead = append(dead, r.msg)
		} else {
			out = append(out, r.msg)
		}
	}
	if err := kafka.WriteAll(ctx, w.writer, w.log, out...); err != nil {
		return err
	}
	if err := kafka.WriteAll(ctx, w.dlq, w.log, dead...); err != nil {
		return err
	}
	w.metrics.articles.WithLabelValues("enriched").Add(float64(len(out)))
	w.metrics.articles.WithLabelValues("dead_lettered").Add(float64(len(dead)))
	for _, r := range results {
		for _, t := range r.topics {
			w.metrics.topics.WithLabelValues(t).Inc()
		}
		if !r.dead {
			w.metrics.languages.WithLabelValues(r.language).Inc()
		}
		if r.story != "" {
			w.metrics.stories.WithLabelValues(r.story).Inc()
		}
	}
	w.markDone(batch)
	w.metrics.batch.Observe(time.Since(start).Seconds())
	return nil
}

// enrichLanes enriches batch into out with one goroutine per lane; a
// message's lane is the hash of its key, and a lane keeps the batch
// order.
func (w *Worker) enrichLanes(batch []kafkago.Message, out []enriched, now time.Time) {
	lanes := min(w.lanes, len(batch))
	if lanes <= 1 {
		for i, m := range batch {
			out[i] = w.enrich(m, now)
		}
		return
	}
	byLane := make([][]int, lanes)
	for i, m := range batch {
		l := laneOf(m.Key, lanes)
		byLane[l] = append(byLane[l], i)
	}
	var wg sync.WaitGroup
	for _, idx := range byLane {
		if len(idx) == 0 {
			continue
		}
		wg.Go(func() {
			for _, i := range idx {
				out[i] = w.enrich(batch[i], now)
			}
		})
	}
	wg.Wait()
}

// laneOf returns the lane of a message key among n.
func laneOf(key []byte, n int) int {
	h := fnv.New32a()
	h.Write(key)
	return int(h.Sum32() % uint32(n))
}

// enrich decodes and tags one raw message. A panic in a tagger is an
// error of this message, not of the stage.
func (w *Worker) enrich(m kafkago.Message, now time.Time) (out enriched) {
	defer func() {
		if p := recover(); p != nil {
			out.err = fmt.Errorf("enriching: internal error: %v", p)
		}
	}()
	a, err := article.Decode(m.Value)
	if err != nil {
		return enriched{err: err}
	}
	if key := string(m.Key); key != "" && key != a.ID {
		return enriched{err: fmt.Errorf("message key %q differs from article id %q", key, a.ID)}
	}
	return enriched{article: w.enricher.Enrich(*a, now)}
}

// finish gives a tagged article its story and encodes it, or returns the
// dead letter of its message.
func (w *Worker) finish(m kafkago.Message, e enriched) result {
	if e.err == nil {
		a := &e.article
		var outcome string
		if w.stories != nil {
			known := w.stories.Knows(a.ID)
			a.StoryID = w.stories.Assign(a.ID, StoryText(a), a.PublishedAt)
			switch {
			case known:
				outcome = "known"
			case a.StoryID == a.ID:
				outcome = "new"
			default:
				outcome = "joined"
			}
		}
		b, err := article.Encode(a)
		if err == nil && len(b)+len(a.ID)+256 > maxMessageBytes {
			err = fmt.Errorf("enriched article is %d bytes, more than the %d a Kafka message may carry", len(b), maxMessageBytes)
		}
		if err == nil {
			msg := kafka.ArticleMessage(a.ID, b)
			return result{msg: msg, topics: a.TopicIDs(), language: languageLabel(a.Language), story: outcome}
		}
		e.err = err
	}
	w.log.Warn("dead-lettering message", "topic", m.Topic, "partition", m.Partition, "offset", m.Offset, "err", e.err)
	return result{msg: kafka.DeadLetter(m, Stage, e.err), dead: true}
}

// markDone records that every message of batch is durable.
func (w *Worker) markDone(batch []kafkago.Message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range batch {
		if m.Offset+1 > w.done[m.Partition] {
			w.done[m.Partition] = m.Offset + 1
		}
	}
}

// doneOffsets returns, by partition, the offset after the last message
// this worker made durable.
func (w *Worker) doneOffsets() map[int]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make(map[int]int64, len(w.done))
	for p, o := range w.done {
		out[p] = o
	}
	return out
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

// languageLabel bounds the language label of the metrics to the codes
// the detector can give.
func languageLabel(code string) string {
	switch {
	case code == "":
		return "unknown"
	case slices.Contains(lang.Languages, code):
		return code
	}
	return "other"
}
