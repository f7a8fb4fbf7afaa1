package ingest

import (
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLText returns the readable text of an HTML fragment: tags removed,
// entities decoded, script and style dropped, block elements separated by
// line breaks, runs of white space collapsed. Plain text passes through
// with only its white space normalized.
func HTMLText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return normalizeSpace(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return normalizeSpace(b.String())
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Script || a == atom.Style || a == atom.Noscript || a == atom.Template:
				if tt == html.StartTagToken {
					skip++
				}
			case a == atom.Br:
				b.WriteByte('\n')
			case isBlock(a):
				b.WriteString("\n\n")
			case a == atom.Img:
				// images carry no text of their own
			default:
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Script || a == atom.Style || a == atom.Noscript || a == atom.Template:
				if skip > 0 {
					skip--
				}
			case isBlock(a):
				b.WriteString("\n\n")
			default:
				b.WriteByte(' ')
			}
		}
	}
}

// LineText is HTMLText on one line: titles wrapped in the feed's XML, or
// holding a <br>, read as one line.
func LineText(s string) string {
	return strings.Join(strings.Fields(HTMLText(s)), " ")
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Blockquote, atom.Li, atom.Ul, atom.Ol,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Table, atom.Tr, atom.Pre,
		atom.Figure, atom.Figcaption, atom.Header, atom.Footer, atom.Hr, atom.Dl, atom.Dt, atom.Dd:
		return true
	}
	return false
}

// normalizeSpace collapses runs of spaces and tabs to one space, keeps at
// most one blank line between paragraphs, and trims the ends.
func normalizeSpace(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	newlines, space := 0, false
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			newlines++
			space = false
		case unicode.IsSpace(r) || r == '\u00a0':
			space = true
		case r == '\uFEFF' || r == '\u200B':
			// zero-width characters: dropped
		default:
			if b.Len() > 0 {
				switch {
				case newlines >= 2:
					b.WriteString("\n\n")
				case newlines == 1:
					b.WriteByte('\n')
				case space:
					b.WriteByte(' ')
				}
			}
			newlines, space = 0, false
			b.WriteRune(r)
		}
	}
	return b.String()
}
