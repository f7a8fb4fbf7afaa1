package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/pkg/article"
)

// Parse parses a feed document (RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON
// Feed) whose charset is told by the document alone, and normalizes its
// items. base is the document's URL, for relative links.
func Parse(f Feed, body []byte, base string, fetchedAt time.Time) ([]*article.Article, []error, error) {
	doc, err := ParseDocument(f, body, "", base, fetchedAt)
	if err != nil {
		return nil, nil, err
	}
	return doc.Articles, doc.Skipped, nil
}

// Document is a parsed and normalized feed document.
type Document struct {
	Articles []*article.Article
	// Skipped are the items that could not be made into articles.
	Skipped []error
	// TTL is the feed's own <ttl>: how long it may be cached.
	TTL time.Duration
	// Charset is the character set the document was read in.
	Charset string
}

// ParseDocument is Parse for a body served with contentType, whose
// charset parameter counts (RFC 7303 §3). Errors name the feed and say
// whether the bytes are not a feed or not in a readable charset.
func ParseDocument(f Feed, body []byte, contentType, base string, fetchedAt time.Time) (*Document, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("parsing feed %s: the document is empty", f.URL)
	}
	utf, cs, err := fetch.ToUTF8(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("parsing feed %s: bad encoding: %w", f.URL, err)
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(utf))
	if err != nil {
		if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
			return nil, fmt.Errorf("parsing feed %s: not a feed (no RSS, Atom or JSON Feed document)", f.URL)
		}
		return nil, fmt.Errorf("parsing feed %s: %w", f.URL, err)
	}
	arts, skipped := Normalize(f, parsed, base, fetchedAt)
	return &Document{Articles: arts, Skipped: skipped, TTL: feedTTL(utf), Charset: cs}, nil
}

// ttlElement finds RSS 2.0's channel <ttl>, minutes the feed may be
// cached; gofeed's common model does not carry it.
var ttlElement = regexp.MustCompile(`<ttl>\s*(\d{1,6})\s*</ttl>`)

func feedTTL(doc []byte) time.Duration {
	if len(doc) > 64<<10 {
		doc = doc[:64<<10]
	}
	m := ttlElement.FindSubmatch(doc)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return time.Duration(n) * time.Minute
}
