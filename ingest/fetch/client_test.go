package fetch

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// loopback allows the httptest servers, which listen on 127.0.0.1.
func loopback() *Guard {
	return &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
}

func newClient(opts Options) *Client {
	if opts.Guard == nil {
		opts.Guard = loopback()
	}
	opts.Proxy = func(*http.Request) (*url.URL, error) { return nil, nil }
	return New(opts)
}

func kindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return ""
}

func TestConditionalGet(t *testing.T) {
	const etag = `"v1"`
	lastMod := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	var bodies atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		bodies.Add(1)
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Cache-Control", "public, max-age=600")
		fmt.Fprint(w, "<rss/>")
	}))
	defer srv.Close()
	c := newClient(Options{})
	first, err := c.Fetch(context.Background(), Request{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if first.ETag != etag || first.LastModified != lastMod || string(first.Body) != "<rss/>" {
		t.Fatalf("first fetch: %+v", first)
	}
	if d := time.Until(first.FreshUntil); d < 590*time.Second || d > 600*time.Second {
		t.Errorf("max-age=600 gave fresh for %s", d)
	}
	second, err := c.Fetch(context.Background(), Request{URL: srv.URL, ETag: first.ETag, LastModified: first.LastModified})
	if err != nil {
		t.Fatal(err)
	}
	if !second.NotModified || len(second.Body) != 0 || second.ETag != etag || second.LastModified != lastMod {
		t.Errorf("conditional fetch: %+v, want 304 keeping the validators", second)
	}
	if bodies.Load() != 1 {
		t.Errorf("the body was sent %d times", bodies.Load())
	}
}

func TestRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	pol := NewPoliteness(1, 0)
	c := newClient(Options{Politeness: pol})
	_, err := c.Fetch(context.Background(), Request{URL: srv.URL})
	var fe *Error
	if !errors.As(err, &fe) || fe.Status != 429 || fe.RetryAfter != 120*time.Second {
		t.Fatalf("got %v, want HTTP 429 with retry after 2m", err)
	}
	if !strings.Contains(err.Error(), "429") || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("error %q does not name the status and URL", err)
	}
	// The whole domain waits: a second request does not start before the
	// deadline of its context.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Fetch(ctx, Request{URL: srv.URL}); kindOf(err) != KindCanceled {
		t.Errorf("request during Retry-After: %v, want it held back", err)
	}

	now := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"0":                             0,
		"30":                            30 * time.Second,
		"-5":                            0,
		"soon":                          0,
		"Wed, 25 Nov 2026 06:10:00 GMT": 10 * time.Minute,
		"Wed, 25 Nov 2026 05:00:00 GMT": 0,
		"99999999":                      24 * time.Hour,
	} {
		if got := RetryAfter(in, now); got != want {
			t.Errorf("RetryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/older", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/older", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
	})
	mux.HandleFunc("/temp", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/old", http.StatusFound) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "feed") })
	mux.HandleFunc("/loop/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/loop/"), "%d", &n)
		http.Redirect(w, r, fmt.Sprintf("/loop/%d", n+1), http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newClient(Options{})

	resp, err := c.Fetch(context.Background(), Request{URL: srv.URL + "/old"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.URL != srv.URL+"/new" || resp.Moved != srv.URL+"/new" {
		t.Errorf("permanent chain: url %s moved %q, want both %s/new", resp.URL, resp.Moved, srv.URL)
	}
	resp, err = c.Fetch(context.Background(), Request{URL: srv.URL + "/temp"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Moved != "" {
		t.Errorf("a chain with a temporary redirect was remembered as moved to %s", resp.Moved)
	}
	_, err = c.Fetch(context.Background(), Request{URL: srv.URL + "/loop/0"})
	if kindOf(err) != KindRedirects {
		t.Errorf("endless redirects: %v", err)
	}
}

func TestBodyLimits(t *testing.T) {
	big := bytes.Repeat([]byte("<item>news</item>"), 1<<16) // 1.1 MB
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zeros := make([]byte, 1<<20)
	for range 64 { // 64 MiB of zeros in about 64 KiB
		zw.Write(zeros)
	}
	zw.Close()
	var deflated bytes.Buffer
	dw := zlib.NewWriter(&deflated)
	dw.Write([]byte("<rss>deflated</rss>"))
	dw.Close()

	mux := http.NewServeMux()
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/chunked-big", func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < len(big); i += 4096 {
			w.Write(big[i : i+4096])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	mux.HandleFunc("/deflate", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "deflate")
		w.Write(deflated.Bytes())
	})
	mux.HandleFunc("/bad-gzip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("this is not gzip"))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<rss>"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newClient(Options{MaxBytes: 1 << 20, Timeout: 500 * time.Millisecond})

	tests := []struct {
		path string
		kind Kind
		want string
	}{
		{"/big", KindTooLarge, "exceeds 1048576 bytes"},
		{"/chunked-big", KindTooLarge, "exceeds"},
		{"/bomb", KindTooLarge, "exceeds"},
		{"/bad-gzip", KindEncoding, "gzip"},
		{"/slow", KindTimeout, "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			_, err := c.Fetch(context.Background(), Request{URL: srv.URL + tt.path})
			if kindOf(err) != tt.kind || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), srv.URL+tt.path) {
				t.Errorf("got %v, want a %s error containing %q and the URL", err, tt.kind, tt.want)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
	resp, err := c.Fetch(context.Background(), Request{URL: srv.URL + "/deflate"})
	if err != nil || string(resp.Body) != "<rss>deflated</rss>" {
		t.Errorf("deflate: %v %+v", err, resp)
	}
}

func TestGuard(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/jump" {
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
			return
		}
		fmt.Fprint(w, "secret")
	}))
	defer srv.Close()
	strict := newClient(Options{Guard: &Guard{}})
	_, err := strict.Fetch(context.Background(), Request{URL: srv.URL})
	if kindOf(err) != KindBlocked || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("loopback without allowlist: %v", err)
	}
	// A name that resolves to loopback is refused after resolution.
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	if _, err := strict.Fetch(context.Background(), Request{URL: "http://localhost" + port}); kindOf(err) != KindBlocked {
		t.Errorf("localhost without allowlist: %v", err)
	}
	// An allowed server cannot redirect to a refused address.
	only := newClient(Options{Guard: &Guard{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}})
	if _, err := only.Fetch(context.Background(), Request{URL: srv.URL + "/jump?to=http://127.0.0.2" + port + "/"}); kindOf(err) != KindBlocked {
		t.Errorf("redirect to 127.0.0.2: %v", err)
	}
	if _, err := only.Fetch(context.Background(), Request{URL: srv.URL}); err != nil {
		t.Errorf("allowed address: %v", err)
	}

	g := &Guard{}
	for _, a := range []string{"10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1"} {
		if g.Check(netip.MustParseAddr(a)) == nil {
			t.Errorf("%s is allowed", a)
		}
	}
	for _, a := range []string{"93.184.215.14", "2a00:1450:4001:80b::200e", "151.101.0.81"} {
		if err := g.Check(netip.MustParseAddr(a)); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
	if _, err := ParseNetworks([]string{"127.0.0.1", "10.0.0.0/8", "fd00::/8"}); err != nil {
		t.Error(err)
	}
	if _, err := ParseNetworks([]string{"10.0.0.0/33"}); err == nil {
		t.Error("10.0.0.0/33 accepted")
	}
}

func TestPolitenessPerDomain(t *testing.T) {
	p := NewPoliteness(1, 100*time.Millisecond)
	ctx := context.Background()
	start := time.Now()
	// Three subdomains of one publisher share one budget: the third
	// request starts no sooner than two delays after the first.
	for _, h := range []string{"feeds.bbc.co.uk", "www.bbc.co.uk", "news.bbc.co.uk"} {
		release, err := p.Acquire(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("three requests to bbc.co.uk took %s, want at least 200ms", d)
	}
	// Another publisher is not held back.
	start = time.Now()
	release, err := p.Acquire(ctx, "www.theguardian.com")
	if err != nil {
		t.Fatal(err)
	}
	release()
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Errorf("another domain waited %s", d)
	}
	if Domain("feeds.bbci.co.uk") != "bbci.co.uk" || Domain("127.0.0.1") != "127.0.0.1" {
		t.Errorf("Domain: %s %s", Domain("feeds.bbci.co.uk"), Domain("127.0.0.1"))
	}
}

func TestToUTF8(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile("../../testdata/feeds/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name, file, contentType, want, charset string
	}{
		{"declared windows-1251", "rss20-windows1251-newsru.xml", "application/xml", "Турции", "windows-1251"},
		{"koi8-r", "rss20-koi8r-newsru.xml", "", "Турции", "koi8-r"},
		{"latin-1 without declaration", "rss20-iso88591-no-xmldecl-cerclepsy.xml", "", "é", "windows-1252"},
		{"latin-1 from the header", "rss20-iso88591-no-xmldecl-cerclepsy.xml", "text/xml; charset=ISO-8859-1", "é", "windows-1252"},
		{"header says utf-8 wrongly", "rss20-iso88591-golem.xml", "text/xml; charset=utf-8", "ü", "windows-1252"},
		{"bom", "rss20-gdacs-disaster-alerts-bom-crlf.xml", "text/xml; charset=windows-1252", "India", "utf-8"},
		{"shift_jis", "atom03-shiftjis-milliontimes.xml", "", "の", "shift_jis"},
		{"gb2312", "rss20-gb2312-acnnewswire.xml", "", "日本", "gbk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, cs, err := ToUTF8(read(tt.file), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if cs != tt.charset {
				t.Errorf("charset %s, want %s", cs, tt.charset)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("decoded text lacks %q", tt.want)
			}
			if m := xmlDecl.FindSubmatch(out); m != nil && string(m[3]) != "UTF-8" {
				t.Errorf("declaration still says %s", m[3])
			}
		})
	}
	if _, _, err := ToUTF8([]byte(`<?xml version="1.0" encoding="x-klingon"?><rss/>`), ""); err == nil || !strings.Contains(err.Error(), "x-klingon") {
		t.Errorf("unknown charset: %v", err)
	}
}

func FuzzToUTF8(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0" encoding="windows-1251"?><rss>\xcf</rss>`), "text/xml")
	f.Add([]byte("\xef\xbb\xbf<rss/>"), "application/rss+xml; charset=utf-8")
	f.Add([]byte("<rss>caf\xe9</rss>"), "")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		out, _, err := ToUTF8(body, contentType)
		if err != nil {
			return
		}
		if !utf8.Valid(out) {
			t.Fatalf("ToUTF8 returned invalid UTF-8 for %q", body)
		}
	})
}
