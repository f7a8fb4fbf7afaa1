package index

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
)

// Kibana imports saved objects through Kibana's HTTP API. It signs in
// with the Elasticsearch credentials, as Kibana's own users are
// Elasticsearch users.
type Kibana struct {
	url    string
	cfg    config.Elasticsearch
	client *http.Client
	log    *slog.Logger
}

// NewKibana returns a client of the Kibana at rawURL, authenticating and
// trusting certificates as cfg says.
func NewKibana(rawURL string, cfg config.Elasticsearch, log *slog.Logger) (*Kibana, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("reading NEWSFLOW_ES_CA_CERT: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("NEWSFLOW_ES_CA_CERT %s holds no PEM certificate", cfg.CACert)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Kibana{url: strings.TrimRight(rawURL, "/"), cfg: cfg, client: &http.Client{Transport: tr, Timeout: 2 * time.Minute}, log: log}, nil
}

func (k *Kibana) request(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, k.url+path, body)
	if err != nil {
		return nil, fmt.Errorf("NEWSFLOW_KIBANA_URL: %w", err)
	}
	// Kibana refuses writes without it (cross-site request forgery guard).
	req.Header.Set("kbn-xsrf", "newsflow")
	switch {
	case k.cfg.APIKey != "":
		req.Header.Set("Authorization", "ApiKey "+k.cfg.APIKey)
	case k.cfg.Username != "":
		req.SetBasicAuth(k.cfg.Username, k.cfg.Password)
	}
	return req, nil
}

// errNotReady is a Kibana that answers but is still starting.
var errNotReady = errors.New("kibana is not ready")

// ready asks Kibana for its status once.
func (k *Kibana) ready(ctx context.Context) error {
	req, err := k.request(ctx, http.MethodGet, "/api/status", nil)
	if err != nil {
		return err
	}
	res, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("reaching Kibana (NEWSFLOW_KIBANA_URL): %w", err)
	}
	defer res.Body.Close()
	if err := authError(res); err != nil {
		return err
	}
	var st struct {
		Status struct {
			Overall struct {
				Level string `json:"level"` // 8.x: available, degraded, unavailable, critical
				State string `json:"state"` // 7.x: green, yellow, red
			} `json:"overall"`
		} `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&st); err != nil {
		return fmt.Errorf("%w: status %s, unreadable body: %v", errNotReady, res.Status, err)
	}
	if res.StatusCode == http.StatusOK && (st.Status.Overall.Level == "available" || st.Status.Overall.State == "green") {
		return nil
	}
	return fmt.Errorf("%w: status %s, overall %s%s", errNotReady, res.Status, st.Status.Overall.Level, st.Status.Overall.State)
}

// refusedError is Kibana refusing the credentials: no retry fixes it.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

// authError names the settings to fix when Kibana refuses the credentials.
func authError(res *http.Response) error {
	switch res.StatusCode {
	case http.StatusUnauthorized:
		return &refusedError{"credentials refused by Kibana (401): it signs in with NEWSFLOW_ES_USERNAME and NEWSFLOW_ES_PASSWORD or NEWSFLOW_ES_API_KEY"}
	case http.StatusForbidden:
		return &refusedError{"access denied by Kibana (403): the user of NEWSFLOW_ES_USERNAME or NEWSFLOW_ES_API_KEY may not manage saved objects"}
	}
	return nil
}

// WaitReady blocks until Kibana reports itself available or ctx ends.
// Refused credentials end the wait at once: waiting cannot fix them.
func (k *Kibana) WaitReady(ctx context.Context) error {
	backoff := 500 * time.Millisecond
	for {
		err := k.ready(ctx)
		if err == nil {
			return nil
		}
		var refused *refusedError
		if errors.As(err, &refused) {
			return err
		}
		k.log.Info("waiting for Kibana", "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("kibana did not become ready: %w", err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// ImportResult is what Kibana says about an import.
type ImportResult struct {
	Success      bool `json:"success"`
	SuccessCount int  `json:"successCount"`
	Errors       []struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Title string `json:"title"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"errors"`
}

// Import imports objs, replacing the objects with the same type and id,
// so importing again changes nothing. It fails unless Kibana imported
// every object.
func (k *Kibana) Import(ctx context.Context, objs []SavedObject) (*ImportResult, error) {
	ndjson, err := EncodeNDJSON(objs)
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="newsflow.ndjson"`)
	h.Set("Content-Type", "application/ndjson")
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, err
	}
	if _, err := part.Write(ndjson); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	req, err := k.request(ctx, http.MethodPost, "/api/saved_objects/_import?overwrite=true", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("importing saved objects into Kibana: %w", err)
	}
	defer res.Body.Close()
	if err := authError(res); err != nil {
		return nil, err
	}
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("importing saved objects into Kibana: %s: %s", res.Status, bytes.TrimSpace(raw))
	}
	var r ImportResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("reading Kibana's import response: %w", err)
	}
	if !r.Success || r.SuccessCount != len(objs) {
		var msgs []string
		for _, e := range r.Errors {
			msgs = append(msgs, fmt.Sprintf("%s %s: %s %s", e.Type, e.ID, e.Error.Type, e.Error.Message))
		}
		return &r, fmt.Errorf("kibana imported %d of %d saved objects: %s", r.SuccessCount, len(objs), strings.Join(msgs, "; "))
	}
	return &r, nil
}
