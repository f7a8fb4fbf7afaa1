package ingest

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Health of a feed.
const (
	Healthy = "healthy"
	Failing = "failing"
)

// failingAfter is how many consecutive failed polls make a feed failing:
// one error is often a blip, two in a row are worth a look.
const failingAfter = 2

// maxSeen bounds the item ids remembered per feed beyond those of the
// latest document.
const maxSeen = 300

// State is what the poller remembers about a feed between polls, and
// across restarts and replicas through the compacted feed-state topic
// (keyed by feed URL).
type State struct {
	URL string `json:"url"`
	// FetchURL is where the feed moved to by a permanent redirect.
	FetchURL     string `json:"fetch_url,omitempty"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	// Seen holds the ids of the items published recently, newest first,
	// so a restarted or moved poller does not publish them again.
	Seen           []string      `json:"seen,omitempty"`
	Failures       int           `json:"failures,omitempty"`
	Health         string        `json:"health"`
	LastError      string        `json:"last_error,omitempty"`
	LastErrorAt    time.Time     `json:"last_error_at,omitzero"`
	LastSuccess    time.Time     `json:"last_success,omitzero"`
	LastAttempt    time.Time     `json:"last_attempt,omitzero"`
	NextDue        time.Time     `json:"next_due,omitzero"`
	Interval       time.Duration `json:"interval_ns,omitempty"`
	ArticlesPerDay float64       `json:"articles_per_day"`
	Published      int64         `json:"published,omitempty"`
}

// DecodeState reads a feed-state message value.
func DecodeState(b []byte) (State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return State{}, fmt.Errorf("decoding feed state: %w", err)
	}
	if s.URL == "" {
		return State{}, fmt.Errorf("decoding feed state: no url")
	}
	return s, nil
}

// seenSet is the compact in-memory form of State.Seen: the first 64
// bits of each article id, newest first.
type seenSet []uint64

func seenKey(id string) uint64 {
	if len(id) < 16 {
		id += "0000000000000000"[:16-len(id)]
	}
	n, err := strconv.ParseUint(id[:16], 16, 64)
	if err != nil {
		var b [8]byte
		copy(b[:], id)
		return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	}
	return n
}

func decodeSeen(ss []string) seenSet {
	out := make(seenSet, 0, len(ss))
	for _, s := range ss {
		out = append(out, seenKey(s))
	}
	return out
}

func (s seenSet) strings() []string {
	out := make([]string, len(s))
	var b [8]byte
	for i, k := range s {
		for j := range 8 {
			b[j] = byte(k >> (56 - 8*j))
		}
		out[i] = hex.EncodeToString(b[:])
	}
	return out
}

func (s seenSet) contains(k uint64) bool {
	for _, x := range s {
		if x == k {
			return true
		}
	}
	return false
}

// merge returns the ids of the current document followed by the older
// ones not in it, bounded so the state stays small.
func (s seenSet) merge(current []uint64) seenSet {
	out := make(seenSet, 0, min(len(current)+len(s), len(current)+maxSeen))
	in := make(map[uint64]bool, len(current))
	for _, k := range current {
		if !in[k] {
			in[k] = true
			out = append(out, k)
		}
	}
	for _, k := range s {
		if len(out) >= len(in)+maxSeen {
			break
		}
		if !in[k] {
			in[k] = true
			out = append(out, k)
		}
	}
	return out
}
