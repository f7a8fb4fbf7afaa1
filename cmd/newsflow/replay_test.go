package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/index"
)

func TestRenderProgress(t *testing.T) {
	tests := []struct {
		p     index.Progress
		width int
		want  string
	}{
		{index.Progress{Done: 500, Total: 1000, Elapsed: 5 * time.Second}, 10, "replaying [#####     ]  50%  500/1000  100/s  ETA 5s"},
		{index.Progress{Done: 0, Total: 1000}, 4, "replaying [    ]   0%  0/1000  0/s  ETA --"},
		{index.Progress{Done: 1000, Total: 1000, Elapsed: 2 * time.Second}, 0, "replaying 100%  1000/1000  500/s"},
		{index.Progress{}, 0, "replaying 100%  0/0  0/s"},
	}
	for _, tt := range tests {
		if got := renderProgress(tt.p, tt.width); got != tt.want {
			t.Errorf("renderProgress(%+v, %d) = %q, want %q", tt.p, tt.width, got, tt.want)
		}
	}
}

func TestProgressOffTerminalPrintsTenths(t *testing.T) {
	var buf bytes.Buffer
	b := newProgressBar(&buf)
	for done := int64(0); done <= 1000; done += 50 {
		b.update(index.Progress{Done: done, Total: 1000, Elapsed: time.Second})
	}
	b.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 11 || strings.Contains(buf.String(), "\r") {
		t.Errorf("off a terminal the progress printed %d lines (want 11, one per tenth, no carriage returns):\n%s", len(lines), buf.String())
	}
}

func TestParseDate(t *testing.T) {
	for _, ok := range []string{"2026-11-25", "2026-11-25T10:00:00Z", "2026-11-25T10:00:00+02:00"} {
		if _, err := parseDate(ok); err != nil {
			t.Errorf("parseDate(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "25/11/2026", "2026-13-01", "yesterday"} {
		if _, err := parseDate(bad); err == nil {
			t.Errorf("parseDate(%q) accepted", bad)
		}
	}
}
