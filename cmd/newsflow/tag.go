package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/html"

	"github.com/newsflow/newsflow/enrich"
	"github.com/newsflow/newsflow/enrich/stories"
	"github.com/newsflow/newsflow/ingest"
	"github.com/newsflow/newsflow/ingest/fetch"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
)

// maxTagInput bounds one article read by newsflow tag: a file, a page or
// one JSON line.
const maxTagInput = 32 << 20

// tagStoryMemory bounds the articles a jsonl stream's story index keeps,
// so memory stays constant however long the stream.
const tagStoryMemory = 50000

func runTag(ctx context.Context, e env, args []string) error {
	var (
		explain bool
		format  string
	)
	cfg, fs, err := load(e, "tag", args, config.NeedTaxonomy, func(fs *flag.FlagSet) {
		fs.BoolVar(&explain, "explain", false, "show every mention and every piece of topic evidence with its offsets")
		fs.StringVar(&format, "format", "text", `text (one article, readable), json (one article, the enriched record) or jsonl (JSON lines {"id","title","text"} on stdin, one result line each)`)
		fs.Usage = func() {
			fmt.Fprintln(fs.Output(), "Usage: newsflow tag [--explain] [--format text|json] FILE|URL|-\n       newsflow tag --format jsonl < lines.jsonl\n\nFILE is a text file (first line the title), an article JSON or an HTML page.\n\nFlags:")
			fs.PrintDefaults()
		}
	})
	if err != nil {
		return err
	}
	en, err := enrich.Load(cfg.Enrich.Taxonomy)
	if err != nil {
		return usageError{err}
	}
	switch format {
	case "jsonl":
		if fs.NArg() > 0 {
			return usageError{errors.New("--format jsonl reads standard input; give no file")}
		}
		return tagLines(e.stdin, e.stdout, en, time.Now())
	case "text", "json":
	default:
		return usageError{fmt.Errorf("--format %q: want text, json or jsonl", format)}
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("give one FILE, URL or - (standard input)")}
	}
	a, err := readArticle(ctx, cfg, e.stdin, fs.Arg(0))
	if err != nil {
		return err
	}
	out := en.Enrich(*a, time.Now())
	out.StoryID = stories.NewIndex(0, 1).Assign(out.ID, enrich.StoryText(&out), out.PublishedAt)
	if format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(&out)
	}
	printArticle(e.stdout, &out, explain)
	return nil
}

// readArticle reads one article from a file, a URL or standard input
// ("-"): an article JSON, an HTML page or plain text whose first line is
// the title.
func readArticle(ctx context.Context, cfg *config.Config, stdin io.Reader, src string) (*article.Article, error) {
	var (
		body        []byte
		contentType string
		err         error
	)
	switch {
	case src == "-":
		body, err = readLimited(stdin, "standard input")
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		var client *fetch.Client
		if client, err = ingest.NewClient(cfg.Ingest); err != nil {
			return nil, usageError{err}
		}
		var resp *fetch.Response
		resp, err = client.Fetch(ctx, fetch.Request{URL: src, Accept: "text/html, application/json;q=0.9, text/plain;q=0.8"})
		if resp != nil {
			body, contentType = resp.Body, resp.ContentType
		}
	default:
		var f *os.File
		f, err = os.Open(src)
		if err == nil {
			body, err = readLimited(f, src)
			f.Close()
		}
	}
	if err != nil {
		return nil, err
	}
	a, err := parseArticle(body, contentType)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", src, err)
	}
	if a.ID == "" {
		a.ID = contentID(a.Title + "\n" + a.Content + a.Summary)
	}
	if a.URL == "" && strings.Contains(src, "://") {
		if u, err := article.CanonicalURL(src); err == nil {
			a.URL = u
			if id, err := article.ID(u, "", ""); err == nil {
				a.ID = id
			}
		}
	}
	return a, nil
}

func readLimited(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxTagInput+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxTagInput {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxTagInput>>20)
	}
	return b, nil
}

// parseArticle tells an article JSON, an HTML page and plain text apart.
func parseArticle(b []byte, contentType string) (*article.Article, error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var a article.Article
		if err := json.Unmarshal(trimmed, &a); err != nil {
			return nil, fmt.Errorf("decoding article JSON: %w", err)
		}
		if a.Title == "" && a.Content == "" && a.Summary == "" {
			return nil, errors.New("article JSON has no title, content or summary")
		}
		return &a, nil
	case strings.Contains(contentType, "html") || looksLikeHTML(trimmed):
		title := htmlTitle(string(b))
		return &article.Article{Title: title, Content: ingest.HTMLText(string(b))}, nil
	default:
		text := strings.ReplaceAll(string(trimmed), "\r\n", "\n")
		title, body, _ := strings.Cut(text, "\n")
		return &article.Article{Title: strings.TrimSpace(title), Content: strings.TrimSpace(body)}, nil
	}
}

func looksLikeHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 1024)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html")
}

// htmlTitle returns the text of a page's <title>, or "".
func htmlTitle(page string) string {
	z := html.NewTokenizer(strings.NewReader(page))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken:
			if name, _ := z.TagName(); string(name) == "title" {
				if z.Next() == html.TextToken {
					return strings.Join(strings.Fields(html.UnescapeString(string(z.Text()))), " ")
				}
				return ""
			}
		}
	}
}

// contentID is the id of an article read from a file: a hash of its text,
// in the form of article ids.
func contentID(text string) string {
	sum := sha256.Sum256([]byte("text\x00" + text))
	return hex.EncodeToString(sum[:])[:32]
}

// printArticle writes the enrichment of a readably.
func printArticle(w io.Writer, a *article.Article, explain bool) {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	fmt.Fprintf(bw, "%s\n\n", a.Title)
	fmt.Fprintf(bw, "language   %s\n", orNone(a.Language))
	fmt.Fprintf(bw, "story      %s\n", orNone(a.StoryID))
	fmt.Fprintf(bw, "version    %s\n", a.EnrichVersion)

	fmt.Fprintf(bw, "\nentities (%d)\n", len(a.Entities))
	for _, en := range a.Entities {
		fmt.Fprintf(bw, "  %-4s %s ×%d\n", en.Type, en.Name, en.Count)
		if explain {
			for _, m := range en.Mentions {
				fmt.Fprintf(bw, "         %-7s %5d:%-5d %q\n", m.Field, m.Start, m.End, span(a, m.Field, m.Start, m.End))
			}
		}
	}
	fmt.Fprintf(bw, "\nplaces (%d)\n", len(a.Places))
	for _, p := range a.Places {
		fmt.Fprintf(bw, "  %s", p.Name)
		if p.Admin1 != "" {
			fmt.Fprintf(bw, ", %s", p.Admin1)
		}
		fmt.Fprintf(bw, ", %s  (%.4f, %.4f)  geonames %d  ×%d\n", orNone(p.CountryCode), p.Lat, p.Lon, p.GeoNameID, len(p.Mentions))
		if explain {
			for _, m := range p.Mentions {
				fmt.Fprintf(bw, "         %-7s %5d:%-5d %q\n", m.Field, m.Start, m.End, span(a, m.Field, m.Start, m.End))
			}
		}
	}
	if len(a.Countries) > 0 {
		fmt.Fprintf(bw, "  countries: %s\n", strings.Join(a.Countries, ", "))
	}
	fmt.Fprintf(bw, "\ntopics (%d)\n", len(a.Topics))
	for _, t := range a.Topics {
		fmt.Fprintf(bw, "  %-28s score %.2f\n", t.ID, t.Score)
		if explain {
			for _, e := range t.Evidence {
				fmt.Fprintf(bw, "      %-24q %.2f  %-7s %5d:%-5d %q\n", e.Term, e.Weight, e.Field, e.Start, e.End, span(a, e.Field, e.Start, e.End))
			}
			continue
		}
		for _, s := range summarizeEvidence(t.Evidence) {
			fmt.Fprintf(bw, "      %-24q ×%-3d weight %.2f\n", s.term, s.count, s.weight)
		}
	}
	if !explain && len(a.Topics) > 0 {
		fmt.Fprintln(bw, "\n(--explain shows every match with its offsets)")
	}
}

// termSummary is the evidence of one term of a topic.
type termSummary struct {
	term   string
	count  int
	weight float64 // of one match
}

// summarizeEvidence returns one line per matched term, most matched
// first.
func summarizeEvidence(ev []article.Evidence) []termSummary {
	by := map[string]int{}
	var out []termSummary
	for _, e := range ev {
		i, ok := by[e.Term]
		if !ok {
			i = len(out)
			by[e.Term] = i
			out = append(out, termSummary{term: e.Term, weight: e.Weight})
		}
		out[i].count++
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].count*100+int(out[i].weight) > out[j].count*100+int(out[j].weight) })
	return out
}

// span returns the text of a mention, or "" when its offsets do not fit
// the field.
func span(a *article.Article, field string, start, end int) string {
	s := a.Field(field)
	if start < 0 || end > len(s) || start > end {
		return ""
	}
	return s[start:end]
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// tagLine is one input line of --format jsonl.
type tagLine struct {
	ID    json.RawMessage `json:"id"`
	Title string          `json:"title"`
	Text  *string         `json:"text"`
}

// tagResult is one output line of --format jsonl.
type tagResult struct {
	ID        json.RawMessage `json:"id"`
	Language  string          `json:"language"`
	Entities  []tagEntity     `json:"entities"`
	Places    []tagPlace      `json:"places"`
	Topics    []tagTopic      `json:"topics"`
	StoryID   string          `json:"story_id"`
	Countries []string        `json:"countries,omitempty"`
}

type tagEntity struct {
	Type      string `json:"type"`
	Text      string `json:"text"`
	Canonical string `json:"canonical"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	Field     string `json:"field,omitempty"`
}

type tagPlace struct {
	Name        string    `json:"name"`
	GeoNameID   int64     `json:"geonames_id"`
	CountryCode string    `json:"country_code"`
	Admin1      string    `json:"admin1"`
	Lat         float64   `json:"lat"`
	Lon         float64   `json:"lon"`
	Mentions    []tagSpan `json:"mentions"`
}

type tagSpan struct {
	Start int    `json:"start"`
	End   int    `json:"end"`
	Field string `json:"field,omitempty"`
}

type tagTopic struct {
	ID       string             `json:"id"`
	Score    float64            `json:"score"`
	Evidence []article.Evidence `json:"evidence"`
}

type tagError struct {
	ID    json.RawMessage `json:"id"`
	Error string          `json:"error"`
}

// tagLines reads JSON lines {"id","title"?,"text"} from r and writes one
// result line per input line to w, in order. A line that cannot be read
// gets an error object with its id, or its line number when the id is
// unknown. Lines are tagged on every CPU; stories are assigned, and
// results written, in input order, so the output does not depend on
// timing. Memory stays bounded however many lines come: a few lines per
// CPU are in flight, and the story index keeps the last tagStoryMemory
// articles. Blank lines are skipped.
func tagLines(r io.Reader, w io.Writer, en *enrich.Enricher, now time.Time) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan *tagJob, 2*workers)
	queue := make(chan *tagJob, 2*workers)
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(jobs)
		defer close(queue)
		readErr <- readJobs(r, jobs, queue, stop)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.tag(en, now)
				close(j.done)
			}
		})
	}
	// On an early return the reader stops first, which ends the workers.
	defer func() {
		close(stop)
		wg.Wait()
	}()

	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	idx := stories.NewIndex(0, tagStoryMemory)
	for j := range queue {
		<-j.done
		res := j.err
		if j.res != nil {
			j.res.StoryID = idx.Assign(j.articleID, j.storyText, time.Time{})
			res = j.res
		}
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("writing result of line %d: %w", j.n, err)
		}
		// Flush when no result is waiting, so a reader of a pipe sees
		// results as they come.
		if len(queue) == 0 {
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("writing result of line %d: %w", j.n, err)
			}
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	return bw.Flush()
}

// tagJob is one input line on its way through tagLines.
type tagJob struct {
	n       int
	line    []byte
	tooLong bool
	done    chan struct{}

	// Set by tag: the result without its story, or the error object.
	res       *tagResult
	err       any
	articleID string
	storyText string
}

// readJobs reads the lines of r into jobs, each also queued in input
// order for the writer, until EOF or stop.
func readJobs(r io.Reader, jobs, queue chan<- *tagJob, stop <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		line, tooLong, err := readLine(br, buf[:0], maxTagInput)
		buf = line
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading line %d: %w", n, err)
		}
		if len(bytes.TrimSpace(line)) > 0 || tooLong {
			j := &tagJob{n: n, line: bytes.Clone(line), tooLong: tooLong, done: make(chan struct{})}
			select {
			case queue <- j:
			case <-stop:
				return nil
			}
			select {
			case jobs <- j:
			case <-stop:
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// tag enriches the job's line.
func (j *tagJob) tag(en *enrich.Enricher, now time.Time) {
	if j.tooLong {
		j.err = tagError{ID: lineID(j.n), Error: fmt.Sprintf("line %d is longer than %d MiB", j.n, maxTagInput>>20)}
		return
	}
	j.res, j.err, j.articleID, j.storyText = tagOne(j.line, j.n, en, now)
	j.line = nil
}

// readLine appends the next line of br to buf, without its line break.
// A line longer than limit is consumed but not kept: tooLong is set.
func readLine(br *bufio.Reader, buf []byte, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > limit+1 {
				tooLong, buf = true, buf[:0]
			} else {
				buf = append(buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, err
	}
}

func lineID(n int) json.RawMessage { return json.RawMessage(strconv.Itoa(n)) }

// tagOne tags the JSON line of line number n. It returns the result
// without its story id, with the id and text the story is assigned from,
// or the error object of the line.
func tagOne(line []byte, n int, en *enrich.Enricher, now time.Time) (res *tagResult, errObj any, articleID, storyText string) {
	var in tagLine
	if err := json.Unmarshal(line, &in); err != nil {
		var id struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(line, &id) != nil || !validID(id.ID) {
			id.ID = lineID(n)
		}
		return nil, tagError{ID: id.ID, Error: fmt.Sprintf("line %d: %v", n, err)}, "", ""
	}
	if !validID(in.ID) {
		return nil, tagError{ID: lineID(n), Error: fmt.Sprintf("line %d: \"id\" must be a string or a number", n)}, "", ""
	}
	if in.Text == nil {
		return nil, tagError{ID: in.ID, Error: fmt.Sprintf("line %d: no \"text\"", n)}, "", ""
	}
	a := article.Article{ID: contentID(string(in.ID)), Title: in.Title, Content: *in.Text}
	out := en.Enrich(a, now)
	res = &tagResult{
		ID: in.ID, Language: out.Language, Countries: out.Countries,
		Entities: []tagEntity{}, Places: []tagPlace{}, Topics: []tagTopic{},
	}
	for _, e := range out.Entities {
		for _, m := range e.Mentions {
			res.Entities = append(res.Entities, tagEntity{
				Type: e.Type, Text: span(&out, m.Field, m.Start, m.End), Canonical: e.Name,
				Start: m.Start, End: m.End, Field: inputField(m.Field),
			})
		}
	}
	sort.SliceStable(res.Entities, func(i, j int) bool {
		a, b := res.Entities[i], res.Entities[j]
		if a.Field != b.Field {
			return a.Field == "title"
		}
		return a.Start < b.Start
	})
	for _, p := range out.Places {
		tp := tagPlace{Name: p.Name, GeoNameID: p.GeoNameID, CountryCode: p.CountryCode, Admin1: p.Admin1, Lat: p.Lat, Lon: p.Lon, Mentions: []tagSpan{}}
		for _, m := range p.Mentions {
			tp.Mentions = append(tp.Mentions, tagSpan{Start: m.Start, End: m.End, Field: inputField(m.Field)})
		}
		res.Places = append(res.Places, tp)
	}
	for _, t := range out.Topics {
		ev := t.Evidence
		if ev == nil {
			ev = []article.Evidence{}
		}
		for i := range ev {
			if ev[i].Field == article.FieldContent {
				ev[i].Field = "text"
			}
		}
		res.Topics = append(res.Topics, tagTopic{ID: t.ID, Score: t.Score, Evidence: ev})
	}
	return res, nil, out.ID, enrich.StoryText(&out)
}

// validID reports whether raw is a JSON string or number.
func validID(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

// inputField names an article field as the jsonl input does: the title
// is "title", the text (the article's content) is the default, unnamed.
func inputField(f string) string {
	if f == article.FieldTitle {
		return "title"
	}
	return ""
}
