package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/telemetry"
)

// readyTimeout bounds each readiness check, on /readyz and at scrape.
const readyTimeout = 3 * time.Second

// kafkaReady checks that a broker answers and that every topic setup
// creates exists with a leader for each partition: before setup ran, or
// while a partition has no leader, a stage cannot make progress.
func kafkaReady(cfg *config.Config) telemetry.Check {
	specs := kafka.Specs(cfg)
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.Name
	}
	return func(ctx context.Context) error {
		var errs []error
		for _, b := range cfg.Kafka.Brokers {
			client := &kafkago.Client{Addr: kafkago.TCP(b), Timeout: readyTimeout}
			md, err := client.Metadata(ctx, &kafkago.MetadataRequest{Topics: names})
			if err != nil {
				errs = append(errs, fmt.Errorf("metadata from %s: %w", b, err))
				continue
			}
			return topicsUsable(md, names)
		}
		return fmt.Errorf("no Kafka broker of NEWSFLOW_KAFKA_BROKERS answers: %w", errors.Join(errs...))
	}
}

// topicsUsable reports the topics of names that md lacks or that have a
// partition without a leader.
func topicsUsable(md *kafkago.MetadataResponse, names []string) error {
	seen := make(map[string]bool, len(md.Topics))
	var problems []string
	for _, t := range md.Topics {
		if t.Error != nil {
			continue // reported as missing below
		}
		seen[t.Name] = true
		for _, p := range t.Partitions {
			if p.Error != nil || p.Leader.Host == "" {
				problems = append(problems, fmt.Sprintf("%s partition %d has no leader", t.Name, p.ID))
			}
		}
	}
	var missing []string
	for _, n := range names {
		if !seen[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("topics %s do not exist (run `newsflow setup`)", strings.Join(missing, ", ")))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// elasticsearchReady checks that the cluster answers and accepts the
// credentials, that the write alias exists, and that no index behind it
// blocks writes (Elasticsearch sets read_only_allow_delete when a disk
// passes the flood-stage watermark): in each case the indexer cannot
// write.
func elasticsearchReady(es *elasticsearch.Client, cfg config.Elasticsearch) telemetry.Check {
	alias := cfg.Alias
	return func(ctx context.Context) error {
		if err := index.Ping(ctx, es, cfg); err != nil {
			return err
		}
		res, err := es.Indices.GetSettings(
			es.Indices.GetSettings.WithContext(ctx),
			es.Indices.GetSettings.WithIndex(alias),
			es.Indices.GetSettings.WithName("index.blocks.*"),
		)
		if err != nil {
			return fmt.Errorf("checking alias %s: %w", alias, err)
		}
		defer res.Body.Close()
		switch res.StatusCode {
		case http.StatusOK:
		case http.StatusNotFound:
			return fmt.Errorf("alias %s (NEWSFLOW_ES_INDEX) does not exist (run `newsflow setup`)", alias)
		default:
			return fmt.Errorf("checking alias %s: Elasticsearch answered %s", alias, res.Status())
		}
		var indices map[string]struct {
			Settings struct {
				Index struct {
					Blocks map[string]string `json:"blocks"`
				} `json:"index"`
			} `json:"settings"`
		}
		if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&indices); err != nil {
			return fmt.Errorf("reading the settings of %s: %w", alias, err)
		}
		var blocked []string
		for name, ix := range indices {
			for _, block := range []string{"write", "read_only", "read_only_allow_delete"} {
				if ix.Settings.Index.Blocks[block] == "true" {
					blocked = append(blocked, fmt.Sprintf("%s has index.blocks.%s", name, block))
				}
			}
		}
		if len(blocked) > 0 {
			sort.Strings(blocked)
			return fmt.Errorf("writes to %s are blocked: %s (read_only_allow_delete means a disk passed the flood-stage watermark)", alias, strings.Join(blocked, "; "))
		}
		return nil
	}
}
