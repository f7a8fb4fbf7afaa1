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

// ConsumePipelined is Consume with up to inFlight batches handled at
// once: while one batch waits on its downstream write, the next is
// fetched and handled. Offsets are still committed in fetch order, each
// batch only after it and every batch before it succeeded, so a crash
// never skips an unfinished message. At most inFlight batches are held,
// which bounds memory and stops consumption while the downstream is
// away. inFlight below 2 is Consume.
func ConsumePipelined(ctx context.Context, r *kafka.Reader, opts BatchOptions, inFlight int, log *slog.Logger, handle Handler) error {
	if inFlight < 2 {
		return Consume(ctx, r, opts, log, handle)
	}
	type job struct {
		batch []kafka.Message
		done  chan error
	}
	// workCtx outlives ctx by opts.Drain, so batches in hand finish and
	// commit at shutdown; stopWork ends them early when one fails.
	workCtx, stopWork := drainContext(ctx, opts.Drain)
	defer stopWork()
	// Fetching stops at shutdown and as soon as a batch failed.
	fetchCtx, stopFetch := context.WithCancel(ctx)
	defer stopFetch()
	defer context.AfterFunc(workCtx, stopFetch)()
	// One batch waits on the committer, one on this channel's sender,
	// and inFlight-2 in the channel: inFlight in all.
	jobs := make(chan *job, inFlight-2)
	fetchErr := make(chan error, 1)
	go func() {
		defer close(jobs)
		backoff := 100 * time.Millisecond
		for {
			batch, err := fetchBatch(fetchCtx, r, opts.Max, opts.MaxBytes, opts.Linger)
			if len(batch) == 0 {
				if fetchCtx.Err() != nil || IsClosed(err) {
					fetchErr <- nil
					return
				}
				log.Warn("fetching messages", "topic", r.Config().Topic, "err", err)
				select {
				case <-fetchCtx.Done():
					fetchErr <- nil
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 10*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			j := &job{batch: batch, done: make(chan error, 1)}
			go func() { j.done <- handle(workCtx, j.batch) }()
			select {
			case jobs <- j:
			case <-workCtx.Done():
				// A batch failed: nothing more is committed; the
				// handler of j sees workCtx end and returns.
				<-j.done
				fetchErr <- nil
				return
			}
			if fetchCtx.Err() != nil {
				fetchErr <- nil
				return
			}
		}
	}()
	var failed error
	for j := range jobs {
		err := <-j.done
		if failed != nil {
			continue // drain: later batches are not committed either
		}
		if err != nil {
			failed = err
			stopWork()
			continue
		}
		if cerr := r.CommitMessages(workCtx, j.batch...); cerr != nil {
			log.Warn("committing offsets", "topic", r.Config().Topic, "messages", len(j.batch), "err", cerr)
		}
	}
	<-fetchErr
	if failed != nil {
		if ctx.Err() != nil {
			log.Warn("batches left uncommitted at shutdown", "topic", r.Config().Topic, "err", failed)
			return nil
		}
		return fmt.Errorf("processing messages from %s: %w", r.Config().Topic, failed)
	}
	return nil
}
