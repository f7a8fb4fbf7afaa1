package article

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
)

// idLen is the number of hex characters of an id: 128 bits of SHA-256,
// far beyond any collision risk at news volumes.
const idLen = 32

// ID returns the stable identity of an article. It is the hash of the
// canonical URL when there is one, so the same story reached through two
// feeds is one article. Without a URL it falls back to the feed's GUID,
// qualified by the feed URL because GUIDs are only unique within a feed.
// It returns an error when neither is usable.
func ID(canonicalURL, feedURL, guid string) (string, error) {
	switch {
	case canonicalURL != "":
		return hashID("url\x00" + canonicalURL), nil
	case strings.TrimSpace(guid) != "":
		return hashID("guid\x00" + feedURL + "\x00" + strings.TrimSpace(guid)), nil
	}
	return "", errors.New("article has neither a link nor a guid")
}

func hashID(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:idLen]
}

// trackingParams are query parameters that identify a campaign or a click,
// not a document.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true, "mc_cid": true,
	"mc_eid": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true, "ocid": true,
	"cmpid": true, "smid": true, "soc_src": true, "soc_trk": true, "ns_mchannel": true,
	"ns_source": true, "ns_campaign": true, "ns_linkname": true, "ns_fee": true,
	"icid": true, "ito": true, "xtor": true, "at_medium": true, "at_campaign": true,
	"__twitter_impression": true, "rss": false,
}

// isTracking reports whether a query parameter only tracks the reader.
func isTracking(name string) bool {
	n := strings.ToLower(name)
	return strings.HasPrefix(n, "utm_") || trackingParams[n]
}

// CanonicalURL returns the form of an absolute http(s) URL that identifies
// the document: scheme and host lower-cased, default port dropped, empty
// path made "/", fragment dropped, tracking parameters removed and the
// remaining query parameters sorted. Path case and non-tracking parameters
// are kept: they can name different documents.
func CanonicalURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("empty URL")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parsing URL %q: %w", truncate(raw, 200), err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("URL %q: scheme %q is not http or https", truncate(raw, 200), u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("URL %q has no host", truncate(raw, 200))
	}
	u.User = nil
	host := strings.ToLower(u.Hostname())
	host = strings.TrimRight(host, ".")
	if host == "" {
		return "", fmt.Errorf("URL %q has no host", truncate(raw, 200))
	}
	port := u.Port()
	if (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		port = ""
	}
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		u.Host = "[" + host + "]"
	} else {
		u.Host = host
	}
	if u.Path == "" {
		u.Path = "/"
		u.RawPath = ""
	}
	u.Fragment = ""
	u.RawFragment = ""
	u.RawQuery = canonicalQuery(u.RawQuery)
	u.ForceQuery = false
	return u.String(), nil
}

// canonicalQuery drops tracking parameters and sorts the rest by name,
// keeping the order of repeated values and the original encoding of each
// pair.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ name, raw string }
	var kept []pair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, "=")
		if dec, err := url.QueryUnescape(name); err == nil {
			name = dec
		}
		if isTracking(name) {
			continue
		}
		kept = append(kept, pair{name, part})
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].name < kept[j].name })
	parts := make([]string, len(kept))
	for i, p := range kept {
		parts[i] = p.raw
	}
	return strings.Join(parts, "&")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
