package enrich

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// fakeKafka starts an in-process Kafka with the pipeline's topics.
func fakeKafka(t *testing.T) *config.Config {
	t.Helper()
	cfg := config.Default()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, cfg.Topics.Raw, cfg.Topics.Enriched, cfg.Topics.DLQ))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cfg.Kafka.Brokers = c.ListenAddrs()
	return cfg
}

func rawMessage(t *testing.T, i int, title, text string) kafkago.Message {
	t.Helper()
	a := &article.Article{
		ID: fmt.Sprintf("%032x", i), Title: title, Content: text,
		PublishedAt: time.Now().UTC(), FetchedAt: time.Now().UTC(),
		Feed: article.Feed{URL: "https://example.com/feed"},
	}
	b, err := article.Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	return kafkago.Message{Key: []byte(a.ID), Value: b}
}

// drain reads n messages of topic with a group of its own.
func drain(t *testing.T, cfg *config.Config, topic string, n int) []kafkago.Message {
	t.Helper()
	r := kafka.NewReader(cfg.Kafka, topic, topic+"-reader")
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out []kafkago.Message
	for len(out) < n {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			t.Fatalf("read %d of %d messages from %s: %v", len(out), n, topic, err)
		}
		out = append(out, m)
	}
	return out
}

func TestWorkerEnrichesAndDeadLetters(t *testing.T) {
	cfg := fakeKafka(t)
	tax, err := topics.Load("../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	in := []kafkago.Message{
		rawMessage(t, 1, "Aid convoy reaches besieged Aleppo", "A UN humanitarian aid convoy reached besieged eastern Aleppo in Syria. The Syrian Red Crescent said the humanitarian aid was the first in months. Syria's government had blocked aid."),
		{Key: []byte("garbage"), Value: []byte("<rss>not an article</rss>")},
		rawMessage(t, 2, "Markets rise", "Asian shares rose on Monday."),
	}
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw)
	if err := w.WriteMessages(ctx, in...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	en := New(Taggers{Language: testLang, Topics: TaxonomyTopics(topics.New(tax))})
	worker := NewWorker(cfg, en, WorkerOptions{Group: cfg.Enrich.Group}, log, prometheus.NewRegistry())
	done := make(chan error, 1)
	go func() { done <- worker.Run(ctx) }()

	out := drain(t, cfg, cfg.Topics.Enriched, 2)
	dead := drain(t, cfg, cfg.Topics.DLQ, 1)

	byID := map[string]*article.Article{}
	for _, m := range out {
		a, err := article.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Key) != a.ID {
			t.Errorf("enriched message key %q is not the article id %q", m.Key, a.ID)
		}
		if err := article.ValidateEnriched(m.Value); err != nil {
			t.Error(err)
		}
		byID[a.ID] = a
	}
	aid := byID[fmt.Sprintf("%032x", 1)]
	if aid == nil || !slices.Contains(aid.TopicIDs(), "humanitarian-aid") || !slices.Contains(aid.TopicIDs(), "syria") {
		t.Errorf("aid convoy story tagged %v, want syria and humanitarian-aid", aid.TopicIDs())
	}
	if markets := byID[fmt.Sprintf("%032x", 2)]; markets == nil || len(markets.Topics) != 0 {
		t.Errorf("markets story tagged %+v, want no topic", markets)
	}
	if got := kafka.Header(dead[0], kafka.HeaderStage); got != Stage {
		t.Errorf("dead letter stage header = %q", got)
	}
	if got := kafka.Header(dead[0], kafka.HeaderOriginTopic); got != cfg.Topics.Raw {
		t.Errorf("dead letter origin topic = %q", got)
	}
	if kafka.Header(dead[0], kafka.HeaderError) == "" || string(dead[0].Value) != "<rss>not an article</rss>" {
		t.Errorf("dead letter lost its reason or payload: %+v", dead[0])
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v on shutdown", err)
	}
	worker.Close()

	// Offsets were committed: the group's lag on the raw topic is zero.
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...)}
	committed, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{GroupID: cfg.Enrich.Group, Topics: map[string][]int{cfg.Topics.Raw: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, p := range committed.Topics[cfg.Topics.Raw] {
		if p.CommittedOffset > 0 {
			total += p.CommittedOffset
		}
	}
	if total != int64(len(in)) {
		t.Errorf("committed offsets sum to %d, want %d (every message done)", total, len(in))
	}
}

// TestOversizedArticleIsDeadLettered checks an article whose enriched
// record is larger than a Kafka message may be goes to the dead-letter
// topic with the reason, instead of blocking its partition.
func TestOversizedArticleIsDeadLettered(t *testing.T) {
	w := &Worker{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	raw := kafkago.Message{Topic: "raw", Key: []byte("a"), Value: []byte(`{}`)}
	big := article.Article{ID: "a", Title: "Big", Content: strings.Repeat("word ", maxMessageBytes/5+1)}
	r := w.finish(raw, enriched{article: big})
	if !r.dead || !strings.Contains(kafka.Header(r.msg, kafka.HeaderError), "more than") {
		t.Fatalf("oversized article: dead=%v, reason %q", r.dead, kafka.Header(r.msg, kafka.HeaderError))
	}
	small := article.Article{ID: "b", Title: "Small", Content: "word"}
	if r := w.finish(raw, enriched{article: small}); r.dead {
		t.Fatalf("small article dead-lettered: %q", kafka.Header(r.msg, kafka.HeaderError))
	}
}
