// Package index writes enriched articles to Elasticsearch and manages what
// analysts search: the index template, the write alias and search. The
// Worker consumes news.articles.enriched and commits offsets only after
// Elasticsearch acknowledged every document of a batch or the document
// went to the dead-letter topic.
package index

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/newsflow/newsflow/pkg/config"
)

// NewClient returns an Elasticsearch client for cfg. It does not contact
// the cluster; Ping does.
func NewClient(cfg config.Elasticsearch) (*elasticsearch.Client, error) {
	esCfg := elasticsearch.Config{
		Addresses:     cfg.URLs,
		Username:      cfg.Username,
		Password:      cfg.Password,
		APIKey:        cfg.APIKey,
		RetryOnStatus: []int{502, 503, 504},
		MaxRetries:    3,
		RetryBackoff:  func(attempt int) time.Duration { return time.Duration(attempt) * 200 * time.Millisecond },
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			MaxIdleConnsPerHost:   16,
			ResponseHeaderTimeout: 60 * time.Second,
			IdleConnTimeout:       90 * time.Second,
		},
	}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("reading NEWSFLOW_ES_CA_CERT: %w", err)
		}
		esCfg.CACert = pem
		esCfg.Transport = nil // the client builds a transport that trusts CACert
	}
	c, err := elasticsearch.NewClient(esCfg)
	if err != nil {
		return nil, fmt.Errorf("configuring Elasticsearch client: %w", err)
	}
	return c, nil
}

// Ping checks that the cluster answers and accepts the credentials of
// cfg, naming the setting to fix when it does not.
func Ping(ctx context.Context, es *elasticsearch.Client, cfg config.Elasticsearch) error {
	res, err := es.Cluster.Health(es.Cluster.Health.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reaching Elasticsearch at %s (NEWSFLOW_ES_URL, NEWSFLOW_ES_CA_CERT): %w", strings.Join(cfg.URLs, ","), err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized:
		switch {
		case cfg.APIKey != "":
			return errors.New("API key refused by Elasticsearch (401): check NEWSFLOW_ES_API_KEY")
		case cfg.Username != "":
			return fmt.Errorf("user %q refused by Elasticsearch (401): check NEWSFLOW_ES_USERNAME and NEWSFLOW_ES_PASSWORD", cfg.Username)
		}
		return errors.New("authentication required by Elasticsearch (401): set NEWSFLOW_ES_USERNAME and NEWSFLOW_ES_PASSWORD, or NEWSFLOW_ES_API_KEY")
	case http.StatusForbidden:
		who := "NEWSFLOW_ES_USERNAME"
		if cfg.APIKey != "" {
			who = "NEWSFLOW_ES_API_KEY"
		}
		return fmt.Errorf("access denied by Elasticsearch (403): the credentials of %s lack the cluster monitor privilege", who)
	}
	return responseError("checking cluster health", res)
}

// esError is the error object of an Elasticsearch response.
type esError struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// responseError describes a failed response from its error body.
func responseError(what string, res *esapi.Response) error {
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && len(e.Error) > 0 {
		var ee esError
		if json.Unmarshal(e.Error, &ee) == nil && ee.Type != "" {
			return fmt.Errorf("%s: HTTP %d: %s: %s", what, res.StatusCode, ee.Type, ee.Reason)
		}
		return fmt.Errorf("%s: HTTP %d: %s", what, res.StatusCode, strings.TrimSpace(string(e.Error)))
	}
	return fmt.Errorf("%s: HTTP %d: %s", what, res.StatusCode, strings.TrimSpace(string(body)))
}
