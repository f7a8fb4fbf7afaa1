package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrTooLarge is returned when a body exceeds the size cap.
var ErrTooLarge = errors.New("body exceeds the size limit")

// Fetcher fetches feed documents over HTTP with a total timeout and a
// body size cap.
type Fetcher struct {
	Client    *http.Client
	UserAgent string
	MaxBytes  int64
}

// NewFetcher returns a fetcher with its own HTTP client.
func NewFetcher(timeout time.Duration, maxBytes int64, userAgent string) *Fetcher {
	return &Fetcher{
		Client:    &http.Client{Timeout: timeout},
		UserAgent: userAgent,
		MaxBytes:  maxBytes,
	}
}

// Response is a fetched feed document.
type Response struct {
	URL         string // after redirects
	ContentType string
	Body        []byte
}

// StatusError is a response with a status other than 200.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// Fetch GETs url and returns its body. It fails on any status but 200, on
// a body larger than MaxBytes, and when ctx or the client timeout ends.
func (f *Fetcher) Fetch(ctx context.Context, url string) (*Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("building request for %s: %w", url, err)
	}
	req.Header.Set("User-Agent", f.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8")
	resp, err := f.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, &StatusError{URL: url, Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading body of %s: %w", url, err)
	}
	if int64(len(body)) > f.MaxBytes {
		return nil, fmt.Errorf("reading body of %s: %w (%d bytes)", url, ErrTooLarge, f.MaxBytes)
	}
	return &Response{URL: resp.Request.URL.String(), ContentType: resp.Header.Get("Content-Type"), Body: body}, nil
}
