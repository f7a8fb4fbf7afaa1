package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
)

// runProbe asks the health listener of a newsflow process on this host
// whether it is ready (or, with --live, alive), for container health
// checks in an image that has no shell or curl. It exits 0 when the
// answer is 200 and 1 otherwise, printing why.
func runProbe(ctx context.Context, e env, args []string) error {
	var (
		live    bool
		timeout time.Duration
	)
	cfg, _, err := load(e, "probe", args, 0, func(fs *flag.FlagSet) {
		fs.BoolVar(&live, "live", false, "check /healthz (the process is alive) instead of /readyz (it can make progress)")
		fs.DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	})
	if err != nil {
		return err
	}
	if cfg.Telemetry.HTTPAddr == "" {
		return usageError{fmt.Errorf("%s is empty: the process serves no health endpoints", config.Name(cfg, &cfg.Telemetry.HTTPAddr))}
	}
	u, err := probeURL(cfg.Telemetry.HTTPAddr, live)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", config.Name(cfg, &cfg.Telemetry.HTTPAddr), err)}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("probing %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	_, err = e.stdout.Write(body)
	return err
}

// probeURL turns a listen address into the URL of its health endpoint on
// this host: an empty or unspecified host becomes the loopback address.
func probeURL(addr string, live bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not a host:port listen address", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	path := "/readyz"
	if live {
		path = "/healthz"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
