package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// BenchmarkPollFeeds polls 10,000 and 100,000 feeds of a local server
// once each, as one replica with 64 workers does when they all fall due:
// 99 in 100 answer 304 Not Modified, the rest a real 25-item feed. It
// reports fetches per second and the peak heap, which includes every
// feed's state and seen ids.
func BenchmarkPollFeeds(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("feeds=%d", n), func(b *testing.B) {
			benchPoll(b, n, func() (Sink, func() int64) {
				s := &countingSink{}
				return s, s.states.Load
			})
		})
	}
}

// BenchmarkPollFeedsKafka is BenchmarkPollFeeds at 10,000 feeds with
// every feed's state and the new articles written to the real broker,
// as in production.
func BenchmarkPollFeedsKafka(b *testing.B) {
	cfg := testenv.Config(b, config.NeedKafka)
	if err := kafka.EnsureTopics(context.Background(), cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		b.Fatal(err)
	}
	benchPoll(b, 10_000, func() (Sink, func() int64) {
		s := &flushingSink{KafkaSink: NewKafkaSink(cfg, quiet())}
		return s, s.saved.Load
	})
}

// flushingSink counts the states a KafkaSink was handed and writes them
// in batches as Run's flusher does.
type flushingSink struct {
	*KafkaSink
	saved atomic.Int64
}

func (f *flushingSink) SaveState(ctx context.Context, s State) error {
	if err := f.KafkaSink.SaveState(ctx, s); err != nil {
		return err
	}
	f.saved.Add(1)
	return nil
}

func benchPoll(b *testing.B, n int, newSink func() (Sink, func() int64)) {
	feed, err := os.ReadFile("../testdata/feeds/rss20-livemint-news-guid-not-permalink.xml")
	if err != nil {
		b.Fatal(err)
	}
	var full atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" && !strings.HasSuffix(r.URL.Path, "00") {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full.Add(1)
		w.Header().Set("ETag", `"v2"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	}))
	srv.Config.MaxHeaderBytes = 8 << 10
	srv.Start()
	defer srv.Close()

	const workers = 64
	client := fetch.New(fetch.Options{
		Timeout:         10 * time.Second,
		Guard:           &fetch.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Proxy:           http.ProxyURL(nil),
		Politeness:      fetch.NewPoliteness(workers, 0), // one host serves every feed here
		MaxConnsPerHost: workers,
	})
	seen := make([]string, 50)
	for i := range seen {
		seen[i] = fmt.Sprintf("%016x", i)
	}
	b.ResetTimer()
	var peak uint64
	for range b.N {
		b.StopTimer()
		sink, saved := newSink()
		p := NewPoller(client, Schedule{Interval: time.Hour, Min: time.Hour, Max: 2 * time.Hour, MaxBackoff: time.Hour, FirstSpread: time.Millisecond}, sink, nil, quiet(), prometheus.NewRegistry())
		s := newScheduler(p, workers)
		now := time.Now()
		for i := range n {
			st := State{URL: fmt.Sprintf("%s/feeds/%d", srv.URL, i), ETag: `"v1"`, Seen: seen, NextDue: now}
			s.upsert(Feed{URL: st.URL}, &st, now)
		}
		runtime.GC()
		var polled atomic.Int64
		ctx, cancel := context.WithCancel(context.Background())
		stopSampling := make(chan struct{})
		sampled := make(chan uint64)
		go func() {
			var ms runtime.MemStats
			var max uint64
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > max {
					max = ms.HeapInuse
				}
				select {
				case <-stopSampling:
					sampled <- max
					return
				case <-t.C:
				}
				done := int(saved())
				polled.Store(int64(done))
				if done >= n {
					cancel()
				}
			}
		}()
		b.StartTimer()
		start := time.Now()
		if err := s.run(ctx); err != nil {
			b.Fatal(err)
		}
		elapsed := time.Since(start)
		b.StopTimer()
		close(stopSampling)
		if m := <-sampled; m > peak {
			peak = m
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "fetches/s")
		if err := sink.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		if c, ok := sink.(interface{ Close() error }); ok {
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		}
		if int(saved()) < n {
			b.Fatalf("%d of %d feeds polled", saved(), n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(full.Load())/float64(b.N), "full-answers/op")
}

// countingSink encodes states as the Kafka sink does and counts them,
// keeping nothing.
type countingSink struct {
	states, articles atomic.Int64
}

func (c *countingSink) PublishArticles(_ context.Context, arts []*article.Article) error {
	for _, a := range arts {
		if _, err := article.Encode(a); err != nil {
			return err
		}
	}
	c.articles.Add(int64(len(arts)))
	return nil
}

func (c *countingSink) SaveState(_ context.Context, s State) error {
	if _, err := json.Marshal(s); err != nil {
		return err
	}
	c.states.Add(1)
	return nil
}

func (c *countingSink) PublishHealth(context.Context, HealthEvent) error { return nil }
func (c *countingSink) Flush(context.Context) error                      { return nil }
