package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esutil"
	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// benchDocs is the number of articles each side of the throughput
// comparison writes.
const benchDocs = 20000

// BenchmarkIndexStageVsBulkIndexer writes the same articles to the same
// node twice per iteration: through the index stage (Kafka topic →
// Worker → bulk → commit) and through a plain esutil.BulkIndexer loop
// with its defaults, each into an alias of its own, and reports both
// rates and their ratio (stage/bulkindexer).
func BenchmarkIndexStageVsBulkIndexer(b *testing.B) {
	cfg := testenv.Config(b, config.NeedKafka|config.NeedElasticsearch)
	ensureTopics(b, cfg)
	arts := manyArticles(b, benchDocs)
	publish(b, cfg, arts...)
	var stageTime, plainTime time.Duration
	var stageDocs int
	for i := 0; i < b.N; i++ {
		// Alternate which side goes first so that neither always meets
		// a node still merging the other's segments.
		sides := []func(){
			func() {
				t, n := benchStage(b, cfg, i)
				stageTime += t
				stageDocs += n
			},
			func() { plainTime += benchPlain(b, cfg, arts, i) },
		}
		if i%2 == 1 {
			slices.Reverse(sides)
		}
		for _, s := range sides {
			s()
		}
	}
	stage := float64(stageDocs) / stageTime.Seconds()
	plain := float64(benchDocs*b.N) / plainTime.Seconds()
	b.ReportMetric(stage, "stage_docs/s")
	b.ReportMetric(plain, "bulkindexer_docs/s")
	b.ReportMetric(stage/plain, "ratio")
}

// benchStage runs a worker in a new group over the pre-filled topic until
// it committed every message. The clock starts at the first commit, so
// the consumer group join (a few seconds, once per process) is left out
// and the documents of the first batch are not counted.
func benchStage(b *testing.B, cfg *config.Config, i int) (time.Duration, int) {
	c := *cfg
	c.Elasticsearch.Alias = fmt.Sprintf("%s-stage%d", cfg.Elasticsearch.Alias, i)
	c.Index.Group = fmt.Sprintf("%s-%d", cfg.Index.Group, i)
	es, err := NewClient(c.Elasticsearch)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Setup(context.Background(), es, c.Elasticsearch.Alias); err != nil {
		b.Fatal(err)
	}
	defer removeAlias(es, c.Elasticsearch.Alias)
	ctx, cancel := context.WithCancel(context.Background())
	w := NewWorker(&c, es, quietLog(), prometheus.NewRegistry())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var start time.Time
	var first int64
	deadline := time.Now().Add(5 * time.Minute)
	for {
		n := committed(b, &c)
		if n > 0 && start.IsZero() {
			start, first = time.Now(), n
		}
		if n >= benchDocs {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			b.Fatalf("the stage committed %d of %d messages in 5 minutes", n, benchDocs)
		}
		select {
		case err := <-done:
			b.Fatalf("the worker stopped after committing %d of %d messages: %v", n, benchDocs, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	w.Close()
	if n, _ := Count(context.Background(), es, c.Elasticsearch.Alias); n != benchDocs {
		b.Fatalf("stage indexed %d documents, want %d", n, benchDocs)
	}
	return elapsed, benchDocs - int(first)
}

// benchPlain writes the same documents with esutil.BulkIndexer defaults:
// the same ids, indices and versions, no Kafka.
func benchPlain(b *testing.B, cfg *config.Config, arts []*article.Article, i int) time.Duration {
	alias := fmt.Sprintf("%s-plain%d", cfg.Elasticsearch.Alias, i)
	es, err := NewClient(cfg.Elasticsearch)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Setup(context.Background(), es, alias); err != nil {
		b.Fatal(err)
	}
	defer removeAlias(es, alias)
	docs := items(b, alias, arts)
	start := time.Now()
	bi, err := esutil.NewBulkIndexer(esutil.BulkIndexerConfig{Client: es})
	if err != nil {
		b.Fatal(err)
	}
	var failed atomic.Int64
	for _, d := range docs {
		v := d.Version
		err := bi.Add(context.Background(), esutil.BulkIndexerItem{
			Action: "index", Index: d.Index, DocumentID: d.ID, Body: bytes.NewReader(d.Doc),
			Version: &v, VersionType: "external_gte",
			OnFailure: func(context.Context, esutil.BulkIndexerItem, esutil.BulkIndexerResponseItem, error) { failed.Add(1) },
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := bi.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	if failed.Load() > 0 {
		b.Fatalf("bulk indexer failed %d documents", failed.Load())
	}
	if n, _ := Count(context.Background(), es, alias); n != benchDocs {
		b.Fatalf("bulk indexer indexed %d documents, want %d", n, benchDocs)
	}
	return elapsed
}

// BenchmarkPublishToSearchable measures the delay from publishing an
// article on the enriched topic to its being found by a search, with the
// worker's default settings, at a steady trickle of articles; it reports
// the median and 99th percentile.
func BenchmarkPublishToSearchable(b *testing.B) {
	cfg := testenv.Config(b, config.NeedKafka|config.NeedElasticsearch)
	ensureTopics(b, cfg)
	es, err := NewClient(cfg.Elasticsearch)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := Setup(context.Background(), es, cfg.Elasticsearch.Alias); err != nil {
		b.Fatal(err)
	}
	w := NewWorker(cfg, es, quietLog(), prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); <-done; w.Close() }()

	const perIteration = 100
	arts := manyArticles(b, perIteration*b.N)
	var (
		mu        sync.Mutex
		published = map[string]time.Time{}
		delays    []time.Duration
	)
	// The watcher asks for the pending ids every 20 ms; a document counts
	// as searchable when a search (not a real-time get) returns it.
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			mu.Lock()
			var ids []string
			for id := range published {
				ids = append(ids, id)
			}
			mu.Unlock()
			if len(ids) == 0 {
				continue
			}
			for _, id := range searchIDs(b, es, cfg.Elasticsearch.Alias, ids) {
				mu.Lock()
				delays = append(delays, time.Since(published[id]))
				delete(published, id)
				mu.Unlock()
			}
		}
	}()
	writer := newBenchWriter(cfg)
	defer writer.Close()
	b.ResetTimer()
	for _, a := range arts {
		mu.Lock()
		published[a.ID] = time.Now()
		mu.Unlock()
		if err := writer.publish(a); err != nil {
			b.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond) // 20 articles a second
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		left := len(published)
		mu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d articles never became searchable", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stopWatch)
	<-watched
	slices.Sort(delays)
	pct := func(q float64) float64 { return delays[int(q*float64(len(delays)-1))].Seconds() * 1000 }
	b.ReportMetric(pct(0.5), "p50_ms")
	b.ReportMetric(pct(0.99), "p99_ms")
}

// searchIDs returns which of ids a search of alias finds.
func searchIDs(b *testing.B, es *elasticsearch.Client, alias string, ids []string) []string {
	body, _ := json.Marshal(map[string]any{
		"size": len(ids), "_source": false,
		"query": map[string]any{"ids": map[string]any{"values": ids}},
	})
	res, err := es.Search(es.Search.WithIndex(alias), es.Search.WithBody(bytes.NewReader(body)))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var sr struct {
		Hits struct {
			Hits []struct {
				ID string `json:"_id"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&sr); err != nil {
		b.Fatal(err)
	}
	var found []string
	for _, h := range sr.Hits.Hits {
		found = append(found, h.ID)
	}
	return found
}

// benchWriter publishes one article at a time, as enrich does under a
// light load.
type benchWriter struct{ w *kafkago.Writer }

func newBenchWriter(cfg *config.Config) *benchWriter {
	return &benchWriter{w: kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched)}
}

func (w *benchWriter) publish(a *article.Article) error {
	v, err := article.Encode(a)
	if err != nil {
		return err
	}
	return w.w.WriteMessages(context.Background(), kafkago.Message{Key: []byte(a.ID), Value: v})
}

func (w *benchWriter) Close() error { return w.w.Close() }
