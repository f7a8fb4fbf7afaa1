package geoeval

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/enrich/geo"
)

// dataDir locates the gold data: $NEWSFLOW_DATA_DIR, else ../shared/data
// relative to the repository root.
func dataDir(t *testing.T) string {
	if d := os.Getenv("NEWSFLOW_DATA_DIR"); d != "" {
		return d
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	return filepath.Join(root, "..", "shared", "data")
}

func readCorpus(t *testing.T, name string) []Doc {
	t.Helper()
	path := filepath.Join(dataDir(t), "geoparsing", name)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skipf("gold corpus %s is absent; set NEWSFLOW_DATA_DIR to the folder holding geoparsing/", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs, err := Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestGoldCorpora holds the parser to the figures it reaches on LGL and
// TR-News (see the README's Places section); a change that loses quality
// fails here. Thresholds sit a little under the measured figures.
func TestGoldCorpora(t *testing.T) {
	lgl := readCorpus(t, "lgl.xml")
	tr := readCorpus(t, "TR-News.xml")
	p, err := geo.Load()
	if err != nil {
		t.Fatal(err)
	}
	dev, held := Split(tr)
	tests := []struct {
		name                             string
		docs                             []Doc
		precision, recall, acc161, given float64
	}{
		{"LGL", lgl, 0.89, 0.61, 0.835, 0.69},
		{"TR-News dev half", dev, 0.96, 0.81, 0.94, 0.86},
		{"TR-News held-out half", held, 0.88, 0.81, 0.90, 0.83},
	}
	var rows []Row
	for _, tt := range tests {
		s := Evaluate(p, tt.docs)
		rows = append(rows, Row{Name: tt.name, Scores: s})
		if s.Precision() < tt.precision || s.Recall() < tt.recall || s.AccuracyKm161() < tt.acc161 || s.GivenAccuracyKm161() < tt.given {
			t.Errorf("%s: P %.3f R %.3f acc@161km %.3f given spans acc@161km %.3f, want at least %.3f %.3f %.3f %.3f", tt.name,
				s.Precision(), s.Recall(), s.AccuracyKm161(), s.GivenAccuracyKm161(), tt.precision, tt.recall, tt.acc161, tt.given)
		}
	}
	var b strings.Builder
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

func TestReadRejects(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "parsing corpus"},
		{"no articles", "<articles></articles>", "no <article> elements"},
		{"bad offset", `<articles><article docid="7"><text>Paris</text><toponyms><toponym><start>x</start><end>5</end></toponym></toponyms></article></articles>`, `docid "7"): toponym 1`},
		{"bad id", `<articles><article docid="8"><text>Paris</text><toponyms><toponym><start>0</start><end>5</end><gaztag geonameid="p"/></toponym></toponyms></article></articles>`, "geonameid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Read error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadOffsets(t *testing.T) {
	in := `<articles><article docid="1"><text><![CDATA[Café in Genève, and Paris]]></text><toponyms>
<toponym><start>8</start><end>14</end><phrase>Genève</phrase><gaztag geonameid="2660646"><lat>46.2</lat><lon>6.1</lon></gaztag></toponym>
<toponym><start>19</start><end>24</end><phrase>Paris</phrase></toponym>
<toponym><start>30</start><end>40</end><phrase>Nowhere</phrase></toponym>
</toponyms></article></articles>`
	docs, err := Read(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if len(d.Toponyms) != 2 || d.Skipped != 1 {
		t.Fatalf("toponyms %+v, skipped %d", d.Toponyms, d.Skipped)
	}
	if got := d.Text[d.Toponyms[0].Start:d.Toponyms[0].End]; got != "Genève" {
		t.Errorf("character offsets became %q", got)
	}
	// The second span is one character early; realign finds the phrase.
	if got := d.Text[d.Toponyms[1].Start:d.Toponyms[1].End]; got != "Paris" {
		t.Errorf("realigned span is %q", got)
	}
	if d.Toponyms[0].GeoNameID != 2660646 || !d.Toponyms[0].HasPoint || d.Toponyms[1].HasPoint {
		t.Errorf("gaztags %+v", d.Toponyms)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(`<articles><article docid="1"><text>Paris</text><toponyms><toponym><start>0</start><end>5</end><phrase>Paris</phrase></toponym></toponyms></article></articles>`)
	f.Add(`<articles><article><text>é</text><toponyms><toponym><start>0</start><end>1</end><gaztag geonameid="1"><lat>1</lat><lon>2</lon></gaztag></toponym></toponyms></article></articles>`)
	f.Fuzz(func(t *testing.T, in string) {
		docs, err := Read(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, d := range docs {
			for _, tp := range d.Toponyms {
				if tp.Start < 0 || tp.End > len(d.Text) || tp.Start >= tp.End {
					t.Fatalf("toponym %+v outside the %d-byte text", tp, len(d.Text))
				}
			}
		}
	})
}
