package kafka_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// pipelineTopic creates a one-partition topic holding n messages.
func pipelineTopic(t *testing.T, n int) *config.Config {
	t.Helper()
	cfg := testenv.Config(t, config.NeedKafka)
	if err := kafka.EnsureTopics(context.Background(), cfg.Kafka.Brokers,
		[]kafka.TopicSpec{{Name: cfg.Topics.Enriched, Partitions: 1, ReplicationFactor: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched)
	defer w.Close()
	msgs := make([]kafkago.Message, n)
	for i := range msgs {
		msgs[i] = kafkago.Message{Key: []byte{byte(i)}, Value: []byte("m")}
	}
	if err := kafka.WriteAll(context.Background(), w, slog.New(slog.NewTextHandler(io.Discard, nil)), msgs...); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func committedOffset(t *testing.T, cfg *config.Config) int64 {
	t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...), Timeout: 10 * time.Second}
	res, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{
		GroupID: cfg.Index.Group, Topics: map[string][]int{cfg.Topics.Enriched: {0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Topics[cfg.Topics.Enriched][0].CommittedOffset
}

func TestConsumePipelinedCommitsInOrder(t *testing.T) {
	cfg := pipelineTopic(t, 40)
	r := kafka.NewReader(cfg.Kafka, cfg.Topics.Enriched, cfg.Index.Group)
	defer r.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	var concurrent, most int
	handle := func(ctx context.Context, batch []kafkago.Message) error {
		mu.Lock()
		concurrent++
		most = max(most, concurrent)
		mu.Unlock()
		defer func() { mu.Lock(); concurrent--; mu.Unlock() }()
		// Earlier batches take longer, so later ones finish first.
		time.Sleep(time.Duration(50-batch[0].Offset) * 2 * time.Millisecond)
		if batch[len(batch)-1].Offset == 39 {
			cancel() // everything handled: stop
		}
		return nil
	}
	opts := kafka.BatchOptions{Max: 5, Linger: 50 * time.Millisecond, Drain: 10 * time.Second}
	if err := kafka.ConsumePipelined(ctx, r, opts, 3, log, handle); err != nil {
		t.Fatal(err)
	}
	if got := committedOffset(t, cfg); got != 40 {
		t.Errorf("committed offset %d after every batch succeeded, want 40", got)
	}
	if most < 2 || most > 3 {
		t.Errorf("at most %d batches were handled at once, want 2 or 3", most)
	}
}

func TestConsumePipelinedStopsAtAFailedBatch(t *testing.T) {
	cfg := pipelineTopic(t, 40)
	r := kafka.NewReader(cfg.Kafka, cfg.Topics.Enriched, cfg.Index.Group)
	defer r.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	broken := errors.New("downstream refused")
	handle := func(ctx context.Context, batch []kafkago.Message) error {
		for _, m := range batch {
			if m.Offset == 17 {
				return broken
			}
		}
		// Later batches succeed quickly; they must not be committed
		// past the failed one.
		return nil
	}
	opts := kafka.BatchOptions{Max: 5, Linger: 50 * time.Millisecond, Drain: 10 * time.Second}
	err := kafka.ConsumePipelined(ctx, r, opts, 3, log, handle)
	if !errors.Is(err, broken) {
		t.Fatalf("ConsumePipelined = %v, want the handler's error", err)
	}
	if got := committedOffset(t, cfg); got > 17 {
		t.Errorf("committed offset %d: offset 17 failed and must be delivered again", got)
	}
}
