package ingest

import (
	"encoding/json"
	"fmt"
	"time"
)

// HealthEvent is a change of a feed's health, published on the compacted
// feed-health topic keyed by feed URL, so the topic holds the latest
// health of every feed and consumers see each change.
type HealthEvent struct {
	URL string `json:"url"`
	// Health is "failing" or "healthy"; Previous is what it was, so a
	// "healthy" event after "failing" reads as recovered.
	Health   string    `json:"health"`
	Previous string    `json:"previous"`
	Failures int       `json:"failures"`
	Error    string    `json:"error,omitempty"`
	At       time.Time `json:"at"`
}

// Recovered reports whether the event is a failing feed coming back.
func (e HealthEvent) Recovered() bool { return e.Health == Healthy && e.Previous == Failing }

// DecodeHealthEvent reads a feed-health message value.
func DecodeHealthEvent(b []byte) (HealthEvent, error) {
	var e HealthEvent
	if err := json.Unmarshal(b, &e); err != nil {
		return HealthEvent{}, fmt.Errorf("decoding feed health: %w", err)
	}
	return e, nil
}
