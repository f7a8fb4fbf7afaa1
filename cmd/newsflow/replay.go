package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/telemetry"
)

// runReplay indexes the enriched topic from its start in a new consumer
// group and exits once it reached the end the topic had when it began.
func runReplay(ctx context.Context, cfg *config.Config, log *slog.Logger, e env) error {
	es, err := index.NewClient(cfg.Elasticsearch)
	if err != nil {
		return usageError{err}
	}
	if err := index.Ping(ctx, es, cfg.Elasticsearch); err != nil {
		return err
	}
	bar := newProgressBar(e.stderr)
	p, err := index.Replay(ctx, cfg, es, log, telemetry.NewRegistry(), bar.update)
	bar.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "replayed %d messages from %s into %s in %s\n", p.Done, cfg.Topics.Enriched, cfg.Elasticsearch.Alias, p.Elapsed.Round(time.Millisecond))
	return nil
}

// progressBar draws the progress of a replay (index or enrich): a bar redrawn in place on a
// terminal, a line every tenth of the way otherwise (logs, CI).
type progressBar struct {
	w        io.Writer
	terminal bool
	last     time.Time
	tenth    int64
	drawn    bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, tenth: -1, terminal: isTerminal(w)}
}

func (b *progressBar) update(p kafka.Progress) {
	if b.terminal {
		// Redrawing more often than the eye reads only costs time.
		if time.Since(b.last) < 200*time.Millisecond && p.Done < p.Total && !p.Finished {
			return
		}
		b.last = time.Now()
		fmt.Fprintf(b.w, "\r%s", renderProgress(p, 30))
		b.drawn = true
		return
	}
	if p.Total == 0 {
		return
	}
	if t := p.Done * 10 / p.Total; t > b.tenth {
		b.tenth = t
		fmt.Fprintln(b.w, renderProgress(p, 0))
	}
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprintln(b.w)
	}
}

// renderProgress renders p as "[####    ]  52%  5200/10000  1200/s  ETA 4s",
// without the bar when width is zero.
func renderProgress(p kafka.Progress, width int) string {
	pct := 100.0
	if p.Total > 0 {
		pct = float64(p.Done) * 100 / float64(p.Total)
	}
	var sb strings.Builder
	sb.WriteString("replaying ")
	if width > 0 {
		full := int(pct / 100 * float64(width))
		sb.WriteString("[" + strings.Repeat("#", full) + strings.Repeat(" ", width-full) + "] ")
	}
	fmt.Fprintf(&sb, "%3.0f%%  %d/%d  %.0f/s", pct, p.Done, p.Total, p.Rate())
	if eta := p.ETA(); eta > 0 {
		fmt.Fprintf(&sb, "  ETA %s", eta.Round(time.Second))
	} else if p.Done < p.Total {
		sb.WriteString("  ETA --")
	}
	return sb.String()
}
