package geo

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var loadParser = sync.OnceValues(Load)

// parser loads the embedded gazetteer once for all tests.
func parser(t testing.TB) *Parser {
	t.Helper()
	p, err := loadParser()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// find returns the place whose mentions cover text in s.
func find(places []article.Place, s, text string) *article.Place {
	for i := range places {
		for _, m := range places[i].Mentions {
			if s[m.Start:m.End] == text {
				return &places[i]
			}
		}
	}
	return nil
}

func TestPlaces(t *testing.T) {
	p := parser(t)
	tests := []struct {
		name string
		text string
		// want maps a mention's text to the country and, when not "",
		// admin1 it must resolve to.
		want map[string][2]string
		// none lists words that must not come out as places.
		none []string
	}{
		{"country and demonym", "Syrian troops advanced as Turkey watched.",
			map[string][2]string{"Syrian": {"SY", ""}, "Turkey": {"TR", ""}}, nil},
		{"big city by population", "Shelling continued in Aleppo on Monday.",
			map[string][2]string{"Aleppo": {"SY", ""}}, nil},
		{"qualifier keeps a small town in its state", "A fire broke out in Alexandria, La., on Friday.",
			map[string][2]string{"Alexandria": {"US", "Louisiana"}, "La": {"US", "Louisiana"}}, nil},
		{"Paris, Texas", "The film is set in Paris, Texas, a small town.",
			map[string][2]string{"Paris": {"US", "Texas"}, "Texas": {"US", "Texas"}}, nil},
		{"Paris alone is in France", "Talks resumed in Paris this week.",
			map[string][2]string{"Paris": {"FR", ""}}, nil},
		{"state context picks the local town", "Flooding hit Tennessee. Residents of Lebanon and Nashville were evacuated from Lebanon on Sunday.",
			map[string][2]string{"Lebanon": {"US", "Tennessee"}, "Nashville": {"US", "Tennessee"}}, nil},
		{"dateline in capitals", "GENEVA, Switzerland – Talks began.",
			map[string][2]string{"GENEVA": {"CH", ""}, "Switzerland": {"CH", ""}}, nil},
		{"curated region", "Rebels in Eastern Ghouta and the Gaza Strip were shelled.",
			map[string][2]string{"Eastern Ghouta": {"SY", ""}, "Gaza Strip": {"PS", ""}}, nil},
		{"US abbreviation and adjective", "The U.S. and US-backed forces met.",
			map[string][2]string{"U.S.": {"US", ""}, "US": {"US", ""}}, nil},
		{"words that are towns are not places", "Mark said it was a nice day. Reading the report, Nice agreed with Mark.",
			nil, []string{"Mark", "Reading", "Nice"}},
		{"surname of a person", "Secretary of State John Kerry spoke. Kerry said talks went well.",
			nil, []string{"Kerry"}},
		{"sentence-initial function word", "Of the 20 victims, most were children.",
			nil, []string{"Of"}},
		{"dotted abbreviation alone", "Overdose deaths in B.C. rose, officials in Trenton, N.J., said.",
			map[string][2]string{"B.C.": {"CA", ""}, "N.J.": {"US", "New Jersey"}}, nil},
		{"one sense per article", "Police in London, Ky., said the fire in London spread.",
			map[string][2]string{"London": {"US", "Kentucky"}}, nil},
		{"title-case headline", "Kerry, Lavrov Meet On Syria Conflict In Geneva",
			map[string][2]string{"Syria": {"SY", ""}, "Geneva": {"CH", ""}}, nil},
		{"no text", "", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			places, _ := p.Places(Field{Name: article.FieldContent, Text: tt.text})
			for text, want := range tt.want {
				pl := find(places, tt.text, text)
				if pl == nil {
					t.Errorf("%q: not found in %+v", text, places)
					continue
				}
				if pl.CountryCode != want[0] || (want[1] != "" && pl.Admin1 != want[1]) {
					t.Errorf("%q → %s (%s, %s), want %s %s", text, pl.Name, pl.CountryCode, pl.Admin1, want[0], want[1])
				}
			}
			for _, text := range tt.none {
				if pl := find(places, tt.text, text); pl != nil {
					t.Errorf("%q came out as %s (%s)", text, pl.Name, pl.CountryCode)
				}
			}
		})
	}
}

func TestLocationsFromTagger(t *testing.T) {
	p := parser(t)
	text := "Fighting near Idlib province and in Nice spread."
	span := func(s string) [2]int {
		i := strings.Index(text, s)
		return [2]int{i, i + len(s)}
	}
	places, _ := p.Places(Field{Name: article.FieldContent, Text: text,
		Locations: [][2]int{span("Idlib province"), span("Nice"), span("Nice"), {-1, 3}, {40, 400}, {5, 2}}})
	if pl := find(places, text, "Idlib province"); pl == nil || pl.CountryCode != "SY" {
		t.Errorf("Idlib province: got %+v", pl)
	}
	// "Nice" is a stop name for the spotter, but a LOC mention resolves it.
	if pl := find(places, text, "Nice"); pl == nil || pl.CountryCode != "FR" || len(pl.Mentions) != 1 {
		t.Errorf("Nice: got %+v, want one mention in France", pl)
	}
}

func TestTitleMentionsCarryField(t *testing.T) {
	p := parser(t)
	places, countries := p.Places(
		Field{Name: article.FieldTitle, Text: "Kerry, Lavrov meet on Syria conflict"},
		Field{Name: article.FieldContent, Text: "Russia and Turkey backed opposite sides in Syria."},
	)
	if len(places) == 0 || places[0].Name != "Syria" {
		t.Fatalf("first place %+v, want Syria", places)
	}
	if got := places[0].Mentions[0]; got.Field != article.FieldTitle || got.Start != 22 || got.End != 27 {
		t.Errorf("title mention %+v", got)
	}
	if !slices.Equal(countries[:1], []string{"SY"}) {
		t.Errorf("countries %v, want SY first", countries)
	}
}

// referenceStory is the places the reference story must give, with the
// points a map shows for them.
var referenceStory = map[string]struct {
	country  string
	lat, lon float64
}{
	"Geneva":        {"CH", 46.2, 6.15},
	"Aleppo":        {"SY", 36.2, 37.16},
	"Jarabulus":     {"SY", 36.82, 38.01},
	"Syria":         {"SY", 35, 38},
	"Turkey":        {"TR", 39, 35},
	"Russia":        {"RU", 60, 100},
	"United States": {"US", 38, -97},
}

func TestReferenceStory(t *testing.T) {
	p := parser(t)
	b, err := os.ReadFile("testdata/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(string(b), "\n")
	locs := func(text string, names ...string) [][2]int {
		var out [][2]int
		for _, n := range names {
			for off := 0; ; {
				i := strings.Index(text[off:], n)
				if i < 0 {
					break
				}
				out = append(out, [2]int{off + i, off + i + len(n)})
				off += i + len(n)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		fields []Field
	}{
		{"own spotter", []Field{{Name: article.FieldTitle, Text: title}, {Name: article.FieldContent, Text: body}}},
		{"LOC spans given", []Field{
			{Name: article.FieldTitle, Text: title, Locations: locs(title, "Syria")},
			{Name: article.FieldContent, Text: body, Locations: locs(body, "Geneva", "Switzerland", "Syria", "Aleppo",
				"Jarabulus", "Turkey", "Russia", "United States", "Moscow", "Washington", "Ankara", "Iraq")},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			places, countries := p.Places(tc.fields...)
			byName := map[string]article.Place{}
			for _, pl := range places {
				byName[strings.ReplaceAll(pl.Name, "ā", "a")] = pl
			}
			for name, want := range referenceStory {
				pl, ok := byName[name]
				if !ok {
					t.Errorf("%s missing from %v", name, names(places))
					continue
				}
				if pl.CountryCode != want.country || pl.GeoNameID == 0 ||
					Km(pl.Lat, pl.Lon, want.lat, want.lon) > 50 {
					t.Errorf("%s = %+v, want %s near %.2f,%.2f", name, pl, want.country, want.lat, want.lon)
				}
			}
			if len(countries) < 4 || countries[0] != "SY" {
				t.Errorf("countries %v, want Syria first", countries)
			}
			for _, c := range []string{"US", "RU", "TR", "CH"} {
				if !slices.Contains(countries, c) {
					t.Errorf("countries %v lack %s", countries, c)
				}
			}
		})
	}
}

// TestReferenceStoryGolden pins the whole output for the reference story;
// go test -run Golden -update rewrites it after an intended change.
func TestReferenceStoryGolden(t *testing.T) {
	p := parser(t)
	b, err := os.ReadFile("testdata/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(string(b), "\n")
	places, countries := p.Places(Field{Name: article.FieldTitle, Text: title}, Field{Name: article.FieldContent, Text: body})
	got, err := json.MarshalIndent(struct {
		Places    []article.Place `json:"places"`
		Countries []string        `json:"countries"`
	}{places, countries}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/story-kerry-lavrov-geneva-syria-2016.places.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("places differ from %s (run with -update after an intended change):\n%s", golden, got)
	}
}

func names(places []article.Place) []string {
	var out []string
	for _, p := range places {
		out = append(out, p.Name)
	}
	return out
}

func TestConcurrentPlaces(t *testing.T) {
	p := parser(t)
	b, err := os.ReadFile("testdata/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := p.Places(Field{Name: article.FieldContent, Text: string(b)})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				got, _ := p.Places(Field{Name: article.FieldContent, Text: string(b)})
				if len(got) != len(want) {
					t.Errorf("concurrent call gave %d places, want %d", len(got), len(want))
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDeterministic(t *testing.T) {
	p := parser(t)
	b, err := os.ReadFile("testdata/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	f := Field{Name: article.FieldContent, Text: string(b)}
	first, fc := p.Places(f)
	for range 5 {
		again, ac := p.Places(f)
		if !slices.EqualFunc(first, again, func(a, b article.Place) bool {
			return a.GeoNameID == b.GeoNameID && a.Name == b.Name && len(a.Mentions) == len(b.Mentions)
		}) || !slices.Equal(fc, ac) {
			t.Fatalf("second run differs:\n%v %v\n%v %v", names(first), fc, names(again), ac)
		}
	}
}

func TestVersion(t *testing.T) {
	v := parser(t).Version()
	if !strings.HasPrefix(v, "gazetteer-") || len(v) != len("gazetteer-")+12 {
		t.Errorf("Version() = %q", v)
	}
}

func FuzzPlaces(f *testing.F) {
	b, err := os.ReadFile("testdata/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(b[:600]), 0, 6)
	f.Add("Alexandria, La. – U.S.-backed forces in Deir ez-Zor's east.", 0, 10)
	f.Add("O'Hare, Côte d'Ivoire\xff\xfe, Genève", 3, 200)
	p := parser(f)
	f.Fuzz(func(t *testing.T, text string, start, end int) {
		places, countries := p.Places(Field{Name: article.FieldContent, Text: text, Locations: [][2]int{{start, end}}})
		for _, pl := range places {
			for _, m := range pl.Mentions {
				if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
					t.Fatalf("mention %+v outside the %d-byte text", m, len(text))
				}
			}
		}
		if len(countries) > len(places) {
			t.Fatalf("%d countries from %d places", len(countries), len(places))
		}
	})
}

// BenchmarkLoad measures start-up: the time to load the embedded
// gazetteer and the heap the loaded parser holds.
func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(p)
	b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "heap-MiB")
}

// BenchmarkPlaces parses the fixture articles; articles/s is the figure.
func BenchmarkPlaces(b *testing.B) {
	p := parser(b)
	var fields [][]Field
	dir := "../../testdata/articles"
	ents, err := os.ReadDir(dir)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".txt") {
			continue
		}
		t, err := os.ReadFile(dir + "/" + e.Name())
		if err != nil {
			b.Fatal(err)
		}
		title, body, _ := strings.Cut(string(t), "\n")
		fields = append(fields, []Field{{Name: article.FieldTitle, Text: title}, {Name: article.FieldContent, Text: body}})
	}
	if len(fields) == 0 {
		b.Fatalf("no .txt articles in %s", dir)
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		p.Places(fields[n%len(fields)]...)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "articles/s")
}

func TestOneSensePerArticle(t *testing.T) {
	p := parser(t)
	text := "Police in London, Ky., said the fire in London spread to London Road."
	places, _ := p.Places(Field{Name: article.FieldContent, Text: text})
	var londons []article.Place
	for _, pl := range places {
		if pl.Name == "London" {
			londons = append(londons, pl)
		}
	}
	if len(londons) != 1 || londons[0].Admin1 != "Kentucky" || len(londons[0].Mentions) != 2 {
		t.Errorf("London resolved to %+v, want one place in Kentucky with two mentions", londons)
	}
}

// TestFixtureArticles checks real articles for mistakes a reader of the map
// would notice.
func TestFixtureArticles(t *testing.T) {
	p := parser(t)
	tests := []struct {
		file string
		// want maps a place name to its country; absent lists countries
		// that must not appear.
		want   map[string]string
		absent []string
	}{
		{"article-aljazeera-afghanistan-helicopter-crash.txt",
			map[string]string{"Kabul": "AF", "Afghanistan": "AF"}, []string{"TD"}},
		{"article-nytimes-trump-trade-war-china.txt",
			map[string]string{"Washington": "US", "Beijing": "CN", "Hanoi": "VN"}, nil},
		{"article-guardian-hong-kong-editorial.txt",
			map[string]string{"Hong Kong": "HK", "Xinjiang": "CN"}, nil},
		{"article-polygraph-syria-rukban-al-tanf-factcheck.txt",
			map[string]string{"Damascus": "SY", "Homs": "SY", "Rukban": "JO"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("../../testdata/articles/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			title, body, _ := strings.Cut(string(b), "\n")
			places, countries := p.Places(Field{Name: article.FieldTitle, Text: title}, Field{Name: article.FieldContent, Text: body})
			seen := map[string]int{}
			for _, pl := range places {
				seen[pl.Name]++
				if want, ok := tt.want[pl.Name]; ok && pl.CountryCode != want {
					t.Errorf("%s in %s, want %s", pl.Name, pl.CountryCode, want)
				}
			}
			for name := range tt.want {
				if seen[name] != 1 {
					t.Errorf("%s appears %d times in %v", name, seen[name], names(places))
				}
			}
			for _, c := range tt.absent {
				if slices.Contains(countries, c) {
					t.Errorf("countries %v include %s", countries, c)
				}
			}
			if p := find(places, body, "Washington"); p != nil && p.Admin1 != "District of Columbia" {
				t.Errorf("Washington resolved to %s, %s", p.Name, p.Admin1)
			}
		})
	}
}
