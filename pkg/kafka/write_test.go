package kafka_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/kafka"
)

// A message over the size limit fails at once with a clear error instead
// of being retried forever, and messages that together exceed one record
// batch are written in several.
func TestWriteAllSizeLimits(t *testing.T) {
	cfg := pipelineTopic(t, 0)
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched)
	defer w.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// Incompressible values, so compression cannot hide their size.
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return b
	}
	many := make([]kafkago.Message, 8)
	for i := range many {
		many[i] = kafkago.Message{Key: []byte{byte(i)}, Value: random(300_000 + i)}
	}
	if err := kafka.WriteAll(ctx, w, log, many...); err != nil {
		t.Fatalf("eight 300 kB messages: %v", err)
	}

	err := kafka.WriteAll(ctx, w, log, kafkago.Message{Key: []byte("big"), Value: bytes.Repeat(random(1000), 2100)})
	if err == nil || !strings.Contains(err.Error(), "size limit") {
		t.Fatalf("a 2.1 MB message: err = %v, want a size-limit error", err)
	}
	if ctx.Err() != nil {
		t.Fatal("WriteAll retried an oversized message until the deadline")
	}
}
