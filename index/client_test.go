package index

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// healthServer answers /_cluster/health like Elasticsearch and records the
// Authorization header of the last request.
type healthServer struct {
	mu   sync.Mutex
	auth string
}

func (h *healthServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.auth = r.Header.Get("Authorization")
	h.mu.Unlock()
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	w.Write([]byte(`{"cluster_name":"fake","status":"green"}`))
}

func TestAPIKeyHeader(t *testing.T) {
	h := &healthServer{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	cfg := config.Default().Elasticsearch
	cfg.URLs = []string{srv.URL}
	cfg.APIKey = "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ping(context.Background(), es, cfg); err != nil {
		t.Fatal(err)
	}
	// The scheme is case-insensitive (RFC 9110 §11.1); the key is not.
	scheme, key, _ := strings.Cut(h.auth, " ")
	if !strings.EqualFold(scheme, "ApiKey") || key != cfg.APIKey {
		t.Errorf("Authorization = %q, want ApiKey %s", h.auth, cfg.APIKey)
	}
}

func TestCACert(t *testing.T) {
	srv := httptest.NewUnstartedServer(&healthServer{})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	defer srv.Close()
	cfg := config.Default().Elasticsearch
	cfg.URLs = []string{srv.URL}
	ctx := context.Background()

	// Without the CA the server's certificate is not trusted.
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = Ping(ctx, es, cfg)
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_ES_CA_CERT") {
		t.Fatalf("Ping without the CA = %v, want a certificate error naming NEWSFLOW_ES_CA_CERT", err)
	}

	ca := filepath.Join(t.TempDir(), "ca.pem")
	block := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, block, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.CACert = ca
	if es, err = NewClient(cfg); err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, es, cfg); err != nil {
		t.Errorf("Ping trusting the CA: %v", err)
	}

	cfg.CACert = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := NewClient(cfg); err == nil || !strings.Contains(err.Error(), "NEWSFLOW_ES_CA_CERT") {
		t.Errorf("NewClient with a missing CA file = %v, want an error naming NEWSFLOW_ES_CA_CERT", err)
	}
}

// secureNode returns the settings of the security-enabled test node.
func secureNode(t *testing.T) config.Elasticsearch {
	t.Helper()
	return testenv.SecureElasticsearch(t)
}

func TestBasicAuthOnSecureNode(t *testing.T) {
	cfg := secureNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ping(ctx, es, cfg); err != nil {
		t.Fatalf("Ping with the right password: %v", err)
	}
	// The whole setup and a write work with basic auth.
	alias := testenv.Name(t, "secure") + "-articles"
	t.Cleanup(func() { removeAlias(es, alias) })
	if _, err := Setup(ctx, es, alias); err != nil {
		t.Fatalf("Setup with basic auth: %v", err)
	}
	arts := fixtureArticles(t)[:2]
	if rej, err := NewBulk(es, alias, 1<<20, quietLog()).Write(ctx, items(t, alias, arts)); err != nil || len(rej) > 0 {
		t.Fatalf("Write with basic auth = %+v, %v", rej, err)
	}
	if n, err := Count(ctx, es, alias); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}

	tests := []struct {
		name     string
		user, pw string
		want     string
	}{
		{"wrong password", cfg.Username, "not-the-password", "NEWSFLOW_ES_PASSWORD"},
		{"unknown user", "nobody", "whatever", "NEWSFLOW_ES_USERNAME"},
		{"no credentials", "", "", "set NEWSFLOW_ES_USERNAME and NEWSFLOW_ES_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := cfg
			bad.Username, bad.Password = tt.user, tt.pw
			es, err := NewClient(bad)
			if err != nil {
				t.Fatal(err)
			}
			err = Ping(ctx, es, bad)
			if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Ping = %v, want a 401 error naming %s", err, tt.want)
			}
		})
	}
}
