package index

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// Document is the Elasticsearch form of an enriched article, shaped for
// analysts: keyword fields to filter and aggregate on, text fields to
// search, a geo_point per place for maps.
type Document struct {
	Timestamp         time.Time  `json:"@timestamp"`
	IngestedAt        time.Time  `json:"ingested_at"`
	EnrichedAt        *time.Time `json:"enriched_at,omitempty"`
	PublishedInferred bool       `json:"published_inferred"`
	URL               string     `json:"url,omitempty"`
	Title             string     `json:"title"`
	Summary           string     `json:"summary,omitempty"`
	Content           string     `json:"content,omitempty"`
	Authors           []string   `json:"authors,omitempty"`
	Categories        []string   `json:"categories,omitempty"`
	ImageURL          string     `json:"image_url,omitempty"`
	Feed              docFeed    `json:"feed"`
	Source            docSource  `json:"source"`
	Language          string     `json:"language,omitempty"`
	Topics            []string   `json:"topics"`
	// TopicScores and TopicEvidence are keyed by topic id, so that an
	// analyst can filter on one topic's score (topic_scores.syria >= 2) or
	// its matched terms.
	TopicScores   map[string]float64  `json:"topic_scores,omitempty"`
	TopicEvidence map[string][]string `json:"topic_evidence,omitempty"`
	Entities      docEntity           `json:"entities"`
	Places        []docPlace          `json:"places,omitempty"`
	Countries     []string            `json:"countries,omitempty"`
	StoryID       string              `json:"story_id,omitempty"`
	WordCount     int                 `json:"word_count"`
	EnrichVersion string              `json:"enrich_version,omitempty"`
	SchemaVersion int                 `json:"schema_version"`
}

type docFeed struct {
	URL   string `json:"url"`
	Title string `json:"title,omitempty"`
}

type docSource struct {
	Name    string `json:"name,omitempty"`
	Domain  string `json:"domain,omitempty"`
	Country string `json:"country,omitempty"`
}

type docEntity struct {
	Person       []string `json:"person,omitempty"`
	Organization []string `json:"organization,omitempty"`
	Location     []string `json:"location,omitempty"`
	Misc         []string `json:"misc,omitempty"`
	IDs          []string `json:"ids,omitempty"`
}

type docPlace struct {
	Name        string   `json:"name"`
	GeoNameID   int64    `json:"geonames_id"`
	CountryCode string   `json:"country_code,omitempty"`
	Admin1      string   `json:"admin1,omitempty"`
	Location    geoPoint `json:"location"`
}

type geoPoint struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// NewDocument maps an enriched article to its document.
func NewDocument(a *article.Article) Document {
	d := Document{
		Timestamp:         a.PublishedAt,
		IngestedAt:        a.FetchedAt,
		EnrichedAt:        a.EnrichedAt,
		PublishedInferred: a.PublishedInferred,
		URL:               a.URL,
		Title:             a.Title,
		Summary:           a.Summary,
		Content:           a.Content,
		Authors:           a.Authors,
		Categories:        a.Categories,
		ImageURL:          a.ImageURL,
		Feed:              docFeed{URL: a.Feed.URL, Title: a.Feed.Title},
		Source:            docSource{Name: a.Source.Name, Domain: a.Source.Domain, Country: a.Source.Country},
		Language:          a.Language,
		Topics:            a.TopicIDs(),
		Countries:         a.Countries,
		StoryID:           a.StoryID,
		WordCount:         wordCount(a.Title) + wordCount(a.Summary) + wordCount(a.Content),
		EnrichVersion:     a.EnrichVersion,
		SchemaVersion:     a.SchemaVersion,
	}
	for _, t := range a.Topics {
		key := topicKey(t.ID)
		if key == "" {
			continue
		}
		if d.TopicScores == nil {
			d.TopicScores = map[string]float64{}
			d.TopicEvidence = map[string][]string{}
		}
		d.TopicScores[key] = t.Score
		seen := map[string]bool{}
		for _, e := range t.Evidence {
			if e.Term != "" && !seen[e.Term] {
				seen[e.Term] = true
				d.TopicEvidence[key] = append(d.TopicEvidence[key], e.Term)
			}
		}
	}
	for _, e := range a.Entities {
		switch e.Type {
		case article.EntityPerson:
			d.Entities.Person = append(d.Entities.Person, e.Name)
		case article.EntityOrganization:
			d.Entities.Organization = append(d.Entities.Organization, e.Name)
		case article.EntityLocation:
			d.Entities.Location = append(d.Entities.Location, e.Name)
		default:
			d.Entities.Misc = append(d.Entities.Misc, e.Name)
		}
		d.Entities.IDs = append(d.Entities.IDs, e.ID)
	}
	for _, p := range a.Places {
		d.Places = append(d.Places, docPlace{
			Name: p.Name, GeoNameID: p.GeoNameID, CountryCode: p.CountryCode, Admin1: p.Admin1,
			Location: geoPoint{Lat: p.Lat, Lon: p.Lon},
		})
	}
	return d
}

// topicKey makes a topic id safe as a field name under topic_scores: a dot
// would open a sub-object and clash with a topic named like its prefix.
func topicKey(id string) string {
	return strings.ReplaceAll(strings.TrimSpace(id), ".", "_")
}

// IndexName returns the monthly index behind alias that holds a document
// published at t. The month comes from the document itself, so every
// write of an article, redelivered or replayed, lands in the same index
// and replaces the one document there; a rollover by size or age would
// put a second copy into the newer index. Years are clamped to four
// digits so a hostile date still yields a valid index name.
func IndexName(alias string, t time.Time) string {
	t = t.UTC()
	switch {
	case t.Year() < 1970:
		t = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	case t.Year() > 9999:
		t = time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC)
	}
	return alias + "-" + t.Format("2006.01")
}

// asciiSpace marks the ASCII bytes unicode.IsSpace reports as space.
var asciiSpace = [128]bool{'\t': true, '\n': true, '\v': true, '\f': true, '\r': true, ' ': true}

// wordCount counts runs of non-space characters. ASCII, most of any
// article, is classified by table; unicode.IsSpace decides the rest.
func wordCount(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); {
		var space bool
		if c := s[i]; c < utf8.RuneSelf {
			space = asciiSpace[c]
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if space {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}
