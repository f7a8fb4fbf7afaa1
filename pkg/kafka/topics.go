package kafka

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/config"
)

// TopicSpec describes a topic that setup creates.
type TopicSpec struct {
	Name              string
	Partitions        int
	ReplicationFactor int
	Compacted         bool
	// Retention of a non-compacted topic; zero keeps the broker default.
	Retention time.Duration
}

// Specs returns the topics of the pipeline as cfg names and sizes them.
// The feed list and its state and health topics share one partition count
// and are compacted, keyed by feed URL, so the owner of partition p of one
// owns partition p of the others.
func Specs(cfg *config.Config) []TopicSpec {
	p, rf := cfg.Kafka.Partitions, cfg.Kafka.ReplicationFactor
	week := 7 * 24 * time.Hour
	return []TopicSpec{
		{Name: cfg.Topics.Feeds, Partitions: p, ReplicationFactor: rf, Compacted: true},
		{Name: cfg.Topics.FeedState, Partitions: p, ReplicationFactor: rf, Compacted: true},
		{Name: cfg.Topics.FeedHealth, Partitions: p, ReplicationFactor: rf, Compacted: true},
		{Name: cfg.Topics.Raw, Partitions: p, ReplicationFactor: rf, Retention: week},
		{Name: cfg.Topics.Enriched, Partitions: p, ReplicationFactor: rf, Retention: 4 * week},
		{Name: cfg.Topics.DLQ, Partitions: p, ReplicationFactor: rf, Retention: 4 * week},
	}
}

// EnsureTopics creates the topics that do not exist yet and leaves the
// others as they are, so it can run at every start. It reports existing
// topics whose partition count differs from the spec through mismatch
// (which may be nil), since Kafka cannot shrink a topic.
func EnsureTopics(ctx context.Context, brokers []string, specs []TopicSpec, mismatch func(spec TopicSpec, have int)) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 30 * time.Second}
	var configs []kafka.TopicConfig
	for _, s := range specs {
		tc := kafka.TopicConfig{Topic: s.Name, NumPartitions: s.Partitions, ReplicationFactor: s.ReplicationFactor}
		if s.Compacted {
			tc.ConfigEntries = append(tc.ConfigEntries,
				kafka.ConfigEntry{ConfigName: "cleanup.policy", ConfigValue: "compact"},
				kafka.ConfigEntry{ConfigName: "min.compaction.lag.ms", ConfigValue: "60000"})
		} else if s.Retention > 0 {
			tc.ConfigEntries = append(tc.ConfigEntries,
				kafka.ConfigEntry{ConfigName: "retention.ms", ConfigValue: strconv.FormatInt(s.Retention.Milliseconds(), 10)})
		}
		configs = append(configs, tc)
	}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: configs})
	if err != nil {
		return fmt.Errorf("creating topics on %v: %w", brokers, err)
	}
	var errs []error
	for name, terr := range resp.Errors {
		if terr != nil && !errors.Is(terr, kafka.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("creating topic %s: %w", name, terr))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// Metadata of a topic that was just created can take a moment to
	// reach every broker; wait until all are visible with their leaders.
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	have, err := waitTopics(ctx, client, names)
	if err != nil {
		return err
	}
	if mismatch != nil {
		for _, s := range specs {
			if n := have[s.Name]; n != s.Partitions {
				mismatch(s, n)
			}
		}
	}
	return nil
}

// waitTopics waits until every named topic has a leader for each of its
// partitions and returns the partition counts.
func waitTopics(ctx context.Context, client *kafka.Client, names []string) (map[string]int, error) {
	for {
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
		if err == nil {
			counts := make(map[string]int, len(names))
			ready := true
			for _, t := range md.Topics {
				if t.Error != nil {
					ready = false
					continue
				}
				for _, p := range t.Partitions {
					if p.Error != nil || p.Leader.Host == "" {
						ready = false
					}
				}
				counts[t.Name] = len(t.Partitions)
			}
			if ready && len(counts) == len(names) {
				return counts, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for topics %v to have leaders: %w", names, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Ping checks that a broker answers a metadata request.
func Ping(ctx context.Context, brokers []string) error {
	var d net.Dialer
	var errs []error
	for _, b := range brokers {
		conn, err := d.DialContext(ctx, "tcp", b)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		conn.Close()
		client := &kafka.Client{Addr: kafka.TCP(b), Timeout: 10 * time.Second}
		if _, err := client.Metadata(ctx, &kafka.MetadataRequest{}); err != nil {
			errs = append(errs, fmt.Errorf("metadata from %s: %w", b, err))
			continue
		}
		return nil
	}
	return fmt.Errorf("no Kafka broker answers at %v: %w", brokers, errors.Join(errs...))
}
