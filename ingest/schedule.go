package ingest

import (
	"hash/fnv"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// Schedule decides when each feed is polled next.
type Schedule struct {
	// Interval is the interval of a feed the poller knows nothing about
	// yet.
	Interval time.Duration
	// Min and Max bound the adaptive interval, unless a feed sets its
	// own bounds.
	Min, Max time.Duration
	// MaxBackoff caps the wait after consecutive failures; a failing
	// feed is retried at least this often, forever.
	MaxBackoff time.Duration
	// FirstSpread spreads the first polls of feeds without state, so a
	// large new feed list does not start with a burst.
	FirstSpread time.Duration
}

// bounds returns the interval bounds of f.
func (s Schedule) bounds(f Feed) (lo, hi time.Duration) {
	lo, hi = s.Min, s.Max
	if f.MinInterval > 0 {
		lo = f.MinInterval
	}
	if f.MaxInterval > 0 {
		hi = f.MaxInterval
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// offset returns a stable fraction of d for url, so the feeds of one
// interval spread evenly and each keeps its phase across restarts and
// replicas.
func offset(url string, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(url))
	return time.Duration(h.Sum64() % uint64(d))
}

// First returns when a feed without a next-due time is polled first.
func (s Schedule) First(url string, now time.Time) time.Time {
	return now.Add(offset(url, min(s.FirstSpread, s.Interval)))
}

// Next returns the next poll of a feed polled successfully at now with
// the given interval: the instant of the feed's phase that lies between
// half an interval and one and a half intervals ahead, so in a steady
// state polls are exactly one interval apart at a time fixed by the URL.
// notBefore (the server's cache lifetime, the feed's ttl) is a lower
// bound.
func (s Schedule) Next(url string, interval time.Duration, now, notBefore time.Time) time.Time {
	phase := offset(url, interval)
	earliest := now.Add(interval / 2)
	// t ≡ phase (mod interval), t > earliest
	rem := time.Duration((earliest.UnixNano() - int64(phase)) % int64(interval))
	if rem < 0 {
		rem += interval
	}
	t := earliest.Add(interval - rem)
	if notBefore.After(t) {
		// Cap what a server may ask for, so a typo in a header does not
		// silence a feed for weeks.
		t = notBefore
		if limit := now.Add(24 * time.Hour); t.After(limit) {
			t = limit
		}
	}
	return t
}

// Backoff returns the next poll after the n-th consecutive failure:
// the interval doubled per failure up to MaxBackoff, jittered by the
// URL so feeds of one broken host do not come back together. retryAfter
// from the server is a lower bound.
func (s Schedule) Backoff(url string, interval time.Duration, failures int, now time.Time, retryAfter time.Duration) time.Time {
	d := interval
	for i := 1; i < failures && d < s.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.MaxBackoff)
	d += offset(url, d/10+1)
	d = max(d, retryAfter)
	return now.Add(d)
}

// Adapt returns a feed's interval from how often it publishes: the
// average gap between its dated items of the last week (a feed lists
// only its latest items, so the gap is measured over the span they
// cover), halved so a new story waits half a gap on average, within the
// feed's bounds. A feed with fewer than two dated items in the week
// drifts towards its upper bound. It also returns the articles per day.
func (s Schedule) Adapt(f Feed, current time.Duration, arts []*article.Article, now time.Time) (time.Duration, float64) {
	lo, hi := s.bounds(f)
	if current <= 0 {
		current = s.Interval
	}
	week := 7 * 24 * time.Hour
	n := 0
	var oldest, newest time.Time
	for _, a := range arts {
		t := a.PublishedAt
		if a.PublishedInferred || now.Sub(t) > week || t.After(now.Add(time.Hour)) {
			continue
		}
		n++
		if oldest.IsZero() || t.Before(oldest) {
			oldest = t
		}
		if t.After(newest) {
			newest = t
		}
	}
	next := current + current/4
	perDay := 0.0
	if n >= 2 {
		// The span runs to now: a feed that went quiet is slower than
		// its last burst.
		span := max(now.Sub(oldest), time.Minute)
		gap := span / time.Duration(n)
		next = gap / 2
		perDay = float64(n) / span.Hours() * 24
	}
	return min(max(next, lo), hi), perDay
}
