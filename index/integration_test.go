package index

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// countHandler counts the log records whose message is msg.
type countHandler struct {
	msg string
	n   *atomic.Int32
}

func (h countHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h countHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h countHandler) WithGroup(string) slog.Handler            { return h }
func (h countHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

// setupAlias installs the template for cfg's alias on the test node
// (testenv removes it, and the indices, when the test ends).
func setupAlias(t *testing.T, cfg *config.Config) *elasticsearch.Client {
	t.Helper()
	es, err := NewClient(cfg.Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Setup(context.Background(), es, cfg.Elasticsearch.Alias); err != nil {
		t.Fatal(err)
	}
	return es
}

// removeAlias removes what Setup installed for alias, for the aliases
// that testenv.Config did not name.
func removeAlias(es *elasticsearch.Client, alias string) {
	if res, err := es.Indices.Delete([]string{alias + "-*"}); err == nil {
		res.Body.Close()
	}
	if res, err := es.Indices.DeleteIndexTemplate(alias); err == nil {
		res.Body.Close()
	}
	for _, c := range []string{settingsComponent(alias), mappingsComponent(alias), englishComponent(alias)} {
		if res, err := es.Cluster.DeleteComponentTemplate(c); err == nil {
			res.Body.Close()
		}
	}
}

// items returns the fixture articles as documents for alias.
func items(t testing.TB, alias string, arts []*article.Article) []Item {
	t.Helper()
	var out []Item
	for _, a := range arts {
		b, err := article.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		it, err := toItem(kafkago.Message{Key: []byte(a.ID), Value: b}, alias)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, it)
	}
	return out
}

func TestSetupOnCoreNode(t *testing.T) {
	cfg := testenv.Config(t, config.NeedElasticsearch)
	es := setupAlias(t, cfg)
	ctx := context.Background()
	alias := cfg.Elasticsearch.Alias
	// Run again: idempotent.
	caps, err := Setup(ctx, es, alias)
	if err != nil {
		t.Fatalf("second setup: %v", err)
	}
	// The test node is the distribution without optional modules.
	if caps.English || caps.ILM {
		t.Errorf("capabilities of the core-only node = %+v, want neither", caps)
	}
	res, err := es.Indices.GetIndexTemplate(es.Indices.GetIndexTemplate.WithName(alias))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		IndexTemplates []struct {
			IndexTemplate struct {
				ComposedOf []string `json:"composed_of"`
			} `json:"index_template"`
		} `json:"index_templates"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || len(got.IndexTemplates) != 1 {
		t.Fatalf("reading index template: %v %+v", err, got)
	}
	want := []string{settingsComponent(alias), mappingsComponent(alias)}
	if c := got.IndexTemplates[0].IndexTemplate.ComposedOf; !slices.Equal(c, want) {
		t.Errorf("composed_of = %v, want %v", c, want)
	}
	// The current month's index exists, carries the mapping and is
	// searchable through the alias.
	name := IndexName(alias, time.Now())
	mres, err := es.Indices.GetMapping(es.Indices.GetMapping.WithIndex(alias))
	if err != nil {
		t.Fatal(err)
	}
	defer mres.Body.Close()
	var mappings map[string]struct {
		Mappings struct {
			Dynamic    string                     `json:"dynamic"`
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"mappings"`
	}
	if err := json.NewDecoder(mres.Body).Decode(&mappings); err != nil {
		t.Fatal(err)
	}
	m, ok := mappings[name]
	if !ok {
		t.Fatalf("alias %s has indices %v, want %s", alias, keys(mappings), name)
	}
	if m.Mappings.Dynamic != "false" || !strings.Contains(string(m.Mappings.Properties["places"]), "geo_point") {
		t.Errorf("index %s mapping: dynamic %q, places %s", name, m.Mappings.Dynamic, m.Mappings.Properties["places"])
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSearchFixtures(t *testing.T) {
	cfg := testenv.Config(t, config.NeedElasticsearch)
	es := setupAlias(t, cfg)
	ctx := context.Background()
	alias := cfg.Elasticsearch.Alias
	arts := fixtureArticles(t)
	b := NewBulk(es, alias, 5<<20, quietLog())
	if rej, err := b.Write(ctx, items(t, alias, arts)); err != nil || len(rej) > 0 {
		t.Fatalf("Write = %+v, %v", rej, err)
	}
	if n, err := Count(ctx, es, alias); err != nil || n != len(arts) {
		t.Fatalf("Count = %d, %v; want %d", n, err, len(arts))
	}
	titles := func(r *Result) []string {
		var out []string
		for _, h := range r.Hits {
			out = append(out, h.Title)
		}
		slices.Sort(out)
		return out
	}
	since, _ := time.Parse(time.RFC3339, "2019-11-19T00:00:00Z")
	until, _ := time.Parse(time.RFC3339, "2019-11-20T00:00:00Z")
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"text", Query{Text: "Lavrov Geneva"}, []string{"Kerry, Lavrov meet on Syria conflict"}},
		{"text phrase", Query{Text: `"helicopter crash"`}, []string{"Two US soldiers killed in helicopter crash in Afghanistan"}},
		{"topic", Query{Topic: "syria"}, []string{"Kerry, Lavrov meet on Syria conflict", "Russia, Syria Accuse US of Blocking Return of Rukban Refugees"}},
		{"topic and text", Query{Topic: "humanitarian-aid", Text: "refugee"}, []string{"Russia, Syria Accuse US of Blocking Return of Rukban Refugees"}},
		{"person", Query{Entity: "Julian Assange"}, []string{"Julian Assange: Swedish prosecutors drop rape investigation"}},
		{"organization", Query{Entity: "United Nations"}, []string{"Russia, Syria Accuse US of Blocking Return of Rukban Refugees", "US faces criticism over Israeli settlements decision"}},
		{"entity id", Query{Entity: "per:donald-trump"}, []string{"Sondland faces questions about Trump and Ukraine"}},
		{"place name", Query{Place: "Geneva"}, []string{"Kerry, Lavrov meet on Syria conflict"}},
		{"country code", Query{Place: "SY"}, []string{"Kerry, Lavrov meet on Syria conflict", "Russia, Syria Accuse US of Blocking Return of Rukban Refugees"}},
		{"near", Query{Near: &Circle{Lat: 46.2, Lon: 6.15, RadiusKm: 50}}, []string{"Kerry, Lavrov meet on Syria conflict"}},
		{"time", Query{Since: since, Until: until}, []string{"Julian Assange: Swedish prosecutors drop rape investigation", "US faces criticism over Israeli settlements decision"}},
		{"nothing", Query{Text: "Lavrov", Topic: "humanitarian-aid"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.q.Limit = 10
			res, err := Search(ctx, es, alias, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := titles(res); !slices.Equal(got, tt.want) || res.Total != len(tt.want) {
				t.Errorf("Search(%+v) = %d %q, want %q", tt.q, res.Total, got, tt.want)
			}
		})
	}
}

// startWorker runs an index worker on cfg until the test ends.
func startWorker(t *testing.T, cfg *config.Config, es *elasticsearch.Client) {
	t.Helper()
	startWorkerLog(t, cfg, es, quietLog())
}

func startWorkerLog(t *testing.T, cfg *config.Config, es *elasticsearch.Client, log *slog.Logger) {
	t.Helper()
	w := NewWorker(cfg, es, log, prometheus.NewRegistry())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
		w.Close()
	})
}

// publish writes arts to cfg's enriched topic.
func publish(t testing.TB, cfg *config.Config, arts ...*article.Article) {
	t.Helper()
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched)
	defer w.Close()
	var msgs []kafkago.Message
	for _, a := range arts {
		b, err := article.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.ArticleMessage(a.ID, b))
	}
	if err := writeChunked(context.Background(), w, quietLog(), msgs); err != nil {
		t.Fatal(err)
	}
}

func ensureTopics(t testing.TB, cfg *config.Config) {
	t.Helper()
	if err := kafka.EnsureTopics(context.Background(), cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		t.Fatal(err)
	}
}

// committed sums the offsets the index group committed on the enriched
// topic.
func committed(t testing.TB, cfg *config.Config) int64 {
	t.Helper()
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...), Timeout: 10 * time.Second}
	parts := make([]int, cfg.Kafka.Partitions)
	for i := range parts {
		parts[i] = i
	}
	res, err := client.OffsetFetch(context.Background(), &kafkago.OffsetFetchRequest{
		GroupID: cfg.Index.Group, Topics: map[string][]int{cfg.Topics.Enriched: parts},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, p := range res.Topics[cfg.Topics.Enriched] {
		if p.CommittedOffset > 0 {
			sum += p.CommittedOffset
		}
	}
	return sum
}

func TestRejectedDocumentGoesToDLQ(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	ensureTopics(t, cfg)
	es := setupAlias(t, cfg)
	arts := fixtureArticles(t)
	// A latitude out of range is a document the mapping refuses for
	// good: geo_point parsing fails with HTTP 400.
	bad := *arts[0]
	bad.ID, bad.URL = "bad0000000000000", "https://example.org/bad"
	bad.Places = []article.Place{{Name: "Nowhere", GeoNameID: 1, Lat: 500, Lon: 0}}
	publish(t, cfg, append(arts, &bad)...)
	startWorker(t, cfg, es)

	testenv.Eventually(t, 60*time.Second, "every message committed", func() bool { return committed(t, cfg) == int64(len(arts)+1) })
	if n, err := Count(context.Background(), es, cfg.Elasticsearch.Alias); err != nil || n != len(arts) {
		t.Errorf("index holds %d documents (%v), want the %d good ones", n, err, len(arts))
	}
	r := kafkago.NewReader(kafkago.ReaderConfig{Brokers: cfg.Kafka.Brokers, Topic: cfg.Topics.DLQ, Partition: partitionOf(t, cfg, []byte(bad.ID))})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatalf("reading the dead letter: %v", err)
	}
	if string(m.Key) != bad.ID {
		t.Fatalf("dead letter key %q, want %q", m.Key, bad.ID)
	}
	if reason := kafka.Header(m, kafka.HeaderError); !strings.Contains(reason, "400") || !strings.Contains(reason, "places.location") {
		t.Errorf("dead letter reason %q does not say which field Elasticsearch refused", reason)
	}
	if kafka.Header(m, kafka.HeaderStage) != Stage || kafka.Header(m, kafka.HeaderOriginTopic) != cfg.Topics.Enriched || kafka.Header(m, kafka.HeaderOriginOffset) == "" {
		t.Errorf("dead letter headers %+v lack stage and origin", m.Headers)
	}
}

// partitionOf returns the partition the Kafka writers put key on.
func partitionOf(t testing.TB, cfg *config.Config, key []byte) int {
	parts := make([]int, cfg.Kafka.Partitions)
	for i := range parts {
		parts[i] = i
	}
	return (&kafkago.Murmur2Balancer{}).Balance(kafkago.Message{Key: key}, parts...)
}

// proxy forwards TCP connections to a target until cut, and again after
// restore, on the same address: an Elasticsearch that goes away and
// comes back, without touching the shared node.
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// cut stops accepting and drops every open connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) restore(t *testing.T) {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

func TestOutageLosesNothing(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	ensureTopics(t, cfg)
	direct := setupAlias(t, cfg)
	u, err := url.Parse(cfg.Elasticsearch.URLs[0])
	if err != nil {
		t.Fatal(err)
	}
	px := newProxy(t, u.Host)
	viaProxy := *cfg
	viaProxy.Elasticsearch.URLs = []string{"http://" + px.addr}
	viaProxy.Index.MaxBackoff = 200 * time.Millisecond
	viaProxy.Index.FlushInterval = 100 * time.Millisecond
	es, err := NewClient(viaProxy.Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	// Counts the bulk requests that failed while the proxy was cut.
	var failed atomic.Int32
	startWorkerLog(t, &viaProxy, es, slog.New(countHandler{msg: "bulk request failed, will retry", n: &failed}))

	arts := manyArticles(t, 300)
	ctx := context.Background()
	publish(t, cfg, arts[:100]...)
	testenv.Eventually(t, 60*time.Second, "the first 100 articles indexed and committed", func() bool {
		n, _ := Count(ctx, direct, cfg.Elasticsearch.Alias)
		return n == 100 && committed(t, cfg) == 100
	})

	px.cut()
	failed.Store(0)
	publish(t, cfg, arts[100:]...)
	// While Elasticsearch is unreachable nothing more is committed: the
	// worker holds its batch, retries it, and reads no further.
	testenv.Eventually(t, 60*time.Second, "the worker retried its batch against the cut proxy", func() bool { return failed.Load() >= 5 })
	if c := committed(t, cfg); c != 100 {
		t.Fatalf("%d offsets committed while Elasticsearch was unreachable, want 100", c)
	}
	px.restore(t)
	testenv.Eventually(t, 60*time.Second, "all 300 articles committed after Elasticsearch returned", func() bool { return committed(t, cfg) == 300 })
	n, err := Count(ctx, direct, cfg.Elasticsearch.Alias)
	if err != nil || n != 300 {
		t.Errorf("index holds %d documents (%v) after the outage, want 300", n, err)
	}
}

// manyArticles returns n distinct articles cloned from the fixtures.
func manyArticles(t testing.TB, n int) []*article.Article {
	t.Helper()
	fx := fixtureArticles(t)
	out := make([]*article.Article, n)
	for i := range out {
		a := *fx[i%len(fx)]
		a.URL = a.URL + "?n=" + strconv.Itoa(i)
		id, err := article.ID(a.URL, a.Feed.URL, "")
		if err != nil {
			t.Fatal(err)
		}
		a.ID = id
		out[i] = &a
	}
	return out
}

func TestReplayLeavesOneDocumentPerArticle(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	ensureTopics(t, cfg)
	es := setupAlias(t, cfg)
	arts := manyArticles(t, 120)
	// Every article twice, as redelivery and re-enrichment leave them,
	// the second time enriched later with another story id.
	later := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var again []*article.Article
	for _, a := range arts {
		b := *a
		b.EnrichedAt, b.StoryID = &later, "story-newer"
		again = append(again, &b)
	}
	publish(t, cfg, arts...)
	publish(t, cfg, again...)
	// An older enrichment delivered last must not win.
	publish(t, cfg, arts[:10]...)

	var reports []Progress
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p, err := Replay(ctx, cfg, es, quietLog(), prometheus.NewRegistry(), func(p Progress) { reports = append(reports, p) })
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 250 || p.Done != 250 {
		t.Errorf("replay progress %+v, want 250 of 250", p)
	}
	for i := 1; i < len(reports); i++ {
		if reports[i].Done < reports[i-1].Done {
			t.Errorf("progress went backwards: %+v then %+v", reports[i-1], reports[i])
		}
	}
	if n, err := Count(ctx, es, cfg.Elasticsearch.Alias); err != nil || n != len(arts) {
		t.Errorf("index holds %d documents (%v) after the replay, want %d", n, err, len(arts))
	}
	res, err := es.Count(es.Count.WithIndex(cfg.Elasticsearch.Alias), es.Count.WithQuery("story_id:story-newer"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || c.Count != len(arts) {
		t.Errorf("%d documents carry the newer enrichment (%v), want all %d", c.Count, err, len(arts))
	}
	// A second replay of a topic already indexed is harmless.
	if _, err := Replay(ctx, cfg, es, quietLog(), prometheus.NewRegistry(), nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := Count(ctx, es, cfg.Elasticsearch.Alias); n != len(arts) {
		t.Errorf("index holds %d documents after a second replay, want %d", n, len(arts))
	}
}
