package ingest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/ingest/fetch"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testClient() *fetch.Client {
	return fetch.New(fetch.Options{
		Timeout: 5 * time.Second,
		Guard:   &fetch.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}},
		Proxy:   http.ProxyURL(nil),
	})
}

var testSchedule = Schedule{Interval: 10 * time.Minute, Min: 5 * time.Minute, Max: time.Hour, MaxBackoff: 2 * time.Hour, FirstSpread: time.Second}

// feedServer serves fixture feeds with ETag and Last-Modified and counts
// full answers; fail makes it answer 500.
type feedServer struct {
	*httptest.Server
	full atomic.Int32
	fail atomic.Bool
	mu   sync.Mutex
	body map[string][]byte
}

func newFeedServer(t *testing.T) *feedServer {
	fs := &feedServer{body: map[string][]byte{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fs.fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		fs.mu.Lock()
		b, ok := fs.body[r.URL.Path]
		fs.mu.Unlock()
		if !ok {
			var err error
			if b, err = os.ReadFile("../testdata/feeds" + r.URL.Path); err != nil {
				http.NotFound(w, r)
				return
			}
		}
		etag := `"` + strings.TrimPrefix(r.URL.Path, "/") + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fs.full.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Type", "application/xml")
		w.Write(b)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func TestPollConditionalAndRestart(t *testing.T) {
	srv := newFeedServer(t)
	sink := NewMemorySink(true)
	p := NewPoller(testClient(), testSchedule, sink, nil, quiet(), prometheus.NewRegistry())
	p.now = func() time.Time { return fetched }
	f := Feed{URL: srv.URL + "/rss20-bbc-urdu-rtl.xml"}
	tk := newTask(f, nil)

	res, err := p.Poll(context.Background(), tk)
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	if res.Published != 26 || sink.Count != 26 {
		t.Fatalf("first poll published %d (sink %d), want 26", res.Published, sink.Count)
	}
	st := sink.States[f.URL]
	if st.ETag == "" || len(st.Seen) != 26 || st.Health != Healthy {
		t.Fatalf("state after the first poll: etag %q, %d seen, %s", st.ETag, len(st.Seen), st.Health)
	}
	if !st.NextDue.After(fetched) || st.NextDue.Sub(fetched) > 2*time.Hour {
		t.Errorf("next due %s", st.NextDue)
	}

	res, err = p.Poll(context.Background(), tk)
	if err != nil || !res.NotModified || res.Published != 0 || sink.Count != 26 {
		t.Fatalf("second poll: %+v %v, sink %d; want a 304 that publishes nothing", res, err, sink.Count)
	}

	// A restarted poller starts from the saved state only: it sends the
	// validators, and when the server ignores them it still publishes
	// nothing it published before.
	saved := sink.States[f.URL]
	restarted := newTask(f, &saved)
	restarted.state.ETag = "" // a server that does not do conditional GET
	res, err = p.Poll(context.Background(), restarted)
	if err != nil || res.Published != 0 || res.Duplicates != 26 {
		t.Fatalf("after restart: %+v %v, want 26 duplicates and nothing published", res, err)
	}
	if srv.full.Load() != 2 {
		t.Errorf("%d full answers, want 2", srv.full.Load())
	}
}

func TestPollFailuresAndHealth(t *testing.T) {
	srv := newFeedServer(t)
	sink := NewMemorySink(false)
	p := NewPoller(testClient(), testSchedule, sink, nil, quiet(), prometheus.NewRegistry())
	now := fetched
	p.now = func() time.Time { return now }
	tk := newTask(Feed{URL: srv.URL + "/rss20-bbc-world-2017-cdata.xml"}, nil)
	srv.fail.Store(true)
	var gaps []time.Duration
	for range 8 {
		res, err := p.Poll(context.Background(), tk)
		if err != nil || res.Err == nil || !strings.Contains(res.Err.Error(), "HTTP 500") {
			t.Fatalf("poll of a failing feed: %+v %v", res, err)
		}
		gaps = append(gaps, tk.state.NextDue.Sub(now))
		now = tk.state.NextDue
	}
	for i := 1; i < len(gaps); i++ {
		if gaps[i] < gaps[i-1] || gaps[i] > testSchedule.MaxBackoff+testSchedule.MaxBackoff/10+time.Second {
			t.Errorf("backoff %d = %s after %s: not growing within the cap", i, gaps[i], gaps[i-1])
		}
	}
	if tk.state.Health != Failing || tk.state.Failures != 8 {
		t.Errorf("health %s after %d failures", tk.state.Health, tk.state.Failures)
	}
	srv.fail.Store(false)
	if res, err := p.Poll(context.Background(), tk); err != nil || res.Err != nil || res.Published != 3 {
		t.Fatalf("recovery poll: %+v %v", res, err)
	}
	if len(sink.Health) != 2 || sink.Health[0].Health != Failing || !strings.Contains(sink.Health[0].Error, "500") || !sink.Health[1].Recovered() {
		t.Errorf("health events %+v, want failing with the error, then recovered", sink.Health)
	}
}

func TestPollRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7200")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	p := NewPoller(testClient(), testSchedule, NewMemorySink(false), nil, quiet(), prometheus.NewRegistry())
	p.now = func() time.Time { return fetched }
	tk := newTask(Feed{URL: srv.URL + "/feed"}, nil)
	if _, err := p.Poll(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	if d := tk.state.NextDue.Sub(fetched); d < 2*time.Hour {
		t.Errorf("next poll in %s, want at least the 2h of Retry-After", d)
	}
}

func TestScheduleSpreadsAndIsStable(t *testing.T) {
	s := testSchedule
	now := fetched
	a := s.Next("https://a.example/rss", 10*time.Minute, now, time.Time{})
	b := s.Next("https://b.example/rss", 10*time.Minute, now, time.Time{})
	if a == b {
		t.Errorf("two feeds due at the same instant %s", a)
	}
	// Polled at its due time, a feed is next due exactly one interval
	// later.
	if again := s.Next("https://a.example/rss", 10*time.Minute, a.Add(300*time.Millisecond), time.Time{}); again.Sub(a) != 10*time.Minute {
		t.Errorf("steady interval %s", again.Sub(a))
	}
	for _, u := range []string{"https://a.example/rss", "https://b.example/rss"} {
		next := s.Next(u, 10*time.Minute, now, time.Time{})
		if d := next.Sub(now); d <= 5*time.Minute || d > 15*time.Minute {
			t.Errorf("%s next in %s", u, d)
		}
	}
	// Cache lifetimes are a lower bound.
	if next := s.Next("https://a.example/rss", 10*time.Minute, now, now.Add(3*time.Hour)); next != now.Add(3*time.Hour) {
		t.Errorf("max-age of 3h gave next %s", next.Sub(now))
	}
	arts := parseFixture(t, "rss20-guardian-international-reformatted.xml")
	iv, perDay := s.Adapt(Feed{}, 10*time.Minute, arts, time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC))
	if iv >= s.Max || perDay < 10 {
		t.Errorf("a busy feed gets interval %s (%.1f a day), want below the maximum", iv, perDay)
	}
	iv, _ = s.Adapt(Feed{MaxInterval: 20 * time.Minute}, 18*time.Minute, nil, fetched)
	if iv != 20*time.Minute {
		t.Errorf("a quiet feed drifts to %s, want its own maximum 20m", iv)
	}
}

func TestSchedulerPollsEachFeedOnce(t *testing.T) {
	srv := newFeedServer(t)
	sink := NewMemorySink(false)
	p := NewPoller(testClient(), Schedule{Interval: time.Hour, Min: time.Hour, Max: time.Hour, MaxBackoff: time.Hour, FirstSpread: 100 * time.Millisecond}, sink, nil, quiet(), prometheus.NewRegistry())
	s := newScheduler(p, 4)
	names := []string{"rss20-bbc-urdu-rtl.xml", "rss20-bbc-world-2017-cdata.xml", "atom10-reddit-mediarss.xml", "jsonfeed10-daringfireball.json"}
	for _, n := range names {
		s.upsert(Feed{URL: srv.URL + "/" + n}, nil, time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.run(ctx) }()
	for {
		sink.mu.Lock()
		n := len(sink.States)
		sink.mu.Unlock()
		if n == len(names) {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("%d of %d feeds polled", n, len(names))
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.remove(srv.URL + "/" + names[0])
	if s.len() != len(names)-1 {
		t.Errorf("%d feeds after a removal", s.len())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := srv.full.Load(); got != int32(len(names)) {
		t.Errorf("%d fetches, want one per feed within the hour", got)
	}
}

func TestPollMovedAndCharset(t *testing.T) {
	latin1, err := os.ReadFile("../testdata/feeds/rss20-iso88591-no-xmldecl-cerclepsy.xml")
	if err != nil {
		t.Fatal(err)
	}
	var oldHits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/old.xml", func(w http.ResponseWriter, r *http.Request) {
		oldHits.Add(1)
		http.Redirect(w, r, "/new.xml", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/new.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=ISO-8859-1")
		w.Write(latin1)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sink := NewMemorySink(true)
	p := NewPoller(testClient(), testSchedule, sink, nil, quiet(), prometheus.NewRegistry())
	tk := newTask(Feed{URL: srv.URL + "/old.xml"}, nil)
	for range 2 {
		if res, err := p.Poll(context.Background(), tk); err != nil || res.Err != nil {
			t.Fatal(err, res.Err)
		}
	}
	if oldHits.Load() != 1 || tk.state.FetchURL != srv.URL+"/new.xml" {
		t.Errorf("old URL asked %d times, fetch URL %q: the permanent redirect was not remembered", oldHits.Load(), tk.state.FetchURL)
	}
	if len(sink.Articles) != 9 || !strings.Contains(sink.Articles[0].Title, "Perturbateurs endocriniens : quels effets sur le cerveau") {
		t.Fatalf("%d articles, first %q", len(sink.Articles), sink.Articles[0].Title)
	}
	for _, a := range sink.Articles {
		if a.Feed.URL != srv.URL+"/old.xml" {
			t.Errorf("article keeps feed URL %s, want the feed's own", a.Feed.URL)
		}
	}
}
