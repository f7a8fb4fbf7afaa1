package testenv_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// TestConfigCleansUp checks that what a test made under Config's names —
// topics, a consumer group with a committed offset, the monthly index and
// its templates — is gone once the test has ended.
func TestConfigCleansUp(t *testing.T) {
	ctx := context.Background()
	var cfg *config.Config
	t.Run("user", func(t *testing.T) {
		t.Setenv("NEWSFLOW_TEST_KEEP", "")
		cfg = testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
		if err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
			t.Fatal(err)
		}
		w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw)
		if err := w.WriteMessages(ctx, kafkago.Message{Key: []byte("k"), Value: []byte("v")}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		r := kafka.NewReader(cfg.Kafka, cfg.Topics.Raw, cfg.Enrich.Group)
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		m, err := r.FetchMessage(rctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.CommitMessages(rctx, m); err != nil {
			t.Fatal(err)
		}
		r.Close()
		es, err := index.NewClient(cfg.Elasticsearch)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := index.Setup(ctx, es, cfg.Elasticsearch.Alias); err != nil {
			t.Fatal(err)
		}
	})
	prefix := strings.TrimSuffix(cfg.Topics.Raw, ".raw")

	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...), Timeout: 10 * time.Second}
	testenv.Eventually(t, 20*time.Second, "the test's topics are still there", func() bool {
		md, err := client.Metadata(ctx, &kafkago.MetadataRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tp := range md.Topics {
			if strings.HasPrefix(tp.Name, prefix+".") {
				return false
			}
		}
		return true
	})
	groups, err := client.ListGroups(ctx, &kafkago.ListGroupsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		if g.GroupID == cfg.Enrich.Group {
			t.Errorf("group %s is still there", g.GroupID)
		}
	}
	for _, path := range []string{
		"/" + cfg.Elasticsearch.Alias + "-*?allow_no_indices=false&expand_wildcards=all",
		"/_index_template/" + cfg.Elasticsearch.Alias,
		"/_component_template/" + cfg.Elasticsearch.Alias + "*",
	} {
		resp, err := http.Get(cfg.Elasticsearch.URLs[0] + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s answers %s, want 404 Not Found", path, resp.Status)
		}
	}
}
