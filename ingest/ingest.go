// Package ingest polls news feeds and publishes their articles to Kafka.
// Run is its entry.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/prometheus/client_golang/prometheus"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
)

// Poller fetches every feed of its list and publishes the articles to the
// raw topic.
type Poller struct {
	cfg     *config.Config
	feeds   []Feed
	fetcher *Fetcher
	writer  *kafkago.Writer
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
}

// New returns a poller of feeds that publishes with cfg's Kafka settings
// and registers its metrics on reg. Close releases its Kafka writer.
func New(cfg *config.Config, feeds []Feed, log *slog.Logger, reg prometheus.Registerer) *Poller {
	return &Poller{
		cfg:     cfg,
		feeds:   feeds,
		fetcher: NewFetcher(cfg.Ingest.FetchTimeout, cfg.Ingest.MaxBodyBytes, cfg.Ingest.UserAgent),
		writer:  kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw),
		log:     log,
		metrics: newMetrics(reg),
		now:     time.Now,
	}
}

// Close flushes and closes the Kafka writer.
func (p *Poller) Close() error { return p.writer.Close() }

// Stats counts the outcome of one round of polls.
type Stats struct {
	Feeds     int // feeds polled
	Failed    int // feeds whose fetch or parse failed
	Articles  int // articles published and acknowledged
	Skipped   int // items that could not be identified
	Published time.Duration
}

// Run polls every feed, then again each poll interval, until ctx is done.
// A feed that fails is logged and tried again next round; articles are
// published with acknowledgement by all in-sync replicas.
func (p *Poller) Run(ctx context.Context) error {
	for {
		st, err := p.PollOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.log.Error("publishing articles", "err", err)
		} else {
			p.log.Debug("poll round done", "feeds", st.Feeds, "failed", st.Failed, "articles", st.Articles)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(p.cfg.Ingest.PollInterval):
		}
	}
}

// PollOnce polls every feed once, Concurrency at a time, and returns after
// Kafka acknowledged every article found, or with the first publish error.
// Feed errors are logged and counted, not returned.
func (p *Poller) PollOnce(ctx context.Context) (Stats, error) {
	st := Stats{Feeds: len(p.feeds)}
	var (
		mu      sync.Mutex
		errs    []error
		wg      sync.WaitGroup
		sem     = make(chan struct{}, p.cfg.Ingest.Concurrency)
		started = p.now()
	)
	failing := 0
	defer func() { p.metrics.failing.Set(float64(failing)) }()
	for _, f := range p.feeds {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return st, ctx.Err()
		}
		wg.Add(1)
		go func(f Feed) {
			defer wg.Done()
			defer func() { <-sem }()
			arts, skipped, err := p.Poll(ctx, f)
			if err != nil {
				p.log.Warn("polling feed", "feed_url", f.URL, "err", err)
				mu.Lock()
				st.Failed++
				failing++
				mu.Unlock()
				return
			}
			for _, s := range skipped {
				p.log.Debug("skipping feed item", "feed_url", f.URL, "err", s)
			}
			err = p.Publish(ctx, arts)
			mu.Lock()
			defer mu.Unlock()
			st.Skipped += len(skipped)
			if err != nil {
				errs = append(errs, fmt.Errorf("feed %s: %w", f.URL, err))
				return
			}
			st.Articles += len(arts)
			p.metrics.published.Add(float64(len(arts)))
		}(f)
	}
	wg.Wait()
	st.Published = p.now().Sub(started)
	return st, errors.Join(errs...)
}

// Poll fetches and parses one feed and returns its articles, and the items
// it could not identify.
func (p *Poller) Poll(ctx context.Context, f Feed) ([]*article.Article, []error, error) {
	start := time.Now()
	defer func() { p.metrics.duration.Observe(time.Since(start).Seconds()) }()
	resp, err := p.fetcher.Fetch(ctx, f.URL)
	if err != nil {
		class := "error"
		var se *StatusError
		if errors.As(err, &se) {
			class = fmt.Sprintf("%dxx", se.Status/100)
		}
		p.metrics.fetches.WithLabelValues(class).Inc()
		return nil, nil, err
	}
	arts, skipped, err := Parse(f, resp.Body, resp.URL, p.now())
	if err != nil {
		p.metrics.fetches.WithLabelValues("error").Inc()
		return nil, nil, err
	}
	p.metrics.fetches.WithLabelValues("2xx").Inc()
	return arts, skipped, nil
}

// Parse parses a feed document (RSS, Atom or JSON Feed) and normalizes its
// items. base is the document's URL, for relative links.
func Parse(f Feed, body []byte, base string, fetchedAt time.Time) ([]*article.Article, []error, error) {
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("parsing feed %s: %w", f.URL, err)
	}
	arts, skipped := Normalize(f, parsed, base, fetchedAt)
	return arts, skipped, nil
}

// Publish writes articles to the raw topic keyed by id and returns once
// all in-sync replicas acknowledged them.
func (p *Poller) Publish(ctx context.Context, arts []*article.Article) error {
	if len(arts) == 0 {
		return nil
	}
	msgs := make([]kafkago.Message, 0, len(arts))
	for _, a := range arts {
		b, err := article.Encode(a)
		if err != nil {
			return err
		}
		msgs = append(msgs, kafkago.Message{Key: []byte(a.ID), Value: b, Headers: kafka.Headers(article.SchemaVersionHeader())})
	}
	if err := p.writer.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publishing %d articles to %s: %w", len(msgs), p.cfg.Topics.Raw, err)
	}
	return nil
}
