package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

func TestKafkaReadyNeedsTheTopics(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	check := kafkaReady(cfg)
	err := check(ctx)
	if err == nil || !strings.Contains(err.Error(), cfg.Topics.Raw) || !strings.Contains(err.Error(), "newsflow setup") {
		t.Fatalf("before setup: check = %v, want the missing topics named and setup suggested", err)
	}
	if err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		t.Fatal(err)
	}
	if err := check(ctx); err != nil {
		t.Errorf("after setup: check = %v, want ready", err)
	}

	cfg.Kafka.Brokers = []string{"127.0.0.1:1"}
	if err := kafkaReady(cfg)(ctx); err == nil || !strings.Contains(err.Error(), "NEWSFLOW_KAFKA_BROKERS") {
		t.Errorf("without a broker: check = %v, want an error naming NEWSFLOW_KAFKA_BROKERS", err)
	}
}

func TestElasticsearchReadyNeedsTheAlias(t *testing.T) {
	cfg := testenv.Config(t, config.NeedElasticsearch)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	alias := cfg.Elasticsearch.Alias
	check := elasticsearchReady(es, cfg.Elasticsearch)
	if err := check(ctx); err == nil || !strings.Contains(err.Error(), alias) {
		t.Fatalf("before setup: check = %v, want the missing alias named", err)
	}
	if _, err := index.Setup(ctx, es, alias); err != nil {
		t.Fatal(err)
	}
	if err := check(ctx); err != nil {
		t.Errorf("after setup: check = %v, want ready", err)
	}

	// A flood-stage watermark blocks writes; the indexer cannot progress.
	block := func(on bool) {
		t.Helper()
		body := fmt.Sprintf(`{"index.blocks.read_only_allow_delete": %v}`, map[bool]string{true: "true", false: "null"}[on])
		res, err := es.Indices.PutSettings(strings.NewReader(body), es.Indices.PutSettings.WithIndex(alias), es.Indices.PutSettings.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.IsError() {
			t.Fatalf("setting the block: %s", res.Status())
		}
	}
	block(true)
	if err := check(ctx); err == nil || !strings.Contains(err.Error(), "read_only_allow_delete") {
		t.Errorf("with writes blocked: check = %v, want the block named", err)
	}
	block(false)
	if err := check(ctx); err != nil {
		t.Errorf("with the block lifted: check = %v, want ready", err)
	}
}

func TestElasticsearchReadyRefusesBadCredentials(t *testing.T) {
	esCfg := testenv.SecureElasticsearch(t)
	esCfg.Password = "wrong-password"
	es, err := index.NewClient(esCfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = elasticsearchReady(es, esCfg)(ctx)
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_ES_PASSWORD") {
		t.Errorf("check = %v, want an error naming NEWSFLOW_ES_PASSWORD", err)
	}
}
