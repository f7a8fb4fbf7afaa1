package main

import (
	"context"
	"fmt"
	"runtime"
	"text/tabwriter"

	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/version"
)

func runSchema(_ context.Context, e env, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("takes no arguments, got %q", args)}
	}
	_, err := e.stdout.Write(article.EnrichedSchema())
	return err
}

func runConfig(_ context.Context, e env, args []string) error {
	cfg, _, err := load(e, "config", args, 0, nil)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, s := range config.Settings(cfg) {
		fmt.Fprintf(tw, "%s\t%s\n", s.Env, s.Value())
	}
	return tw.Flush()
}

func runVersion(_ context.Context, e env, _ []string) error {
	commit := version.Commit()
	if commit == "" {
		commit = "unknown commit"
	}
	fmt.Fprintf(e.stdout, "newsflow %s (%s, %s)\n", version.Version, commit, runtime.Version())
	return nil
}
