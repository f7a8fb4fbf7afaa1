package entities

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Span is a labelled entity in a text: byte offsets, End exclusive.
type Span struct {
	Type       string
	Start, End int
}

// Document is one CoNLL-2003 document as the tagger sees it: the tokens
// joined by single spaces and the sentences by newlines, with the gold
// entities as byte spans into Text.
type Document struct {
	Text  string
	Gold  []Span
	Lines int // the line of the file where the document starts
}

// ReadCoNLL reads a CoNLL-2003 file (one "token POS chunk NER" line per
// token, blank lines between sentences, "-DOCSTART-" lines between
// documents, IOB1 or IOB2 tags) into documents. A line with fewer than two
// fields or a tag that is not O, I-X or B-X is an error naming the line.
func ReadCoNLL(r io.Reader) ([]Document, error) {
	var (
		docs   []Document
		b      strings.Builder
		gold   []Span
		open   *Span // entity being extended
		start  = 1
		lineNo int
		inSent bool
	)
	closeEntity := func() {
		if open != nil {
			gold = append(gold, *open)
			open = nil
		}
	}
	flush := func() {
		closeEntity()
		if b.Len() > 0 {
			docs = append(docs, Document{Text: b.String(), Gold: gold, Lines: start})
		}
		b.Reset()
		gold = nil
		inSent = false
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			closeEntity()
			inSent = false
			continue
		}
		fields := strings.Fields(line)
		if fields[0] == "-DOCSTART-" {
			flush()
			start = lineNo
			continue
		}
		if len(fields) < 2 {
			return nil, fmt.Errorf("conll line %d: want a token and a tag, got %q", lineNo, line)
		}
		word, tag := fields[0], fields[len(fields)-1]
		prefix, typ, err := splitTag(tag)
		if err != nil {
			return nil, fmt.Errorf("conll line %d: %w", lineNo, err)
		}
		if inSent {
			b.WriteByte(' ')
		} else if b.Len() > 0 {
			b.WriteByte('\n')
		}
		inSent = true
		tokStart := b.Len()
		b.WriteString(word)
		switch {
		case prefix == 'O':
			closeEntity()
		case prefix == 'I' && open != nil && open.Type == typ:
			open.End = b.Len()
		default: // B-X, or I-X that does not continue an entity of type X
			closeEntity()
			open = &Span{Type: typ, Start: tokStart, End: b.Len()}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading conll after line %d: %w", lineNo, err)
	}
	flush()
	return docs, nil
}

// splitTag splits "I-PER" into 'I' and "PER"; "O" has no type.
func splitTag(tag string) (byte, string, error) {
	if tag == "O" {
		return 'O', "", nil
	}
	if len(tag) < 3 || (tag[0] != 'I' && tag[0] != 'B') || tag[1] != '-' {
		return 0, "", fmt.Errorf("tag %q is not O, I-TYPE or B-TYPE", tag)
	}
	return tag[0], tag[2:], nil
}
