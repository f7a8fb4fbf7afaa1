package ingest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Feed is one entry of the feed list.
type Feed struct {
	URL      string `yaml:"url" json:"url"`
	Title    string `yaml:"title,omitempty" json:"title,omitempty"`
	Source   string `yaml:"source,omitempty" json:"source,omitempty"`
	Country  string `yaml:"country,omitempty" json:"country,omitempty"`
	Language string `yaml:"language,omitempty" json:"language,omitempty"`
	// MinInterval and MaxInterval bound how often the feed is polled; zero
	// takes the poller's defaults.
	MinInterval time.Duration `yaml:"min_interval,omitempty" json:"min_interval,omitempty"`
	MaxInterval time.Duration `yaml:"max_interval,omitempty" json:"max_interval,omitempty"`
	Tags        []string      `yaml:"tags,omitempty" json:"tags,omitempty"`
	// FullText asks for the article page to be fetched for the body.
	FullText bool `yaml:"full_text,omitempty" json:"full_text,omitempty"`
}

// feedList is the YAML layout of a feed list file.
type feedList struct {
	Feeds []Feed `yaml:"feeds"`
}

// LoadFeeds reads a YAML feed list. Unknown keys, missing or non-http URLs,
// duplicate URLs and malformed country or language codes are errors that
// name the file, the entry and the key.
func LoadFeeds(path string) ([]Feed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading feed list: %w", err)
	}
	feeds, err := ParseFeeds(b)
	if err != nil {
		return nil, fmt.Errorf("feed list %s: %w", path, err)
	}
	return feeds, nil
}

// ParseFeeds parses and checks the YAML text of a feed list.
func ParseFeeds(b []byte) ([]Feed, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var list feedList
	if err := dec.Decode(&list); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the file is empty; want a `feeds:` list")
		}
		return nil, err
	}
	var errs []error
	seen := map[string]int{}
	for i := range list.Feeds {
		f := &list.Feeds[i]
		where := fmt.Sprintf("feeds[%d]", i)
		f.URL = strings.TrimSpace(f.URL)
		if err := checkFeed(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		if j, dup := seen[f.URL]; dup {
			errs = append(errs, fmt.Errorf("%s: url %s is already feeds[%d]", where, f.URL, j))
		}
		seen[f.URL] = i
	}
	if len(list.Feeds) == 0 && len(errs) == 0 {
		return nil, errors.New("no feeds listed under `feeds:`")
	}
	return list.Feeds, errors.Join(errs...)
}

func checkFeed(f *Feed) error {
	if f.URL == "" {
		return errors.New("url is missing")
	}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("url %q is not an absolute http(s) URL", f.URL)
	}
	if f.Country != "" {
		f.Country = strings.ToUpper(f.Country)
		if !isLetters(f.Country, 2) {
			return fmt.Errorf("country %q is not an ISO 3166-1 alpha-2 code such as GB", f.Country)
		}
	}
	if f.Language != "" {
		f.Language = strings.ToLower(f.Language)
		if !isLetters(f.Language, 2) {
			return fmt.Errorf("language %q is not an ISO 639-1 code such as en", f.Language)
		}
	}
	if f.MinInterval < 0 || f.MaxInterval < 0 || (f.MaxInterval > 0 && f.MinInterval > f.MaxInterval) {
		return fmt.Errorf("min_interval %s and max_interval %s do not make a range", f.MinInterval, f.MaxInterval)
	}
	return nil
}

func isLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}
