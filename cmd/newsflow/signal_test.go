package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/article"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/kafka"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// These tests run the built binary as a subprocess, as a container
// runtime does, and signal it.

const testVersion = "v0.0.0-signaltest"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// binary builds newsflow once per test run, with the version stamped in
// as the Dockerfile and Makefile do.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() && !testenv.CI() {
		t.Skip("builds and runs the binary; runs without -short")
	}
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go tool is not on PATH: %w", err)
			return
		}
		dir, err := os.MkdirTemp("", "newsflow-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "newsflow")
		cmd := exec.Command(goTool, "build", "-o", binPath,
			"-ldflags", "-X github.com/newsflow/newsflow/pkg/version.Version="+testVersion, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// syncBuffer is a bytes.Buffer safe for the writes of exec and the reads
// of the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a running newsflow subprocess.
type proc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
	err    error // the Wait error, valid once exited is closed
	addr   string
}

// startBinary starts newsflow with args and exactly the environment of cfg
// (nothing is inherited), its listener on a free loopback port.
func startBinary(t *testing.T, cfg *config.Config, args ...string) *proc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Telemetry.HTTPAddr = ln.Addr().String()
	ln.Close()
	p := &proc{cmd: exec.Command(binary(t), args...), stderr: &syncBuffer{}, exited: make(chan struct{}), addr: cfg.Telemetry.HTTPAddr}
	for _, s := range config.Settings(cfg) {
		v := s.Value()
		if s.Secret {
			v = reflectSecret(cfg, s.Env)
		}
		p.cmd.Env = append(p.cmd.Env, s.Env+"="+v)
	}
	p.cmd.Stdout = io.Discard
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("newsflow %s stderr:\n%s", strings.Join(args, " "), p.stderr.String())
		}
	})
	return p
}

// reflectSecret returns the clear value of a secret setting, which
// Setting.Value redacts.
func reflectSecret(cfg *config.Config, env string) string {
	switch env {
	case "NEWSFLOW_ES_PASSWORD":
		return cfg.Elasticsearch.Password
	case "NEWSFLOW_ES_API_KEY":
		return cfg.Elasticsearch.APIKey
	}
	return ""
}

func (p *proc) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %s: %v", sig, err)
	}
}

// wait returns the exit code and how long the process took to exit, or
// fails the test after timeout.
func (p *proc) wait(t *testing.T, timeout time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	select {
	case <-p.exited:
	case <-time.After(timeout):
		t.Fatalf("newsflow did not exit within %s", timeout)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
			t.Logf("newsflow was killed by %s", ws.Signal())
		}
	} else if p.err != nil {
		t.Fatal(p.err)
	}
	return code, time.Since(start)
}

// heldBulk is an Elasticsearch proxy that passes every request through
// but holds _bulk requests until released, so a test can signal the
// indexer while a batch is in flight.
type heldBulk struct {
	started chan struct{} // receives once per held bulk request
	release chan struct{}
	once    sync.Once
}

func newHeldBulk(t *testing.T, esURL string) (*heldBulk, string) {
	t.Helper()
	target, err := url.Parse(esURL)
	if err != nil {
		t.Fatal(err)
	}
	h := &heldBulk{started: make(chan struct{}, 16), release: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/_bulk") {
			select {
			case h.started <- struct{}{}:
			default:
			}
			select {
			case <-h.release:
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { h.Release(); srv.Close() })
	return h, srv.URL
}

// Release lets held and later bulk requests through.
func (h *heldBulk) Release() { h.once.Do(func() { close(h.release) }) }

// indexFixture creates the topics and alias of cfg, publishes n enriched
// articles and returns an Elasticsearch proxy URL whose bulk requests are
// held.
func indexFixture(t *testing.T, n int) (*config.Config, *heldBulk) {
	t.Helper()
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := setup(ctx, cfg, log, env{stdout: &out, stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Enriched)
	defer w.Close()
	now := time.Now().UTC().Truncate(time.Second)
	msgs := make([]kafkago.Message, n)
	for i := range msgs {
		a := &article.Article{
			ID:          fmt.Sprintf("%032x", i+1),
			URL:         fmt.Sprintf("https://news.example.org/story/%d", i+1),
			Title:       fmt.Sprintf("Story %d", i+1),
			PublishedAt: now,
			FetchedAt:   now,
			EnrichedAt:  &now,
			Feed:        article.Feed{URL: "https://news.example.org/feed"},
			Source:      article.Source{Name: "Example News", Domain: "example.org"},
			Language:    "en",
		}
		b, err := article.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = kafka.ArticleMessage(a.ID, b)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	held, proxyURL := newHeldBulk(t, cfg.Elasticsearch.URLs[0])
	cfg.Elasticsearch.URLs = []string{proxyURL}
	return cfg, held
}

// uncommitted returns how many messages of topic the group has not
// committed.
func uncommitted(t *testing.T, cfg *config.Config, topic, group string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := &kafkago.Client{Addr: kafkago.TCP(cfg.Kafka.Brokers...)}
	parts := make([]int, cfg.Kafka.Partitions)
	reqs := make([]kafkago.OffsetRequest, cfg.Kafka.Partitions)
	for i := range parts {
		parts[i], reqs[i] = i, kafkago.LastOffsetOf(i)
	}
	ends, err := client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatal(err)
	}
	committed, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{topic: parts}})
	if err != nil {
		t.Fatal(err)
	}
	done := map[int]int64{}
	for _, p := range committed.Topics[topic] {
		if p.CommittedOffset > 0 {
			done[p.Partition] = p.CommittedOffset
		}
	}
	var left int64
	for _, p := range ends.Topics[topic] {
		left += p.LastOffset - done[p.Partition]
	}
	return left
}

func waitFor(t *testing.T, ch <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("after %s: %s", timeout, what)
	}
}

// TestSIGTERMFinishesTheBatchAndCommits signals the indexer while a bulk
// request is in flight: it must finish that batch, commit it and exit 0.
func TestSIGTERMFinishesTheBatchAndCommits(t *testing.T) {
	t.Parallel()
	const n = 40
	cfg, held := indexFixture(t, n)
	cfg.Telemetry.ShutdownTimeout = 30 * time.Second
	p := startBinary(t, cfg, "index")

	testenv.Eventually(t, 30*time.Second, "/readyz of the indexer never answered 200", func() bool { return status(p.addr, "/readyz") == 200 })
	body := get(t, "http://"+p.addr+"/metrics")
	if !strings.Contains(body, `version="`+testVersion+`"`) || !strings.Contains(body, `newsflow_ready{check="elasticsearch"} 1`) {
		t.Errorf("/metrics lacks the stamped build info or the readiness of Elasticsearch:\n%s", body)
	}
	waitFor(t, held.started, time.Minute, "the indexer sent no bulk request")
	p.signal(t, syscall.SIGTERM)
	testenv.Eventually(t, 10*time.Second, "no shutdown logged after SIGTERM", func() bool { return strings.Contains(p.stderr.String(), "received SIGTERM") })
	if got := status(p.addr, "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while draining = %d, want 503", got)
	}
	held.Release()
	code, took := p.wait(t, cfg.Telemetry.ShutdownTimeout+closeGrace)
	t.Logf("exited %s after Elasticsearch acknowledged the batch in hand", took)
	if code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
	if left := uncommitted(t, cfg, cfg.Topics.Enriched, cfg.Index.Group); left != 0 {
		t.Errorf("%d messages left uncommitted after a clean shutdown", left)
	}
	es, err := indexClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := countDocs(t, es, cfg.Elasticsearch.Alias); got != n {
		t.Errorf("%d documents indexed, want %d", got, n)
	}
}

// TestSecondSignalExitsAtOnce holds the indexer's bulk request, so the
// drain cannot finish, and checks a second SIGTERM ends the process at
// once, leaving the batch uncommitted for redelivery.
func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	cfg, held := indexFixture(t, 5)
	cfg.Telemetry.ShutdownTimeout = 2 * time.Minute
	p := startBinary(t, cfg, "index")
	waitFor(t, held.started, time.Minute, "the indexer sent no bulk request")
	p.signal(t, syscall.SIGTERM)
	testenv.Eventually(t, 10*time.Second, "no shutdown logged after SIGTERM", func() bool { return strings.Contains(p.stderr.String(), "received SIGTERM") })
	p.signal(t, syscall.SIGTERM)
	code, took := p.wait(t, 5*time.Second)
	if code != 128+int(syscall.SIGTERM) {
		t.Errorf("exit status %d after a second SIGTERM, want %d", code, 128+int(syscall.SIGTERM))
	}
	t.Logf("exited %s after the second signal", took)
	if left := uncommitted(t, cfg, cfg.Topics.Enriched, cfg.Index.Group); left != 5 {
		t.Errorf("%d messages uncommitted, want all 5: the held batch was never acknowledged", left)
	}
}

// TestShutdownTimeoutBoundsTheDrain holds the bulk request past
// NEWSFLOW_SHUTDOWN_TIMEOUT: the process must exit by the deadline
// without committing what Elasticsearch never acknowledged.
func TestShutdownTimeoutBoundsTheDrain(t *testing.T) {
	t.Parallel()
	cfg, held := indexFixture(t, 5)
	cfg.Telemetry.ShutdownTimeout = time.Second
	p := startBinary(t, cfg, "index")
	waitFor(t, held.started, time.Minute, "the indexer sent no bulk request")
	p.signal(t, syscall.SIGTERM)
	start := time.Now()
	code, _ := p.wait(t, 20*time.Second)
	took := time.Since(start)
	t.Logf("exited %s after SIGTERM with NEWSFLOW_SHUTDOWN_TIMEOUT=%s", took, cfg.Telemetry.ShutdownTimeout)
	if took > cfg.Telemetry.ShutdownTimeout+closeGrace+2*time.Second {
		t.Errorf("exited %s after SIGTERM, want within %s + %s", took, cfg.Telemetry.ShutdownTimeout, closeGrace)
	}
	t.Logf("exit status %d", code)
	if code != 0 && code != 1 {
		t.Errorf("exit status %d, want 0 (batch abandoned cleanly) or 1 (deadline)", code)
	}
	if left := uncommitted(t, cfg, cfg.Topics.Enriched, cfg.Index.Group); left != 5 {
		t.Errorf("%d messages uncommitted, want all 5: the batch was never acknowledged", left)
	}
}

func TestConfigErrorsExitNonZeroNamingTheSetting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"unparsable number", []string{"enrich"}, []string{"NEWSFLOW_KAFKA_PARTITIONS=many"},
			[]string{"NEWSFLOW_KAFKA_PARTITIONS", `"many" is not a whole number`}},
		{"zero shutdown timeout", []string{"index"}, []string{"NEWSFLOW_SHUTDOWN_TIMEOUT=0s"},
			[]string{"NEWSFLOW_SHUTDOWN_TIMEOUT (--shutdown-timeout): must be positive"}},
		{"every problem at once", []string{"enrich"}, []string{"NEWSFLOW_KAFKA_BROKERS=kafka", "NEWSFLOW_LOG_LEVEL=loud", "NEWSFLOW_TAXONOMY=/nonexistent/taxonomy.yaml"},
			[]string{"NEWSFLOW_KAFKA_BROKERS (--kafka-brokers)", "NEWSFLOW_LOG_LEVEL (--log-level)", "NEWSFLOW_TAXONOMY (--taxonomy)"}},
		{"bad flag value", []string{"ingest", "--poll-interval", "often"}, nil,
			[]string{"-poll-interval", `"often" is not a duration`}},
		{"bad Elasticsearch URL", []string{"index"}, []string{"NEWSFLOW_ES_URL=localhost:9200"},
			[]string{"NEWSFLOW_ES_URL (--es-url)"}},
	}
	bin := binary(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, tt.args...)
			cmd.Env = tt.env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want status 2; stderr:\n%s", err, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

func TestVersionIsStamped(t *testing.T) {
	out, err := exec.Command(binary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "newsflow "+testVersion+" ") {
		t.Errorf("newsflow version = %q, want the version given to -ldflags", out)
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func indexClient(cfg *config.Config) (*elasticsearch.Client, error) {
	return index.NewClient(cfg.Elasticsearch)
}

// countDocs refreshes alias and counts its documents.
func countDocs(t *testing.T, es *elasticsearch.Client, alias string) int {
	t.Helper()
	if res, err := es.Indices.Refresh(es.Indices.Refresh.WithIndex(alias)); err == nil {
		res.Body.Close()
	}
	res, err := es.Count(es.Count.WithIndex(alias))
	if err != nil {
		t.Fatalf("counting %s: %v", alias, err)
	}
	defer res.Body.Close()
	var c struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		t.Fatalf("counting %s: %v", alias, err)
	}
	return c.Count
}

// TestEveryStageStopsCleanly runs each long-running command as a
// container would, waits until it is ready and has done work, and checks
// that SIGTERM ends it with status 0 and, for enrich, with every message
// it handled committed.
func TestEveryStageStopsCleanly(t *testing.T) {
	feed, err := os.ReadFile("../../testdata/feeds/rss20-rappler-kerry-lavrov-syria-reference.xml")
	if err != nil {
		t.Fatal(err)
	}
	feeds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	}))
	defer feeds.Close()
	taxonomy, err := filepath.Abs("../../deploy/taxonomy.yaml")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		command string
		worked  string // a metric line prefix that shows the stage did work
	}{
		{"ingest", "newsflow_ingest_fetches_total"},
		{"enrich", `newsflow_enrich_articles_total{outcome="enriched"} 10`},
		{"all", "newsflow_ingest_fetches_total"},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if err := setup(ctx, cfg, log, env{stdout: io.Discard, stderr: io.Discard}); err != nil {
				t.Fatal(err)
			}
			feedList := filepath.Join(t.TempDir(), "feeds.yaml")
			if err := os.WriteFile(feedList, []byte("feeds:\n  - url: "+feeds.URL+"/rappler.xml\n    source: Rappler\n    country: PH\n    language: en\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg.Ingest.Feeds = feedList
			cfg.Ingest.PollInterval = time.Minute
			cfg.Enrich.Taxonomy = taxonomy
			cfg.Telemetry.ShutdownTimeout = 20 * time.Second
			if tt.command == "enrich" {
				publishRaw(t, cfg, 10)
			}

			p := startBinary(t, cfg, tt.command)
			testenv.Eventually(t, 30*time.Second, "/readyz never answered 200", func() bool { return status(p.addr, "/readyz") == 200 })
			testenv.Eventually(t, 30*time.Second, "the stage did no work: no "+tt.worked+" in /metrics", func() bool {
				resp, err := http.Get("http://" + p.addr + "/metrics")
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return strings.Contains(string(b), tt.worked)
			})
			p.signal(t, syscall.SIGTERM)
			code, took := p.wait(t, cfg.Telemetry.ShutdownTimeout+closeGrace)
			t.Logf("newsflow %s exited %s after SIGTERM", tt.command, took)
			if code != 0 {
				t.Errorf("newsflow %s exited %d after SIGTERM, want 0", tt.command, code)
			}
			if tt.command == "enrich" {
				if left := uncommitted(t, cfg, cfg.Topics.Raw, cfg.Enrich.Group); left != 0 {
					t.Errorf("%d raw messages left uncommitted after a clean shutdown", left)
				}
			}
		})
	}
}

// publishRaw publishes n raw articles to cfg's raw topic.
func publishRaw(t *testing.T, cfg *config.Config, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w := kafka.NewWriter(cfg.Kafka, cfg.Topics.Raw)
	defer w.Close()
	now := time.Now().UTC().Truncate(time.Second)
	msgs := make([]kafkago.Message, n)
	for i := range msgs {
		a := &article.Article{
			ID:          fmt.Sprintf("%032x", 1000+i),
			URL:         fmt.Sprintf("https://news.example.org/raw/%d", i),
			Title:       fmt.Sprintf("Aid convoy reaches Aleppo, day %d", i),
			Summary:     "A United Nations aid convoy reached eastern Aleppo in Syria.",
			PublishedAt: now,
			FetchedAt:   now,
			Feed:        article.Feed{URL: "https://news.example.org/feed"},
			Source:      article.Source{Name: "Example News", Domain: "example.org"},
			Language:    "en",
		}
		b, err := article.Encode(a)
		if err != nil {
			t.Fatal(err)
		}
		msgs[i] = kafka.ArticleMessage(a.ID, b)
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}
