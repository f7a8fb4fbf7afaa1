package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/telemetry"
)

// load parses the flags of a command (its own, added by register, and
// every setting) and validates the settings the command needs.
func load(e env, name string, args []string, needs config.Needs, register func(fs *flag.FlagSet)) (*config.Config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("newsflow "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	if register != nil {
		register(fs)
	}
	cfg, err := config.Load(fs, args, e.lookup)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, errHelp
		}
		return nil, nil, usageError{err}
	}
	if err := cfg.Validate(needs); err != nil {
		return nil, nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, fs, nil
}

// errHelp is returned when -h was asked for: the usage is printed, exit 0.
var errHelp = errors.New("help requested")

func logger(cfg *config.Config, e env) *slog.Logger {
	return telemetry.NewLogger(cfg.Telemetry, e.stderr)
}
