package ingest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
)

// opmlOutline is one outline element of an OPML document. Feed readers
// export a feed as an outline with xmlUrl, often nested in a folder
// outline; the folders become tags. The attributes beyond OPML 2.0
// (source, country, language, fullText, minInterval, maxInterval) carry
// newsflow's per-feed options.
type opmlOutline struct {
	Text        string        `xml:"text,attr"`
	Title       string        `xml:"title,attr"`
	XMLURL      string        `xml:"xmlUrl,attr"`
	Language    string        `xml:"language,attr"`
	Category    string        `xml:"category,attr"`
	Source      string        `xml:"source,attr"`
	Country     string        `xml:"country,attr"`
	FullText    string        `xml:"fullText,attr"`
	MinInterval string        `xml:"minInterval,attr"`
	MaxInterval string        `xml:"maxInterval,attr"`
	Outlines    []opmlOutline `xml:"outline"`
}

type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Body    []opmlOutline `xml:"body>outline"`
}

// ParseOPML parses and checks an OPML feed list, such as every feed
// reader exports. Errors name the outline by its position and title.
func ParseOPML(b []byte) ([]Feed, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.CharsetReader = charset.NewReaderLabel
	// OPML files in the wild use HTML entities such as &nbsp;.
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var doc opmlDoc
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty; want an <opml> document")
		}
		return nil, fmt.Errorf("not an OPML document: %w", err)
	}
	var (
		feeds []Feed
		errs  []error
		seen  = map[string]int{}
	)
	var walk func(outlines []opmlOutline, path string, tags []string)
	walk = func(outlines []opmlOutline, path string, tags []string) {
		for i, o := range outlines {
			where := fmt.Sprintf("%s/outline[%d]", path, i+1)
			name := firstNonEmpty(o.Title, o.Text)
			if name != "" {
				where += fmt.Sprintf(" (%q)", truncateText(name, 60))
			}
			if strings.TrimSpace(o.XMLURL) == "" {
				// A folder: its name tags the feeds inside.
				inner := tags
				if name != "" {
					inner = append(append([]string{}, tags...), strings.TrimSpace(name))
				}
				walk(o.Outlines, where, inner)
				continue
			}
			f := Feed{
				URL:      strings.TrimSpace(o.XMLURL),
				Title:    strings.TrimSpace(name),
				Source:   strings.TrimSpace(o.Source),
				Country:  strings.TrimSpace(o.Country),
				Language: languageCode(o.Language),
				Tags:     uniqueTrimmed(append(append([]string{}, tags...), strings.Split(o.Category, ",")...)),
			}
			if o.Language != "" && f.Language == "" {
				errs = append(errs, fmt.Errorf("%s: language %q is not an ISO 639-1 code such as en", where, o.Language))
				continue
			}
			var err error
			if f.FullText, err = optBool(o.FullText); err != nil {
				errs = append(errs, fmt.Errorf("%s: fullText: %w", where, err))
				continue
			}
			if f.MinInterval, err = optDuration(o.MinInterval); err != nil {
				errs = append(errs, fmt.Errorf("%s: minInterval: %w", where, err))
				continue
			}
			if f.MaxInterval, err = optDuration(o.MaxInterval); err != nil {
				errs = append(errs, fmt.Errorf("%s: maxInterval: %w", where, err))
				continue
			}
			if err := checkFeed(&f); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				continue
			}
			if j, dup := seen[f.URL]; dup {
				errs = append(errs, fmt.Errorf("%s: url %s is already feed %d", where, f.URL, j+1))
				continue
			}
			seen[f.URL] = len(feeds)
			feeds = append(feeds, f)
			walk(o.Outlines, where, tags)
		}
	}
	walk(doc.Body, "body", nil)
	if len(feeds) == 0 && len(errs) == 0 {
		return nil, errors.New("no outline with an xmlUrl in <body>")
	}
	return feeds, errors.Join(errs...)
}

func optBool(s string) (bool, error) {
	if s = strings.TrimSpace(s); s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", s)
	}
	return b, nil
}

func optDuration(s string) (time.Duration, error) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 10m", s)
	}
	return d, nil
}

// LoadFeedList reads a feed list in YAML or OPML, told apart by the
// file's extension or, failing that, by its first element.
func LoadFeedList(path string) ([]Feed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading feed list: %w", err)
	}
	var feeds []Feed
	ext := strings.ToLower(filepath.Ext(path))
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	if ext == ".opml" || (ext == ".xml" || bytes.HasPrefix(trimmed, []byte("<"))) {
		feeds, err = ParseOPML(b)
	} else {
		feeds, err = ParseFeeds(b)
	}
	if err != nil {
		return nil, fmt.Errorf("feed list %s: %w", path, err)
	}
	return feeds, nil
}
