package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(handler("../../testdata/feeds"))
	defer srv.Close()
	get := func(path, etag string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := get("/feeds/jsonfeed10-daringfireball.json", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/feed+json" || resp.Header.Get("ETag") == "" {
		t.Fatalf("%s, type %q, etag %q", resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
	}
	if again := get("/feeds/jsonfeed10-daringfireball.json", resp.Header.Get("ETag")); again.StatusCode != http.StatusNotModified {
		t.Errorf("conditional request: %s, want 304", again.Status)
	}
	if xml := get("/feeds/rss20-koi8r-newsru.xml", ""); xml.Header.Get("Content-Type") != "application/xml" {
		t.Errorf("xml served as %q: a charset parameter would override the document's own", xml.Header.Get("Content-Type"))
	}
	if escape := get("/feeds/../../go.mod", ""); escape.StatusCode == 200 {
		t.Error("a path outside the folder was served")
	}
}
