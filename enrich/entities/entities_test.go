package entities

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

var update = flag.Bool("update", false, "rewrite golden files")

var loadTagger = sync.OnceValues(Load)

// tagger loads the embedded model once for all tests.
func tagger(t testing.TB) *Tagger {
	t.Helper()
	tg, err := loadTagger()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tg
}

// storyFields splits a fixture article into its title (first line) and
// content.
func storyFields(t testing.TB, name string) []Field {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	title, content, _ := strings.Cut(string(b), "\n")
	return []Field{{Name: article.FieldTitle, Text: title}, {Name: article.FieldContent, Text: strings.TrimLeft(content, "\n")}}
}

func TestReferenceStory(t *testing.T) {
	const story = "story-kerry-lavrov-geneva-syria-2016.txt"
	fields := storyFields(t, story)
	got := tagger(t).Entities(fields...)

	want := map[string][]string{
		"PER": {"John Kerry", "Sergei Lavrov", "Staffan de Mistura", "Bashar al-Assad"},
		"ORG": {"UN", "NATO", "Islamic State", "YPG", "PYD", "PKK"},
		"LOC": {"Geneva", "Aleppo", "Jarabulus", "Syria", "Turkey", "Russia", "United States"},
	}
	byName := map[string]article.Entity{}
	for _, e := range got {
		byName[e.Name] = e
	}
	for typ, names := range want {
		for _, name := range names {
			e, ok := byName[name]
			if !ok {
				t.Errorf("%s %q not found", typ, name)
				continue
			}
			if e.Type != typ {
				t.Errorf("%q has type %s, want %s", name, e.Type, typ)
			}
		}
	}
	// Short forms and aliases resolve into the full names.
	for _, short := range []string{"Kerry", "Lavrov", "De Mistura", "de Mistura", "ISIS", "IS", "United Nations", "Kurdistan Workers' Party"} {
		if _, ok := byName[short]; ok {
			t.Errorf("%q is an entity of its own, want it resolved to a full or canonical name", short)
		}
	}
	if e := byName["John Kerry"]; e.Count != 2 || e.ID != "per:john-kerry" {
		t.Errorf("John Kerry: id %q count %d, want per:john-kerry with 2 mentions (title and body)", e.ID, e.Count)
	}
	for _, e := range got {
		for _, m := range e.Mentions {
			text := fields[0].Text
			if m.Field == article.FieldContent {
				text = fields[1].Text
			}
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
				t.Fatalf("%s: mention %+v out of its field", e.Name, m)
			}
		}
	}

	golden := filepath.Join("testdata", strings.TrimSuffix(story, ".txt")+".entities.json")
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want2, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(out) != string(want2) {
		t.Errorf("entities differ from %s (go test -update rewrites it); got:\n%s", golden, out)
	}
}

func TestEntitiesResolution(t *testing.T) {
	tg := tagger(t)
	tests := []struct {
		name string
		text string
		want map[string]int // "TYPE Name" -> count
	}{
		{
			name: "surname resolves to the full name",
			text: "Secretary of State John Kerry arrived in Paris on Monday. Kerry met French officials.",
			want: map[string]int{"PER John Kerry": 2, "LOC Paris": 1},
		},
		{
			name: "alias variants resolve to one name",
			text: "Fighters of the Islamic State group, also known as ISIS, attacked the town. Daesh later claimed the attack.",
			want: map[string]int{"ORG Islamic State": 3},
		},
		{
			name: "spellings of one name share an id",
			text: "Al-Qaeda claimed the attack. Analysts said al Qaeda had grown.",
			want: map[string]int{"ORG al-Qaeda": 2},
		},
		{
			name: "dotted abbreviation",
			text: "The U.N. Security Council met in New York. A U.N. spokesman said the United Nations would respond.",
			want: map[string]int{"ORG UN": 2},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]int{}
			for _, e := range tg.Entities(Field{Name: article.FieldContent, Text: tc.text}) {
				got[e.Type+" "+e.Name] = e.Count
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("%s: count %d, want %d (all: %v)", k, got[k], n, got)
				}
			}
		})
	}
}

func TestEntitiesDeterministic(t *testing.T) {
	tg := tagger(t)
	fields := storyFields(t, "story-kerry-lavrov-geneva-syria-2016.txt")
	first, _ := json.Marshal(tg.Entities(fields...))
	for range 3 {
		again, _ := json.Marshal(tg.Entities(fields...))
		if string(again) != string(first) {
			t.Fatal("Entities gave a different result for the same article")
		}
	}
}

func TestTagEmptyAndOdd(t *testing.T) {
	tg := tagger(t)
	for _, text := range []string{"", " ", "\n\n", "(((", "\xff\xfe", strings.Repeat("A ", 5000)} {
		for _, m := range tg.Tag(text) {
			if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
				t.Fatalf("Tag(%.20q): mention %+v out of range", text, m)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	v := tagger(t).Version()
	if !strings.HasPrefix(v, "ner-v1+") || len(v) != len("ner-v1+")+8 {
		t.Errorf("Version() = %q, want ner-v1+ and 8 hex digits", v)
	}
}

func TestTagHeadlines(t *testing.T) {
	tg := tagger(t)
	tests := []struct {
		name, text string
		want       []string
	}{
		{"title case", "Islamic State Claims Attack On Kabul Mosque", []string{"ORG:Islamic State", "LOC:Kabul"}},
		{"title case with places", "UN Envoy Says Aleppo Truce Talks Stall As Russia Blames US", []string{"ORG:UN", "LOC:Aleppo", "LOC:Russia", "LOC:US"}},
		{"sentence case", "Pope Francis visits Iraq amid security fears", []string{"PER:Pope Francis", "LOC:Iraq"}},
		{"all capitals dateline", "GENEVA, Switzerland - Staffan de Mistura met Sergei Lavrov.", []string{"LOC:GENEVA", "LOC:Switzerland", "PER:Staffan de Mistura", "PER:Sergei Lavrov"}},
		{"courtesy title", "Mr Assange was arrested in London.", []string{"PER:Assange", "LOC:London"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, m := range tg.Tag(tc.text) {
				got = append(got, m.Type+":"+tc.text[m.Start:m.End])
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("Tag(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
		})
	}
}

func TestTitleCaseHeadlineResolvesFromBody(t *testing.T) {
	fields := storyFields(t, "story-kerry-lavrov-geneva-syria-2016.txt")
	fields[0].Text = "Kerry, Lavrov Meet On Syria Conflict"
	for _, e := range tagger(t).Entities(fields...) {
		if e.Name == "John Kerry" || e.Name == "Sergei Lavrov" {
			if e.Mentions[0].Field != article.FieldTitle {
				t.Errorf("%s: first mention in %s, want the title too", e.Name, e.Mentions[0].Field)
			}
		}
	}
}

func TestAcronymDefinedInBrackets(t *testing.T) {
	text := "The Norwegian Refugee Council (NRC) said on Monday that aid had stopped. NRC staff left Idlib."
	got := map[string]int{}
	for _, e := range tagger(t).Entities(Field{Name: article.FieldContent, Text: text}) {
		got[e.Type+" "+e.Name] = e.Count
	}
	if got["ORG Norwegian Refugee Council"] != 3 {
		t.Errorf("entities %v, want Norwegian Refugee Council with 3 mentions", got)
	}
	for _, c := range []struct{ acr, name string }{{"NRC", "Norwegian Refugee Council"}, {"MSF", "Medecins Sans Frontieres"}, {"OCHA", "Office for the Coordination of Humanitarian Affairs"}} {
		if !isAcronymOf(c.acr, c.name) {
			t.Errorf("isAcronymOf(%q, %q) = false", c.acr, c.name)
		}
	}
	if isAcronymOf("US", "Norwegian Refugee Council") || isAcronymOf("Nrc", "Norwegian Refugee Council") {
		t.Error("isAcronymOf matched a word that is not an acronym of the name")
	}
}

func FuzzEntities(f *testing.F) {
	f.Add("Kerry, Lavrov Meet On Syria Conflict", "GENEVA - John Kerry met Sergei Lavrov (IS) and the Norwegian Refugee Council (NRC).")
	f.Add("", "\xff(\"' U.N.")
	tg := tagger(f)
	f.Fuzz(func(t *testing.T, title, content string) {
		fields := []Field{{Name: article.FieldTitle, Text: title}, {Name: article.FieldContent, Text: content}}
		ids := map[string]bool{}
		for _, e := range tg.Entities(fields...) {
			if e.ID == "" || e.Name == "" || ids[e.ID] || e.Count != len(e.Mentions) {
				t.Fatalf("bad entity %+v", e)
			}
			ids[e.ID] = true
			for _, m := range e.Mentions {
				text := title
				if m.Field == article.FieldContent {
					text = content
				}
				if m.Start < 0 || m.End > len(text) || m.Start >= m.End {
					t.Fatalf("mention %+v outside its field", m)
				}
			}
		}
	})
}

func TestLongTextWithoutSentencesIsBounded(t *testing.T) {
	tg := tagger(t)
	text := strings.Repeat("Kerry met Lavrov in Geneva and ", 2000) // 12,000 tokens, no sentence end
	d := prepare(text, tg.model)
	for _, s := range d.sents {
		if s[1]-s[0] > maxSentence {
			t.Fatalf("sentence of %d tokens, want at most %d", s[1]-s[0], maxSentence)
		}
	}
	d.decode(tg.model, tg.model.nclass, len(tg.model.types), nil, nil)
	if n := cap(d.lattice.trans); n > maxSentence*(tg.model.nclass+1)*tg.model.nclass {
		t.Errorf("lattice of %d scores, want it bounded by the longest sentence", n)
	}
	if ms := tg.Tag(text); len(ms) < 4000 {
		t.Errorf("%d mentions in a text naming 6,000 people and places", len(ms))
	}
	mentions := 0
	for _, e := range tg.Entities(Field{Name: article.FieldContent, Text: text}) {
		mentions += e.Count
	}
	if mentions < 4000 {
		t.Errorf("Entities kept %d mentions", mentions)
	}
}
