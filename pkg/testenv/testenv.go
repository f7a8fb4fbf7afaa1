// Package testenv gives integration tests the real Kafka broker and
// Elasticsearch node that scripts/services starts, and names that keep
// tests apart. With -short the integration tests are skipped, except under
// CI=true, where a test that cannot reach its service fails.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// CI reports whether the tests run in CI, where nothing may be skipped.
func CI() bool { return os.Getenv("CI") == "true" }

func integration(t testing.TB) {
	t.Helper()
	if testing.Short() && !CI() {
		t.Skip("integration test: runs without -short against the services of scripts/services")
	}
}

// Kafka returns the brokers of the test Kafka (NEWSFLOW_KAFKA_BROKERS or
// 127.0.0.1:9092), failing the test when none answers.
func Kafka(t testing.TB) []string {
	t.Helper()
	integration(t)
	brokers := []string{"127.0.0.1:9092"}
	if v := os.Getenv("NEWSFLOW_KAFKA_BROKERS"); v != "" {
		brokers = strings.Split(v, ",")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kafka.Ping(ctx, brokers); err != nil {
		t.Fatalf("Kafka is not reachable (start it with `scripts/services up`): %v", err)
	}
	return brokers
}

// Elasticsearch returns the URL of the test Elasticsearch node
// (NEWSFLOW_ES_URL or http://127.0.0.1:9200), failing the test when it does
// not answer.
func Elasticsearch(t testing.TB) string {
	t.Helper()
	integration(t)
	u := "http://127.0.0.1:9200"
	if v := os.Getenv("NEWSFLOW_ES_URL"); v != "" {
		u = strings.Split(v, ",")[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u+"/_cluster/health", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("Elasticsearch is not reachable at %s (start it with `scripts/services up`): %v", u, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Elasticsearch at %s answers %s to /_cluster/health", u, resp.Status)
	}
	return u
}

// SecureElasticsearch returns the settings of the test node with security
// on (NEWSFLOW_TEST_ES_SECURE_URL, _USER and _PASSWORD, defaulting to what
// scripts/services starts: http://127.0.0.1:9201, newsflow,
// newsflow-test-pw), failing the test when it does not answer.
func SecureElasticsearch(t testing.TB) config.Elasticsearch {
	t.Helper()
	integration(t)
	c := config.Default().Elasticsearch
	c.URLs = []string{envOr("NEWSFLOW_TEST_ES_SECURE_URL", "http://127.0.0.1:9201")}
	c.Username = envOr("NEWSFLOW_TEST_ES_SECURE_USER", "newsflow")
	c.Password = envOr("NEWSFLOW_TEST_ES_SECURE_PASSWORD", "newsflow-test-pw")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.URLs[0]+"/_cluster/health", nil)
	req.SetBasicAuth(c.Username, c.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("the secure Elasticsearch node is not reachable at %s (start it with `scripts/services up`): %v", c.URLs[0], err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the secure Elasticsearch node at %s answers %s to /_cluster/health as %s", c.URLs[0], resp.Status, c.Username)
	}
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Name returns a name unique to this test run, lower case, starting with
// prefix, for topics, groups and indices.
func Name(t testing.TB, prefix string) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToLower(prefix) + "-" + hex.EncodeToString(b)
}

// Config returns a configuration with topic, group and alias names of its
// own, so tests do not interfere, pointing at the test services that needs
// names (NeedKafka, NeedElasticsearch), which must answer.
func Config(t testing.TB, needs config.Needs) *config.Config {
	t.Helper()
	c := config.Default()
	if needs&config.NeedKafka != 0 {
		c.Kafka.Brokers = Kafka(t)
	}
	if needs&config.NeedElasticsearch != 0 {
		c.Elasticsearch.URLs = []string{Elasticsearch(t)}
	}
	id := Name(t, "t")
	c.Kafka.Partitions = 3
	c.Topics.Feeds = id + ".feeds"
	c.Topics.FeedState = id + ".feed-state"
	c.Topics.FeedHealth = id + ".feed-health"
	c.Topics.Raw = id + ".raw"
	c.Topics.Enriched = id + ".enriched"
	c.Topics.DLQ = id + ".dlq"
	c.Ingest.Group = id + "-ingest"
	c.Ingest.FirstSpread = time.Second // no minute-long wait for the first polls
	c.Enrich.Group = id + "-enrich"
	c.Index.Group = id + "-index"
	c.Elasticsearch.Alias = id + "-articles"
	c.Telemetry.HTTPAddr = ""
	var esURL string
	if needs&config.NeedElasticsearch != 0 {
		esURL = c.Elasticsearch.URLs[0]
	}
	dropAfter(t, c.Kafka.Brokers, esURL, id)
	return c
}

// Eventually calls cond until it returns true or the deadline passes, and
// fails the test with msg then.
func Eventually(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
