// Command devset builds the topic development set in testdata/topics from
// real news items: the fixture feeds, the fixture article pages and the
// TR-News and LGL geoparsing corpora. Labels are written by hand in a TSV
// file (id, split, labels, note); this command joins them with the item
// texts into JSON lines.
//
//	go run ./enrich/topics/internal/devset -list > /tmp/candidates.jsonl
//	go run ./enrich/topics/internal/devset -labels testdata/topics/labels.tsv > testdata/topics/devset.jsonl
//
// -list writes every candidate item without labels, for reading.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
)

// maxText bounds the text kept per item, so the set stays small; longer
// texts are cut at a word boundary and marked truncated.
const maxText = 4000

// Item is one line of the development set.
type Item struct {
	ID        string   `json:"id"`
	Source    string   `json:"source"`
	Title     string   `json:"title"`
	Text      string   `json:"text"`
	Truncated bool     `json:"truncated,omitempty"`
	Split     string   `json:"split,omitempty"`
	Labels    []string `json:"labels"`
	Note      string   `json:"note,omitempty"`
}

func main() {
	repo := flag.String("repo", ".", "repository root")
	data := flag.String("data", "", "gold data folder (default $NEWSFLOW_DATA_DIR or ../shared/data)")
	fixtures := flag.String("fixtures", "", "shared fixtures folder (default ../shared/fixtures)")
	list := flag.Bool("list", false, "write every candidate without labels")
	labels := flag.String("labels", "", "TSV of id, split, labels, note")
	flag.Parse()
	if *data == "" {
		*data = os.Getenv("NEWSFLOW_DATA_DIR")
		if *data == "" {
			*data = filepath.Join(*repo, "..", "shared", "data")
		}
	}
	if *fixtures == "" {
		*fixtures = filepath.Join(*repo, "..", "shared", "fixtures")
	}
	if err := run(*repo, *data, *fixtures, *list, *labels); err != nil {
		fmt.Fprintln(os.Stderr, "devset:", err)
		os.Exit(1)
	}
}

func run(repo, data, fixtures string, list bool, labelsPath string) error {
	var items []Item
	feeds, err := feedItems(filepath.Join(repo, "testdata", "feeds"))
	if err != nil {
		return err
	}
	items = append(items, feeds...)
	pages, err := pageItems(filepath.Join(fixtures, "articles"))
	if err != nil {
		return err
	}
	items = append(items, pages...)
	for _, c := range []struct{ prefix, file string }{{"trnews", "TR-News.xml"}, {"lgl", "lgl.xml"}} {
		xs, err := corpusItems(filepath.Join(data, "geoparsing", c.file), c.prefix)
		if err != nil {
			return err
		}
		items = append(items, xs...)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	if list {
		for _, it := range items {
			if err := enc.Encode(it); err != nil {
				return err
			}
		}
		return nil
	}
	if labelsPath == "" {
		return errors.New("want -list or -labels FILE")
	}
	labelled, err := readLabels(labelsPath)
	if err != nil {
		return err
	}
	byID := map[string]Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	for _, l := range labelled {
		it, ok := byID[l.ID]
		if !ok {
			return fmt.Errorf("%s: no item %q", labelsPath, l.ID)
		}
		it.Split, it.Labels, it.Note = l.Split, l.Labels, l.Note
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}

func readLabels(path string) ([]Item, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Item
	seen := map[string]bool{}
	for n, line := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			return nil, fmt.Errorf("%s:%d: want id, split, labels[, note], got %d fields", path, n+1, len(f))
		}
		if seen[f[0]] {
			return nil, fmt.Errorf("%s:%d: %s labelled twice", path, n+1, f[0])
		}
		seen[f[0]] = true
		it := Item{ID: f[0], Split: f[1], Labels: []string{}}
		if f[1] != "dev" && f[1] != "heldout" {
			return nil, fmt.Errorf("%s:%d: split %q, want dev or heldout", path, n+1, f[1])
		}
		if f[2] != "-" {
			it.Labels = strings.Split(f[2], ",")
			sort.Strings(it.Labels)
		}
		if len(f) > 3 {
			it.Note = f[3]
		}
		out = append(out, it)
	}
	return out, nil
}

// feedItems reads the English news feeds among the fixtures.
func feedItems(dir string) ([]Item, error) {
	files := []string{
		"rss20-bbc-world-2017-cdata.xml",
		"rss20-guardian-international-reformatted.xml",
		"rss20-huffpost-worldnews-enclosures.xml",
		"rss20-reuters-worldnews-feedburner.xml",
		"rss20-livemint-news-guid-not-permalink.xml",
		"rss20-gdacs-disaster-alerts-bom-crlf.xml",
		"rss20-rappler-kerry-lavrov-syria-reference.xml",
	}
	var out []Item
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("parsing %s: %w", name, err)
		}
		for i, it := range feed.Items {
			body := it.Content
			if body == "" {
				body = it.Description
			}
			out = append(out, item(fmt.Sprintf("feed:%s#%d", strings.TrimSuffix(name, filepath.Ext(name)), i),
				"testdata/feeds/"+name, plain(it.Title), plain(body)))
		}
	}
	return out, nil
}

// pageItems reads the extracted texts of the fixture article pages: the
// first line is the title.
func pageItems(dir string) ([]Item, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	var out []Item
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		title, text, _ := strings.Cut(string(b), "\n")
		name := filepath.Base(f)
		out = append(out, item("page:"+strings.TrimSuffix(name, ".txt"), "fixtures/articles/"+name, title, text))
	}
	return out, nil
}

func corpusItems(path, prefix string) ([]Item, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var doc struct {
		Articles []struct {
			ID    string `xml:"docid,attr"`
			Title string `xml:"title"`
			Text  string `xml:"text"`
		} `xml:"article"`
	}
	if err := xml.NewDecoder(f).Decode(&doc); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	var out []Item
	for _, a := range doc.Articles {
		out = append(out, item(prefix+":"+a.ID, "geoparsing/"+filepath.Base(path), a.Title, a.Text))
	}
	return out, nil
}

func item(id, source, title, text string) Item {
	it := Item{ID: id, Source: source, Title: strings.Join(strings.Fields(title), " "), Text: strings.TrimSpace(text), Labels: []string{}}
	if len(it.Text) > maxText {
		cut := strings.LastIndexAny(it.Text[:maxText], " \n")
		if cut < 0 {
			cut = maxText
		}
		for cut > 0 && !utf8.RuneStart(it.Text[cut]) {
			cut--
		}
		it.Text, it.Truncated = it.Text[:cut], true
	}
	return it
}

// plain returns the text of an HTML fragment, paragraphs on their own
// lines.
func plain(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style"):
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && (n.Data == "p" || n.Data == "br" || n.Data == "li" || n.Data == "div") {
			b.WriteString("\n")
		}
	}
	walk(n)
	lines := strings.Split(b.String(), "\n")
	var keep []string
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
