package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/telemetry"
)

// process is one running newsflow process: its stages, their readiness
// checks and metrics, and the listener that serves them.
type process struct {
	cfg     *config.Config
	log     *slog.Logger
	reg     *prometheus.Registry
	health  *telemetry.Health
	stages  []func(context.Context) error
	closers []io.Closer
}

// closeGrace is how long the Kafka clients may take to close (leave the
// consumer group, flush) after the stages finished draining, on top of
// NEWSFLOW_SHUTDOWN_TIMEOUT.
const closeGrace = 2 * time.Second

// newProcess returns a process with its registry and the readiness check
// every stage shares: Kafka answers and the topics exist. Stages add their
// own checks and metrics before run.
func newProcess(cfg *config.Config, log *slog.Logger) *process {
	p := &process{cfg: cfg, log: log, reg: telemetry.NewRegistry(), health: telemetry.NewHealth()}
	p.health.Add("kafka", kafkaReady(cfg))
	p.reg.MustRegister(p.health.Collector(readyTimeout))
	return p
}

// add runs stage until the context ends; c is closed when the process
// stops.
func (p *process) add(stage func(context.Context) error, c io.Closer) {
	p.stages = append(p.stages, stage)
	p.closers = append(p.closers, c)
}

// run runs every stage until ctx is done or one stage fails, which stops
// the others, so the process exits and its supervisor restarts it whole.
// Shutdown happens here: the stages stop consuming, finish the batch in
// hand, flush and commit within NEWSFLOW_SHUTDOWN_TIMEOUT, then their
// clients are closed. When that takes longer than the timeout plus
// closeGrace, run returns an error without waiting further; what was not
// committed is delivered again. The health and metrics listener serves
// throughout, /readyz failing from the start of the shutdown.
func (p *process) run(ctx context.Context) error {
	var ln net.Listener
	if addr := p.cfg.Telemetry.HTTPAddr; addr != "" {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			for _, c := range p.closers {
				c.Close()
			}
			return usageError{fmt.Errorf("NEWSFLOW_HTTP_ADDR (--http-addr): listening on %s: %w", addr, err)}
		}
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range p.stages {
		g.Go(func() error { return s(gctx) })
	}
	srvCtx, stopServer := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	if ln != nil {
		srv := &telemetry.Server{Health: p.health, Reg: p.reg, Log: p.log}
		serverDone := make(chan struct{})
		go func() { defer close(serverDone); served <- srv.Serve(srvCtx, ln) }()
		defer func() { stopServer(); <-serverDone }()
	}
	defer stopServer()
	done := make(chan error, 1)
	go func() { done <- p.finish(g.Wait()) }()

	var listenErr error
	select {
	case err := <-done:
		return err
	case <-gctx.Done():
	case err := <-served:
		// The listener failed after it was bound; without it the process
		// cannot be probed or scraped, so it stops like a failed stage.
		listenErr = fmt.Errorf("serving health and metrics: %w", err)
		stop(listenErr)
	}
	<-gctx.Done()
	p.health.Add("shutdown", func(context.Context) error { return errShuttingDown })
	p.log.Info("shutting down: finishing the batch in hand, flushing and committing",
		"cause", context.Cause(gctx), "timeout", p.cfg.Telemetry.ShutdownTimeout)
	deadline := time.NewTimer(p.cfg.Telemetry.ShutdownTimeout + closeGrace)
	defer deadline.Stop()
	select {
	case err := <-done:
		if err == nil {
			err = listenErr
		}
		if err == nil {
			p.log.Info("stopped cleanly")
		}
		return err
	case <-deadline.C:
		return fmt.Errorf("shutdown took longer than NEWSFLOW_SHUTDOWN_TIMEOUT (%s) and %s to close clients; exiting with work in hand, which Kafka delivers again",
			p.cfg.Telemetry.ShutdownTimeout, closeGrace)
	}
}

var errShuttingDown = errors.New("shutting down")

// finish closes the stages' clients after they returned err.
func (p *process) finish(err error) error {
	var cerrs []error
	for _, c := range p.closers {
		if cerr := c.Close(); cerr != nil {
			cerrs = append(cerrs, cerr)
		}
	}
	if err != nil {
		return err
	}
	if len(cerrs) > 0 {
		return fmt.Errorf("closing Kafka clients: %w", errors.Join(cerrs...))
	}
	return nil
}
