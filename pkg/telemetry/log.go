// Package telemetry sets up what every newsflow process reports about
// itself: structured logs, readiness checks, and the listener that serves
// /healthz, /readyz and /metrics (with newsflow_build_info and
// newsflow_ready beside each package's own metrics).
package telemetry

import (
	"io"
	"log/slog"

	"github.com/newsflow/newsflow/pkg/config"
)

// NewLogger returns the process logger: text or JSON on w at the
// configured level, with snake_case keys by convention of the callers.
func NewLogger(cfg config.Telemetry, w io.Writer) *slog.Logger {
	var level slog.Level
	switch cfg.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
