package topics

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/article"
)

func mustParse(t *testing.T, yml string) *Tagger {
	t.Helper()
	tax, err := Parse([]byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	return New(tax)
}

const ruleHeader = "version: t\ntopics:\n- id: x\n  label: X\n  definition: test\n"

func TestRules(t *testing.T) {
	tests := []struct {
		name, rules, title, body string
		want                     bool
	}{
		{"near: counts beside its neighbour",
			"  threshold: 2\n  terms: [{term: 'attack*', weight: 2, near: [chemical, sarin]}]\n",
			"", "The chemical attack killed dozens.", true},
		{"near: does not count alone",
			"  threshold: 2\n  terms: [{term: 'attack*', weight: 2, near: [chemical, sarin]}]\n",
			"", "The attack killed dozens. Chemical factories nearby were closed for the rest of the month after that.", false},
		{"near: window in words",
			"  threshold: 2\n  terms: [{term: 'attack*', weight: 2, near: [sarin], within: 2}]\n",
			"", "sarin was the agent, officials said of the attack", false},
		{"unless: vetoes the match",
			"  threshold: 1\n  terms: [{term: aid, weight: 1, unless: [military, hearing], within: 2}]\n",
			"", "The military aid arrived.", false},
		{"unless: other matches still count",
			"  threshold: 1\n  terms: [{term: aid, weight: 1, unless: [military, hearing], within: 2}]\n",
			"", "The military budget grew. Food aid arrived.", true},
		{"require: missing",
			"  threshold: 1\n  require: [convoy]\n  terms: [{term: aid, weight: 1}]\n",
			"", "Aid arrived.", false},
		{"require: present",
			"  threshold: 1\n  require: [convoy]\n  terms: [{term: aid, weight: 1}]\n",
			"", "An aid convoy arrived.", true},
		{"exclude: in the title",
			"  threshold: 1\n  exclude: [world cup]\n  terms: [{term: syria, weight: 2}]\n",
			"Syria out of the World Cup", "Syria lost.", false},
		{"exclude: deep in the body does not veto",
			"  threshold: 1\n  exclude: [world cup]\n  terms: [{term: syria, weight: 2}]\n",
			"Syria talks resume", strings.Repeat("Diplomats met again in Geneva. ", 15) + "The city hosted the World Cup draw once.", true},
		{"min_terms: one word repeated is not enough",
			"  threshold: 1\n  min_terms: 2\n  terms: [{term: syria, weight: 2}, {term: damascus, weight: 2}]\n",
			"", "Syria. Syria. Syria.", false},
		{"min_terms: two different words",
			"  threshold: 1\n  min_terms: 2\n  terms: [{term: syria, weight: 2}, {term: damascus, weight: 2}]\n",
			"", "Syria. Damascus.", true},
		{"negative weight cancels",
			"  threshold: 1\n  terms: [{term: syria, weight: 2}, {term: football, weight: -2}]\n",
			"", "Syria football.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := mustParse(t, ruleHeader+tt.rules)
			got := len(tg.Tag(Field{article.FieldTitle, tt.title}, Field{article.FieldContent, tt.body})) == 1
			if got != tt.want {
				t.Errorf("tagged = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScoresNeedSubstance(t *testing.T) {
	tg := mustParse(t, ruleHeader+"  threshold: 1\n  terms: [{term: syria, weight: 2}]\n")
	score := func(title, body string) float64 {
		got := tg.Tag(Field{article.FieldTitle, title}, Field{article.FieldContent, body})
		if len(got) == 0 {
			return 0
		}
		return got[0].Score
	}
	filler := strings.Repeat("Officials said the weather was fine and markets were calm. ", 80)
	inTitle := score("Syria votes", "Polls opened.")
	inLead := score("Votes", "Syria voted on Sunday. Polls opened.")
	short := score("Votes", "Polls opened on Sunday morning. "+strings.Repeat("x ", 50)+"Syria voted.")
	long := score("Votes", "Polls opened on Sunday morning. "+filler+"Syria voted.")
	if !(inTitle > inLead && inLead > short && short > long) {
		t.Errorf("scores title %.2f, lead %.2f, short body %.2f, long body %.2f: want decreasing", inTitle, inLead, short, long)
	}
}

func TestTagContext(t *testing.T) {
	tg := mustParse(t, ruleHeader+`  threshold: 4
  terms: [{term: syria, weight: 2}]
  countries: {SY: 1.5}
  entities: [{name: Bashar al-Assad, weight: 1}]
`)
	body := "Syria's president spoke. Bashar al-Assad said so."
	at := strings.Index(body, "Bashar")
	fields := []Field{{article.FieldTitle, "Speech"}, {article.FieldContent, body}}
	if got := tg.Tag(fields...); len(got) != 0 {
		t.Fatalf("without context tagged %+v", got)
	}
	assad := article.Entity{ID: "per:bashar-al-assad", Type: "PER", Name: "Bashar al-Assad", Count: 1,
		Mentions: []article.Mention{{Field: article.FieldContent, Start: at, End: at + len("Bashar al-Assad")}, {Field: article.FieldContent, Start: 0, End: 999}}}
	got := tg.TagContext(Context{Entities: []article.Entity{assad}, Countries: []string{"sy"}}, fields...)
	if len(got) != 1 {
		t.Fatalf("with country and entity: %+v", got)
	}
	var entityEv []article.Evidence
	for _, ev := range got[0].Evidence {
		if strings.HasPrefix(ev.Term, "entity:") {
			entityEv = append(entityEv, ev)
		}
	}
	if len(entityEv) != 1 || body[entityEv[0].Start:entityEv[0].End] != "Bashar al-Assad" {
		t.Errorf("entity evidence %+v: want the one in-range mention", entityEv)
	}
	// Context alone never makes a topic: it only adds to text evidence.
	if got := tg.TagContext(Context{Entities: []article.Entity{assad}, Countries: []string{"SY"}},
		Field{article.FieldTitle, "Weather"}, Field{article.FieldContent, "Rain."}); len(got) != 0 {
		t.Errorf("context without text evidence tagged %+v", got)
	}
}

func TestParseErrorsNameLineAndTopic(t *testing.T) {
	yml := `version: "1"
topics:
  - id: syria
    label: Syria
    definition: about Syria
    threshold: 5
    terms:
      - {term: syria, weight: 2}
      - {term: "***", weight: 1}
  - id: aid
    label: Aid
    definition: relief
    threshold: 5
    colour: red
    terms: [{term: aid, weight: 1}]
`
	dir := t.TempDir()
	path := filepath.Join(dir, "taxonomy.yaml")
	if err := os.WriteFile(path, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil {
		t.Fatal("Load accepted an unknown key")
	}
	for _, want := range []string{path, "line 14", "topic aid", "colour"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	fixed := strings.Replace(yml, "    colour: red\n", "", 1)
	_, err = Parse([]byte(fixed))
	if err == nil || !strings.Contains(err.Error(), "line 9: topic syria: terms[1]") {
		t.Errorf("Parse() = %v, want the line and topic of the empty term", err)
	}
}

func TestDeployedTaxonomy(t *testing.T) {
	tax, err := Load("../../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(tax.Topics) < 20 {
		t.Errorf("%d topics, want at least 20", len(tax.Topics))
	}
	var got []string
	for _, tp := range tax.Topics {
		got = append(got, tp.ID)
	}
	for _, want := range []string{"syria", "humanitarian-aid", "chemical-weapons", "diplomacy-peace-talks", "refugees-displacement", "airstrikes", "terrorism", "sanctions", "natural-disasters", "epidemics", "elections"} {
		if !slices.Contains(got, want) {
			t.Errorf("taxonomy lacks %s", want)
		}
	}
}
