package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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
	var (
		reference bool
		update    string
	)
	cfg, _, err := load(e, "config", args, 0, func(fs *flag.FlagSet) {
		fs.BoolVar(&reference, "reference", false, "print the reference of every setting (variable, flag, default, meaning) as Markdown")
		fs.StringVar(&update, "update", "", "with --reference: rewrite the reference between the markers in this Markdown `file`")
	})
	if err != nil {
		return err
	}
	if update != "" && !reference {
		return usageError{errors.New("--update needs --reference")}
	}
	if reference {
		if update == "" {
			_, err := io.WriteString(e.stdout, config.Reference())
			return err
		}
		return updateReference(update)
	}
	defaults := config.Settings(config.Default())
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for i, s := range config.Settings(cfg) {
		source := ""
		if s.Value() != defaults[i].Value() {
			source = "  (set)"
		}
		fmt.Fprintf(tw, "%s\t%s%s\n", s.Env, s.Value(), source)
	}
	return tw.Flush()
}

// updateReference rewrites the configuration reference in the Markdown
// file at path.
func updateReference(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := config.SpliceReference(doc, config.Reference())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if bytes.Equal(out, doc) {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, out, fi.Mode().Perm())
}

func runVersion(_ context.Context, e env, _ []string) error {
	commit := version.Commit()
	if commit == "" {
		commit = "unknown commit"
	}
	fmt.Fprintf(e.stdout, "newsflow %s (%s, %s)\n", version.Version, commit, runtime.Version())
	return nil
}
