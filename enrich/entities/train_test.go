package entities

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// syntheticDocs builds small labelled documents: people visiting places
// for organizations.
func syntheticDocs() []Document {
	people := []string{"Anna Berg", "Tom Kowalski", "Maria Lopez", "John Smith", "Ali Hassan", "Li Wei"}
	places := []string{"Paris", "Nairobi", "Lima", "Oslo", "Hanoi", "Quito"}
	orgs := []string{"Acme Corp", "the World Bank", "Red Cross", "Nordic Union"}
	var docs []Document
	for i := range 60 {
		var b strings.Builder
		var gold []Span
		add := func(s, typ string) {
			start := b.Len()
			b.WriteString(s)
			if typ != "" {
				if strings.HasPrefix(s, "the ") {
					start += 4
				}
				gold = append(gold, Span{Type: typ, Start: start, End: b.Len()})
			}
		}
		p, l, o := people[i%len(people)], places[(i/2)%len(places)], orgs[i%len(orgs)]
		add(p, "PER")
		add(" flew to ", "")
		add(l, "LOC")
		add(" on Monday .\nThe trip was paid by ", "")
		add(o, "ORG")
		add(" , said ", "")
		add(strings.Fields(p)[1], "PER")
		add(" .", "")
		docs = append(docs, Document{Text: b.String(), Gold: gold})
	}
	return docs
}

func TestTrainLearnsAndRoundTrips(t *testing.T) {
	docs := syntheticDocs()
	var texts []string
	for _, d := range docs {
		texts = append(texts, d.Text)
	}
	opts := TrainOptions{
		Iterations: 5, Seed: 7, Folds: 2,
		Names:      []Name{{Type: "LOC", Text: "Accra"}, {Type: "FIRST", Text: "Kofi"}},
		Unlabelled: texts,
		Clusters:   ClusterOptions{Fine: 6, Coarse: 2, MinCount: 2, Contexts: 20, Iterations: 5, Seed: 1},
	}
	m, err := Train(docs, opts)
	if err != nil {
		t.Fatal(err)
	}
	s := Evaluate(docs, m.Tag)
	if f := s.Overall().F1(); f < 0.95 {
		t.Errorf("F1 on the training documents = %.3f, want at least 0.95\n%s", f, s.Table())
	}
	// Unseen names in a seen pattern.
	text := "Kofi Mensah flew to Accra on Monday ."
	got := m.Tag(text)
	var names []string
	for _, g := range got {
		names = append(names, g.Type+":"+text[g.Start:g.End])
	}
	if want := []string{"PER:Kofi Mensah", "LOC:Accra"}; !slices.Equal(names, want) {
		t.Errorf("Tag(%q) = %v, want %v", text, names, want)
	}

	if len(m.data.clusters) == 0 {
		t.Error("no word clusters learned")
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	again, err := Train(docs, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf2 bytes.Buffer
	if err := again.Encode(&buf2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), buf2.Bytes()) {
		t.Error("training twice with the same options wrote different files")
	}
	decoded, err := decodeModel(buf.Bytes())
	if err != nil {
		t.Fatalf("decoding the written model: %v", err)
	}
	for _, d := range docs[:10] {
		a, b := fmt.Sprint(m.Tag(d.Text)), fmt.Sprint(tagWith(decoded, d.Text))
		if a != b {
			t.Fatalf("decoded model tags %q as %s, the trained one as %s", d.Text, b, a)
		}
	}
}

func TestTrainErrors(t *testing.T) {
	docs := syntheticDocs()
	for name, opts := range map[string]TrainOptions{
		"no passes":     {Iterations: 0},
		"unknown group": {Iterations: 1, Without: []string{"colour"}},
		"too many lists": {Iterations: 1, Names: []Name{
			{Type: "A", Text: "a"}, {Type: "B", Text: "b"}, {Type: "C", Text: "c"}, {Type: "D", Text: "d"}, {Type: "E", Text: "e"}, {Type: "F", Text: "f"},
		}},
	} {
		if _, err := Train(docs, opts); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := Train(nil, TrainOptions{Iterations: 1}); err == nil {
		t.Error("no documents: no error")
	}
}

func TestDecodeModelRejectsGarbage(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":     nil,
		"not gzip":  []byte("newsflow-ner/1\n"),
		"truncated": embeddedModel[:len(embeddedModel)/2],
	} {
		if _, err := decodeModel(data); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestTagConcurrent(t *testing.T) {
	tg := tagger(t)
	fields := storyFields(t, "story-kerry-lavrov-geneva-syria-2016.txt")
	want := fmt.Sprint(tg.Entities(fields...))
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			if got := fmt.Sprint(tg.Entities(fields...)); got != want {
				errs <- got
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Entities differ: %s", got)
	}
}

func TestLearnClustersGroupsAlikeWords(t *testing.T) {
	var texts []string
	for _, city := range []string{"Paris", "Oslo", "Lima", "Rome"} {
		for _, verb := range []string{"ran", "sat", "ate", "slept"} {
			texts = append(texts, "We flew to "+city+" today .", "They "+verb+" quickly .")
		}
	}
	cl := learnClusters(texts, ClusterOptions{Fine: 3, Coarse: 2, MinCount: 2, Contexts: 20, Iterations: 10, Seed: 3})
	id := func(w string) uint16 { return cl[hashString(w)][0] }
	if id("paris") == 0 || id("paris") != id("oslo") || id("lima") != id("rome") || id("paris") != id("rome") {
		t.Errorf("cities in different clusters: %d %d %d %d", id("paris"), id("oslo"), id("lima"), id("rome"))
	}
	if id("ran") != id("slept") || id("ran") == id("paris") {
		t.Errorf("verbs: ran %d slept %d, cities %d", id("ran"), id("slept"), id("paris"))
	}
}
