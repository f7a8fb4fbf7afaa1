package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// NewRegistry returns a Prometheus registry with the Go runtime and
// process collectors and newsflow_build_info; each package registers its
// own metrics struct on it.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfo())
	return r
}

// Check reports whether a dependency lets the process make progress; nil
// means ready.
type Check func(ctx context.Context) error

// Health is the set of readiness checks of a process. It is safe for
// concurrent use.
type Health struct {
	mu     sync.Mutex
	checks map[string]Check
}

// NewHealth returns an empty set of checks: ready until one is added.
func NewHealth() *Health { return &Health{checks: map[string]Check{}} }

// Add registers a named readiness check, replacing one of the same name.
func (h *Health) Add(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Names returns the names of the checks, sorted.
func (h *Health) Names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(h.checks))
	for name := range h.checks {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Ready runs every check, each within timeout, and returns their errors
// by name; an empty map means ready.
func (h *Health) Ready(ctx context.Context, timeout time.Duration) map[string]error {
	h.mu.Lock()
	checks := make(map[string]Check, len(h.checks))
	for k, v := range h.checks {
		checks[k] = v
	}
	h.mu.Unlock()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs = map[string]error{}
	)
	for name, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			if err := c(cctx); err != nil {
				mu.Lock()
				errs[name] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// Server serves /healthz (the process is alive), /readyz (every
// readiness check passes) and /metrics (Prometheus text format).
type Server struct {
	Addr   string
	Health *Health
	Reg    *prometheus.Registry
	Log    *slog.Logger
}

// Run listens on s.Addr and serves until ctx is done. It returns an error
// at once when the address cannot be bound.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("listening on NEWSFLOW_HTTP_ADDR %s: %w", s.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 5 * time.Second}
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	s.Log.Debug("serving health and metrics", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler returns the HTTP handler of the three endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		errs := s.Health.Ready(r.Context(), 3*time.Second)
		w.Header().Set("Content-Type", "application/json")
		body := map[string]any{"ready": len(errs) == 0}
		if len(errs) > 0 {
			failing := map[string]string{}
			for name, err := range errs {
				failing[name] = err.Error()
			}
			body["failing"] = failing
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Reg, promhttp.HandlerOpts{Registry: s.Reg}))
	return mux
}
