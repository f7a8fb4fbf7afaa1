// Command newsflow runs the stages of the newsflow pipeline and the tools
// around them. Run `newsflow help` for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv))
}

// signalContext returns a context that ends at the first SIGINT or
// SIGTERM, with the signal as its cause, so the stages stop consuming,
// drain, flush and commit; a second signal exits at once, with the
// shell's status for death by that signal (128 + its number).
func signalContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		cancel(fmt.Errorf("received %s", signalName(sig)))
		sig = <-ch
		fmt.Fprintf(os.Stderr, "newsflow: second signal (%s), exiting now without finishing the shutdown\n", signalName(sig))
		code := 130
		if s, ok := sig.(syscall.Signal); ok {
			code = 128 + int(s)
		}
		os.Exit(code)
	}()
	return ctx, func() { signal.Stop(ch); cancel(nil) }
}

// signalName names the signals newsflow handles as ops write them.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// env is the process environment, os.LookupEnv outside tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"setup", "create the Kafka topics and the Elasticsearch template and alias (idempotent)", runSetup},
		{"ingest", "poll the feeds and publish their articles (--once: one round, then exit)", runIngest},
		{"feeds", "manage the feed list: feeds import FILE | check URL|FILE | status", runFeeds},
		{"enrich", "tag raw articles and publish them enriched (--replay: re-enrich the raw topic after a model or taxonomy change, then exit)", runEnrich},
		{"index", "write enriched articles to Elasticsearch (--replay: rebuild the index from the enriched topic, then exit)", runIndex},
		{"all", "run ingest, enrich and index in one process", runAll},
		{"tag", "tag one article (FILE, URL or -) readably, or JSON lines with --format jsonl", runTag},
		{"search", "search the indexed articles: newsflow search [--topic ID] [--entity NAME] [--place NAME] [--since DATE] [QUERY]", runSearch},
		{"schema", "print the JSON Schema of news.articles.enriched", runSchema},
		{"config", "print the effective configuration, secrets redacted (--reference: every setting as Markdown)", runConfig},
		{"probe", "exit 0 when the newsflow process on this host is ready (--live: alive); for container health checks", runProbe},
		{"version", "print the version", runVersion},
	}
}

// usageError is a mistake in the command line or configuration: exit 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr, lookup: lookup}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil || err == errHelp {
			return 0
		}
		if _, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "newsflow %s: %v\n", c.name, err)
			return 2
		}
		fmt.Fprintf(stderr, "newsflow %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "newsflow: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "newsflow: a streaming news-ingestion pipeline (feeds → Kafka → enrich → Elasticsearch)")
	fmt.Fprintln(w, "\nUsage: newsflow COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nEvery setting is a flag and a NEWSFLOW_* environment variable; `newsflow COMMAND -h` lists them.")
}
