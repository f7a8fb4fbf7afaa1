package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// dropAfter removes, when the test ends, every topic, consumer group,
// index and template whose name starts with prefix (Config's id followed by
// "." or "-"). The test services live across runs, and a broker holding
// thousands of leftover partitions takes minutes to start. Leftovers of a
// failed removal are logged, not fatal. NEWSFLOW_TEST_KEEP=true keeps
// everything for a look after the test.
func dropAfter(t testing.TB, brokers []string, esURL, prefix string) {
	t.Helper()
	if os.Getenv("NEWSFLOW_TEST_KEEP") == "true" {
		return
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if len(brokers) > 0 {
			if err := dropKafka(ctx, brokers, prefix); err != nil {
				t.Logf("removing the test's Kafka topics and groups: %v", err)
			}
		}
		if esURL != "" {
			if err := dropElasticsearch(ctx, esURL, prefix); err != nil {
				t.Logf("removing the test's Elasticsearch indices and templates: %v", err)
			}
		}
	})
}

func owned(name, prefix string) bool {
	return strings.HasPrefix(name, prefix+".") || strings.HasPrefix(name, prefix+"-")
}

func dropKafka(ctx context.Context, brokers []string, prefix string) error {
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 20 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return fmt.Errorf("listing topics: %w", err)
	}
	var topics []string
	for _, tp := range md.Topics {
		if owned(tp.Name, prefix) {
			topics = append(topics, tp.Name)
		}
	}
	if len(topics) > 0 {
		res, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
		if err != nil {
			return fmt.Errorf("deleting topics %v: %w", topics, err)
		}
		for name, err := range res.Errors {
			if err != nil {
				return fmt.Errorf("deleting topic %s: %w", name, err)
			}
		}
	}
	lg, err := client.ListGroups(ctx, &kafka.ListGroupsRequest{})
	if err != nil {
		return fmt.Errorf("listing groups: %w", err)
	}
	var groups []string
	for _, g := range lg.Groups {
		if owned(g.GroupID, prefix) {
			groups = append(groups, g.GroupID)
		}
	}
	if len(groups) == 0 {
		return nil
	}
	res, err := client.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: groups})
	if err != nil {
		return fmt.Errorf("deleting groups %v: %w", groups, err)
	}
	for name, err := range res.Errors {
		if err != nil {
			return fmt.Errorf("deleting group %s: %w", name, err)
		}
	}
	return nil
}

// dropElasticsearch deletes the indices, then the index templates, then
// the component templates they were built from. Indices are deleted by
// name, which works whatever action.destructive_requires_name says.
func dropElasticsearch(ctx context.Context, base, prefix string) error {
	pattern := url.PathEscape(prefix) + "-*"
	var indices []struct {
		Index string `json:"index"`
	}
	if err := esDo(ctx, http.MethodGet, base+"/_cat/indices/"+pattern+"?format=json&h=index&expand_wildcards=all", &indices); err != nil {
		return err
	}
	if len(indices) > 0 {
		names := make([]string, len(indices))
		for i, ix := range indices {
			names[i] = ix.Index
		}
		if err := esDo(ctx, http.MethodDelete, base+"/"+strings.Join(names, ","), nil); err != nil {
			return err
		}
	}
	var its struct {
		IndexTemplates []struct {
			Name string `json:"name"`
		} `json:"index_templates"`
	}
	if err := esDo(ctx, http.MethodGet, base+"/_index_template/"+pattern, &its); err != nil {
		return err
	}
	for _, it := range its.IndexTemplates {
		if err := esDo(ctx, http.MethodDelete, base+"/_index_template/"+url.PathEscape(it.Name), nil); err != nil {
			return err
		}
	}
	var cts struct {
		ComponentTemplates []struct {
			Name string `json:"name"`
		} `json:"component_templates"`
	}
	if err := esDo(ctx, http.MethodGet, base+"/_component_template/"+url.PathEscape(prefix)+"-*", &cts); err != nil {
		return err
	}
	for _, ct := range cts.ComponentTemplates {
		if err := esDo(ctx, http.MethodDelete, base+"/_component_template/"+url.PathEscape(ct.Name), nil); err != nil {
			return err
		}
	}
	return nil
}

// esDo sends one request and decodes the answer into out; a 404 is an
// empty answer (nothing matched).
func esDo(ctx context.Context, method, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, body)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
