package ingest

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

func TestClipContent(t *testing.T) {
	short := &article.Article{Content: "a short text"}
	clipContent(short)
	if short.Content != "a short text" {
		t.Errorf("short content changed to %q", short.Content)
	}
	long := &article.Article{Content: strings.Repeat("Алеппо war ", maxContentBytes/5)}
	clipContent(long)
	if len(long.Content) > maxContentBytes+len(" …") || !utf8.ValidString(long.Content) || !strings.HasSuffix(long.Content, " …") {
		t.Errorf("clipped content: %d bytes, valid UTF-8 %v, tail %q", len(long.Content), utf8.ValidString(long.Content), long.Content[len(long.Content)-20:])
	}
}
