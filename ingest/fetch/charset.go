package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// xmlDecl matches the encoding pseudo-attribute of an XML declaration.
var xmlDecl = regexp.MustCompile(`^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])([A-Za-z0-9._:\-]*)(["'])`)

// ToUTF8 returns a feed document as UTF-8 with its XML declaration, if
// any, saying so, and the name of the charset it was read in. The charset
// comes from a byte order mark, then the charset parameter of
// contentType, then the XML declaration (RFC 7303 §3), then detection:
// valid UTF-8 is UTF-8, anything else is taken for windows-1252, the
// superset of ISO-8859-1 that browsers use for that label. A header that
// claims UTF-8 for bytes that are not is ignored in favour of the
// document's own declaration, since servers mislabel feeds more often
// than feeds mislabel themselves.
func ToUTF8(body []byte, contentType string) ([]byte, string, error) {
	if enc, name, n := bom(body); enc != nil {
		return convert(body[n:], enc, name)
	}
	declared := ""
	if m := xmlDecl.FindSubmatch(head(body)); m != nil {
		declared = string(m[3])
	}
	if cs := contentTypeCharset(contentType); cs != "" {
		enc, name := charset.Lookup(cs)
		isUTF8 := enc == encoding.Nop || strings.EqualFold(name, "utf-8")
		switch {
		case enc == nil:
			// An unknown label in the header: fall through to the
			// document's own view.
		case isUTF8 && !utf8.Valid(body) && declared != "":
			// Mislabelled by the server; the declaration decides.
		default:
			return convert(body, enc, name)
		}
	}
	if declared != "" {
		enc, name := charset.Lookup(declared)
		if enc == nil {
			return nil, "", fmt.Errorf("unknown character set %q in the XML declaration", declared)
		}
		return convert(body, enc, name)
	}
	if utf8.Valid(body) {
		return body, "utf-8", nil
	}
	return convert(body, charmap.Windows1252, "windows-1252")
}

// convert decodes body from enc into UTF-8 and rewrites the XML
// declaration to name UTF-8, so the XML parser does not decode it twice.
func convert(body []byte, enc encoding.Encoding, name string) ([]byte, string, error) {
	out := body
	if enc != encoding.Nop && !strings.EqualFold(name, "utf-8") {
		var err error
		out, err = enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, "", fmt.Errorf("decoding %s: %w", name, err)
		}
	}
	if !utf8.Valid(out) {
		// Declared UTF-8 but with broken sequences: keep what reads and
		// mark the rest, rather than reject the whole feed.
		out = bytes.ToValidUTF8(out, []byte("\uFFFD"))
	}
	if loc := xmlDecl.FindSubmatchIndex(head(out)); loc != nil {
		out = append(append(append([]byte{}, out[:loc[6]]...), "UTF-8"...), out[loc[7]:]...)
	}
	return out, name, nil
}

func head(b []byte) []byte {
	if len(b) > 512 {
		return b[:512]
	}
	return b
}

func bom(b []byte) (encoding.Encoding, string, int) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return encoding.Nop, "utf-8", 3
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", 2
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", 2
	}
	return nil, "", 0
}

func contentTypeCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.Trim(params["charset"], `"' `)
}
