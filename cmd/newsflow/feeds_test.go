package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// runCmd runs newsflow with env and returns its exit code and output.
func runCmd(env map[string]string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, args, strings.NewReader(""), &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	return code, stdout.String(), stderr.String()
}

func TestFeedsCheck(t *testing.T) {
	big := bytes.Repeat([]byte("<item><title>x</title></item>"), 100_000)
	mux := http.NewServeMux()
	mux.Handle("/feeds/", http.StripPrefix("/feeds/", http.FileServer(http.Dir("../../testdata/feeds"))))
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html><body>not a feed</body></html>") })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	allow := map[string]string{"NEWSFLOW_INGEST_ALLOW_NETWORKS": "127.0.0.1/32", "NEWSFLOW_FETCH_TIMEOUT": "1s", "NEWSFLOW_FETCH_MAX_BYTES": "1MiB"}

	code, out, errOut := runCmd(nil, "feeds", "check", "../../testdata/feeds/rss20-windows1251-newsru.xml")
	if code != 0 || strings.Count(out, "\n") != 30 || !strings.Contains(out, "Турции") {
		t.Errorf("check of a file: exit %d, %d lines, stderr %s", code, strings.Count(out, "\n"), errOut)
	}
	code, out, _ = runCmd(allow, "feeds", "check", srv.URL+"/feeds/rss20-bbc-world-2017-cdata.xml")
	if code != 0 || strings.Count(out, "\n") != 3 {
		t.Errorf("check of a URL: exit %d, output %q", code, out)
	}

	tests := []struct {
		name   string
		env    map[string]string
		target string
		want   string
	}{
		{"malformed", nil, "../../testdata/feeds/rss20-reuters-mostread-truncated-malformed.xml", "XML syntax error"},
		{"truncated json", nil, "../../testdata/feeds/jsonfeed10-allthis-truncated-malformed.json", "jsonfeed10-allthis-truncated-malformed.json"},
		{"not found", allow, srv.URL + "/feeds/nope.xml", "HTTP 404 Not Found"},
		{"not a feed", allow, srv.URL + "/page", "not a feed"},
		{"too large", allow, srv.URL + "/big", "too large"},
		{"timeout", allow, srv.URL + "/slow", "timeout"},
		{"loopback refused", nil, srv.URL + "/feeds/rss20-bbc-world-2017-cdata.xml", "not in the allowed networks"},
		{"neither", nil, "ftp://example.com/feed", "neither a file nor an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			code, out, errOut := runCmd(tt.env, "feeds", "check", tt.target)
			if code == 0 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 || !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want one line containing %q", errOut, tt.want)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

func TestFeedsImportAndStatus(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka)
	ctx := context.Background()
	if err := kafka.EnsureTopics(ctx, cfg.Kafka.Brokers, kafka.Specs(cfg), nil); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t, cfg)
	out := c.run(ctx, "feeds", "import", "../../deploy/feeds.opml")
	if !strings.Contains(out, "imported 6 feeds") {
		t.Fatalf("import printed %q", out)
	}
	status := c.run(ctx, "feeds", "status")
	if strings.Count(status, "\n") != 7 || !strings.Contains(status, "https://www.theguardian.com/world/syria/rss") || !strings.Contains(status, "new") {
		t.Errorf("status:\n%s", status)
	}
	// Replacing the list with a smaller one deletes the rest.
	one := filepath.Join(t.TempDir(), "one.yaml")
	if err := os.WriteFile(one, []byte("feeds:\n  - url: https://www.theguardian.com/world/rss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := c.run(ctx, "feeds", "import", "--replace", one); !strings.Contains(out, "deleted 5") {
		t.Errorf("import --replace printed %q", out)
	}
	if status := c.run(ctx, "feeds", "status"); strings.Count(status, "\n") != 2 {
		t.Errorf("status after replace:\n%s", status)
	}
}
