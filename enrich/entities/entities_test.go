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

var (
	loadOnce   sync.Once
	testTagger *Tagger
	loadErr    error
)

// tagger loads the embedded model once for all tests.
func tagger(t testing.TB) *Tagger {
	t.Helper()
	loadOnce.Do(func() { testTagger, loadErr = Load() })
	if loadErr != nil {
		t.Fatalf("Load: %v", loadErr)
	}
	return testTagger
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
