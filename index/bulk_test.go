package index

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
)

// fakeBulk is an Elasticsearch that answers _bulk with the status its
// script gives each document id on each attempt.
type fakeBulk struct {
	mu       sync.Mutex
	script   map[string][]int // id → statuses of successive attempts
	attempts map[string]int
	requests int
	down     int // answer this many requests with 503 first
}

func (f *fakeBulk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.down > 0 {
		f.down--
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"type":"unavailable","reason":"node starting"},"status":503}`)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var items []string
	for sc.Scan() {
		var action map[string]struct {
			ID          string `json:"_id"`
			VersionType string `json:"version_type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		id := action["index"].ID
		sc.Scan() // the document
		n := f.attempts[id]
		f.attempts[id]++
		status := 201
		if s := f.script[id]; n < len(s) {
			status = s[n]
		}
		item := fmt.Sprintf(`{"index":{"_id":%q,"status":%d`, id, status)
		if status >= 300 {
			item += fmt.Sprintf(`,"error":{"type":"err_%d","reason":"scripted %d"}`, status, status)
		}
		items = append(items, item+"}}")
	}
	fmt.Fprintf(w, `{"took":1,"errors":true,"items":[%s]}`, strings.Join(items, ","))
}

func newFake(t *testing.T, f *fakeBulk) *Bulk {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := config.Default().Elasticsearch
	cfg.URLs = []string{srv.URL}
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBulk(es, "news-articles", 1<<20, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.MaxBackoff = 10 * time.Millisecond
	return b
}

func TestBulkInspectsEveryItem(t *testing.T) {
	f := &fakeBulk{attempts: map[string]int{}, script: map[string][]int{
		"ok":         {201},
		"busy":       {429, 429, 201},
		"broken":     {400},
		"flaky":      {503, 200},
		"superseded": {409},
	}}
	b := newFake(t, f)
	items := []Item{{ID: "ok", Doc: []byte(`{}`)}, {ID: "busy", Doc: []byte(`{}`)}, {ID: "broken", Doc: []byte(`{}`)},
		{ID: "flaky", Doc: []byte(`{}`)}, {ID: "superseded", Doc: []byte(`{}`), Version: 1}}
	rejected, err := b.Write(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	if len(rejected) != 1 || items[rejected[0].Index].ID != "broken" || !strings.Contains(rejected[0].Reason, "scripted 400") {
		t.Fatalf("rejected = %+v, want only the 400 item with its reason", rejected)
	}
	if f.attempts["busy"] != 3 || f.attempts["flaky"] != 2 || f.attempts["ok"] != 1 || f.attempts["superseded"] != 1 {
		t.Errorf("attempts = %v: transient items must be retried until acknowledged, others sent once", f.attempts)
	}
}

func TestBulkWaitsOutAnOutage(t *testing.T) {
	f := &fakeBulk{attempts: map[string]int{}, script: map[string][]int{}, down: 3}
	b := newFake(t, f)
	rejected, err := b.Write(context.Background(), []Item{{ID: "a", Doc: []byte(`{}`)}})
	if err != nil || len(rejected) != 0 {
		t.Fatalf("Write = %v, %v", rejected, err)
	}
	if f.attempts["a"] != 1 {
		t.Errorf("document written %d times after the outage", f.attempts["a"])
	}
}

func TestBulkGivesUpOnlyWhenCancelled(t *testing.T) {
	// More 503s than retries fit in the deadline, however fast the machine.
	f := &fakeBulk{attempts: map[string]int{}, script: map[string][]int{"a": slices.Repeat([]int{503}, 100_000)}}
	b := newFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := b.Write(ctx, []Item{{ID: "a", Doc: []byte(`{}`)}}); err == nil {
		t.Fatal("Write reported success for a document Elasticsearch never acknowledged")
	}
}

func TestBulkSplitsByBytes(t *testing.T) {
	f := &fakeBulk{attempts: map[string]int{}, script: map[string][]int{}}
	b := newFake(t, f)
	b.maxBytes = 1200
	doc := []byte(`{"content":"` + strings.Repeat("x", 400) + `"}`)
	var items []Item
	for i := range 6 {
		items = append(items, Item{ID: fmt.Sprint(i), Doc: doc})
	}
	if _, err := b.Write(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	if f.requests != 3 {
		t.Errorf("6 documents of ~420 bytes under a 1200-byte cap took %d requests, want 3", f.requests)
	}
}
