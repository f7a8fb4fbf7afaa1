package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/enrich"
)

var tagEnricher = sync.OnceValues(func() (*enrich.Enricher, error) {
	return enrich.Load("../../deploy/taxonomy.yaml")
})

func testTagEnricher(t testing.TB) *enrich.Enricher {
	t.Helper()
	en, err := tagEnricher()
	if err != nil {
		t.Fatal(err)
	}
	return en
}

func tagEnv(stdin string) (env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	lookup := func(k string) (string, bool) {
		if k == "NEWSFLOW_TAXONOMY" {
			return "../../deploy/taxonomy.yaml", true
		}
		return "", false
	}
	return env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, lookup: lookup}, &out, &errb
}

func TestTagCommand(t *testing.T) {
	story, err := os.ReadFile("../../testdata/articles/story-kerry-lavrov-geneva-syria-2016.txt")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		stdin   string
		want    []string // in the output
		wantErr string
	}{
		{"plain text file", []string{"../../testdata/articles/story-kerry-lavrov-geneva-syria-2016.txt"}, "",
			[]string{"Kerry, Lavrov meet on Syria conflict", "language   en", "syria", "humanitarian-aid", "chemical-weapons"}, ""},
		{"text on standard input, explained", []string{"--explain", "-"}, string(story),
			[]string{"Kerry, Lavrov meet on Syria conflict", `"chemical attack*"`, "content"}, ""},
		{"an HTML page", []string{"../../testdata/articles/article-polygraph-syria-rukban-al-tanf-factcheck.html"}, "",
			[]string{"language   en", "syria"}, ""},
		{"an article JSON", []string{"--format", "json", "-"}, `{"id":"abc","title":"Aid convoy reaches Aleppo","content":"A UN humanitarian aid convoy reached besieged eastern Aleppo in Syria."}`,
			[]string{`"id": "abc"`, `"language": "en"`, `"story_id": "abc"`}, ""},
		{"a French article gets its language only", []string{"-"}, "Les convois humanitaires arrivent à Alep\nLes Nations unies ont annoncé vendredi que les convois d'aide humanitaire avaient atteint la ville assiégée d'Alep en Syrie.",
			[]string{"language   fr", "topics (0)"}, ""},
		{"a missing file", []string{"no-such-file.txt"}, "", nil, "no-such-file.txt"},
		{"an article JSON without text", []string{"-"}, `{"id":"x"}`, nil, "no title, content or summary"},
		{"two files", []string{"a", "b"}, "", nil, "give one FILE"},
		{"an unknown format", []string{"--format", "xml", "-"}, "", nil, "want text, json or jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, out, _ := tagEnv(tt.stdin)
			err := runTag(context.Background(), e, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestTagLines(t *testing.T) {
	en := testTagEnricher(t)
	long := strings.Repeat("Syria humanitarian aid convoy reached Aleppo. ", 3000) // > 64 KiB
	in := strings.Join([]string{
		`{"id":"a","title":"Aid reaches Aleppo","text":"A UN humanitarian aid convoy reached besieged eastern Aleppo in Syria."}`,
		`{"id":17,"text":"Asian shares rose on Monday."}`,
		``,
		`not json at all`,
		`{"id":"no-text"}`,
		`{"id":{"x":1},"text":"bad id"}`,
		`{"id":"long","text":"` + long + `"}`,
		`{"id":"dup","text":"` + long + ` Updated."}`,
		`{"id":"last","text":"Café Zürich"}`,
	}, "\n")
	var out bytes.Buffer
	if err := tagLines(strings.NewReader(in), &out, en, time.Now()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	wantIDs := []string{`"a"`, `17`, `4`, `"no-text"`, `6`, `"long"`, `"dup"`, `"last"`}
	if len(lines) != len(wantIDs) {
		t.Fatalf("%d output lines for 8 inputs:\n%s", len(lines), out.String()[:min(out.Len(), 2000)])
	}
	results := make([]map[string]json.RawMessage, len(lines))
	for i, l := range lines {
		if err := json.Unmarshal([]byte(l), &results[i]); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		if got := string(results[i]["id"]); got != wantIDs[i] {
			t.Errorf("line %d: id %s, want %s", i+1, got, wantIDs[i])
		}
	}
	for _, i := range []int{2, 3, 4} {
		if results[i]["error"] == nil {
			t.Errorf("line %d: no error for a bad input: %s", i+1, lines[i])
		}
	}
	var first struct {
		Language string `json:"language"`
		Topics   []struct {
			ID       string `json:"id"`
			Evidence []struct {
				Field      string
				Start, End int
				Term       string
			} `json:"evidence"`
		} `json:"topics"`
		StoryID string `json:"story_id"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.Language != "en" || len(first.Topics) == 0 {
		t.Errorf("first line: %s", lines[0])
	}
	text := "A UN humanitarian aid convoy reached besieged eastern Aleppo in Syria."
	for _, tp := range first.Topics {
		for _, ev := range tp.Evidence {
			if ev.Field == "text" && !strings.EqualFold(strings.TrimSuffix(text[ev.Start:ev.End], "s"), strings.TrimSuffix(strings.TrimSuffix(ev.Term, "*"), "s")) && !strings.HasPrefix(strings.ToLower(text[ev.Start:ev.End]), strings.TrimSuffix(ev.Term, "*")) {
				t.Errorf("evidence %q points at %q", ev.Term, text[ev.Start:ev.End])
			}
		}
	}
	if string(results[5]["story_id"]) != string(results[6]["story_id"]) {
		t.Errorf("a near-duplicate got story %s, its original %s", results[6]["story_id"], results[5]["story_id"])
	}
}

// TestTagLinesStreams checks thousands of lines come back one for one,
// in order.
func TestTagLinesStreams(t *testing.T) {
	en := testTagEnricher(t)
	const n = 3000
	var in strings.Builder
	for i := range n {
		fmt.Fprintf(&in, `{"id":%d,"text":"Item %d: aid convoys reached Aleppo on day %d."}`+"\n", i, i, i)
	}
	var out bytes.Buffer
	if err := tagLines(strings.NewReader(in.String()), &out, en, time.Now()); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&out)
	i := 0
	for sc.Scan() {
		var r struct{ ID int }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.ID != i {
			t.Fatalf("line %d: %s (%v)", i+1, sc.Text(), err)
		}
		i++
	}
	if i != n {
		t.Fatalf("%d result lines for %d inputs", i, n)
	}
}

func FuzzTagLines(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","title":"Aid reaches Aleppo","text":"A UN humanitarian aid convoy reached Aleppo."}`,
		`{"id":1,"text":""}`,
		"{\"id\":\"x\",\"text\":\"\xff\xfe\"}\n\n{",
		`{"id":null,"text":"x"}`,
		"\r\n\r\n",
	} {
		f.Add(s)
	}
	en := testTagEnricher(f)
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := tagLines(strings.NewReader(in), &out, en, time.Unix(0, 0)); err != nil {
			t.Fatal(err)
		}
		inputs := 0
		for _, l := range strings.Split(in, "\n") {
			if strings.TrimSpace(strings.TrimRight(l, "\r")) != "" {
				inputs++
			}
		}
		outputs := 0
		for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if l == "" {
				continue
			}
			outputs++
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("output line is not JSON: %q", l)
			}
			if _, ok := v["id"]; !ok {
				t.Fatalf("output line without id: %q", l)
			}
		}
		if outputs != inputs {
			t.Fatalf("%d outputs for %d input lines", outputs, inputs)
		}
	})
}

// failingWriter fails every write, as a closed pipe does.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestTagLinesStopsOnWriteError checks a reader that goes away stops the
// stream with an error instead of a hang.
func TestTagLinesStopsOnWriteError(t *testing.T) {
	en := testTagEnricher(t)
	var in strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&in, `{"id":%d,"text":"Item %d."}`+"\n", i, i)
	}
	done := make(chan error, 1)
	go func() { done <- tagLines(strings.NewReader(in.String()), failingWriter{}, en, time.Now()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("no error from a failing writer")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("tagLines hangs after a write error")
	}
}

func TestReadLine(t *testing.T) {
	in := "short\n" + strings.Repeat("x", 200) + "\nlast line without break"
	br := bufio.NewReaderSize(strings.NewReader(in), 16)
	var got []string
	var long []bool
	for {
		line, tooLong, err := readLine(br, nil, 100)
		if len(line) > 0 || tooLong {
			got = append(got, string(line))
			long = append(long, tooLong)
		}
		if err != nil {
			break
		}
	}
	if len(got) != 3 || got[0] != "short" || !long[1] || got[1] != "" || got[2] != "last line without break" || long[2] {
		t.Fatalf("lines %q, too long %v", got, long)
	}
}
