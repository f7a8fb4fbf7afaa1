// Package fulltext fetches article pages and extracts their main text,
// for feeds that carry only a teaser. It honours robots.txt and goes
// through the same fetch client, so the politeness budget, the size cap
// and the SSRF guard apply to pages as to feeds.
//
// Extraction is go-trafilatura with its readability and dom-distiller
// fallbacks, chosen by measured quality on real news pages (see the
// package tests).
package fulltext

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"github.com/temoto/robotstxt"
	"golang.org/x/net/html/charset"

	"github.com/newsflow/newsflow/ingest/fetch"
)

// robotsTTL is how long a site's robots.txt is trusted.
const robotsTTL = 6 * time.Hour

// ErrDisallowed is returned for pages robots.txt keeps us out of.
var ErrDisallowed = errors.New("disallowed by robots.txt")

// Extractor fetches pages and extracts their text. It is safe for
// concurrent use.
type Extractor struct {
	client *fetch.Client
	agent  string

	mu     sync.Mutex
	robots map[string]robotsEntry // by scheme://host
}

type robotsEntry struct {
	group   *robotstxt.Group
	fetched time.Time
}

// New returns an extractor fetching with client; userAgent is the name
// robots.txt rules are matched against.
func New(client *fetch.Client, userAgent string) *Extractor {
	agent := userAgent
	if i := strings.IndexAny(agent, "/ "); i > 0 {
		agent = agent[:i]
	}
	return &Extractor{client: client, agent: agent, robots: map[string]robotsEntry{}}
}

// Extract fetches pageURL, when robots.txt allows, and returns the text
// of its main content, paragraphs separated by blank lines.
func (e *Extractor) Extract(ctx context.Context, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("page %s: not an http(s) URL", pageURL)
	}
	ok, err := e.allowed(ctx, u)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("page %s: %w", pageURL, ErrDisallowed)
	}
	resp, err := e.client.Fetch(ctx, fetch.Request{URL: pageURL, Accept: "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"})
	if err != nil {
		return "", err
	}
	return Text(resp.Body, resp.ContentType, resp.URL)
}

// Text extracts the main text of an HTML page served with contentType
// from pageURL. The charset comes from the header, a BOM or the page's
// meta tag, and the text is UTF-8.
func Text(page []byte, contentType, pageURL string) (string, error) {
	// The charset as a browser finds it: BOM, header, <meta>; a page that
	// declares none is UTF-8 when its bytes are, else windows-1252
	// (WHATWG encoding sniffing). UTF-8 passes untouched.
	var r io.Reader = bytes.NewReader(page)
	enc, name, certain := charset.DetermineEncoding(page, contentType)
	if !certain && utf8.Valid(page) {
		name = "utf-8"
	}
	if name != "utf-8" {
		utf, err := enc.NewDecoder().Bytes(page)
		if err != nil {
			return "", fmt.Errorf("page %s: bad encoding %s: %w", pageURL, name, err)
		}
		r = bytes.NewReader(utf)
	}
	u, _ := url.Parse(pageURL)
	res, err := trafilatura.Extract(r, trafilatura.Options{
		OriginalURL:     u,
		EnableFallback:  true,
		ExcludeComments: true,
		ExcludeTables:   false,
	})
	if err != nil {
		return "", fmt.Errorf("page %s: extracting text: %w", pageURL, err)
	}
	text := strings.TrimSpace(res.ContentText)
	if text == "" {
		return "", fmt.Errorf("page %s: no main text found", pageURL)
	}
	return text, nil
}

// allowed reports whether robots.txt of u's site lets our agent fetch u.
// A robots.txt that cannot be fetched (no answer, 5xx) disallows for now;
// a missing one (4xx) allows everything, as RFC 9309 §2.3.1 says.
func (e *Extractor) allowed(ctx context.Context, u *url.URL) (bool, error) {
	site := u.Scheme + "://" + u.Host
	e.mu.Lock()
	entry, ok := e.robots[site]
	e.mu.Unlock()
	if !ok || time.Since(entry.fetched) > robotsTTL {
		resp, err := e.client.Fetch(ctx, fetch.Request{URL: site + "/robots.txt", Accept: "text/plain"})
		var data *robotstxt.RobotsData
		var fe *fetch.Error
		switch {
		case err == nil:
			data, err = robotstxt.FromStatusAndBytes(resp.Status, resp.Body)
			if err != nil {
				data, _ = robotstxt.FromStatusAndBytes(200, nil)
			}
		case errors.As(err, &fe) && fe.Kind == fetch.KindStatus:
			data, _ = robotstxt.FromStatusAndBytes(fe.Status, nil)
		default:
			return false, fmt.Errorf("fetching robots.txt of %s: %w", site, err)
		}
		entry = robotsEntry{group: data.FindGroup(e.agent), fetched: time.Now()}
		e.mu.Lock()
		if len(e.robots) > 10000 {
			clear(e.robots)
		}
		e.robots[site] = entry
		e.mu.Unlock()
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return entry.group.Test(path), nil
}
