package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// KafkaSink publishes articles to the raw topic, and feed state and
// health to their compacted topics, keyed by feed URL so they land on the
// partition of the feed in the feeds topic.
type KafkaSink struct {
	articles *kafkago.Writer
	state    *kafkago.Writer
	health   *kafkago.Writer
	log      *slog.Logger

	mu      sync.Mutex
	pending []kafkago.Message // state messages not yet written
	flushMu sync.Mutex
}

// NewKafkaSink returns a sink writing to cfg's topics. Close flushes it.
func NewKafkaSink(cfg *config.Config, log *slog.Logger) *KafkaSink {
	return &KafkaSink{
		articles: kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw),
		state:    kafka.NewWriter(cfg.Kafka, cfg.Topics.FeedState),
		health:   kafka.NewWriter(cfg.Kafka, cfg.Topics.FeedHealth),
		log:      log,
	}
}

// PublishArticles writes arts keyed by id and returns once all in-sync
// replicas acknowledged them, retrying while the broker is away.
func (s *KafkaSink) PublishArticles(ctx context.Context, arts []*article.Article) error {
	if len(arts) == 0 {
		return nil
	}
	msgs := make([]kafkago.Message, 0, len(arts))
	for _, a := range arts {
		clipContent(a)
		b, err := article.Encode(a)
		if err != nil {
			return fmt.Errorf("encoding article %s: %w", a.ID, err)
		}
		msgs = append(msgs, kafka.ArticleMessage(a.ID, b))
	}
	return kafka.WriteAll(ctx, s.articles, s.log, msgs...)
}

// maxContentBytes bounds an article's content so that, enriched, it stays
// well inside the broker's default 1 MiB message limit. Longer texts (a
// whole book in a feed item) keep their first 256 KiB, cut at a word.
const maxContentBytes = 256 << 10

// clipContent cuts a's content to maxContentBytes at a word boundary.
func clipContent(a *article.Article) {
	if len(a.Content) <= maxContentBytes {
		return
	}
	cut := maxContentBytes
	for cut > 0 && !utf8.RuneStart(a.Content[cut]) {
		cut--
	}
	if sp := strings.LastIndexAny(a.Content[:cut], " \n"); sp > cut/2 {
		cut = sp
	}
	a.Content = a.Content[:cut] + " …"
}

// SaveState queues a feed's state; Flush (or the next SaveState past a
// batch's worth) writes it. Articles are always published before the
// state that records them, so a lost state write republishes, never
// loses.
func (s *KafkaSink) SaveState(ctx context.Context, st State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding state of %s: %w", st.URL, err)
	}
	s.mu.Lock()
	s.pending = append(s.pending, kafkago.Message{Key: []byte(st.URL), Value: b})
	full := len(s.pending) >= 500
	s.mu.Unlock()
	if full {
		return s.Flush(ctx)
	}
	return nil
}

// PublishHealth writes a health change at once.
func (s *KafkaSink) PublishHealth(ctx context.Context, e HealthEvent) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return kafka.WriteAll(ctx, s.health, s.log, kafkago.Message{Key: []byte(e.URL), Value: b})
}

// Flush writes the queued states and returns once they are acknowledged.
func (s *KafkaSink) Flush(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	s.mu.Lock()
	batch := s.pending
	s.pending = nil
	s.mu.Unlock()
	if err := kafka.WriteAll(ctx, s.state, s.log, batch...); err != nil {
		return fmt.Errorf("saving %d feed states: %w", len(batch), err)
	}
	return nil
}

// RunFlusher flushes the queued states every interval until ctx is
// done.
func (s *KafkaSink) RunFlusher(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("saving feed states", "err", err)
			}
		}
	}
}

// Close flushes the queued states and closes the writers.
func (s *KafkaSink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ferr := s.Flush(ctx)
	for _, w := range []*kafkago.Writer{s.articles, s.state, s.health} {
		if err := w.Close(); err != nil && ferr == nil {
			ferr = err
		}
	}
	return ferr
}

// MemorySink keeps what a poller produces in memory, for tests and
// benchmarks.
type MemorySink struct {
	mu       sync.Mutex
	Articles []*article.Article
	States   map[string]State
	Health   []HealthEvent
	// KeepArticles false only counts articles.
	KeepArticles bool
	Count        int
}

// NewMemorySink returns an empty sink.
func NewMemorySink(keepArticles bool) *MemorySink {
	return &MemorySink{States: map[string]State{}, KeepArticles: keepArticles}
}

// PublishArticles implements Sink.
func (m *MemorySink) PublishArticles(_ context.Context, arts []*article.Article) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Count += len(arts)
	if m.KeepArticles {
		m.Articles = append(m.Articles, arts...)
	}
	return nil
}

// SaveState implements Sink.
func (m *MemorySink) SaveState(_ context.Context, s State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.States[s.URL] = s
	return nil
}

// PublishHealth implements Sink.
func (m *MemorySink) PublishHealth(_ context.Context, e HealthEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Health = append(m.Health, e)
	return nil
}

// Flush implements Sink.
func (m *MemorySink) Flush(context.Context) error { return nil }
