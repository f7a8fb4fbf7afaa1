package article

import (
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"lower-cases scheme and host", "HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"},
		{"drops default https port", "https://example.com:443/a", "https://example.com/a"},
		{"drops default http port", "http://example.com:80/a", "http://example.com/a"},
		{"keeps other ports", "http://example.com:8080/a", "http://example.com:8080/a"},
		{"drops fragment", "https://example.com/a#comments", "https://example.com/a"},
		{"drops utm parameters", "https://example.com/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://example.com/a"},
		{"drops click ids, keeps the rest sorted", "https://example.com/a?id=7&fbclid=abc&gclid=def&b=2", "https://example.com/a?b=2&id=7"},
		{"empty path becomes slash", "https://example.com", "https://example.com/"},
		{"drops user info", "https://user:pw@example.com/a", "https://example.com/a"},
		{"drops trailing dot of host", "https://example.com./a", "https://example.com/a"},
		{"keeps percent-encoding of path", "https://example.com/a%20b", "https://example.com/a%20b"},
		{"trims white space around it", "\n   https://example.com/a  \n", "https://example.com/a"},
		{"drops empty query", "https://example.com/a?", "https://example.com/a"},
		{"ipv6 host", "http://[::1]:80/a", "http://[::1]/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalURL(tt.in)
			if err != nil {
				t.Fatalf("CanonicalURL(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalURLRejects(t *testing.T) {
	for _, in := range []string{"", "   ", "/relative/path", "mailto:a@example.com", "ftp://example.com/a", "https://", "http://exa mple.com/", "http://./a", "https://.:8080/"} {
		if got, err := CanonicalURL(in); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want an error", in, got)
		}
	}
}

func TestIDIsStableAcrossTrackingVariants(t *testing.T) {
	a, _ := CanonicalURL("https://www.example.com/world/story?utm_source=frontpage")
	b, _ := CanonicalURL("HTTPS://www.example.com:443/world/story?utm_source=section#top")
	idA, err := ID(a, "https://example.com/front.xml", "g1")
	if err != nil {
		t.Fatal(err)
	}
	idB, _ := ID(b, "https://example.com/world.xml", "g2")
	if idA != idB {
		t.Errorf("same story through two feeds has ids %s and %s", idA, idB)
	}
	if len(idA) != 32 || strings.Trim(idA, "0123456789abcdef") != "" {
		t.Errorf("id %q is not 32 lower-case hex characters", idA)
	}
}

func TestIDFallsBackToGUIDPerFeed(t *testing.T) {
	x, err := ID("", "https://a.example/feed", "item-1")
	if err != nil {
		t.Fatal(err)
	}
	y, _ := ID("", "https://b.example/feed", "item-1")
	if x == y {
		t.Error("the same GUID in two feeds gave one id; GUIDs are only unique within a feed")
	}
	if _, err := ID("", "https://a.example/feed", "  "); err == nil {
		t.Error("an item with neither link nor GUID got an id")
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?utm_source=x&b=1#f", "http://[::1]:80/", "HTTP://A.B:443", "https://x/%zz", "http://a.com/?=&&=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CanonicalURL(in)
		if err != nil {
			return
		}
		// Canonicalization is idempotent: a canonical URL is its own
		// canonical form, or ids would change when a URL is re-read.
		again, err := CanonicalURL(got)
		if err != nil {
			t.Fatalf("canonical URL %q of %q does not parse again: %v", got, in, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, again)
		}
	})
}
