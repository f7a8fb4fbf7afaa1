package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Ingester is the ingest stage: a poller over the feeds of the
// partitions of the feeds topic that its consumer group assigns to it.
type Ingester struct {
	cfg    *config.Config
	log    *slog.Logger
	sink   *KafkaSink
	poller *Poller
}

// NewClient returns the fetch client that cfg describes.
func NewClient(cfg config.Ingest) (*fetch.Client, error) {
	allow, err := fetch.ParseNetworks(cfg.AllowNetworks)
	if err != nil {
		return nil, fmt.Errorf("NEWSFLOW_INGEST_ALLOW_NETWORKS: %w", err)
	}
	return fetch.New(fetch.Options{
		Timeout:         cfg.FetchTimeout,
		ConnectTimeout:  cfg.ConnectTimeout,
		MaxBytes:        cfg.MaxBodyBytes,
		UserAgent:       cfg.UserAgent,
		Guard:           &fetch.Guard{Allow: allow},
		Politeness:      fetch.NewPoliteness(cfg.DomainConns, cfg.DomainDelay),
		MaxConnsPerHost: max(cfg.DomainConns, 2),
	}), nil
}

// ScheduleOf returns the schedule that cfg describes.
func ScheduleOf(cfg config.Ingest) Schedule {
	// A starting interval outside the bounds widens them: an operator who
	// asks for one-minute polls gets them.
	return Schedule{
		Interval:    cfg.PollInterval,
		Min:         min(cfg.MinInterval, cfg.PollInterval),
		Max:         max(cfg.MaxInterval, cfg.PollInterval),
		MaxBackoff:  max(cfg.MaxBackoff, cfg.PollInterval),
		FirstSpread: cfg.FirstSpread,
	}
}

// New returns the ingest stage of cfg, registering its metrics on reg.
// fullText, when not nil, makes the extractor for full-text feeds from
// the stage's fetch client, so article pages share the feeds' limits,
// politeness and guard (see ingest/fulltext). Close releases its Kafka
// writers.
func New(cfg *config.Config, log *slog.Logger, reg prometheus.Registerer, fullText func(*fetch.Client) FullText) (*Ingester, error) {
	client, err := NewClient(cfg.Ingest)
	if err != nil {
		return nil, err
	}
	sink := NewKafkaSink(cfg, log)
	var ft FullText
	if fullText != nil {
		ft = fullText(client)
	}
	return &Ingester{cfg: cfg, log: log, sink: sink, poller: NewPoller(client, ScheduleOf(cfg.Ingest), sink, ft, log, reg)}, nil
}

// Close flushes feed state and closes the Kafka writers.
func (in *Ingester) Close() error { return in.sink.Close() }

// PollOnce polls feeds once; see Poller.PollOnce.
func (in *Ingester) PollOnce(ctx context.Context, feeds []Feed) (Stats, error) {
	return in.poller.PollOnce(ctx, feeds, in.cfg.Ingest.Concurrency)
}

// Run joins the ingest consumer group on the feeds topic and polls the
// feeds of the partitions it is assigned until ctx is done. On each
// assignment it reads the feeds and their saved state (the same
// partition of the feed-state topic) from the start, so a feed keeps its
// validators and seen items wherever it moves; it follows the feeds
// partitions for changes while it owns them. When a rebalance takes
// partitions away it lets the polls in flight finish and saves their
// state before the group moves on, so no feed is polled by two replicas
// at once.
func (in *Ingester) Run(ctx context.Context) error {
	flushCtx, stopFlush := context.WithCancel(ctx)
	defer stopFlush()
	go in.sink.RunFlusher(flushCtx, time.Second)

	group, err := kafkago.NewConsumerGroup(kafkago.ConsumerGroupConfig{
		ID:                    in.cfg.Ingest.Group,
		Brokers:               in.cfg.Kafka.Brokers,
		Topics:                []string{in.cfg.Topics.Feeds},
		Dialer:                &kafkago.Dialer{ClientID: in.cfg.Kafka.ClientID, Timeout: 10 * time.Second, DualStack: true},
		HeartbeatInterval:     time.Second,
		SessionTimeout:        10 * time.Second,
		RebalanceTimeout:      in.cfg.Ingest.FetchTimeout + 30*time.Second,
		JoinGroupBackoff:      time.Second,
		WatchPartitionChanges: true,
		StartOffset:           kafkago.FirstOffset,
		Timeout:               10 * time.Second,
		ErrorLogger:           kafkago.LoggerFunc(func(msg string, args ...any) { in.log.Debug(fmt.Sprintf(msg, args...)) }),
	})
	if err != nil {
		return fmt.Errorf("joining consumer group %s: %w", in.cfg.Ingest.Group, err)
	}
	defer group.Close()
	backoff := time.Second
	for {
		gen, err := group.Next(ctx)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, kafkago.ErrGroupClosed) {
				return nil
			}
			in.log.Warn("joining consumer group", "group", in.cfg.Ingest.Group, "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		backoff = time.Second
		var parts []int
		for _, a := range gen.Assignments[in.cfg.Topics.Feeds] {
			parts = append(parts, a.ID)
		}
		in.log.Info("feeds assigned", "generation", gen.ID, "partitions", parts)
		done := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(done)
			if err := in.own(gctx, parts); err != nil && gctx.Err() == nil {
				in.log.Error("polling assigned feeds", "partitions", parts, "err", err)
			}
		})
		select {
		case <-done:
		case <-ctx.Done():
			// Closing the group ends the generation, whose polls then
			// finish and save their state before the group is left.
			group.Close()
			<-done
			return nil
		}
	}
}

// own polls the feeds of partitions until ctx ends (the generation is
// over), then saves their state.
func (in *Ingester) own(ctx context.Context, parts []int) error {
	defer func() {
		// Until the next assignment this replica owns nothing.
		in.poller.metrics.owned.Set(0)
		in.poller.metrics.failing.Set(0)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := in.sink.Flush(fctx); err != nil {
			in.log.Warn("saving feed states", "err", err)
		}
	}()
	if len(parts) == 0 {
		<-ctx.Done()
		return nil
	}
	sched := newScheduler(in.poller, in.cfg.Ingest.Concurrency)
	sched.drain = in.cfg.Ingest.FetchTimeout + 10*time.Second
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, p := range parts {
		states := map[string]*State{}
		if _, err := readPartition(ctx, in.cfg.Kafka, in.cfg.Topics.FeedState, p, 0, func(m kafkago.Message) {
			if m.Value == nil {
				delete(states, string(m.Key))
				return
			}
			st, err := DecodeState(m.Value)
			if err != nil {
				in.log.Warn("skipping feed state", "partition", p, "offset", m.Offset, "err", err)
				return
			}
			states[st.URL] = &st
		}); err != nil {
			return err
		}
		now := in.poller.now()
		apply := func(m kafkago.Message) {
			if m.Value == nil {
				sched.remove(string(m.Key))
				return
			}
			f, err := DecodeFeed(m.Value)
			if err != nil {
				in.log.Warn("skipping feed", "partition", p, "offset", m.Offset, "err", err)
				return
			}
			sched.upsert(f, states[f.URL], now)
		}
		next, err := readPartition(ctx, in.cfg.Kafka, in.cfg.Topics.Feeds, p, 0, apply)
		if err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			in.follow(ctx, p, next, sched)
		}()
	}
	in.log.Info("polling feeds", "feeds", sched.len(), "partitions", parts)
	return sched.run(ctx)
}

// follow applies changes to the feeds of partition p from offset on.
func (in *Ingester) follow(ctx context.Context, p int, offset int64, sched *scheduler) {
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   in.cfg.Kafka.Brokers,
		Topic:     in.cfg.Topics.Feeds,
		Partition: p,
		MinBytes:  1,
		MaxBytes:  4 << 20,
		MaxWait:   time.Second,
		Dialer:    &kafkago.Dialer{ClientID: in.cfg.Kafka.ClientID, Timeout: 10 * time.Second},
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		in.log.Warn("following feeds", "partition", p, "err", err)
		return
	}
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			if ctx.Err() == nil {
				in.log.Warn("following feeds", "partition", p, "err", err)
			}
			return
		}
		if m.Value == nil {
			sched.remove(string(m.Key))
			continue
		}
		f, err := DecodeFeed(m.Value)
		if err != nil {
			in.log.Warn("skipping feed", "partition", p, "offset", m.Offset, "err", err)
			continue
		}
		sched.upsert(f, nil, in.poller.now())
	}
}

// readPartition hands every message of topic's partition p from offset
// up to its end at the time of the call to fn, and returns the offset
// after the last one.
func readPartition(ctx context.Context, cfg config.Kafka, topic string, p int, offset int64, fn func(kafkago.Message)) (int64, error) {
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: 10 * time.Second}
	res, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{
		topic: {kafkago.FirstOffsetOf(p), kafkago.LastOffsetOf(p)},
	}})
	if err != nil {
		return 0, fmt.Errorf("listing offsets of %s/%d: %w", topic, p, err)
	}
	var first, last int64 = -1, -1
	for _, po := range res.Topics[topic] {
		if po.Partition != p {
			continue
		}
		if po.Error != nil {
			return 0, fmt.Errorf("listing offsets of %s/%d: %w", topic, p, po.Error)
		}
		first, last = po.FirstOffset, po.LastOffset
	}
	if first < 0 || last < 0 {
		return 0, fmt.Errorf("listing offsets of %s/%d: partition not found", topic, p)
	}
	offset = max(offset, first)
	if offset >= last {
		return last, nil
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{
		Brokers:   cfg.Brokers,
		Topic:     topic,
		Partition: p,
		MinBytes:  1,
		MaxBytes:  8 << 20,
		MaxWait:   250 * time.Millisecond,
		Dialer:    &kafkago.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second},
	})
	defer r.Close()
	if err := r.SetOffset(offset); err != nil {
		return 0, err
	}
	for {
		// The end offset was measured before reading; should the messages
		// before it be gone (a compaction in between), a quiet partition
		// ends the read instead of blocking it.
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		m, err := r.ReadMessage(rctx)
		cancel()
		if err != nil {
			if errors.Is(err, io.EOF) || (rctx.Err() != nil && ctx.Err() == nil) {
				break
			}
			return 0, fmt.Errorf("reading %s/%d: %w", topic, p, err)
		}
		fn(m)
		if m.Offset >= last-1 {
			break
		}
	}
	return last, nil
}

// ReadTopic hands every message of every partition of topic, up to its
// end at the time of the call, to fn.
func ReadTopic(ctx context.Context, cfg config.Kafka, topic string, fn func(kafkago.Message)) error {
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Brokers...), Timeout: 10 * time.Second}
	md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return fmt.Errorf("reading metadata of %s: %w", topic, err)
	}
	for _, t := range md.Topics {
		if t.Error != nil {
			return fmt.Errorf("topic %s: %w", topic, t.Error)
		}
		for _, p := range t.Partitions {
			if _, err := readPartition(ctx, cfg, topic, p.ID, 0, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// EncodeFeed is the value of a feeds-topic message; its key is the URL.
func EncodeFeed(f Feed) ([]byte, error) { return json.Marshal(f) }

// DecodeFeed reads a feeds-topic message value and checks it as a feed
// list entry.
func DecodeFeed(b []byte) (Feed, error) {
	var f Feed
	if err := json.Unmarshal(b, &f); err != nil {
		return Feed{}, fmt.Errorf("decoding feed: %w", err)
	}
	if err := checkFeed(&f); err != nil {
		return Feed{}, fmt.Errorf("decoding feed: %w", err)
	}
	return f, nil
}

// Import publishes feeds to the feeds topic, keyed by URL, and, when
// replace is set, deletes (with tombstones) the feeds of the topic that
// are not in the list. It returns how many it deleted.
func Import(ctx context.Context, cfg *config.Config, feeds []Feed, replace bool) (deleted int, err error) {
	in := map[string]bool{}
	msgs := make([]kafkago.Message, 0, len(feeds))
	for _, f := range feeds {
		in[f.URL] = true
		b, err := EncodeFeed(f)
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, kafkago.Message{Key: []byte(f.URL), Value: b})
	}
	if replace {
		current := map[string]bool{}
		if err := ReadTopic(ctx, cfg.Kafka, cfg.Topics.Feeds, func(m kafkago.Message) {
			current[string(m.Key)] = m.Value != nil
		}); err != nil {
			return 0, err
		}
		for url, live := range current {
			if live && !in[url] {
				msgs = append(msgs, kafkago.Message{Key: []byte(url), Value: nil})
				deleted++
			}
		}
	}
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Feeds)
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		return 0, fmt.Errorf("publishing %d feeds to %s: %w", len(msgs), cfg.Topics.Feeds, err)
	}
	return deleted, nil
}
