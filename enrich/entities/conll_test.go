package entities

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir locates the gold data: NEWSFLOW_DATA_DIR, or ../shared/data
// next to the repository.
func dataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("NEWSFLOW_DATA_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "conll2003", "eng.testa")); err != nil {
		t.Skipf("CoNLL-2003 data not found under %s (set NEWSFLOW_DATA_DIR): %v", dir, err)
	}
	return dir
}

func readConllFile(t testing.TB, path string) []Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := ReadCoNLL(f)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestCoNLLDev scores the embedded tagger on eng.testa the way the
// pipeline is scored: each document's tokens joined by spaces and its
// sentences by newlines, tagged through Tag, exact span and type match.
func TestCoNLLDev(t *testing.T) {
	docs := readConllFile(t, filepath.Join(dataDir(t), "conll2003", "eng.testa"))
	if len(docs) != 216 {
		t.Fatalf("eng.testa: %d documents, want 216", len(docs))
	}
	s := Evaluate(docs, tagger(t).Tag)
	t.Logf("eng.testa:\n%s", s.Table())
	core, all := s.Overall("PER", "ORG", "LOC"), s.Overall()
	if f := core.F1(); f < 0.93 {
		t.Errorf("F1 on PER+ORG+LOC = %.4f, want at least 0.93", f)
	}
	if f := all.F1(); f < 0.925 {
		t.Errorf("F1 on all types = %.4f, want at least 0.925", f)
	}
}

func TestReadCoNLL(t *testing.T) {
	const in = `-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
call NN I-NP O

Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
Smith NNP I-NP B-PER

-DOCSTART- -X- O O

BRUSSELS NNP I-NP I-LOC
`
	docs, err := ReadCoNLL(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
	if want := "EU rejects German call\nPeter Blackburn Smith"; docs[0].Text != want {
		t.Errorf("text %q, want %q", docs[0].Text, want)
	}
	var got []string
	for _, s := range docs[0].Gold {
		got = append(got, s.Type+":"+docs[0].Text[s.Start:s.End])
	}
	if want := "ORG:EU MISC:German PER:Peter Blackburn PER:Smith"; strings.Join(got, " ") != want {
		t.Errorf("spans %q, want %q", strings.Join(got, " "), want)
	}

	for name, bad := range map[string]string{
		"no tag":      "word\n",
		"unknown tag": "word NN I-NP X-PER\n",
		"empty type":  "word NN I-NP I-\n",
	} {
		if _, err := ReadCoNLL(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%s: error %v, want one naming line 1", name, err)
		}
	}
}

func FuzzReadCoNLL(f *testing.F) {
	f.Add("-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\nPeter NNP I-NP B-PER\n")
	f.Add("a B-X\nb I-X\n\n\nc O\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		docs, err := ReadCoNLL(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, d := range docs {
			for _, s := range d.Gold {
				if s.Start < 0 || s.End > len(d.Text) || s.Start >= s.End {
					t.Fatalf("span %+v outside text of %d bytes", s, len(d.Text))
				}
			}
		}
	})
}

func TestEvaluateExactMatch(t *testing.T) {
	docs := []Document{{
		Text: "John Kerry met Sergei Lavrov in Geneva",
		Gold: []Span{{"PER", 0, 10}, {"PER", 15, 28}, {"LOC", 32, 38}},
	}}
	tag := func(string) []Mention {
		return []Mention{
			{"PER", 0, 10},  // exact: TP
			{"PER", 22, 28}, // wrong span: FP and the gold is a FN
			{"ORG", 32, 38}, // wrong type: FP ORG, FN LOC
		}
	}
	s := Evaluate(docs, tag)
	want := map[string]Counts{"PER": {TP: 1, FP: 1, FN: 1}, "LOC": {FN: 1}, "ORG": {FP: 1}}
	for typ, c := range want {
		if s.ByType[typ] != c {
			t.Errorf("%s: %+v, want %+v", typ, s.ByType[typ], c)
		}
	}
	all := s.Overall()
	if p, r := all.Precision(), all.Recall(); p != 1.0/3 || r != 1.0/3 {
		t.Errorf("precision %.3f recall %.3f, want 1/3 each", p, r)
	}
	if f := (Counts{}).F1(); f != 0 {
		t.Errorf("F1 of nothing = %v, want 0", f)
	}
}

// TestCoNLLDevEntities scores the mentions of Entities, with the type and
// resolution of their entity, the way an output built on Entities is
// scored.
func TestCoNLLDevEntities(t *testing.T) {
	docs := readConllFile(t, filepath.Join(dataDir(t), "conll2003", "eng.testa"))
	tg := tagger(t)
	s := Evaluate(docs, func(text string) []Mention {
		var out []Mention
		for _, e := range tg.Entities(Field{Name: "content", Text: text}) {
			for _, m := range e.Mentions {
				out = append(out, Mention{Type: e.Type, Start: m.Start, End: m.End})
			}
		}
		return out
	})
	t.Logf("eng.testa through Entities:\n%s", s.Table())
	if f := s.Overall("PER", "ORG", "LOC").F1(); f < 0.93 {
		t.Errorf("F1 on PER+ORG+LOC = %.4f, want at least 0.93", f)
	}
}
