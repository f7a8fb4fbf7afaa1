package stories

import (
	"sync"
	"time"
)

// MinSimilarity is the least estimated Jaccard similarity of the shingles
// of two articles of one story. A republication with its own byline and
// boilerplate, or an update under a new headline, stays well above it
// (0.84 to 1 on the fixtures); two reports of one event written
// independently, and alerts filled into one template, stay below (at
// most 0.62 on the fixtures).
const MinSimilarity = 0.7

// Entry is one article the index knows.
type Entry struct {
	ArticleID string
	StoryID   string
	Print     Fingerprint
	// At is the article's publication time; stories are matched within
	// the window around it.
	At time.Time
}

// Index remembers the fingerprints of the articles of the last Window and
// assigns story ids. It is safe for concurrent use.
//
// Every replica that has added the same entries gives the same answer:
// a match is the most similar candidate, ties broken by the earliest
// time, then the smallest story id, so replicas that briefly
// started two stories for one event converge on one id.
type Index struct {
	window time.Duration
	max    int

	mu      sync.Mutex
	entries map[string]*Entry // by article id
	buckets [Bands]map[uint64][]*Entry
	order   []*Entry // insertion order, oldest first, for eviction
	head    int      // first live element of order
	latest  time.Time
}

// NewIndex returns an index that matches articles published within window
// of each other and remembers at most max articles (0: no limit but the
// window).
func NewIndex(window time.Duration, max int) *Index {
	ix := &Index{window: window, max: max, entries: map[string]*Entry{}}
	for b := range ix.buckets {
		ix.buckets[b] = map[uint64][]*Entry{}
	}
	return ix
}

// Len returns the number of articles remembered.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.entries)
}

// Knows reports whether the index remembers the article id.
func (ix *Index) Knows(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	_, ok := ix.entries[id]
	return ok
}

// Assign returns the story id of the article id with text published at at,
// and remembers the article. An article the index already knows keeps its
// story; one that matches a recent article joins that article's story;
// any other starts a story whose id is its own article id.
func (ix *Index) Assign(id, text string, at time.Time) string {
	fp, n := Of(text)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if e, ok := ix.entries[id]; ok {
		return e.StoryID
	}
	story := id
	if n >= MinShingles {
		if m := ix.match(&fp, at); m != nil {
			story = m.StoryID
		}
	}
	ix.add(Entry{ArticleID: id, StoryID: story, Print: fp, At: at}, n)
	return story
}

// Learn remembers an article whose story another replica (or an earlier
// run) assigned, as read back from the enriched topic.
func (ix *Index) Learn(id, storyID, text string, at time.Time) {
	// A replica reads back its own articles: skip the fingerprint of
	// what it knows.
	if ix.Knows(id) {
		return
	}
	fp, n := Of(text)
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if _, ok := ix.entries[id]; ok {
		return
	}
	ix.add(Entry{ArticleID: id, StoryID: storyID, Print: fp, At: at}, n)
}

// match returns the most similar candidate for fp at time at, or nil.
func (ix *Index) match(fp *Fingerprint, at time.Time) *Entry {
	var best *Entry
	bestSim := 0.0
	for b := range Bands {
		for _, e := range ix.buckets[b][fp.band(b)] {
			if ix.window > 0 && absDuration(e.At.Sub(at)) > ix.window {
				continue
			}
			s := fp.Similarity(&e.Print)
			if s < MinSimilarity {
				continue
			}
			if best == nil || s > bestSim || s == bestSim && earlier(e, best) {
				best, bestSim = e, s
			}
		}
	}
	return best
}

func earlier(a, b *Entry) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.StoryID < b.StoryID
}

// add remembers e and evicts what fell out of the window. Each band
// bucket holds the newest article of each story only, so a story told by
// a thousand outlets costs one candidate per bucket, and a story that
// keeps running stays findable by its latest article. A fingerprint built
// from too few shingles is kept for the article id only.
func (ix *Index) add(e Entry, shingles int) {
	p := &e
	ix.entries[e.ArticleID] = p
	if shingles >= MinShingles {
		for b := range Bands {
			k := e.Print.band(b)
			list := ix.buckets[b][k]
			replaced := false
			for i, x := range list {
				if x.StoryID == e.StoryID {
					list[i], replaced = p, true
					break
				}
			}
			if !replaced {
				ix.buckets[b][k] = append(list, p)
			}
		}
	}
	ix.order = append(ix.order, p)
	if e.At.After(ix.latest) {
		ix.latest = e.At
	}
	ix.evict()
}

func (ix *Index) evict() {
	for ix.head < len(ix.order) {
		e := ix.order[ix.head]
		tooMany := ix.max > 0 && len(ix.entries) > ix.max
		tooOld := ix.window > 0 && ix.latest.Sub(e.At) > 2*ix.window
		if !tooMany && !tooOld {
			break
		}
		ix.remove(e)
		ix.order[ix.head] = nil
		ix.head++
	}
	// Compact once half of order is dead, so it does not grow forever.
	if ix.head > 1024 && ix.head > len(ix.order)/2 {
		ix.order = append(ix.order[:0:0], ix.order[ix.head:]...)
		ix.head = 0
	}
}

func (ix *Index) remove(e *Entry) {
	if ix.entries[e.ArticleID] == e {
		delete(ix.entries, e.ArticleID)
	}
	for b := range Bands {
		k := e.Print.band(b)
		list, ok := ix.buckets[b][k]
		if !ok {
			continue
		}
		for i, x := range list {
			if x == e {
				list = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(ix.buckets[b], k)
		} else {
			ix.buckets[b][k] = list
		}
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
