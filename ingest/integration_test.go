package ingest

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// replica is one running ingest process of the integration test.
type replica struct {
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan error
}

func startReplica(t *testing.T, cfg *config.Config) *replica {
	t.Helper()
	reg := prometheus.NewRegistry()
	in, err := New(cfg, quiet(), reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{reg: reg, cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := in.Run(ctx)
		if cerr := in.Close(); err == nil {
			err = cerr
		}
		r.done <- err
	}()
	return r
}

func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("replica stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("replica did not stop within 30s")
	}
}

func (r *replica) owned() int {
	mfs, _ := r.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "newsflow_ingest_feeds_owned" {
			return int(mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	return 0
}

// TestReplicas runs ingest replicas against the real broker: the feeds
// move from one replica to two and back to one on rebalances, no feed is
// fetched by two replicas at once, and a restarted replica publishes no
// article twice although the server ignores conditional requests.
func TestReplicas(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka)
	cfg.Ingest.AllowNetworks = []string{"127.0.0.1/32"}
	cfg.Ingest.PollInterval, cfg.Ingest.MinInterval, cfg.Ingest.MaxInterval = 2*time.Second, 2*time.Second, 2*time.Second
	cfg.Ingest.MaxBackoff = 2 * time.Second
	cfg.Ingest.DomainDelay = 0
	cfg.Ingest.DomainConns = 16
	cfg.Ingest.FetchTimeout = 5 * time.Second
	ctx := context.Background()
	if err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob("../testdata/feeds/rss20-*.xml")
	var (
		mu          sync.Mutex
		inFlight    = map[string]int{}
		fetched     = map[string]int{} // answered requests by path
		overlap     atomic.Int32
		conditional atomic.Bool
	)
	conditional.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight[r.URL.Path]++
		if inFlight[r.URL.Path] > 1 {
			overlap.Add(1)
		}
		mu.Unlock()
		defer func() { mu.Lock(); inFlight[r.URL.Path]--; fetched[r.URL.Path]++; mu.Unlock() }()
		time.Sleep(20 * time.Millisecond) // so that parallel polls would overlap
		etag := `"` + r.URL.Path + `"`
		if conditional.Load() && r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		b, err := os.ReadFile("../testdata/feeds" + r.URL.Path)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("ETag", etag)
		w.Write(b)
	}))
	defer srv.Close()
	var feeds []Feed
	for _, f := range files {
		feeds = append(feeds, Feed{URL: srv.URL + "/" + filepath.Base(f)})
	}
	// A feed that is gone: it fails, turns failing, and stays scheduled.
	missing := srv.URL + "/gone.xml"
	feeds = append(feeds, Feed{URL: missing})
	if _, err := Import(ctx, cfg, feeds, false); err != nil {
		t.Fatal(err)
	}

	a := startReplica(t, cfg)
	testenv.Eventually(t, 60*time.Second, "replica A owns every feed", func() bool { return a.owned() == len(feeds) })
	b := startReplica(t, cfg)
	testenv.Eventually(t, 60*time.Second, "the feeds are shared by A and B", func() bool {
		return a.owned() > 0 && b.owned() > 0 && a.owned()+b.owned() == len(feeds)
	})
	a.stop(t)
	testenv.Eventually(t, 60*time.Second, "B owns every feed after A left", func() bool { return b.owned() == len(feeds) })
	published := func() (total int, ids map[string]int) {
		ids = map[string]int{}
		// The same story in two feeds (the windows-1251 and KOI8-R twins)
		// is one article published once per feed; a feed publishes it once.
		if err := ReadTopic(ctx, cfg.Kafka, cfg.Topics.Raw, func(m kafkago.Message) {
			var a struct {
				Feed struct{ URL string } `json:"feed"`
			}
			if err := json.Unmarshal(m.Value, &a); err != nil {
				t.Errorf("article %s: %v", m.Key, err)
			}
			ids[string(m.Key)+" from "+a.Feed.URL]++
			total++
		}); err != nil {
			t.Fatal(err)
		}
		return total, ids
	}
	// pollsSince waits until half the feeds were answered n more times
	// than in the snapshot taken when it is called (the others' own ttl
	// or Cache-Control puts their next poll further off).
	pollsSince := func(msg string, n int) func() {
		mu.Lock()
		base := maps.Clone(fetched)
		mu.Unlock()
		return func() {
			testenv.Eventually(t, 60*time.Second, msg, func() bool {
				mu.Lock()
				defer mu.Unlock()
				polled := 0
				for _, f := range feeds {
					path := strings.TrimPrefix(f.URL, srv.URL)
					if fetched[path]-base[path] >= n {
						polled++
					}
				}
				return 2*polled >= len(feeds)
			})
		}
	}
	// Let every feed be answered at least once (a busy machine can move
	// the feeds between replicas before all were polled), and B poll the
	// feeds once more, then restart it against a server that ignores
	// validators: only the seen ids stop duplicates.
	testenv.Eventually(t, 60*time.Second, "every feed was answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range feeds {
			if fetched[strings.TrimPrefix(f.URL, srv.URL)] == 0 {
				return false
			}
		}
		return true
	})
	pollsSince("B polls the feeds once more", 1)()
	b.stop(t)
	before, beforeIDs := published()
	conditional.Store(false)
	waitPolls := pollsSince("the restarted replica gets two full answers from the feeds", 2)
	c := startReplica(t, cfg)
	testenv.Eventually(t, 60*time.Second, "the restarted replica owns every feed", func() bool { return c.owned() == len(feeds) })
	waitPolls()
	c.stop(t)

	total, ids := published()
	if total != before {
		t.Errorf("the restarted replica published %d messages again", total-before)
		perFeed := map[string]int{}
		for id := range ids {
			if beforeIDs[id] == 0 {
				perFeed[id[strings.Index(id, " from ")+6:]]++
			}
		}
		t.Logf("articles new after the restart, by feed: %v", perFeed)
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("article %s published %d times", id, n)
		}
	}
	if len(ids) < 200 {
		t.Errorf("%d articles published from %d feeds", len(ids), len(feeds))
	}
	if n := overlap.Load(); n > 0 {
		t.Errorf("%d fetches of a feed overlapped another fetch of the same feed", n)
	}
	var events []HealthEvent
	if err := ReadTopic(ctx, cfg.Kafka, cfg.Topics.FeedHealth, func(m kafkago.Message) {
		e, err := DecodeHealthEvent(m.Value)
		if err != nil || string(m.Key) != e.URL {
			t.Errorf("health message %s: %v", m.Key, err)
		}
		events = append(events, e)
	}); err != nil {
		t.Fatal(err)
	}
	// Two feeds fail: the one that is gone and the truncated fixture.
	// Each turns failing once, however often it moved between replicas.
	want := map[string]string{missing: "HTTP 404", srv.URL + "/rss20-reuters-mostread-truncated-malformed.xml": "XML syntax error"}
	for _, e := range events {
		if e.Health != Failing || !strings.Contains(e.Error, want[e.URL]) || want[e.URL] == "" {
			t.Errorf("unexpected health event %+v", e)
		}
	}
	if len(events) != len(want) {
		t.Errorf("%d health events, want %d", len(events), len(want))
	}
	t.Logf("%d feeds, %d articles, each published once", len(feeds), len(ids))
}
