// Package geoeval reads geoparsing gold corpora in the XML layout of LGL
// and TR-News and scores a geoparser against them.
package geoeval

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Doc is one article of a gold corpus.
type Doc struct {
	ID       string
	Title    string
	Text     string
	Toponyms []Toponym
	// Skipped counts gold toponyms whose span lies outside the text (TR-News
	// has a few); they are left out of the scores.
	Skipped int
}

// Toponym is one gold toponym. Start and End are byte offsets into Text
// (the corpora count characters; Read converts).
type Toponym struct {
	Start, End int
	Phrase     string
	// GeoNameID is 0 when the annotators gave no GeoNames record.
	GeoNameID int64
	// HasPoint says Lat and Lon are given.
	HasPoint bool
	Lat, Lon float64
}

type xmlCorpus struct {
	Articles []xmlArticle `xml:"article"`
}

type xmlArticle struct {
	DocID    string       `xml:"docid,attr"`
	Title    string       `xml:"title"`
	Text     string       `xml:"text"`
	Toponyms []xmlToponym `xml:"toponyms>toponym"`
}

type xmlToponym struct {
	Start  string `xml:"start"`
	End    string `xml:"end"`
	Phrase string `xml:"phrase"`
	Gaztag *struct {
		ID  string `xml:"geonameid,attr"`
		Lat string `xml:"lat"`
		Lon string `xml:"lon"`
	} `xml:"gaztag"`
}

// maxCorpusBytes bounds what Read accepts.
const maxCorpusBytes = 64 << 20

// Read parses a corpus. Errors name the article and toponym at fault.
func Read(r io.Reader) ([]Doc, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxCorpusBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading corpus: %w", err)
	}
	if len(b) > maxCorpusBytes {
		return nil, fmt.Errorf("reading corpus: larger than %d bytes", maxCorpusBytes)
	}
	var c xmlCorpus
	if err := xml.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parsing corpus: %w", err)
	}
	if len(c.Articles) == 0 {
		return nil, errors.New("parsing corpus: no <article> elements")
	}
	docs := make([]Doc, 0, len(c.Articles))
	for i, a := range c.Articles {
		d, err := convert(a)
		if err != nil {
			return nil, fmt.Errorf("article %d (docid %q): %w", i+1, a.DocID, err)
		}
		docs = append(docs, d)
	}
	return docs, nil
}

func convert(a xmlArticle) (Doc, error) {
	d := Doc{ID: a.DocID, Title: strings.TrimSpace(a.Title), Text: a.Text}
	// Character offsets to byte offsets.
	runeAt := make([]int, 0, len(a.Text)+1)
	for i := range a.Text {
		runeAt = append(runeAt, i)
	}
	runeAt = append(runeAt, len(a.Text))
	for j, t := range a.Toponyms {
		s, err1 := strconv.Atoi(strings.TrimSpace(t.Start))
		e, err2 := strconv.Atoi(strings.TrimSpace(t.End))
		if err := errors.Join(err1, err2); err != nil {
			return Doc{}, fmt.Errorf("toponym %d: %w", j+1, err)
		}
		if s < 0 || e <= s {
			return Doc{}, fmt.Errorf("toponym %d: span [%d,%d) is empty or negative", j+1, s, e)
		}
		if e >= len(runeAt) {
			d.Skipped++
			continue
		}
		top := Toponym{Start: runeAt[s], End: runeAt[e], Phrase: strings.TrimSpace(t.Phrase)}
		realign(&top, a.Text)
		if g := t.Gaztag; g != nil {
			if g.ID != "" {
				id, err := strconv.ParseInt(strings.TrimSpace(g.ID), 10, 64)
				if err != nil {
					return Doc{}, fmt.Errorf("toponym %d: geonameid: %w", j+1, err)
				}
				top.GeoNameID = id
			}
			if g.Lat != "" && g.Lon != "" {
				lat, err1 := strconv.ParseFloat(strings.TrimSpace(g.Lat), 64)
				lon, err2 := strconv.ParseFloat(strings.TrimSpace(g.Lon), 64)
				if err := errors.Join(err1, err2); err != nil {
					return Doc{}, fmt.Errorf("toponym %d: coordinates: %w", j+1, err)
				}
				top.HasPoint, top.Lat, top.Lon = true, lat, lon
			}
		}
		d.Toponyms = append(d.Toponyms, top)
	}
	if !utf8.ValidString(d.Text) {
		return Doc{}, errors.New("text is not valid UTF-8")
	}
	return d, nil
}

// realignSlack is how far, in bytes, realign looks for a toponym's phrase.
const realignSlack = 24

// realign moves a span whose text is not its phrase onto the nearest
// occurrence of the phrase: some TR-News articles count offsets over a
// slightly different text (line ends, characters outside the BMP).
func realign(t *Toponym, text string) {
	if t.Phrase == "" || text[t.Start:t.End] == t.Phrase {
		return
	}
	lo, hi := max(0, t.Start-realignSlack), min(len(text), t.End+realignSlack)
	best := -1
	for i := lo; i+len(t.Phrase) <= hi; i++ {
		if strings.HasPrefix(text[i:], t.Phrase) && (best < 0 || abs(i-t.Start) < abs(best-t.Start)) {
			best = i
		}
	}
	if best >= 0 {
		t.Start, t.End = best, best+len(t.Phrase)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
