package index

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// Places of the fixture articles, with GeoNames ids and coordinates.
var (
	geneva      = article.Place{Name: "Geneva", GeoNameID: 2660646, CountryCode: "CH", Lat: 46.20222, Lon: 6.14569}
	syria       = article.Place{Name: "Syria", GeoNameID: 163843, CountryCode: "SY", Lat: 35, Lon: 38}
	alTanf      = article.Place{Name: "Al-Tanf", GeoNameID: 7647146, CountryCode: "SY", Lat: 33.5100, Lon: 38.6600}
	israel      = article.Place{Name: "Israel", GeoNameID: 294640, CountryCode: "IL", Lat: 31.5, Lon: 34.75}
	sweden      = article.Place{Name: "Sweden", GeoNameID: 2661886, CountryCode: "SE", Lat: 62, Lon: 15}
	london      = article.Place{Name: "London", GeoNameID: 2643743, CountryCode: "GB", Lat: 51.50853, Lon: -0.12574}
	afghanistan = article.Place{Name: "Afghanistan", GeoNameID: 1149361, CountryCode: "AF", Lat: 33, Lon: 66}
	ukraine     = article.Place{Name: "Ukraine", GeoNameID: 690791, CountryCode: "UA", Lat: 49, Lon: 32}
)

// fixtureArticles returns enriched articles built from the real article
// texts in testdata/articles, tagged as the enrich stage tags them.
func fixtureArticles(t testing.TB) []*article.Article {
	t.Helper()
	type spec struct {
		file, title, url, source, domain, country string
		published                                 string
		people, orgs, misc                        []string
		places                                    []article.Place
		topics                                    map[string]float64
	}
	specs := []spec{
		{"story-kerry-lavrov-geneva-syria-2016", "Kerry, Lavrov meet on Syria conflict", "https://www.rappler.com/world/143962-kerry-lavrov-meet-syria-conflict",
			"Rappler", "rappler.com", "PH", "2016-08-26T10:00:00Z",
			[]string{"John Kerry", "Sergei Lavrov"}, nil, nil, []article.Place{geneva, syria}, map[string]float64{"syria": 4.5, "diplomacy-peace-talks": 3}},
		{"article-polygraph-syria-rukban-al-tanf-factcheck", "Russia, Syria Accuse US of Blocking Return of Rukban Refugees", "https://www.polygraph.info/a/syria-rukban-al-tanf/30244419.html",
			"Polygraph.info", "polygraph.info", "US", "2019-11-08T14:30:00Z",
			nil, []string{"United Nations"}, nil, []article.Place{syria, alTanf}, map[string]float64{"syria": 3.5, "humanitarian-aid": 2.5}},
		{"article-albawaba-israeli-settlements-world-reaction", "US faces criticism over Israeli settlements decision", "https://www.albawaba.com/news/us-faces-criticism-over-israeli-settlements-1320290",
			"Al Bawaba", "albawaba.com", "JO", "2019-11-19T09:00:00Z",
			nil, []string{"United Nations", "European Union"}, nil, []article.Place{israel}, nil},
		{"article-bbc-sweden-drops-assange-investigation", "Julian Assange: Swedish prosecutors drop rape investigation", "https://www.bbc.co.uk/news/world-europe-50472290",
			"BBC News", "bbc.co.uk", "GB", "2019-11-19T11:30:00Z",
			[]string{"Julian Assange"}, []string{"Wikileaks"}, nil, []article.Place{sweden, london}, nil},
		{"article-aljazeera-afghanistan-helicopter-crash", "Two US soldiers killed in helicopter crash in Afghanistan", "https://www.aljazeera.com/news/2019/11/20/two-us-soldiers-killed-in-helicopter-crash-in-afghanistan",
			"Al Jazeera", "aljazeera.com", "QA", "2019-11-20T08:15:00Z",
			nil, []string{"US military"}, nil, []article.Place{afghanistan}, nil},
		{"article-ap-sondland-trump-ukraine", "Sondland faces questions about Trump and Ukraine", "https://apnews.com/article/sondland-trump-ukraine",
			"AP", "apnews.com", "US", "2019-11-20T06:00:00Z",
			[]string{"Gordon Sondland", "Donald Trump"}, []string{"Trump administration"}, []string{"impeachment inquiry"}, []article.Place{ukraine}, nil},
	}
	enriched := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	var out []*article.Article
	for _, s := range specs {
		text, err := os.ReadFile(filepath.Join("..", "testdata", "articles", s.file+".txt"))
		if err != nil {
			t.Fatalf("reading fixture: %v", err)
		}
		body := strings.TrimSpace(string(text))
		summary, _, _ := strings.Cut(body, "\n")
		published, _ := time.Parse(time.RFC3339, s.published)
		id, err := article.ID(s.url, fixtureFeedURL(s.domain), "")
		if err != nil {
			t.Fatal(err)
		}
		a := &article.Article{
			SchemaVersion: article.SchemaVersion, ID: id, URL: s.url, Title: s.title, Summary: summary, Content: body,
			PublishedAt: published, FetchedAt: published.Add(10 * time.Minute),
			Feed:     article.Feed{URL: fixtureFeedURL(s.domain)},
			Source:   article.Source{Name: s.source, Domain: s.domain, Country: s.country},
			Language: "en", Places: s.places, StoryID: "story-" + id[:8], EnrichVersion: "fixture-1", EnrichedAt: &enriched,
		}
		add := func(typ string, names []string) {
			for _, n := range names {
				a.Entities = append(a.Entities, article.Entity{ID: strings.ToLower(typ) + ":" + strings.ToLower(strings.ReplaceAll(n, " ", "-")), Type: typ, Name: n, Count: 1})
			}
		}
		add(article.EntityPerson, s.people)
		add(article.EntityOrganization, s.orgs)
		add(article.EntityMisc, s.misc)
		for _, p := range s.places {
			a.Entities = append(a.Entities, article.Entity{ID: "loc:" + strings.ToLower(p.Name), Type: article.EntityLocation, Name: p.Name, Count: 1, GeoNameID: p.GeoNameID})
			a.Countries = appendUnique(a.Countries, p.CountryCode)
		}
		for _, id := range []string{"syria", "humanitarian-aid", "diplomacy-peace-talks"} {
			if score, ok := s.topics[id]; ok {
				a.Topics = append(a.Topics, article.Topic{ID: id, Score: score, Evidence: []article.Evidence{{Term: id, Weight: 1, Field: article.FieldTitle}}})
			}
		}
		out = append(out, a)
	}
	return out
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func fixtureFeedURL(domain string) string { return "https://" + domain + "/feed" }
