package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// StoryTail keeps a story index in step with every enrich replica: it
// reads every partition of the enriched topic (no consumer group) from
// the start of the story window and teaches the index the story of each
// article published there, its own included.
//
// Consistency: replicas assign stories from the same published history,
// so they agree, except for near-duplicates enriched by two replicas
// within the tail's lag of each other (typically well under a second):
// those may start two stories. Any later article joins the earlier of the
// two on every replica (see stories.Index), so a split never spreads.
type StoryTail struct {
	cfg   *config.Config
	index *stories.Index
	log   *slog.Logger
	ready chan struct{}
	once  sync.Once
}

// NewStoryTail returns a tail that feeds idx.
func NewStoryTail(cfg *config.Config, idx *stories.Index, log *slog.Logger) *StoryTail {
	return &StoryTail{cfg: cfg, index: idx, log: log, ready: make(chan struct{})}
}

// Ready is closed once the index holds every article that was on the
// enriched topic when Run started, within the window.
func (t *StoryTail) Ready() <-chan struct{} { return t.ready }

// Close is a no-op: Run closes its readers when it returns.
func (t *StoryTail) Close() error { return nil }

// Run reads the enriched topic until ctx is done.
func (t *StoryTail) Run(ctx context.Context) error {
	topic := t.cfg.Topics.Enriched
	ends, err := retry(ctx, t.log, func() (map[int]int64, error) {
		_, last, err := kafka.TopicBounds(ctx, t.cfg.Kafka.Brokers, topic)
		return last, err
	})
	if err != nil {
		return nil // ctx is done
	}
	since := time.Now().Add(-t.cfg.Enrich.StoryWindow)
	start := time.Now()
	var pending sync.WaitGroup
	pending.Add(len(ends))
	go func() {
		pending.Wait()
		t.log.Info("story window rebuilt", "topic", topic, "articles", t.index.Len(), "took", time.Since(start).Round(time.Millisecond))
		t.once.Do(func() { close(t.ready) })
	}()
	g, gctx := errgroup.WithContext(ctx)
	for p, end := range ends {
		g.Go(func() error { return t.tailPartition(gctx, p, end, since, pending.Done) })
	}
	if err := g.Wait(); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// tailPartition reads partition p from the first message at or after
// since; caughtUp is called once the reader passes end.
func (t *StoryTail) tailPartition(ctx context.Context, p int, end int64, since time.Time, caughtUp func()) error {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   t.cfg.Kafka.Brokers,
		Topic:     t.cfg.Topics.Enriched,
		Partition: p,
		Dialer:    &kafkago.Dialer{ClientID: t.cfg.Kafka.ClientID, Timeout: 10 * time.Second, DualStack: true},
		MinBytes:  1,
		MaxBytes:  16 << 20,
		MaxWait:   250 * time.Millisecond,
	})
	defer r.Close()
	var once sync.Once
	done := func() { once.Do(caughtUp) }
	defer done()
	if err := r.SetOffsetAt(ctx, since); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("seeking partition %d of %s to %s: %w", p, t.cfg.Topics.Enriched, since.Format(time.RFC3339), err)
	}
	if off := r.Offset(); off < 0 || off >= end {
		done()
	}
	// A partition reader without a consumer group: ReadMessage commits
	// nothing, and every start rebuilds the window from the topic.
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading partition %d of %s: %w", p, t.cfg.Topics.Enriched, err)
		}
		if a, err := article.Decode(m.Value); err == nil && a.StoryID != "" {
			t.index.Learn(a.ID, a.StoryID, StoryText(a), a.PublishedAt)
		}
		if m.Offset+1 >= end {
			done()
		}
	}
}

// retry calls f until it succeeds or ctx is done, with capped backoff:
// a topic just created has no leader for a moment, and a broker may be
// restarting.
func retry[T any](ctx context.Context, log *slog.Logger, f func() (T, error)) (T, error) {
	backoff := 100 * time.Millisecond
	for {
		v, err := f()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return v, ctx.Err()
		}
		if backoff >= 2*time.Second {
			log.Warn("reading offsets, will retry", "err", err, "retry_in", backoff)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}
