package index

import (
	"time"
	"unicode"

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
	TopicDetails      []docTopic `json:"topic_details,omitempty"`
	Entities          docEntity  `json:"entities"`
	Places            []docPlace `json:"places,omitempty"`
	Countries         []string   `json:"countries,omitempty"`
	StoryID           string     `json:"story_id,omitempty"`
	WordCount         int        `json:"word_count"`
	EnrichVersion     string     `json:"enrich_version,omitempty"`
	SchemaVersion     int        `json:"schema_version"`
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

type docTopic struct {
	ID       string   `json:"id"`
	Score    float64  `json:"score"`
	Evidence []string `json:"evidence,omitempty"`
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
		dt := docTopic{ID: t.ID, Score: t.Score}
		seen := map[string]bool{}
		for _, e := range t.Evidence {
			if !seen[e.Term] {
				seen[e.Term] = true
				dt.Evidence = append(dt.Evidence, e.Term)
			}
		}
		d.TopicDetails = append(d.TopicDetails, dt)
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

func wordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}
