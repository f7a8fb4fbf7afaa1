// Package ingest polls news feeds and publishes their articles to Kafka.
//
// A Poller fetches one feed with the fetch package's client (conditional
// GET, limits, politeness, SSRF guard), parses and normalizes it, drops
// the items it published before, publishes the rest and records the
// feed's state and health. The scheduler polls a set of feeds, each when
// it is due; Run shares the feeds of the news.feeds topic between
// replicas through a Kafka consumer group.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/pkg/article"
)

// feedAccept is the Accept header of feed requests.
const feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"

// Sink is where a poller's output goes: Kafka in production, memory in
// tests and benchmarks.
type Sink interface {
	// PublishArticles returns once every article is durably published.
	PublishArticles(ctx context.Context, arts []*article.Article) error
	// SaveState records a feed's state; it may batch, and Flush writes
	// what it holds.
	SaveState(ctx context.Context, s State) error
	// PublishHealth records a change of a feed's health.
	PublishHealth(ctx context.Context, e HealthEvent) error
	Flush(ctx context.Context) error
}

// FullText fetches an article page and returns its main text.
type FullText interface {
	Extract(ctx context.Context, pageURL string) (string, error)
}

// Poller polls single feeds. It is safe for concurrent use on different
// feeds.
type Poller struct {
	client   *fetch.Client
	schedule Schedule
	sink     Sink
	fullText FullText
	log      *slog.Logger
	metrics  *metrics
	now      func() time.Time
}

// NewPoller returns a poller that fetches with client, schedules with s
// and writes to sink. fullText may be nil, which leaves full-text feeds
// with their feed content.
func NewPoller(client *fetch.Client, s Schedule, sink Sink, fullText FullText, log *slog.Logger, reg prometheus.Registerer) *Poller {
	return &Poller{client: client, schedule: s, sink: sink, fullText: fullText, log: log, metrics: newMetrics(reg), now: time.Now}
}

// task is a feed with what the poller knows about it.
type task struct {
	feed  Feed
	state State
	seen  seenSet
	// scheduler bookkeeping, guarded by the scheduler's lock
	due     time.Time
	index   int
	running bool
	removed bool
	pending *Feed
	savedAt time.Time // when the state was last handed to the sink
}

func newTask(f Feed, st *State) *task {
	t := &task{feed: f, index: -1}
	if st != nil {
		t.state = *st
		t.seen = decodeSeen(st.Seen)
		t.state.Seen = nil
	}
	t.state.URL = f.URL
	if t.state.Health == "" {
		t.state.Health = Healthy
	}
	return t
}

// Result is the outcome of one poll.
type Result struct {
	Published   int
	Duplicates  int
	Skipped     int
	NotModified bool
	// Err is the fetch or parse error; the feed's state records it and
	// the feed is retried with backoff.
	Err error
}

// Poll fetches t's feed once, publishes the items not published before,
// and updates t's state, schedule and health. It returns an error only
// when publishing failed, in which case t's state is left as it was so
// the items are tried again.
func (p *Poller) Poll(ctx context.Context, t *task) (Result, error) {
	now := p.now()
	prev := t.state
	st := t.state
	st.LastAttempt = now
	if st.Interval <= 0 {
		st.Interval = p.schedule.Interval
		lo, hi := p.schedule.bounds(t.feed)
		st.Interval = min(max(st.Interval, lo), hi)
	}
	req := fetch.Request{URL: t.feed.URL, Accept: feedAccept, ETag: st.ETag, LastModified: st.LastModified}
	if st.FetchURL != "" {
		req.URL = st.FetchURL
	}
	resp, err := p.client.Fetch(ctx, req)
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	p.metrics.fetches.WithLabelValues(fetch.StatusClass(resp, err)).Inc()
	p.metrics.duration.Observe(p.now().Sub(now).Seconds())

	var res Result
	var seen seenSet
	switch {
	case err != nil:
		res.Err = err
	case resp.NotModified:
		res.NotModified = true
		p.metrics.notModified.Inc()
	default:
		var doc *Document
		doc, res.Err = ParseDocument(t.feed, resp.Body, resp.ContentType, resp.URL, now)
		if res.Err == nil {
			fresh, current := p.dedup(t, doc.Articles)
			res.Duplicates = len(doc.Articles) - len(fresh)
			res.Skipped = len(doc.Skipped)
			if t.feed.FullText && p.fullText != nil {
				p.addFullText(ctx, fresh)
			}
			if err := p.sink.PublishArticles(ctx, fresh); err != nil {
				return res, fmt.Errorf("feed %s: %w", t.feed.URL, err)
			}
			res.Published = len(fresh)
			p.metrics.published.Add(float64(len(fresh)))
			p.metrics.duplicates.Add(float64(res.Duplicates))
			seen = t.seen.merge(current)
			st.Published += int64(len(fresh))
			st.Interval, st.ArticlesPerDay = p.schedule.Adapt(t.feed, st.Interval, doc.Articles, now)
			if doc.TTL > 0 && (resp.FreshUntil.IsZero() || now.Add(doc.TTL).After(resp.FreshUntil)) {
				resp.FreshUntil = now.Add(doc.TTL)
			}
			for _, s := range doc.Skipped {
				p.log.Debug("skipping feed item", "feed_url", t.feed.URL, "err", s)
			}
		}
	}

	prevHealth := st.Health
	if res.Err != nil {
		st.Failures++
		st.LastError = res.Err.Error()
		st.LastErrorAt = now
		var retry time.Duration
		var fe *fetch.Error
		if errors.As(res.Err, &fe) {
			retry = fe.RetryAfter
		}
		st.NextDue = p.schedule.Backoff(t.feed.URL, st.Interval, st.Failures, now, retry)
		if st.Failures >= failingAfter {
			st.Health = Failing
		}
	} else {
		st.Failures = 0
		st.LastSuccess = now
		st.Health = Healthy
		if resp.Moved != "" {
			st.FetchURL = resp.Moved
		}
		if !resp.NotModified {
			st.ETag, st.LastModified = resp.ETag, resp.LastModified
		}
		st.NextDue = p.schedule.Next(t.feed.URL, st.Interval, now, resp.FreshUntil)
	}
	if seen != nil {
		t.seen = seen
	}
	t.state = st

	if st.Health != prevHealth {
		ev := HealthEvent{URL: t.feed.URL, Health: st.Health, Previous: prevHealth, Failures: st.Failures, At: now, Error: st.LastError}
		if st.Health == Healthy {
			ev.Error = ""
			p.log.Info("feed recovered", "feed_url", t.feed.URL)
		} else {
			p.log.Warn("feed failing", "feed_url", t.feed.URL, "failures", st.Failures, "err", res.Err)
		}
		if err := p.sink.PublishHealth(ctx, ev); err != nil {
			p.log.Warn("publishing feed health", "feed_url", t.feed.URL, "err", err)
		}
	} else if res.Err != nil {
		p.log.Debug("polling feed", "feed_url", t.feed.URL, "failures", st.Failures, "err", res.Err)
	}
	// A 304 that changes nothing but the times is not worth a state
	// message at every poll: the feed-state topic would grow with every
	// unchanged feed. A restart loses at most the next-due time of such
	// a feed, which then gets an early, cheap conditional GET.
	unchanged := res.NotModified && st.Health == prevHealth && st.FetchURL == prev.FetchURL && prev.Failures == 0
	if !unchanged || now.Sub(t.savedAt) >= stateRefresh {
		saved := st
		saved.Seen = t.seen.strings()
		if err := p.sink.SaveState(ctx, saved); err != nil {
			p.log.Warn("saving feed state", "feed_url", t.feed.URL, "err", err)
		}
		t.savedAt = now
	}
	return res, nil
}

// stateRefresh is how often the state of a feed that answers 304 is
// saved anyway, so the status shows its last success.
const stateRefresh = time.Hour

// dedup returns the articles not published before and the seen keys of
// every article of the document, in document order.
func (p *Poller) dedup(t *task, arts []*article.Article) (fresh []*article.Article, current []uint64) {
	current = make([]uint64, 0, len(arts))
	for _, a := range arts {
		k := seenKey(a.ID)
		current = append(current, k)
		if !t.seen.contains(k) {
			fresh = append(fresh, a)
		}
	}
	return fresh, current
}

// addFullText replaces the feed's teaser by the article page's text
// where the page gives more.
func (p *Poller) addFullText(ctx context.Context, arts []*article.Article) {
	for i, a := range arts {
		if i >= maxFullTextPages || ctx.Err() != nil {
			// The rest keep the feed's text: a poll must stay short
			// enough to finish within a rebalance.
			p.metrics.fullText.WithLabelValues("skipped").Add(float64(len(arts) - i))
			return
		}
		if a.URL == "" {
			continue
		}
		text, err := p.fullText.Extract(ctx, a.URL)
		if err != nil {
			p.metrics.fullText.WithLabelValues("error").Inc()
			p.log.Debug("extracting full text", "url", a.URL, "err", err)
			continue
		}
		if len(text) > len(a.Content) {
			a.Content = text
			if a.Summary == "" {
				a.Summary = truncateText(text, summaryChars)
			}
			p.metrics.fullText.WithLabelValues("ok").Inc()
		} else {
			p.metrics.fullText.WithLabelValues("shorter").Inc()
		}
	}
}

// maxFullTextPages bounds the article pages fetched in one poll.
const maxFullTextPages = 20

// Stats counts the outcome of one round of polls.
type Stats struct {
	Feeds      int // feeds polled
	Failed     int // feeds whose fetch or parse failed
	Articles   int // articles published and acknowledged
	Duplicates int // items published before
	Skipped    int // items that could not be identified
}

// PollOnce polls every feed once, concurrency at a time, from a clean
// state (no validators, nothing seen), and returns after every article
// found is durably published, or with the publish errors. Feed errors
// are logged and counted, not returned. The feeds' state is saved as
// after any poll.
func (p *Poller) PollOnce(ctx context.Context, feeds []Feed, concurrency int) (Stats, error) {
	st := Stats{Feeds: len(feeds)}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, max(1, concurrency))
	)
	for _, f := range feeds {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return st, ctx.Err()
		}
		wg.Add(1)
		go func(t *task) {
			defer wg.Done()
			defer func() { <-sem }()
			res, err := p.Poll(ctx, t)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			if res.Err != nil {
				p.log.Warn("polling feed", "feed_url", t.feed.URL, "err", res.Err)
				st.Failed++
			}
			st.Articles += res.Published
			st.Duplicates += res.Duplicates
			st.Skipped += res.Skipped
		}(newTask(f, nil))
	}
	wg.Wait()
	if err := p.sink.Flush(ctx); err != nil {
		errs = append(errs, err)
	}
	return st, errors.Join(errs...)
}

// CheckRequest is the request `feeds check` makes: an unconditional GET
// of a feed.
func CheckRequest(url string) fetch.Request { return fetch.Request{URL: url, Accept: feedAccept} }
