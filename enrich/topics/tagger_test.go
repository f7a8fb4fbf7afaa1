package topics

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

func loadTagger(t testing.TB) *Tagger {
	t.Helper()
	tax, err := Load("../../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return New(tax)
}

func ids(ts []article.Topic) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func TestReferenceStory(t *testing.T) {
	b, err := os.ReadFile("../../testdata/articles/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ := strings.Cut(string(b), "\n")
	got := loadTagger(t).Tag(Field{article.FieldTitle, title}, Field{article.FieldContent, body})
	for _, want := range []string{"syria", "humanitarian-aid", "chemical-weapons", "diplomacy-peace-talks"} {
		if !slices.Contains(ids(got), want) {
			t.Errorf("reference story topics %v lack %s", ids(got), want)
		}
	}
	for _, tp := range got {
		for _, ev := range tp.Evidence {
			text := title
			if ev.Field == article.FieldContent {
				text = body
			}
			span := strings.ToLower(text[ev.Start:ev.End])
			firstWord := strings.TrimSuffix(strings.Fields(strings.ToLower(ev.Term))[0], "*")
			if !strings.HasPrefix(span, firstWord) {
				t.Errorf("%s evidence %q points at %q", tp.ID, ev.Term, text[ev.Start:ev.End])
			}
		}
	}
}

func TestTopicsNeedSubstance(t *testing.T) {
	// Hard negatives: the words of a topic without its substance. Where a
	// real item shows the trap it comes from the development set;
	// otherwise a short text stands in.
	tests := []struct {
		name, title, body string
		notTagged         string
	}{
		{"Syria in a list of countries", "Oil prices rise",
			"Oil prices rose on Monday. Producers including Saudi Arabia, Iraq, Iran, Syria and Libya met in Vienna.", "syria"},
		{"football match against Syria", "Australia beat Syria in World Cup qualifier",
			"Australia beat Syria 2-1 in the World Cup qualifier on Tuesday. The national team will now face Honduras.", "syria"},
		{"football match against Syria, no title clue", "Socceroos through to next round",
			"Australia beat Syria 2-1 on Tuesday. Syria's goalkeeper saved a penalty before Tim Cahill scored the winning goal. Syria had led at half time.", "syria"},
		{"military aid", "US approves military aid package",
			"Congress approved a military aid package for Ukraine. The military aid includes missiles.", "humanitarian-aid"},
		{"hearing aid", "New hearing aid prices fall",
			"Hearing aids are now sold over the counter. A hearing aid costs less than before.", "humanitarian-aid"},
		{"chemical plant fire", "Fire at chemical plant in Texas",
			"A fire broke out at a chemical plant near Houston. Residents were told to stay indoors.", "chemical-weapons"},
		{"tear gas at a protest", "Police fire tear gas at protesters",
			"Police used tear gas to disperse protesters in the capital on Saturday.", "chemical-weapons"},
		{"a corrosive-substance attack called a chemical attack", "Police hunt man after Clapham chemical attack",
			"A woman and her two daughters were injured when a man threw a corrosive alkaline substance at them in south London. Police said the chemical attack was targeted.", "chemical-weapons"},
	}
	tg := loadTagger(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tg.Tag(Field{article.FieldTitle, tt.title}, Field{article.FieldContent, tt.body})
			if slices.Contains(ids(got), tt.notTagged) {
				t.Errorf("tagged %s: %+v", tt.notTagged, got)
			}
		})
	}
}

func TestRealHardNegatives(t *testing.T) {
	tests := []struct {
		name, id, notTagged string
	}{
		{"Syria, Aleppo and Assad named in a cabinet-pick story", "trnews:1030014", "syria"},
		{"jihadists in Iraq and Syria as background", "trnews:1030008", "syria"},
		{"Syria named as a partner for talks in a US policy column", "lgl:38576530", "syria"},
		{"military aid to Ukraine in an impeachment story", "page:article-ap-sondland-trump-ukraine", "humanitarian-aid"},
		{"Iranian military aid and a refugee camp", "page:article-polygraph-syria-rukban-al-tanf-factcheck", "humanitarian-aid"},
		{"federal stimulus aid", "lgl:40555978", "humanitarian-aid"},
		{"state aid to local governments", "lgl:38563537", "humanitarian-aid"},
		{"fundraiser in aid of a hospice", "lgl:44238165", "humanitarian-aid"},
		{"police tear gas at Iranian protesters", "page:article-panarmenian-iran-protest-killings", "chemical-weapons"},
		{"police tear gas at Hong Kong protesters", "page:article-guardian-hong-kong-editorial", "chemical-weapons"},
		{"chemical company's carbon capture plant", "lgl:44118513", "chemical-weapons"},
		{"chlorine in swimming pools", "lgl:38741973", "chemical-weapons"},
		{"audit of a chemical stockpile preparedness grant", "lgl:44028849", "chemical-weapons"},
		{"meth lab chemicals", "lgl:42103285", "chemical-weapons"},
		{"gas pipeline fire", "feed:rss20-guardian-international-reformatted#6", "chemical-weapons"},
		{"trade truce", "page:article-nytimes-trump-trade-war-china", "diplomacy-peace-talks"},
		{"trade ceasefire", "feed:rss20-huffpost-worldnews-enclosures#1", "diplomacy-peace-talks"},
		{"a quake nobody felt", "lgl:41646258", "natural-disasters"},
	}
	items := map[string]devItem{}
	for _, it := range loadDevSet(t) {
		items[it.ID] = it
	}
	tg := loadTagger(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, ok := items[tt.id]
			if !ok {
				t.Fatalf("no item %s in the development set", tt.id)
			}
			if slices.Contains(it.Labels, tt.notTagged) {
				t.Fatalf("%s is labelled %s", tt.id, tt.notTagged)
			}
			got := tg.Tag(Field{article.FieldTitle, it.Title}, Field{article.FieldContent, it.Text})
			if slices.Contains(ids(got), tt.notTagged) {
				t.Errorf("%s tagged %s: %+v", tt.id, tt.notTagged, got)
			}
		})
	}
}

func TestPhrasesMatchOnWordBoundaries(t *testing.T) {
	tax := &Taxonomy{Version: "t", Topics: []Topic{{ID: "x", Threshold: 1, Terms: []Term{
		{Term: "aid convoy*", Weight: 1}, {Term: "sarin", Weight: 1},
	}}}}
	tg := New(tax)
	tests := []struct {
		text string
		want int
	}{
		{"An aid convoy arrived.", 1},
		{"Two aid convoys arrived.", 1},
		{"Aid. Convoys arrived.", 0},  // across a sentence break
		{"The sarinthian court", 0},   // not a word match
		{"SARIN was found.", 1},       // case-insensitive
		{"aid convoy, then sarin", 2}, // both
	}
	for _, tt := range tests {
		got := tg.Tag(Field{article.FieldContent, tt.text})
		n := 0
		if len(got) == 1 {
			n = len(got[0].Evidence)
		}
		if n != tt.want {
			t.Errorf("%q: %d matches, want %d (%+v)", tt.text, n, tt.want, got)
		}
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "empty"},
		{"unknown key", "version: '1'\ntopics:\n- id: a\n  threshold: 1\n  terms: [{term: x, weight: 1}]\n  colour: red\n", "colour"},
		{"bad id", "version: '1'\ntopics:\n- id: Syria\n  threshold: 1\n  terms: [{term: x, weight: 1}]\n", "lower-case"},
		{"duplicate id", "version: '1'\ntopics:\n- id: a\n  threshold: 1\n  terms: [{term: x, weight: 1}]\n- id: a\n  threshold: 1\n  terms: [{term: y, weight: 1}]\n", "used twice"},
		{"no threshold", "version: '1'\ntopics:\n- id: a\n  terms: [{term: x, weight: 1}]\n", "threshold"},
		{"no weight", "version: '1'\ntopics:\n- id: a\n  threshold: 1\n  terms: [{term: x}]\n", "weight"},
		{"term without words", "version: '1'\ntopics:\n- id: a\n  threshold: 1\n  terms: [{term: '***', weight: 1}]\n", "must have 1 to 8 words"},
		{"no version", "topics:\n- id: a\n  threshold: 1\n  terms: [{term: x, weight: 1}]\n", "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse() = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

// FuzzParseAndTag feeds the taxonomy parser arbitrary YAML and the tagger
// arbitrary text and entity offsets: neither may panic, and every piece of
// evidence must point inside the field it names.
func FuzzParseAndTag(f *testing.F) {
	b, err := os.ReadFile("../../deploy/taxonomy.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "Kerry and Lavrov met in Geneva on Syria; an aid convoy reached Aleppo after a chemical attack.", 3, 40)
	f.Add([]byte("version: x\ntopics: [{id: a, label: A, definition: d, threshold: 1, terms: [{term: 'a*', weight: 1, near: [b], unless: ['c*'], within: 50}], require: [a], exclude: [z], countries: {SY: 1}, entities: [{name: X, weight: 1}]}]"), "aaa a- -a 'a' a’b b. Syria's X", -1, 7)
	f.Add([]byte("version: x\ntopics:\n- id: a\n  terms: &t [{term: x, weight: 1}]\n  colour: *t\n"), "x", 0, 0)
	f.Fuzz(func(t *testing.T, yml []byte, text string, start, end int) {
		tax, err := Parse(yml)
		if err != nil {
			return
		}
		c := Context{
			Entities:  []article.Entity{{Name: "X", ID: "per:x", Count: 2, Mentions: []article.Mention{{Field: article.FieldContent, Start: start, End: end}}}},
			Countries: []string{"SY", "x"},
		}
		fields := []Field{{article.FieldTitle, text}, {article.FieldContent, text}}
		for _, tp := range New(tax).TagContext(c, fields...) {
			if tp.Score < 0 {
				t.Fatalf("topic %s has a negative score %v", tp.ID, tp.Score)
			}
			for _, ev := range tp.Evidence {
				if ev.Start < 0 || ev.End > len(text) || ev.Start >= ev.End {
					t.Fatalf("evidence %+v out of range for %d bytes", ev, len(text))
				}
			}
		}
	})
}

// FuzzTag runs the deployed taxonomy over arbitrary title and body text:
// no panic, scores at least the threshold, evidence inside its field.
func FuzzTag(f *testing.F) {
	b, err := os.ReadFile("../../testdata/articles/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		f.Fatal(err)
	}
	title, body, _ := strings.Cut(string(b), "\n")
	f.Add(title, body)
	f.Add("Syria’s aid", "al-Assad's sarin-attack; aid-convoy. \xff\xfe chemical\u00a0attack Aid aid aid")
	f.Add("", "")
	tg := loadTagger(f)
	f.Fuzz(func(t *testing.T, title, body string) {
		for _, tp := range tg.Tag(Field{article.FieldTitle, title}, Field{article.FieldContent, body}) {
			if tp.Score <= 0 {
				t.Fatalf("topic %s tagged with score %v", tp.ID, tp.Score)
			}
			for _, ev := range tp.Evidence {
				text := body
				if ev.Field == article.FieldTitle {
					text = title
				}
				if ev.Start < 0 || ev.End > len(text) || ev.Start >= ev.End {
					t.Fatalf("evidence %+v out of range for %d bytes", ev, len(text))
				}
			}
		}
	})
}
