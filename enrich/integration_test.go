package enrich

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/enrich/lang"
	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/enrich/topics"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// testLang is shared by the tests of this package: its models take a
// second to load.
var testLang = lang.New()

// brokerConfig returns a configuration on the test broker with topics of
// its own, created.
func brokerConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := testenv.Config(t, config.NeedKafka)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func testEnricher(t *testing.T) *Enricher {
	t.Helper()
	tax, err := topics.Load("../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return New(Taggers{Language: testLang, Topics: TaxonomyTopics(topics.New(tax))})
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func publishRaw(t *testing.T, cfg *config.Config, msgs ...kafkago.Message) {
	t.Helper()
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw)
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// readAll reads n messages of topic from the start of every partition.
func readAll(t *testing.T, cfg *config.Config, topic string, n int) []kafkago.Message {
	t.Helper()
	return drain(t, cfg, topic, n)
}

// TestWorkerOnBroker runs the worker on the real broker with several
// lanes and small batches: versions of one article stay in order, a bad
// message is dead-lettered with its reason while the partition moves on,
// and every offset is committed.
func TestWorkerOnBroker(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.Enrich.Workers = 4
	cfg.Enrich.BatchSize = 7
	const keys, versions = 5, 12
	var in []kafkago.Message
	for v := range versions {
		for k := range keys {
			m := rawMessage(t, k, fmt.Sprintf("Version %d of story %d", v, k), fmt.Sprintf("The text of version %d of story %d, with enough words to read as English prose.", v, k))
			in = append(in, m)
		}
		if v == versions/2 {
			in = append(in, kafkago.Message{Key: []byte("bad"), Value: []byte(`{"schema_version":1,"id":`)})
		}
	}
	publishRaw(t, cfg, in...)

	w := NewWorker(cfg, testEnricher(t), WorkerOptions{Group: cfg.Enrich.Group, Stories: stories.NewIndex(cfg.Enrich.StoryWindow, 1000)}, quiet(), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	out := readAll(t, cfg, cfg.Topics.Enriched, keys*versions)
	dead := readAll(t, cfg, cfg.Topics.DLQ, 1)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	w.Close()

	next := map[string]int{}
	for _, m := range out {
		a, err := article.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		var v, k int
		if _, err := fmt.Sscanf(a.Title, "Version %d of story %d", &v, &k); err != nil {
			t.Fatalf("unexpected title %q", a.Title)
		}
		if v != next[a.ID] {
			t.Errorf("article %s: version %d published after version %d", a.ID, v, next[a.ID]-1)
		}
		next[a.ID] = v + 1
		if a.Language != "en" || a.EnrichVersion != w.enricher.Version() || a.StoryID != a.ID {
			t.Errorf("article %s: language %q, version %q, story %q", a.ID, a.Language, a.EnrichVersion, a.StoryID)
		}
	}
	if got := testutil.ToFloat64(w.metrics.languages.WithLabelValues("en")); got != keys*versions {
		t.Errorf("languages{en} = %v, want %d", got, keys*versions)
	}
	if n, k := testutil.ToFloat64(w.metrics.stories.WithLabelValues("new")), testutil.ToFloat64(w.metrics.stories.WithLabelValues("known")); n != keys || k != keys*(versions-1) {
		t.Errorf("stories new %v, known %v; want %d and %d", n, k, keys, keys*(versions-1))
	}
	if reason := kafka.Header(dead[0], kafka.HeaderError); !strings.Contains(reason, "JSON") && !strings.Contains(reason, "json") && !strings.Contains(reason, "decod") {
		t.Errorf("dead letter reason %q does not say what was wrong", reason)
	}

	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...)}
	committed, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{GroupID: cfg.Enrich.Group, Topics: map[string][]int{cfg.Topics.Raw: {0, 1, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, p := range committed.Topics[cfg.Topics.Raw] {
		total += max(0, p.CommittedOffset)
	}
	if total != int64(len(in)) {
		t.Errorf("committed offsets sum to %d, want %d", total, len(in))
	}
}

// TestReplayOnBroker enriches a topic, then replays it under a new group
// with a story index rebuilt from the enriched topic: every article is
// published again, with the story it had, and near-duplicates share one.
func TestReplayOnBroker(t *testing.T) {
	cfg := brokerConfig(t)
	en := testEnricher(t)
	b, err := os.ReadFile("../testdata/articles/article-albawaba-sweden-drops-assange-investigation.txt")
	if err != nil {
		t.Fatal(err)
	}
	body := string(b)
	in := []kafkago.Message{
		rawMessage(t, 1, "Sweden drops Assange investigation", body),
		rawMessage(t, 2, "Sweden drops rape inquiry into Julian Assange", "STOCKHOLM (AP) — "+body+"\nCopyright 2019 The Associated Press. All rights reserved."),
		rawMessage(t, 3, "Markets rise", "Asian shares rose on Monday as investors bet that the United States and China would sign an interim trade deal before the end of the year."),
	}
	publishRaw(t, cfg, in...)

	run := func(group string) (Progress, []Progress) {
		idx := stories.NewIndex(cfg.Enrich.StoryWindow, 1000)
		tail := NewStoryTail(cfg, idx, quiet())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := tail.Run(ctx); err != nil {
				t.Error(err)
			}
		})
		defer wg.Wait()
		w := NewWorker(cfg, en, WorkerOptions{Group: group, Stories: idx, StoriesReady: tail.Ready()}, quiet(), prometheus.NewRegistry())
		defer w.Close()
		var reports []Progress
		rctx, rcancel := context.WithTimeout(ctx, time.Minute)
		defer rcancel()
		if err := w.Replay(rctx, 200*time.Millisecond, func(p Progress) { reports = append(reports, p) }); err != nil {
			t.Fatal(err)
		}
		defer cancel()
		return reports[len(reports)-1], reports
	}
	first, _ := run(cfg.Enrich.Group)
	if !first.Finished || first.Done != 3 || first.Total != 3 {
		t.Fatalf("first run ended at %+v", first)
	}
	last, reports := run(ReplayGroup(cfg.Enrich.Group, en.Version()))
	if !last.Finished || last.Done != 3 || last.Total != 3 {
		t.Fatalf("replay ended at %+v (%d reports)", last, len(reports))
	}

	out := readAll(t, cfg, cfg.Topics.Enriched, 6)
	story := map[string][]string{}
	for _, m := range out {
		a, err := article.Decode(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		story[a.ID] = append(story[a.ID], a.StoryID)
	}
	id := func(i int) string { return fmt.Sprintf("%032x", i) }
	for i := 1; i <= 3; i++ {
		if s := story[id(i)]; len(s) != 2 || s[0] != s[1] {
			t.Errorf("article %d published with stories %v, want twice the same", i, s)
		}
	}
	if story[id(2)][0] != id(1) || story[id(3)][0] != id(3) {
		t.Errorf("stories %v: want the republication in the first story, the other on its own", story)
	}
}
