package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/newsflow/newsflow/pkg/telemetry"
)

func TestProbeURL(t *testing.T) {
	tests := []struct {
		addr string
		live bool
		want string
	}{
		{":8080", false, "http://127.0.0.1:8080/readyz"},
		{"0.0.0.0:9100", true, "http://127.0.0.1:9100/healthz"},
		{"[::]:8080", false, "http://127.0.0.1:8080/readyz"},
		{"10.0.0.5:8080", false, "http://10.0.0.5:8080/readyz"},
		{"[::1]:8080", true, "http://[::1]:8080/healthz"},
	}
	for _, tt := range tests {
		if got, err := probeURL(tt.addr, tt.live); err != nil || got != tt.want {
			t.Errorf("probeURL(%q, %v) = %q, %v; want %q", tt.addr, tt.live, got, err, tt.want)
		}
	}
	if _, err := probeURL("8080", false); err == nil {
		t.Error("probeURL accepted an address without a port separator")
	}
}

// TestProbe runs the probe against a live listener whose readiness is
// switched from outside, as a container health check sees it.
func TestProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := telemetry.NewHealth()
	var ready atomic.Bool
	h.Add("kafka", func(context.Context) error {
		if ready.Load() {
			return nil
		}
		return errors.New("topics news.articles.raw do not exist (run `newsflow setup`)")
	})
	srv := &telemetry.Server{Health: h, Reg: telemetry.NewRegistry(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, ln)
	env := map[string]string{"NEWSFLOW_HTTP_ADDR": ln.Addr().String()}

	code, _, stderr := runCmd(env, "probe")
	if code != 1 || !strings.Contains(stderr, "503") || !strings.Contains(stderr, "newsflow setup") {
		t.Errorf("probe of a process not ready: exit %d, stderr %q; want 1 and the reason", code, stderr)
	}
	if code, _, stderr := runCmd(env, "probe", "--live"); code != 0 {
		t.Errorf("probe --live of a live process: exit %d, %s", code, stderr)
	}
	ready.Store(true)
	if code, out, stderr := runCmd(env, "probe"); code != 0 || !strings.Contains(out, `"ready":true`) {
		t.Errorf("probe of a ready process: exit %d, %q %s", code, out, stderr)
	}

	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln2.Addr().String()
	ln2.Close()
	if code, _, stderr := runCmd(map[string]string{"NEWSFLOW_HTTP_ADDR": closed}, "probe", "--timeout", "2s"); code != 1 || !strings.Contains(stderr, "probing") {
		t.Errorf("probe of nothing: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(map[string]string{"NEWSFLOW_HTTP_ADDR": ""}, "probe"); code != 2 || !strings.Contains(stderr, "NEWSFLOW_HTTP_ADDR") {
		t.Errorf("probe without a listen address: exit %d, %q", code, stderr)
	}
}

// FuzzProbeURL: any listen address gives an error or an http URL of a
// health endpoint, never a panic.
func FuzzProbeURL(f *testing.F) {
	for _, seed := range []string{":8080", "[::]:1", "host:port", "", ":", "[::1", "a:b:c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		u, err := probeURL(addr, false)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u, "http://") || !strings.HasSuffix(u, "/readyz") {
			t.Fatalf("probeURL(%q) = %q", addr, u)
		}
	})
}
