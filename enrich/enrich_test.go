package enrich

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/article"
)

// recorder is a tagger that records what it was given.
type recorder struct {
	fields []Field
	places []PlaceField
	ctx    TopicContext
	calls  int
}

func (r *recorder) Version() string { return "rec-1" }

func (r *recorder) Entities(fields ...Field) []article.Entity {
	r.calls++
	r.fields = fields
	var out []article.Entity
	for _, f := range fields {
		if i := strings.Index(f.Text, "Aleppo"); i >= 0 {
			out = append(out, article.Entity{ID: "loc:aleppo", Type: article.EntityLocation, Name: "Aleppo", Count: 1,
				Mentions: []article.Mention{{Field: f.Name, Start: i, End: i + len("Aleppo")}}})
		}
	}
	return out
}

func (r *recorder) Places(fields ...PlaceField) ([]article.Place, []string) {
	r.calls++
	r.places = fields
	return []article.Place{{Name: "Aleppo", GeoNameID: 170063, CountryCode: "SY", Lat: 36.2, Lon: 37.16}}, []string{"SY"}
}

func (r *recorder) Topics(c TopicContext, fields ...Field) []article.Topic {
	r.calls++
	r.ctx = c
	return []article.Topic{{ID: "syria", Score: 1}}
}

func TestEnrich(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	english := "A UN humanitarian aid convoy reached besieged eastern Aleppo in Syria on Friday, the first in months."
	french := "Un convoi d'aide humanitaire de l'ONU a atteint vendredi les quartiers assiégés de l'est d'Alep, en Syrie."
	tests := []struct {
		name         string
		in           article.Article
		wantLang     string
		wantTagged   bool
		wantFields   []string
		wantLocation [2]int // span handed to the place resolver in the body
	}{
		{"english content is tagged", article.Article{ID: "a", Title: "Aid reaches Aleppo", Content: english},
			"en", true, []string{"title", "content"}, [2]int{54, 60}},
		{"a feed's wrong declaration is overruled", article.Article{ID: "b", Title: "Aid reaches Aleppo", Content: english, Language: "de-DE"},
			"en", true, []string{"title", "content"}, [2]int{54, 60}},
		{"a summary that is not the content's opening is read too", article.Article{ID: "c", Title: "Aid", Content: english, Summary: "Convoy in Aleppo."},
			"en", true, []string{"title", "content", "summary"}, [2]int{54, 60}},
		{"a summary that opens the content is read once", article.Article{ID: "d", Title: "Aid", Content: english, Summary: english[:40]},
			"en", true, []string{"title", "content"}, [2]int{54, 60}},
		{"summary only", article.Article{ID: "e", Title: "Aid", Summary: english},
			"en", true, []string{"title", "summary"}, [2]int{54, 60}},
		{"french gets its language only", article.Article{ID: "f", Title: "Le convoi arrive à Alep", Content: french},
			"fr", false, nil, [2]int{}},
		{"a short text keeps the feed's language", article.Article{ID: "g", Title: "Alep", Content: "Convoi.", Language: "FR"},
			"fr", false, nil, [2]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			en := New(Taggers{Language: testLang, Entities: r, Places: r, Topics: r})
			out := en.Enrich(tt.in, now)
			if out.Language != tt.wantLang {
				t.Errorf("language %q, want %q", out.Language, tt.wantLang)
			}
			if out.EnrichedAt == nil || !out.EnrichedAt.Equal(now) || out.EnrichedAt.Location() != time.UTC {
				t.Errorf("enriched at %v, want %v in UTC", out.EnrichedAt, now)
			}
			if !strings.Contains(out.EnrichVersion, "ner=rec-1") || !strings.Contains(out.EnrichVersion, "taxonomy=rec-1") || !strings.Contains(out.EnrichVersion, "lang=") {
				t.Errorf("enrich version %q does not name every model", out.EnrichVersion)
			}
			if !tt.wantTagged {
				if r.calls != 0 || out.Entities != nil || out.Topics != nil || out.Places != nil {
					t.Errorf("a %s article went through the English taggers", out.Language)
				}
				return
			}
			if r.calls != 3 {
				t.Fatalf("%d tagger calls, want 3", r.calls)
			}
			var names []string
			for _, f := range r.fields {
				names = append(names, f.Name)
			}
			if !slices.Equal(names, tt.wantFields) {
				t.Errorf("fields %v, want %v", names, tt.wantFields)
			}
			for _, pf := range r.places {
				if pf.Name == tt.wantFields[1] && (len(pf.Locations) != 1 || pf.Locations[0] != tt.wantLocation) {
					t.Errorf("locations of %s: %v, want [%v]", pf.Name, pf.Locations, tt.wantLocation)
				}
			}
			if len(r.ctx.Entities) == 0 || !slices.Equal(r.ctx.Countries, []string{"SY"}) {
				t.Errorf("topic context %+v lacks the entities and countries", r.ctx)
			}
			if len(out.Places) != 1 || !slices.Equal(out.Countries, []string{"SY"}) || len(out.Topics) != 1 {
				t.Errorf("output lacks tags: %+v", out)
			}
		})
	}
}

func TestEnrichWithoutTaggers(t *testing.T) {
	out := New(Taggers{}).Enrich(article.Article{ID: "a", Title: "Hello", Content: "World", Language: "EN-gb", Topics: []article.Topic{{ID: "stale"}}}, time.Unix(0, 0))
	if out.Language != "en" || out.Topics != nil || out.EnrichVersion == "" {
		t.Errorf("%+v", out)
	}
}
