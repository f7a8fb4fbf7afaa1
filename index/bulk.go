package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
)

// Item is one document to index.
type Item struct {
	// Index is the index to write to; empty means the Bulk's alias, which
	// must then be a write alias.
	Index string
	ID    string
	Doc   []byte
	// Version orders writes of the same id: a write with an older version
	// than the stored document is a no-op (external_gte versioning), so a
	// replayed or redelivered old message never overwrites newer tags.
	// Zero writes unconditionally.
	Version int64
}

// Rejection is an item Elasticsearch refused for good (a mapping or parse
// error): retrying cannot help; it belongs on the dead-letter topic.
type Rejection struct {
	Index  int // position in the items given to Write
	Status int
	Reason string
}

// Bulk writes documents to an alias with the bulk API and inspects every
// item of every response.
type Bulk struct {
	es       *elasticsearch.Client
	alias    string
	maxBytes int64
	log      *slog.Logger
	// MaxBackoff caps the wait between retries of transient failures.
	MaxBackoff time.Duration
}

// NewBulk returns a bulk writer to alias whose requests stay under
// maxBytes where documents allow.
func NewBulk(es *elasticsearch.Client, alias string, maxBytes int64, log *slog.Logger) *Bulk {
	return &Bulk{es: es, alias: alias, maxBytes: maxBytes, log: log, MaxBackoff: 30 * time.Second}
}

// Write indexes items and returns once every item is either acknowledged
// by Elasticsearch or rejected for good; rejections are returned for the
// dead-letter topic. Transient failures (connection errors, HTTP 429 and
// 5xx, for the request or an item) are retried with capped exponential
// backoff and jitter until ctx is done, which blocks the caller, and so
// stops consumption, while Elasticsearch is away.
func (b *Bulk) Write(ctx context.Context, items []Item) ([]Rejection, error) {
	var rejected []Rejection
	for start := 0; start < len(items); {
		end, size := start, int64(0)
		for end < len(items) && (end == start || size+int64(len(items[end].Doc))+128 <= b.maxBytes) {
			size += int64(len(items[end].Doc)) + 128
			end++
		}
		rej, err := b.writeChunk(ctx, items[start:end])
		if err != nil {
			return rejected, err
		}
		for _, r := range rej {
			r.Index += start
			rejected = append(rejected, r)
		}
		start = end
	}
	return rejected, nil
}

// writeChunk writes one bulk request's worth of items, retrying the
// transient failures until none is left.
func (b *Bulk) writeChunk(ctx context.Context, items []Item) ([]Rejection, error) {
	pending := make([]int, len(items)) // positions still to write
	for i := range pending {
		pending[i] = i
	}
	var rejected []Rejection
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		retry, rej, err := b.send(ctx, items, pending)
		rejected = append(rejected, rej...)
		if err == nil && len(retry) == 0 {
			return rejected, nil
		}
		if err != nil {
			b.log.Warn("bulk request failed, will retry", "alias", b.alias, "items", len(pending), "attempt", attempt, "err", err)
		} else {
			b.log.Warn("bulk items failed transiently, will retry", "alias", b.alias, "items", len(retry), "attempt", attempt)
			pending = retry
		}
		// Full jitter keeps many indexers from retrying in step.
		wait := time.Duration(rand.Int64N(int64(backoff))) + backoff/2
		select {
		case <-ctx.Done():
			return rejected, fmt.Errorf("indexing %d documents into %s: %w", len(pending), b.alias, ctx.Err())
		case <-time.After(wait):
		}
		backoff = min(2*backoff, b.MaxBackoff)
	}
}

// bulkAction is the action line of one document in a bulk request.
type bulkAction struct {
	Index bulkMeta `json:"index"`
}

type bulkMeta struct {
	Index        string `json:"_index"`
	ID           string `json:"_id"`
	RequireAlias bool   `json:"require_alias,omitempty"`
	Version      int64  `json:"version,omitempty"`
	VersionType  string `json:"version_type,omitempty"`
}

// bulkResponse is the part of a bulk response that decides each item's
// fate.
type bulkResponse struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		ID     string   `json:"_id"`
		Status int      `json:"status"`
		Error  *esError `json:"error"`
	} `json:"items"`
}

// send makes one bulk request of the pending items and sorts the outcome:
// positions to retry, rejections, or an error for the whole request.
func (b *Bulk) send(ctx context.Context, items []Item, pending []int) (retry []int, rejected []Rejection, err error) {
	size := 0
	for _, i := range pending {
		size += len(items[i].Doc) + 160
	}
	body := bytes.NewBuffer(make([]byte, 0, size))
	for _, i := range pending {
		it := items[i]
		meta := bulkMeta{Index: it.Index, ID: it.ID}
		if it.Index == "" {
			meta.Index, meta.RequireAlias = b.alias, true
		}
		if it.Version > 0 {
			meta.Version, meta.VersionType = it.Version, "external_gte"
		}
		line, err := json.Marshal(bulkAction{Index: meta})
		if err != nil {
			return nil, nil, fmt.Errorf("encoding bulk action for %s: %w", it.ID, err)
		}
		body.Write(line)
		body.WriteByte('\n')
		body.Write(bytes.TrimSpace(it.Doc))
		body.WriteByte('\n')
	}
	// Only the fields that decide each item's fate come back: on a
	// thousand-item request that is a fraction of the full response.
	res, err := b.es.Bulk(body, b.es.Bulk.WithContext(ctx),
		b.es.Bulk.WithFilterPath("errors", "items.*._id", "items.*.status", "items.*.error.type", "items.*.error.reason"))
	if err != nil {
		return nil, nil, fmt.Errorf("bulk request: %w", err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, nil, responseError("bulk request", res)
	}
	var br bulkResponse
	if err := json.NewDecoder(res.Body).Decode(&br); err != nil {
		return nil, nil, fmt.Errorf("reading bulk response: %w", err)
	}
	if len(br.Items) != len(pending) {
		return nil, nil, fmt.Errorf("bulk response has %d items for %d documents", len(br.Items), len(pending))
	}
	for k, entry := range br.Items {
		i := pending[k]
		for _, r := range entry { // one key: the action
			switch {
			case r.Status >= 200 && r.Status < 300:
			case r.Status == http.StatusConflict:
				// external_gte: the index holds a newer version already.
			case r.Status == http.StatusTooManyRequests || r.Status >= 500:
				retry = append(retry, i)
			case r.Status == http.StatusNotFound || r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
				// Missing alias or credentials: a set-up problem that
				// dead-lettering every article would only hide.
				b.log.Error("bulk item refused, will retry", "alias", b.alias, "status", r.Status, "reason", reason(r.Error))
				retry = append(retry, i)
			default:
				rejected = append(rejected, Rejection{Index: i, Status: r.Status, Reason: strconv.Itoa(r.Status) + " " + reason(r.Error)})
			}
		}
	}
	return retry, rejected, nil
}

func reason(e *esError) string {
	if e == nil {
		return "no reason given"
	}
	return e.Type + ": " + e.Reason
}
