// Package fetch is the HTTP side of ingest: a client that fetches feeds
// and article pages with timeouts, a body size cap, decompression,
// bounded redirects, conditional requests, an SSRF guard on every
// connection and per-domain politeness, and that reports what the server
// said about caching and retrying.
package fetch

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Options configure a Client. Zero fields take the defaults named on
// each.
type Options struct {
	// Timeout bounds one fetch, redirects and body included (30s).
	Timeout time.Duration
	// ConnectTimeout bounds a TCP connect (10s); TLS handshakes get the
	// same.
	ConnectTimeout time.Duration
	// MaxBytes caps a body after decompression (10 MiB).
	MaxBytes int64
	// MaxRedirects is the longest redirect chain followed (5).
	MaxRedirects int
	// UserAgent is sent with every request.
	UserAgent string
	// Guard decides which addresses may be dialled; nil refuses every
	// non-public address.
	Guard *Guard
	// Politeness spaces requests per registrable domain; nil does not.
	Politeness *Politeness
	// Proxy chooses a proxy per request; nil takes it from the
	// environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY). With a proxy the
	// guard checks the proxy's address, since the proxy resolves the
	// feed's host.
	Proxy func(*http.Request) (*url.URL, error)
	// MaxConnsPerHost bounds the connections kept to one host (16).
	MaxConnsPerHost int
}

// Client fetches documents over HTTP. It is safe for concurrent use.
type Client struct {
	opts Options
	http *http.Client
}

// errTooManyRedirects ends a chain longer than MaxRedirects.
var errTooManyRedirects = errors.New("too many redirects")

// New returns a client with its own transport.
func New(opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 10 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 10 << 20
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = 5
	}
	if opts.Guard == nil {
		opts.Guard = &Guard{}
	}
	if opts.Proxy == nil {
		opts.Proxy = http.ProxyFromEnvironment
	}
	if opts.MaxConnsPerHost <= 0 {
		opts.MaxConnsPerHost = 16
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second, Control: opts.Guard.control}
	tr := &http.Transport{
		Proxy:                 opts.Proxy,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ResponseHeaderTimeout: opts.Timeout,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   opts.MaxConnsPerHost,
		MaxConnsPerHost:       opts.MaxConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		// Decompression is ours: the transport would only do gzip, and the
		// size cap must apply to the decompressed bytes (gzip bombs).
		DisableCompression: true,
		ForceAttemptHTTP2:  true,
	}
	return &Client{
		opts: opts,
		http: &http.Client{
			Transport: tr,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > opts.MaxRedirects {
					return errTooManyRedirects
				}
				if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
					return fmt.Errorf("redirect to %s: not http or https", req.URL.Redacted())
				}
				return nil
			},
		},
	}
}

// Request is one GET.
type Request struct {
	URL    string
	Accept string
	// ETag and LastModified are the validators of the copy held; when
	// set the request is conditional and a 304 comes back as
	// NotModified.
	ETag         string
	LastModified string
}

// Response is a fetched document.
type Response struct {
	// URL is where the body came from, after redirects.
	URL string
	// Moved is the new address when every redirect on the way was
	// permanent (301 or 308): the caller fetches from there next time.
	Moved       string
	Status      int
	NotModified bool
	ContentType string
	// Body is the decompressed body, at most MaxBytes.
	Body         []byte
	ETag         string
	LastModified string
	// FreshUntil is when the server said the document may change
	// (Cache-Control max-age or Expires); zero when it did not say.
	FreshUntil time.Time
	Duration   time.Duration
}

// Fetch GETs req.URL. Any status other than 200 and 304 is a *Error, as
// are timeouts, oversize bodies, refused addresses and broken
// encodings; the error names the URL and what went wrong. Fetch waits for
// the domain's politeness budget first.
func (c *Client) Fetch(ctx context.Context, req Request) (*Response, error) {
	start := time.Now()
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{URL: req.URL, Kind: KindInvalid, Err: errors.New("not an absolute http(s) URL")}
	}
	if c.opts.Politeness != nil {
		release, err := c.opts.Politeness.Acquire(ctx, u.Hostname())
		if err != nil {
			return nil, &Error{URL: req.URL, Kind: KindCanceled, Err: err}
		}
		defer release()
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &Error{URL: req.URL, Kind: KindInvalid, Err: err}
	}
	hreq.Header.Set("User-Agent", c.opts.UserAgent)
	hreq.Header.Set("Accept-Encoding", "gzip, deflate")
	if req.Accept != "" {
		hreq.Header.Set("Accept", req.Accept)
	}
	// A server may answer 304 to either validator; send both, since some
	// servers compare only one (RFC 9110 §13.1.3).
	if req.ETag != "" {
		hreq.Header.Set("If-None-Match", req.ETag)
	}
	if req.LastModified != "" {
		hreq.Header.Set("If-Modified-Since", req.LastModified)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		return nil, classify(req.URL, ctx, err)
	}
	defer resp.Body.Close()

	out := &Response{
		URL:          resp.Request.URL.String(),
		Status:       resp.StatusCode,
		ContentType:  resp.Header.Get("Content-Type"),
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		FreshUntil:   freshUntil(resp.Header, time.Now()),
	}
	if moved := permanentTarget(resp); moved != "" && moved != req.URL {
		out.Moved = moved
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		out.NotModified = true
		if out.ETag == "" {
			out.ETag = req.ETag
		}
		if out.LastModified == "" {
			out.LastModified = req.LastModified
		}
		out.Duration = time.Since(start)
		return out, nil
	case resp.StatusCode != http.StatusOK:
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<10))
		e := &Error{URL: req.URL, Kind: KindStatus, Status: resp.StatusCode}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			e.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"), time.Now())
			if c.opts.Politeness != nil && e.RetryAfter > 0 {
				c.opts.Politeness.Defer(u.Hostname(), e.RetryAfter)
			}
		}
		return nil, e
	}
	body, err := c.readBody(resp)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, &Error{URL: req.URL, Kind: KindTooLarge, Err: fmt.Errorf("body exceeds %d bytes", c.opts.MaxBytes)}
		}
		var fe *Error
		if errors.As(err, &fe) {
			fe.URL = req.URL
			return nil, fe
		}
		return nil, classify(req.URL, ctx, fmt.Errorf("reading body: %w", err))
	}
	out.Body = body
	out.Duration = time.Since(start)
	return out, nil
}

var errTooLarge = errors.New("body too large")

// readBody decompresses and reads the body, failing once it passes
// MaxBytes.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	var r io.Reader = resp.Body
	if resp.ContentLength > c.opts.MaxBytes && resp.Header.Get("Content-Encoding") == "" {
		return nil, errTooLarge
	}
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, &Error{Kind: KindEncoding, Err: fmt.Errorf("gzip body: %w", err)}
		}
		defer zr.Close()
		r = zr
	case "deflate":
		// "deflate" is zlib-wrapped (RFC 9110 §8.4.1.2), but some servers
		// send raw deflate: the zlib header tells them apart.
		br := bufio.NewReader(r)
		head, _ := br.Peek(2)
		if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
			zr, err := zlib.NewReader(br)
			if err != nil {
				return nil, &Error{Kind: KindEncoding, Err: fmt.Errorf("deflate body: %w", err)}
			}
			defer zr.Close()
			r = zr
		} else {
			fr := flate.NewReader(br)
			defer fr.Close()
			r = fr
		}
	default:
		return nil, &Error{Kind: KindEncoding, Err: fmt.Errorf("unsupported content encoding %q", enc)}
	}
	body, err := io.ReadAll(io.LimitReader(r, c.opts.MaxBytes+1))
	if err != nil {
		var ce flate.CorruptInputError
		if errors.As(err, &ce) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, zlib.ErrChecksum) {
			return nil, &Error{Kind: KindEncoding, Err: fmt.Errorf("decompressing body: %w", err)}
		}
		return nil, err
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return nil, errTooLarge
	}
	return body, nil
}

// permanentTarget returns the final URL when the response came through
// redirects that were all permanent.
func permanentTarget(resp *http.Response) string {
	final := resp.Request.URL.String()
	r := resp.Request.Response
	if r == nil {
		return ""
	}
	for ; r != nil; r = r.Request.Response {
		if r.StatusCode != http.StatusMovedPermanently && r.StatusCode != http.StatusPermanentRedirect {
			return ""
		}
	}
	return final
}

// classify wraps a transport error into an *Error of the right kind.
func classify(rawURL string, ctx context.Context, err error) error {
	var be *BlockedError
	switch {
	case errors.As(err, &be):
		return &Error{URL: rawURL, Kind: KindBlocked, Err: be}
	case errors.Is(err, errTooManyRedirects):
		return &Error{URL: rawURL, Kind: KindRedirects, Err: errTooManyRedirects}
	case errors.Is(err, context.Canceled) && ctx.Err() == context.Canceled:
		return &Error{URL: rawURL, Kind: KindCanceled, Err: err}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		return &Error{URL: rawURL, Kind: KindTimeout, Err: err}
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return &Error{URL: rawURL, Kind: KindDNS, Err: err}
	}
	return &Error{URL: rawURL, Kind: KindNetwork, Err: err}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Kind names what went wrong with a fetch.
type Kind string

// The kinds of fetch failure.
const (
	KindInvalid   Kind = "invalid URL"
	KindStatus    Kind = "HTTP status"
	KindTimeout   Kind = "timeout"
	KindTooLarge  Kind = "too large"
	KindBlocked   Kind = "address not allowed"
	KindRedirects Kind = "too many redirects"
	KindEncoding  Kind = "bad encoding"
	KindDNS       Kind = "DNS"
	KindNetwork   Kind = "network"
	KindCanceled  Kind = "canceled"
)

// Error is a failed fetch.
type Error struct {
	URL    string
	Kind   Kind
	Status int // for KindStatus
	// RetryAfter is how long the server asked to wait (429, 503).
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Kind == KindStatus {
		s := fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Status, http.StatusText(e.Status))
		if e.RetryAfter > 0 {
			s += fmt.Sprintf(" (retry after %s)", e.RetryAfter.Round(time.Second))
		}
		return s
	}
	return fmt.Sprintf("GET %s: %s: %v", e.URL, e.Kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// StatusClass is the metric label of a fetch outcome: "2xx", "3xx",
// "4xx", "5xx" or "error" when there was no HTTP answer.
func StatusClass(resp *Response, err error) string {
	status := 0
	if resp != nil {
		status = resp.Status
	}
	var fe *Error
	if errors.As(err, &fe) && fe.Kind == KindStatus {
		status = fe.Status
	}
	if status < 100 || status > 599 {
		if err == nil {
			return "2xx"
		}
		return "error"
	}
	return strconv.Itoa(status/100) + "xx"
}

// RetryAfter parses a Retry-After value, delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), into a wait from now; zero when absent or
// unreadable. Waits are capped at a day: a server asking for more is
// asked again tomorrow.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		d = time.Duration(min(n, 86400)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return max(0, min(d, 24*time.Hour))
}

// freshUntil reads how long the response may be cached: Cache-Control
// max-age (or s-maxage), else Expires (RFC 9111 §4.2.1). no-cache and
// no-store say nothing about when to ask again, so they give zero.
func freshUntil(h http.Header, now time.Time) time.Time {
	for _, cc := range h.Values("Cache-Control") {
		for _, d := range strings.Split(cc, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-cache", "no-store":
				return time.Time{}
			case "max-age", "s-maxage":
				n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
				if err == nil && n > 0 {
					return now.Add(time.Duration(min(n, 7*86400)) * time.Second)
				}
			}
		}
	}
	if exp := h.Get("Expires"); exp != "" {
		if t, err := http.ParseTime(exp); err == nil && t.After(now) {
			return t
		}
	}
	return time.Time{}
}
