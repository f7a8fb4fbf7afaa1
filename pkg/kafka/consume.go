package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	kafka "github.com/segmentio/kafka-go"
)

// BatchOptions shape the batches Consume hands out.
type BatchOptions struct {
	Max    int           // most messages in a batch
	Linger time.Duration // longest wait for a batch to fill after its first message
	// MaxBytes closes a batch once its message values reach this size;
	// zero leaves batches bounded by Max alone.
	MaxBytes int64
	// Drain is how long the batch in hand may take to finish and commit
	// after ctx is done.
	Drain time.Duration
}

// Handler does the work of a batch. It returns nil only when the work of
// every message is durable (published, indexed or dead-lettered); its
// context ends Drain after shutdown begins.
type Handler func(ctx context.Context, batch []kafka.Message) error

// Consume fetches batches from r, hands each to handle and commits its
// offsets only after handle returned nil, until ctx is done. A batch in
// hand when ctx ends still finishes and commits within opts.Drain. It
// returns nil on shutdown and the handler's error otherwise, with the
// batch uncommitted, so its messages are delivered again.
func Consume(ctx context.Context, r *kafka.Reader, opts BatchOptions, log *slog.Logger, handle Handler) error {
	backoff := 100 * time.Millisecond
	for {
		batch, err := fetchBatch(ctx, r, opts.Max, opts.MaxBytes, opts.Linger)
		if len(batch) == 0 {
			if ctx.Err() != nil || IsClosed(err) {
				return nil
			}
			// The reader retries broker errors itself; an error here is
			// one it gave up on, such as a lost coordinator.
			log.Warn("fetching messages", "topic", r.Config().Topic, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond

		workCtx, cancel := drainContext(ctx, opts.Drain)
		err = handle(workCtx, batch)
		if err == nil {
			if cerr := r.CommitMessages(workCtx, batch...); cerr != nil {
				// Typically a rebalance took the partitions away; their
				// new owner delivers the batch again, which every stage
				// tolerates (the index is idempotent by article id).
				log.Warn("committing offsets", "topic", r.Config().Topic, "messages", len(batch), "err", cerr)
			}
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				// Shutting down: what was not committed is delivered again.
				log.Warn("batch left uncommitted at shutdown", "topic", r.Config().Topic, "messages", len(batch), "err", err)
				return nil
			}
			return fmt.Errorf("processing %d messages from %s: %w", len(batch), r.Config().Topic, err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// drainContext returns a context that ends drain after parent does.
func drainContext(parent context.Context, drain time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	stop := context.AfterFunc(parent, func() {
		t := time.NewTimer(drain)
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
		}
	})
	return ctx, func() { stop(); cancel() }
}
