package enrich

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/pkg/article"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fullEnricher is every shipped model, loaded once for the tests.
var fullEnricher = sync.OnceValues(func() (*Enricher, error) { return Load("../deploy/taxonomy.yaml") })

func loadFull(t testing.TB) *Enricher {
	t.Helper()
	en, err := fullEnricher()
	if err != nil {
		t.Fatal(err)
	}
	return en
}

// referenceArticle is the reference story as ingest publishes it from
// its outlet's feed.
func referenceArticle(t testing.TB) article.Article {
	t.Helper()
	b, err := os.ReadFile("../testdata/articles/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	url := "https://www.rappler.com/world/middle-east/kerry-lavrov-meet-syria-conflict"
	id, err := article.ID(url, "", "")
	if err != nil {
		t.Fatal(err)
	}
	published := time.Date(2016, 8, 26, 10, 0, 0, 0, time.UTC)
	return article.Article{
		SchemaVersion: article.SchemaVersion, ID: id, URL: url,
		Title: strings.TrimSpace(title), Content: strings.TrimSpace(body),
		PublishedAt: published, FetchedAt: published.Add(time.Minute),
		Feed:     article.Feed{URL: "https://www.rappler.com/feed/", Title: "Rappler World"},
		Source:   article.Source{Name: "Rappler", Domain: "rappler.com", Country: "PH"},
		Language: "en",
	}
}

// TestGoldenReferenceStory runs the reference story through the whole
// enricher and compares the record with testdata/golden (go test -run
// Golden ./enrich -update rewrites it). The enrich version is left out:
// it names the build, not the tags.
func TestGoldenReferenceStory(t *testing.T) {
	en := loadFull(t)
	a := referenceArticle(t)
	out := en.Enrich(a, time.Date(2016, 8, 26, 10, 5, 0, 0, time.UTC))
	out.StoryID = stories.NewIndex(0, 10).Assign(out.ID, StoryText(&out), out.PublishedAt)
	if err := checkReference(&out); err != nil {
		t.Error(err)
	}
	b, err := article.Encode(&out)
	if err != nil {
		t.Fatal(err)
	}
	if err := article.ValidateEnriched(b); err != nil {
		t.Error(err)
	}
	out.EnrichVersion = ""
	got, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("..", "testdata", "golden", "story-kerry-lavrov-geneva-syria-2016.enriched.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./enrich -run Golden -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("enriched reference story differs from %s; review and regenerate with -update:\n%s", path, firstDiff(string(want), string(got)))
	}
}

// checkReference asserts what the product promises about the reference
// story, whatever the details of the golden file.
func checkReference(a *article.Article) error {
	var missing []string
	for _, id := range []string{"syria", "humanitarian-aid", "chemical-weapons"} {
		if !slices.Contains(a.TopicIDs(), id) {
			missing = append(missing, "topic "+id)
		}
	}
	has := func(typ, name string) bool {
		return slices.ContainsFunc(a.Entities, func(e article.Entity) bool { return e.Type == typ && e.Name == name })
	}
	for _, n := range []string{"John Kerry", "Sergei Lavrov", "Staffan de Mistura", "Bashar al-Assad"} {
		if !has(article.EntityPerson, n) {
			missing = append(missing, "person "+n)
		}
	}
	for _, n := range []string{"UN", "NATO", "Islamic State", "YPG", "PYD", "PKK"} {
		if !has(article.EntityOrganization, n) {
			missing = append(missing, "organization "+n)
		}
	}
	for _, c := range []string{"SY", "TR", "RU", "US"} {
		if !slices.Contains(a.Countries, c) {
			missing = append(missing, "country "+c)
		}
	}
	for _, p := range []string{"Geneva", "Aleppo", "Syria"} {
		if !slices.ContainsFunc(a.Places, func(pl article.Place) bool { return pl.Name == p }) {
			missing = append(missing, "place "+p)
		}
	}
	if a.Language != "en" || a.StoryID != a.ID {
		missing = append(missing, "language en and a story of its own")
	}
	if len(missing) > 0 {
		return &referenceError{missing}
	}
	return nil
}

type referenceError struct{ missing []string }

func (e *referenceError) Error() string {
	return "reference story lacks: " + strings.Join(e.missing, ", ")
}

// firstDiff shows the first differing line of two texts with context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + w + "\n  got:  " + g
		}
	}
	return ""
}
