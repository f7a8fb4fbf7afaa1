package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/version"
)

func newServer(h *Health) (*Server, *prometheus.Registry) {
	reg := NewRegistry()
	reg.MustRegister(h.Collector(time.Second))
	return &Server{Health: h, Reg: reg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, reg
}

func get(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String(), rec.Header()
}

func TestHealthzIsAliveWhateverTheChecks(t *testing.T) {
	h := NewHealth()
	h.Add("kafka", func(context.Context) error { return errors.New("down") })
	srv, _ := newServer(h)
	code, body, _ := get(t, srv.Handler(), "/healthz")
	if code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name    string
		checks  map[string]error
		code    int
		failing map[string]string
	}{
		{"no checks", nil, http.StatusOK, nil},
		{"all pass", map[string]error{"kafka": nil, "elasticsearch": nil}, http.StatusOK, nil},
		{"one fails", map[string]error{"kafka": nil, "elasticsearch": errors.New("alias news-articles does not exist")},
			http.StatusServiceUnavailable, map[string]string{"elasticsearch": "alias news-articles does not exist"}},
		{"both fail", map[string]error{"kafka": errors.New("no broker"), "shutdown": errors.New("shutting down")},
			http.StatusServiceUnavailable, map[string]string{"kafka": "no broker", "shutdown": "shutting down"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHealth()
			for name, err := range tt.checks {
				h.Add(name, func(context.Context) error { return err })
			}
			srv, _ := newServer(h)
			code, body, hdr := get(t, srv.Handler(), "/readyz")
			if code != tt.code {
				t.Errorf("status %d, want %d", code, tt.code)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content type %q", ct)
			}
			var got struct {
				Ready   bool              `json:"ready"`
				Failing map[string]string `json:"failing"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if got.Ready != (tt.code == http.StatusOK) || len(got.Failing) != len(tt.failing) {
				t.Errorf("body %s", body)
			}
			for name, msg := range tt.failing {
				if got.Failing[name] != msg {
					t.Errorf("failing[%s] = %q, want %q", name, got.Failing[name], msg)
				}
			}
		})
	}
}

func TestReadyBoundsSlowChecks(t *testing.T) {
	h := NewHealth()
	h.Add("stuck", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	start := time.Now()
	errs := h.Ready(context.Background(), 50*time.Millisecond)
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Ready took %s with a 50ms timeout", time.Since(start))
	}
	if !errors.Is(errs["stuck"], context.DeadlineExceeded) {
		t.Errorf("stuck check error = %v", errs["stuck"])
	}
}

func TestMetrics(t *testing.T) {
	h := NewHealth()
	h.Add("kafka", func(context.Context) error { return nil })
	h.Add("elasticsearch", func(context.Context) error { return errors.New("down") })
	srv, reg := newServer(h)
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "newsflow_test_things_total", Help: "Things."})
	reg.MustRegister(c)
	c.Add(3)

	code, body, hdr := get(t, srv.Handler(), "/metrics")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics = %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		"newsflow_test_things_total 3",
		`newsflow_ready{check="elasticsearch"} 0`,
		`newsflow_ready{check="kafka"} 1`,
		`newsflow_build_info{goversion="`,
		`version="` + version.Version + `"`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestUnknownPathAndMethod(t *testing.T) {
	srv, _ := newServer(NewHealth())
	if code, _, _ := get(t, srv.Handler(), "/nope"); code != http.StatusNotFound {
		t.Errorf("/nope = %d, want 404", code)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/readyz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d, want 405", rec.Code)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(NewHealth())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve = %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
}

func TestRunNamesTheAddressItCannotBind(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv, _ := newServer(NewHealth())
	srv.Addr = ln.Addr().String()
	err = srv.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_HTTP_ADDR") {
		t.Errorf("Run on a bound address = %v, want an error naming NEWSFLOW_HTTP_ADDR", err)
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger(config.Telemetry{LogLevel: "warn", LogFormat: "json"}, &buf)
	log.Info("quiet")
	log.Warn("loud", "feed_url", "https://example.org/feed")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line at warn level, got %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil || rec["msg"] != "loud" || rec["feed_url"] != "https://example.org/feed" {
		t.Errorf("json log line %q: %v", lines[0], err)
	}
}
