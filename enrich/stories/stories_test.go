package stories

import (
	"strings"
	"testing"
	"time"
)

const wire = `Prosecutors in Sweden have dropped an investigation into a rape allegation made against Wikileaks co-founder Julian Assange in 2010. Assange, who denies the accusation, has avoided extradition to Sweden for seven years after seeking refuge at the Ecuadorean embassy in London in 2012. The 48-year-old Australian was evicted in April and sentenced to 50 weeks in jail for breaching his bail conditions. He is currently being held at Belmarsh prison in London.`

const other = `Asian shares slipped on Tuesday as doubts crept back in about whether the United States and China could reach an interim trade deal soon, while a fall in Chinese bond yields hinted at a weakening economy and rising risk aversion among investors across the region.`

func TestFingerprint(t *testing.T) {
	base, n := Of(wire)
	if n < MinShingles {
		t.Fatalf("%d shingles from a paragraph", n)
	}
	tests := []struct {
		name           string
		text           string
		minSim, maxSim float64
	}{
		{"same text", wire, 1, 1},
		{"case, punctuation and spacing do not count", strings.ToUpper(strings.ReplaceAll(wire, ", ", " ;  ")), 1, 1},
		{"curly and straight apostrophes are one word", strings.ReplaceAll(wire, "Sweden's", "Sweden’s"), 1, 1},
		{"republished with a byline and a dateline", "By AP staff. STOCKHOLM (AP) — " + wire, MinSimilarity, 1},
		{"one word changed", strings.Replace(wire, "seven years", "nine years", 1), MinSimilarity, 1},
		{"an unrelated story", other, 0, 0.2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp, _ := Of(tt.text)
			s := base.Similarity(&fp)
			if s < tt.minSim || s > tt.maxSim {
				t.Errorf("similarity %.2f, want %.2f..%.2f", s, tt.minSim, tt.maxSim)
			}
		})
	}
}

func TestFingerprintShortAndIdeographic(t *testing.T) {
	if _, n := Of("Syria talks resume"); n != 1 {
		t.Errorf("three words give %d shingles, want 1", n)
	}
	if _, n := Of(""); n != 0 {
		t.Errorf("empty text gives %d shingles", n)
	}
	// Each Han character is a word: 5 characters, 3 shingles.
	if _, n := Of("国連発表"); n != 2 {
		t.Errorf("4 Han characters give %d shingles, want 2", n)
	}
}

func TestIndexAssign(t *testing.T) {
	t0 := time.Date(2019, 11, 19, 12, 0, 0, 0, time.UTC)
	type step struct {
		id, text string
		at       time.Time
		want     string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"a new article starts its own story", []step{
			{"a1", wire, t0, "a1"},
		}},
		{"a republication joins the first story", []step{
			{"a1", wire, t0, "a1"},
			{"b1", "STOCKHOLM (AP) — " + wire, t0.Add(time.Hour), "a1"},
			{"c1", wire + " Follow us.", t0.Add(2 * time.Hour), "a1"},
		}},
		{"an unrelated article starts another story", []step{
			{"a1", wire, t0, "a1"},
			{"b1", other, t0, "b1"},
		}},
		{"the same article again keeps its story, whatever its text", []step{
			{"a1", wire, t0, "a1"},
			{"b1", other, t0, "b1"},
			{"b1", wire, t0, "b1"},
		}},
		{"an article updated in place under a new headline keeps its story", []step{
			{"a1", "Sweden drops Assange investigation\n" + wire, t0, "a1"},
			{"a2", "Sweden drops rape inquiry into Julian Assange\n" + wire, t0.Add(3 * time.Hour), "a1"},
		}},
		{"a match outside the window starts a new story", []step{
			{"a1", wire, t0, "a1"},
			{"b1", wire, t0.Add(10 * 24 * time.Hour), "b1"},
		}},
		{"headlines alone are too short to match", []step{
			{"a1", "Syria talks resume in Geneva", t0, "a1"},
			{"b1", "Syria talks resume in Geneva", t0, "b1"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := NewIndex(72*time.Hour, 0)
			for i, s := range tt.steps {
				if got := ix.Assign(s.id, s.text, s.at); got != s.want {
					t.Errorf("step %d: Assign(%s) = %s, want %s", i, s.id, got, s.want)
				}
			}
		})
	}
}

// TestIndexConverges checks the consistency rule across replicas: two
// replicas that each started a story for one event, and then learned of
// each other's, send the next article to the same story.
func TestIndexConverges(t *testing.T) {
	t0 := time.Date(2019, 11, 19, 12, 0, 0, 0, time.UTC)
	r1, r2 := NewIndex(72*time.Hour, 0), NewIndex(72*time.Hour, 0)
	s1 := r1.Assign("x", wire, t0.Add(time.Second))
	s2 := r2.Assign("y", "(AP) "+wire, t0)
	if s1 == s2 {
		t.Fatalf("replicas that had not met agreed by chance: %s", s1)
	}
	r1.Learn("y", s2, "(AP) "+wire, t0)
	r2.Learn("x", s1, wire, t0.Add(time.Second))
	a, b := r1.Assign("z", wire+" Updated.", t0.Add(time.Hour)), r2.Assign("z", wire+" Updated.", t0.Add(time.Hour))
	if a != b {
		t.Errorf("replicas assign %s and %s, want one story", a, b)
	}
	// Equally similar to both: the earliest story wins everywhere.
	c, d := r1.Assign("w", wire, t0.Add(time.Hour)), r2.Assign("w", wire, t0.Add(time.Hour))
	if c != d {
		t.Errorf("replicas assign %s and %s to a tie, want one story", c, d)
	}
}

func TestIndexEvicts(t *testing.T) {
	t0 := time.Date(2019, 11, 19, 12, 0, 0, 0, time.UTC)
	ix := NewIndex(time.Hour, 100)
	for i := range 1000 {
		ix.Assign(strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), other, t0.Add(time.Duration(i)*time.Minute))
	}
	if n := ix.Len(); n > 100 {
		t.Errorf("index holds %d articles, limit 100", n)
	}
	ix = NewIndex(time.Hour, 0)
	for i := range 1000 {
		ix.Assign(time.Duration(i).String(), other, t0.Add(time.Duration(i)*time.Minute))
	}
	if n := ix.Len(); n > 130 {
		t.Errorf("index holds %d articles of 1000 minutes with a 1h window", n)
	}
}

func BenchmarkAssign(b *testing.B) {
	t0 := time.Date(2019, 11, 19, 12, 0, 0, 0, time.UTC)
	ix := NewIndex(72*time.Hour, 100000)
	texts := []string{wire, other, wire + " Updated.", strings.Repeat(other+" ", 20)}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ix.Assign(time.Duration(i).String(), texts[i%len(texts)], t0.Add(time.Duration(i)*time.Second))
	}
}
