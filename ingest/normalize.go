package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/publicsuffix"

	"github.com/newsflow/newsflow/pkg/article"
)

// maxFutureSkew is how far in the future a publication date may lie before
// it is taken for a wrong clock or time zone and replaced by the fetch
// time.
const maxFutureSkew = 24 * time.Hour

// summaryChars is the length a summary made from the content is cut to.
const summaryChars = 500

// Normalize turns the items of a parsed feed into articles. base is the
// URL the feed was fetched from (after redirects), against which relative
// links resolve. Items that cannot be identified (no link and no GUID) are
// reported in skipped; items that resolve to the same id are published
// once.
func Normalize(f Feed, parsed *gofeed.Feed, base string, fetchedAt time.Time) (arts []*article.Article, skipped []error) {
	fetchedAt = fetchedAt.UTC()
	baseURL, _ := url.Parse(base)
	if parsed.Link != "" {
		if l, err := resolve(baseURL, parsed.Link); err == nil {
			baseURL = l
		}
	}
	fragments := itemFragments(baseURL, parsed.Items)
	seen := make(map[string]bool, len(parsed.Items))
	for i, it := range parsed.Items {
		if it == nil {
			continue
		}
		a, err := normalizeItem(f, parsed, baseURL, it, fetchedAt, fragments)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("item %d (%q): %w", i, truncateText(strings.TrimSpace(it.Title), 80), err))
			continue
		}
		if seen[a.ID] {
			continue
		}
		seen[a.ID] = true
		arts = append(arts, a)
	}
	return arts, skipped
}

// itemFragments returns the canonical URLs that several items of one feed
// share, told apart only by their fragments (a blog's day page with one
// anchor per post). For those the fragment names the item and is kept in
// its URL; elsewhere fragments are dropped, since they only point into a
// page.
func itemFragments(base *url.URL, items []*gofeed.Item) map[string]bool {
	frags := map[string]string{}
	shared := map[string]bool{}
	for _, it := range items {
		if it == nil {
			continue
		}
		link := itemLink(it)
		if link == "" && isPermalink(strings.TrimSpace(it.GUID)) {
			link = strings.TrimSpace(it.GUID)
		}
		u, err := resolve(base, link)
		if err != nil || link == "" || u.Fragment == "" {
			continue
		}
		c, err := article.CanonicalURL(u.String())
		if err != nil {
			continue
		}
		if f, ok := frags[c]; ok && f != u.Fragment {
			shared[c] = true
		}
		frags[c] = u.Fragment
	}
	return shared
}

// canonicalItemURL is the canonical form of an item's link, with its
// fragment when the feed uses fragments to tell items apart.
func canonicalItemURL(u *url.URL, fragments map[string]bool) (string, error) {
	if strings.Trim(u.Hostname(), ".") == "" {
		// A host of dots alone would canonicalize to no host at all.
		return "", fmt.Errorf("URL %q has no host", u.Redacted())
	}
	c, err := article.CanonicalURL(u.String())
	if err != nil {
		return "", err
	}
	if u.Fragment != "" && fragments[c] {
		c += "#" + u.EscapedFragment()
	}
	return c, nil
}

// contentKey identifies an item that has neither link nor GUID (RSS 0.92
// allows that) by what it says, so the same item polled twice keeps its id.
func contentKey(it *gofeed.Item) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(it.Title))
	b.WriteByte(0)
	b.WriteString(strings.TrimSpace(it.Description))
	b.WriteByte(0)
	b.WriteString(strings.TrimSpace(it.Content))
	for _, e := range it.Enclosures {
		if e != nil {
			b.WriteByte(0)
			b.WriteString(strings.TrimSpace(e.URL))
		}
	}
	if strings.Trim(b.String(), "\x00") == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "content:" + hex.EncodeToString(sum[:16])
}

func normalizeItem(f Feed, parsed *gofeed.Feed, base *url.URL, it *gofeed.Item, fetchedAt time.Time, fragments map[string]bool) (*article.Article, error) {
	a := &article.Article{
		SchemaVersion: article.SchemaVersion,
		GUID:          strings.TrimSpace(it.GUID),
		Title:         LineText(it.Title),
		Summary:       HTMLText(it.Description),
		Content:       HTMLText(it.Content),
		FetchedAt:     fetchedAt,
		Feed:          article.Feed{URL: f.URL, Title: firstNonEmpty(f.Title, strings.TrimSpace(parsed.Title))},
		Source:        article.Source{Name: firstNonEmpty(f.Source, f.Title, strings.TrimSpace(parsed.Title)), Country: f.Country},
		Language:      languageCode(firstNonEmpty(f.Language, parsed.Language)),
	}
	if link := itemLink(it); link != "" {
		if u, err := resolve(base, link); err == nil {
			if c, err := canonicalItemURL(u, fragments); err == nil {
				a.URL = c
			}
		}
	}
	if a.URL == "" && isPermalink(a.GUID) {
		if u, err := url.Parse(a.GUID); err == nil {
			if c, err := canonicalItemURL(u, fragments); err == nil {
				a.URL = c
			}
		}
	}
	key := a.GUID
	if a.URL == "" && key == "" {
		key = contentKey(it)
	}
	id, err := article.ID(a.URL, f.URL, key)
	if err != nil {
		return nil, err
	}
	a.ID = id

	if a.Content == a.Summary {
		a.Content = ""
	}
	if a.Summary == "" && a.Content != "" {
		a.Summary = truncateText(a.Content, summaryChars)
	}
	if a.Title == "" {
		a.Title = strings.ReplaceAll(truncateText(firstNonEmpty(a.Summary, a.Content), 120), "\n", " ")
	}

	switch {
	case it.PublishedParsed != nil && !it.PublishedParsed.IsZero():
		a.PublishedAt = it.PublishedParsed.UTC()
	case it.UpdatedParsed != nil && !it.UpdatedParsed.IsZero():
		a.PublishedAt = it.UpdatedParsed.UTC()
	default:
		a.PublishedAt = parseLooseDate(firstNonEmpty(it.Published, it.Updated))
	}
	if a.PublishedAt.IsZero() || a.PublishedAt.After(fetchedAt.Add(maxFutureSkew)) || a.PublishedAt.Year() < 1990 {
		a.PublishedAt, a.PublishedInferred = fetchedAt, true
	}

	a.Authors = authors(it)
	a.Categories = uniqueTrimmed(it.Categories)
	a.ImageURL = imageURL(base, it)
	a.Source.Domain = registrableDomain(firstNonEmpty(a.URL, f.URL))
	return a, nil
}

// itemLink prefers FeedBurner's original link, since the item link of a
// FeedBurner feed is a redirecting tracker.
func itemLink(it *gofeed.Item) string {
	if fb, ok := it.Extensions["feedburner"]; ok {
		for _, e := range fb["origLink"] {
			if v := strings.TrimSpace(e.Value); v != "" {
				return v
			}
		}
	}
	if l := strings.TrimSpace(it.Link); l != "" {
		return l
	}
	for _, l := range it.Links {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return ""
}

func isPermalink(guid string) bool {
	return strings.HasPrefix(guid, "http://") || strings.HasPrefix(guid, "https://")
}

func resolve(base *url.URL, ref string) (*url.URL, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return nil, err
	}
	if base == nil {
		return r, nil
	}
	return base.ResolveReference(r), nil
}

func authors(it *gofeed.Item) []string {
	var names []string
	for _, p := range it.Authors {
		if p == nil {
			continue
		}
		names = append(names, firstNonEmpty(p.Name, p.Email))
	}
	if len(names) == 0 && it.DublinCoreExt != nil {
		names = append(names, it.DublinCoreExt.Creator...)
	}
	for i, n := range names {
		names[i] = HTMLText(n)
	}
	return uniqueTrimmed(names)
}

func imageURL(base *url.URL, it *gofeed.Item) string {
	candidate := ""
	if it.Image != nil {
		candidate = it.Image.URL
	}
	if candidate == "" {
		for _, e := range it.Enclosures {
			if e != nil && strings.HasPrefix(e.Type, "image/") {
				candidate = e.URL
				break
			}
		}
	}
	if candidate == "" {
		return ""
	}
	u, err := resolve(base, candidate)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.String()
}

// registrableDomain returns the eTLD+1 of a URL's host, or the host when
// the public suffix list does not know it (an IP address, localhost).
func registrableDomain(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// languageCode reduces a language tag such as "en-US" to its ISO 639-1
// code, or "" when it is not one.
func languageCode(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if !isLetters(tag, 2) {
		return ""
	}
	return tag
}

func uniqueTrimmed(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// truncateText cuts s to at most n runes at a word boundary, adding "…".
func truncateText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := 0
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	if sp := strings.LastIndexAny(s[:cut], " \n"); sp > cut/2 {
		cut = sp
	}
	return strings.TrimSpace(s[:cut]) + "…"
}

// looseLayouts are date forms seen in feeds that gofeed does not read:
// year first, so day and month cannot be confused. Without a zone they
// are taken as UTC.
var looseLayouts = []string{
	"2006/1/2 15:04:05", "2006/1/2 15:04", "2006/1/2",
	"2006-1-2 15:04:05", "2006-1-2 15:04", "2006-1-2",
	"2006.1.2 15:04:05", "2006.1.2",
	"2006年1月2日 15:04:05", "2006年1月2日 15:04", "2006年1月2日",
}

func parseLooseDate(s string) time.Time {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}
	}
	for _, layout := range looseLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
