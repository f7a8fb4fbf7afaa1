package config

import (
	"strings"
	"testing"
	"time"
)

func TestValidateTelemetry(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Telemetry)
		want   string // "" for valid
	}{
		{"default", func(*Telemetry) {}, ""},
		{"listener off", func(c *Telemetry) { c.HTTPAddr = "" }, ""},
		{"loopback", func(c *Telemetry) { c.HTTPAddr = "127.0.0.1:9100" }, ""},
		{"IPv6", func(c *Telemetry) { c.HTTPAddr = "[::1]:8080" }, ""},
		{"port without colon", func(c *Telemetry) { c.HTTPAddr = "8080" }, "NEWSFLOW_HTTP_ADDR (--http-addr): \"8080\" is not a listen address"},
		{"named port", func(c *Telemetry) { c.HTTPAddr = ":http" }, "NEWSFLOW_HTTP_ADDR (--http-addr): \":http\" has no port number"},
		{"port too large", func(c *Telemetry) { c.HTTPAddr = ":70000" }, "NEWSFLOW_HTTP_ADDR"},
		{"zero shutdown timeout", func(c *Telemetry) { c.ShutdownTimeout = 0 }, "NEWSFLOW_SHUTDOWN_TIMEOUT (--shutdown-timeout): must be positive"},
		{"negative shutdown timeout", func(c *Telemetry) { c.ShutdownTimeout = -time.Second }, "NEWSFLOW_SHUTDOWN_TIMEOUT"},
		{"log format", func(c *Telemetry) { c.LogFormat = "xml" }, "NEWSFLOW_LOG_FORMAT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c.Telemetry)
			err := c.Validate(0)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
