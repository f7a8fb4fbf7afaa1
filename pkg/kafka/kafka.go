// Package kafka builds the Kafka readers and writers every stage uses, so
// that delivery settings (acknowledgement by all in-sync replicas, explicit
// commits, key hashing compatible with the Java client) are decided once.
package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
)

// Header names on newsflow messages.
const (
	HeaderContentType   = "content-type"
	HeaderSchemaVersion = "schema-version"
	HeaderError         = "error"
	HeaderStage         = "stage"
	HeaderOriginTopic   = "origin-topic"
	HeaderOriginPart    = "origin-partition"
	HeaderOriginOffset  = "origin-offset"
)

// NewWriter returns a writer to topic that waits for acknowledgement by all
// in-sync replicas. Messages are spread by a murmur2 hash of the key, the
// Java client's partitioner, so every producer of a topic agrees on where a
// key lives. WriteMessages blocks until the whole slice is acknowledged;
// callers pass slices, since one message per call is slow.
func NewWriter(cfg config.Kafka, topic string) *kafka.Writer {
	return &kafka.Writer{
		Addr:            kafka.TCP(cfg.Brokers...),
		Topic:           topic,
		Balancer:        &kafka.Murmur2Balancer{},
		RequiredAcks:    kafka.RequireAll,
		MaxAttempts:     5,
		WriteBackoffMin: 100 * time.Millisecond,
		WriteBackoffMax: 2 * time.Second,
		BatchSize:       1000,
		// Below the broker's default message.max.bytes (1 MiB): a larger
		// record batch is refused, and retrying it would never succeed.
		BatchBytes:             1_000_000,
		BatchTimeout:           5 * time.Millisecond,
		WriteTimeout:           cfg.WriteTimeout,
		Compression:            kafka.Snappy,
		AllowAutoTopicCreation: false,
		Transport: &kafka.Transport{
			ClientID:    cfg.ClientID,
			DialTimeout: 10 * time.Second,
			IdleTimeout: 5 * time.Minute,
			MetadataTTL: 30 * time.Second,
		},
	}
}

// NewReader returns a consumer-group reader of topic. Offsets are never
// committed implicitly: callers FetchMessage, finish the work, then
// CommitMessages. A group without committed offsets starts at the oldest
// message, so a new group replays the whole topic.
func NewReader(cfg config.Kafka, topic, group string) *kafka.Reader {
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:               cfg.Brokers,
		GroupID:               group,
		Topic:                 topic,
		Dialer:                &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		MinBytes:              1,
		MaxBytes:              16 << 20,
		MaxWait:               250 * time.Millisecond,
		ReadBatchTimeout:      10 * time.Second,
		CommitInterval:        0,
		StartOffset:           kafka.FirstOffset,
		HeartbeatInterval:     3 * time.Second,
		SessionTimeout:        30 * time.Second,
		RebalanceTimeout:      30 * time.Second,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		ReadBackoffMin:        100 * time.Millisecond,
		ReadBackoffMax:        time.Second,
		MaxAttempts:           3,
	})
}

// FetchBatch returns up to max messages: it blocks until the first message
// arrives (or ctx is done), then takes what arrives within linger. The
// messages are not committed.
func FetchBatch(ctx context.Context, r *kafka.Reader, max int, linger time.Duration) ([]kafka.Message, error) {
	return fetchBatch(ctx, r, max, 0, linger)
}

// fetchBatch is FetchBatch that also stops once the values of the batch
// add up to maxBytes, when maxBytes is positive.
func fetchBatch(ctx context.Context, r *kafka.Reader, max int, maxBytes int64, linger time.Duration) ([]kafka.Message, error) {
	first, err := r.FetchMessage(ctx)
	if err != nil {
		return nil, err
	}
	batch := []kafka.Message{first}
	size := int64(len(first.Value))
	lctx, cancel := context.WithTimeout(ctx, linger)
	defer cancel()
	for len(batch) < max && (maxBytes <= 0 || size < maxBytes) {
		m, err := r.FetchMessage(lctx)
		if err != nil {
			if lctx.Err() != nil && ctx.Err() == nil {
				break // linger over: the batch is what arrived
			}
			if ctx.Err() != nil {
				// Shutting down: the caller still owns and processes what
				// it has, and commits it.
				break
			}
			return batch, err
		}
		batch = append(batch, m)
		size += int64(len(m.Value))
	}
	return batch, nil
}

// ArticleMessage returns the message that carries an encoded article:
// keyed by the article's id, with its content type and schema version.
func ArticleMessage(id string, value []byte) kafka.Message {
	return kafka.Message{Key: []byte(id), Value: value, Headers: []kafka.Header{
		{Key: HeaderContentType, Value: []byte("application/json")},
		{Key: HeaderSchemaVersion, Value: []byte(article.SchemaVersionHeader())},
	}}
}

// DeadLetter returns the message to publish on the dead-letter topic for
// m, which stage could not process because of cause. It keeps m's key,
// value and headers and adds the error, the stage and m's origin.
func DeadLetter(m kafka.Message, stage string, cause error) kafka.Message {
	headers := make([]kafka.Header, 0, len(m.Headers)+5)
	for _, h := range m.Headers {
		switch h.Key {
		case HeaderError, HeaderStage, HeaderOriginTopic, HeaderOriginPart, HeaderOriginOffset:
			continue // a re-dead-lettered message gets the newest reason
		}
		headers = append(headers, h)
	}
	reason := cause.Error()
	if len(reason) > 4096 {
		reason = reason[:4096]
	}
	headers = append(headers,
		kafka.Header{Key: HeaderError, Value: []byte(reason)},
		kafka.Header{Key: HeaderStage, Value: []byte(stage)},
		kafka.Header{Key: HeaderOriginTopic, Value: []byte(m.Topic)},
		kafka.Header{Key: HeaderOriginPart, Value: []byte(fmt.Sprint(m.Partition))},
		kafka.Header{Key: HeaderOriginOffset, Value: []byte(fmt.Sprint(m.Offset))},
	)
	return kafka.Message{Key: m.Key, Value: m.Value, Headers: headers}
}

// Header returns the value of the first header named key, or "".
func Header(m kafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// IsClosed reports whether err means the reader or writer was closed or
// the context ended, which is how a stage stops, not a failure.
func IsClosed(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, kafka.ErrGroupClosed)
}

// WriteAll writes msgs with w and retries with capped backoff until every
// message is acknowledged or ctx is done. While the broker is away the
// caller blocks here, which is what stops a stage from consuming more than
// it can publish.
func WriteAll(ctx context.Context, w *kafka.Writer, log interface {
	Warn(msg string, args ...any)
}, msgs ...kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	backoff := 200 * time.Millisecond
	for {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return nil
		}
		if tooLarge(err) {
			return fmt.Errorf("publishing %d messages to %s: %w (a message exceeds the writer's or the broker's size limit; retrying cannot help)", len(msgs), w.Topic, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("publishing %d messages to %s: %w", len(msgs), w.Topic, err)
		}
		log.Warn("publishing messages, will retry", "topic", w.Topic, "messages", len(msgs), "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return fmt.Errorf("publishing %d messages to %s: %w", len(msgs), w.Topic, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// tooLarge reports whether err says a message is over a size limit, a
// failure that no retry can mend.
func tooLarge(err error) bool {
	var big kafka.MessageTooLargeError
	if errors.As(err, &big) || errors.Is(err, kafka.MessageSizeTooLarge) {
		return true
	}
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil && tooLarge(e) {
				return true
			}
		}
	}
	return false
}
