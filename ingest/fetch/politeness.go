package fetch

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// Politeness gives every registrable domain (eTLD+1 from the public
// suffix list) one request budget: at most Concurrency requests at once
// and at least MinDelay between the starts of two requests. Many
// subdomains of one publisher (feeds.bbci.co.uk, www.bbc.co.uk) share the
// budget of bbc.co.uk. A server's Retry-After defers the whole domain.
type Politeness struct {
	Concurrency int
	MinDelay    time.Duration

	mu        sync.Mutex
	domains   map[string]*domain
	lastPrune time.Time
}

type domain struct {
	sem  chan struct{}
	next time.Time // earliest start of the next request
	used time.Time // last acquisition, for pruning
}

// NewPoliteness returns a budget of concurrency requests at once and
// minDelay between request starts per domain.
func NewPoliteness(concurrency int, minDelay time.Duration) *Politeness {
	return &Politeness{Concurrency: max(1, concurrency), MinDelay: max(0, minDelay), domains: map[string]*domain{}}
}

// Domain returns the registrable domain of host, or host itself when the
// public suffix list does not know it (an IP address, localhost).
func Domain(host string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(host) != nil {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// Acquire blocks until a request to host may start or ctx is done. The
// returned release must be called when the request is over.
func (p *Politeness) Acquire(ctx context.Context, host string) (release func(), err error) {
	d := p.domain(Domain(host))
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	now := time.Now()
	start := now
	if d.next.After(now) {
		start = d.next
	}
	d.next = start.Add(p.MinDelay)
	d.used = now
	p.mu.Unlock()
	if wait := start.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-d.sem
			return nil, ctx.Err()
		}
	}
	return func() { <-d.sem }, nil
}

// Defer holds back every request to host's domain for wait.
func (p *Politeness) Defer(host string, wait time.Duration) {
	d := p.domain(Domain(host))
	p.mu.Lock()
	defer p.mu.Unlock()
	if until := time.Now().Add(wait); until.After(d.next) {
		d.next = until
	}
}

func (p *Politeness) domain(name string) *domain {
	p.mu.Lock()
	defer p.mu.Unlock()
	d, ok := p.domains[name]
	if !ok {
		if now := time.Now(); now.Sub(p.lastPrune) > time.Minute {
			p.prune(now)
			p.lastPrune = now
		}
		d = &domain{sem: make(chan struct{}, p.Concurrency)}
		p.domains[name] = d
	}
	return d
}

// prune forgets domains idle for an hour with nothing in flight, so the
// map does not grow with every domain ever seen.
func (p *Politeness) prune(now time.Time) {
	for name, d := range p.domains {
		if len(d.sem) == 0 && now.Sub(d.used) > time.Hour && now.After(d.next) {
			delete(p.domains, name)
		}
	}
}
