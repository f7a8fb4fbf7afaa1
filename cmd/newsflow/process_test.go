package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/telemetry"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// testProcess returns a process without Kafka, listening on a free
// loopback port, and that port's address.
func testProcess(t *testing.T, shutdown time.Duration) (*process, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := config.Default()
	cfg.Telemetry.HTTPAddr = addr
	cfg.Telemetry.ShutdownTimeout = shutdown
	p := &process{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil)), reg: telemetry.NewRegistry(), health: telemetry.NewHealth()}
	p.reg.MustRegister(p.health.Collector(time.Second))
	return p, addr
}

// closer counts its calls.
type closer struct{ n atomic.Int32 }

func (c *closer) Close() error { c.n.Add(1); return nil }

func status(addr, path string) int {
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestShutdownDrainsWhileProbesAnswer checks the order ops rely on: after
// the signal the stage gets its drain time, /readyz fails and /healthz
// and /metrics still answer meanwhile, and the clients are closed after
// the stage returned.
func TestShutdownDrainsWhileProbesAnswer(t *testing.T) {
	p, addr := testProcess(t, 5*time.Second)
	draining, release := make(chan struct{}), make(chan struct{})
	c := &closer{}
	p.add(func(ctx context.Context) error {
		<-ctx.Done()
		close(draining)
		<-release // the batch in hand
		if c.n.Load() != 0 {
			return errors.New("clients closed before the stage finished")
		}
		return nil
	}, c)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.run(ctx) }()

	testenv.Eventually(t, 5*time.Second, "/readyz never answered 200", func() bool { return status(addr, "/readyz") == 200 })
	cancel(errors.New("received terminated"))
	<-draining
	testenv.Eventually(t, 5*time.Second, "/readyz does not fail while draining", func() bool { return status(addr, "/readyz") == 503 })
	if got := status(addr, "/healthz"); got != 200 {
		t.Errorf("/healthz while draining = %d, want 200", got)
	}
	if got := status(addr, "/metrics"); got != 200 {
		t.Errorf("/metrics while draining = %d, want 200", got)
	}
	close(release)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run = %v, want nil after a clean drain", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after the stage finished")
	}
	if c.n.Load() != 1 {
		t.Errorf("closer called %d times, want 1", c.n.Load())
	}
	if status(addr, "/healthz") != 0 {
		t.Error("the listener still serves after run returned")
	}
}

func TestShutdownDeadline(t *testing.T) {
	p, _ := testProcess(t, 100*time.Millisecond)
	hung := make(chan struct{})
	defer close(hung)
	p.add(func(context.Context) error { <-hung; return nil }, &closer{}) // ignores its context
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.run(ctx) }()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_SHUTDOWN_TIMEOUT") {
			t.Errorf("run = %v, want an error naming NEWSFLOW_SHUTDOWN_TIMEOUT", err)
		}
		if d := time.Since(start); d > 100*time.Millisecond+closeGrace+time.Second {
			t.Errorf("run returned %s after the signal, want at most timeout + %s", d, closeGrace)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the shutdown deadline")
	}
}

func TestFailingStageStopsTheOthers(t *testing.T) {
	p, _ := testProcess(t, 5*time.Second)
	stopped := make(chan struct{})
	a, b := &closer{}, &closer{}
	p.add(func(ctx context.Context) error { <-ctx.Done(); close(stopped); return nil }, a)
	p.add(func(context.Context) error { return errors.New("processing 3 messages: boom") }, b)
	err := p.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("run = %v, want the failing stage's error", err)
	}
	select {
	case <-stopped:
	default:
		t.Error("the other stage was not stopped")
	}
	if a.n.Load() != 1 || b.n.Load() != 1 {
		t.Errorf("closers called %d and %d times, want 1 each", a.n.Load(), b.n.Load())
	}
}

func TestBusyListenAddressIsAConfigError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p, _ := testProcess(t, time.Second)
	p.cfg.Telemetry.HTTPAddr = ln.Addr().String()
	c := &closer{}
	p.add(func(ctx context.Context) error { <-ctx.Done(); return nil }, c)
	err = p.run(context.Background())
	var ue usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "NEWSFLOW_HTTP_ADDR") {
		t.Errorf("run = %v, want a usage error naming NEWSFLOW_HTTP_ADDR", err)
	}
	if c.n.Load() != 1 {
		t.Error("clients not closed when the listener could not start")
	}
}
