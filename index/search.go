package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// Query is what an analyst asks of the index from the command line.
type Query struct {
	// Text is a simple query string over title, summary, content and
	// entity names: words are ANDed; "quotes" make a phrase, -word
	// excludes, a | b is either. Empty matches everything.
	Text  string
	Topic string // only articles tagged with this topic id
	// Entity keeps articles naming this person, organization, location or
	// other entity (canonical name or entity id).
	Entity string
	// Place keeps articles about this place: its name or an ISO 3166-1
	// country code.
	Place string
	// Near keeps articles with a place within a circle.
	Near *Circle
	// Since and Until bound the publication time; zero is open.
	Since, Until time.Time
	Limit        int // most hits returned; zero counts without hits
}

// Circle is an area on the map: a centre and a radius in kilometres.
type Circle struct {
	Lat, Lon, RadiusKm float64
}

// Hit is one matching article.
type Hit struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Source      string    `json:"source"`
	PublishedAt time.Time `json:"published_at"`
	Topics      []string  `json:"topics"`
	People      []string  `json:"people,omitempty"`
}

// Result is the answer to a Query.
type Result struct {
	Total int          `json:"total"`
	Hits  []Hit        `json:"hits"`
	Topic []TopicCount `json:"topic_counts"`
}

// TopicCount is the number of matching articles tagged with a topic.
type TopicCount struct {
	Topic string `json:"topic"`
	Count int    `json:"count"`
}

// Search runs q against alias: best matches first when there is text,
// newest first otherwise, with the count of matches per topic.
func Search(ctx context.Context, es *elasticsearch.Client, alias string, q Query) (*Result, error) {
	if q.Limit < 0 {
		q.Limit = 0
	}
	var must []any
	if q.Text != "" {
		must = append(must, map[string]any{"simple_query_string": map[string]any{
			"query":            q.Text,
			"fields":           []string{"title^3", "summary^2", "content", "entities.person", "entities.organization", "entities.location"},
			"default_operator": "and",
		}})
	}
	var filter []any
	if q.Topic != "" {
		filter = append(filter, map[string]any{"term": map[string]any{"topics": q.Topic}})
	}
	if q.Entity != "" {
		filter = append(filter, anyTerm(q.Entity, "entities.person", "entities.organization", "entities.location", "entities.misc", "entities.ids"))
	}
	if q.Place != "" {
		filter = append(filter, anyTerm(q.Place, "places.name", "places.country_code", "countries"))
	}
	if q.Near != nil {
		filter = append(filter, map[string]any{"geo_distance": map[string]any{
			"distance":        fmt.Sprintf("%gkm", q.Near.RadiusKm),
			"places.location": map[string]any{"lat": q.Near.Lat, "lon": q.Near.Lon},
		}})
	}
	if !q.Since.IsZero() || !q.Until.IsZero() {
		r := map[string]any{}
		if !q.Since.IsZero() {
			r["gte"] = q.Since.UTC().Format(time.RFC3339Nano)
		}
		if !q.Until.IsZero() {
			r["lt"] = q.Until.UTC().Format(time.RFC3339Nano)
		}
		filter = append(filter, map[string]any{"range": map[string]any{"@timestamp": r}})
	}
	sort := []any{map[string]any{"@timestamp": "desc"}}
	if q.Text != "" {
		sort = append([]any{"_score"}, sort...)
	}
	body, _ := json.Marshal(map[string]any{
		"size":             q.Limit,
		"track_total_hits": true,
		"query":            map[string]any{"bool": map[string]any{"must": must, "filter": filter}},
		"sort":             sort,
		"_source":          []string{"title", "url", "source.name", "@timestamp", "topics", "entities.person"},
		"aggs":             map[string]any{"topics": map[string]any{"terms": map[string]any{"field": "topics", "size": 50}}},
	})
	opts := []func(*esapi.SearchRequest){es.Search.WithContext(ctx), es.Search.WithIndex(alias), es.Search.WithBody(bytes.NewReader(body)),
		es.Search.WithIgnoreUnavailable(true)}
	if q.Text != "" {
		// Monthly indices differ widely in size; scoring each with its own
		// term statistics would rank a rare word in a small month above
		// the article that is really about it.
		opts = append(opts, es.Search.WithSearchType("dfs_query_then_fetch"))
	}
	res, err := es.Search(opts...)
	if err != nil {
		return nil, fmt.Errorf("searching %s: %w", alias, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, responseError("searching "+alias, res)
	}
	var sr struct {
		Hits struct {
			Total struct {
				Value int `json:"value"`
			} `json:"total"`
			Hits []struct {
				ID     string `json:"_id"`
				Source struct {
					Title     string    `json:"title"`
					URL       string    `json:"url"`
					Timestamp time.Time `json:"@timestamp"`
					Topics    []string  `json:"topics"`
					Source    struct {
						Name string `json:"name"`
					} `json:"source"`
					Entities struct {
						Person []string `json:"person"`
					} `json:"entities"`
				} `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
		Aggregations struct {
			Topics struct {
				Buckets []struct {
					Key   string `json:"key"`
					Count int    `json:"doc_count"`
				} `json:"buckets"`
			} `json:"topics"`
		} `json:"aggregations"`
	}
	if err := json.NewDecoder(res.Body).Decode(&sr); err != nil {
		return nil, fmt.Errorf("reading search response: %w", err)
	}
	out := &Result{Total: sr.Hits.Total.Value}
	for _, h := range sr.Hits.Hits {
		out.Hits = append(out.Hits, Hit{
			ID: h.ID, Title: h.Source.Title, URL: h.Source.URL, Source: h.Source.Source.Name,
			PublishedAt: h.Source.Timestamp, Topics: h.Source.Topics, People: h.Source.Entities.Person,
		})
	}
	for _, b := range sr.Aggregations.Topics.Buckets {
		out.Topic = append(out.Topic, TopicCount{Topic: b.Key, Count: b.Count})
	}
	return out, nil
}

// anyTerm matches value exactly in any of fields.
func anyTerm(value string, fields ...string) map[string]any {
	var should []any
	for _, f := range fields {
		should = append(should, map[string]any{"term": map[string]any{f: value}})
	}
	return map[string]any{"bool": map[string]any{"should": should, "minimum_should_match": 1}}
}

// Count returns the number of documents behind alias, after a refresh so
// that everything acknowledged is counted.
func Count(ctx context.Context, es *elasticsearch.Client, alias string) (int, error) {
	if res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(alias), es.Indices.Refresh.WithContext(ctx)); err == nil {
		res.Body.Close()
	}
	res, err := es.Count(es.Count.WithIndex(alias), es.Count.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("counting %s: %w", alias, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return 0, responseError("counting "+alias, res)
	}
	var c struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		return 0, fmt.Errorf("reading count response: %w", err)
	}
	return c.Count, nil
}
