package index

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

//go:embed templates/mappings.json
var mappingsJSON []byte

// Mappings returns the mappings every cluster gets: dynamic mapping off,
// so a stray field cannot change the mapping, and only core field types.
func Mappings() json.RawMessage { return json.RawMessage(bytes.Clone(mappingsJSON)) }

// Capabilities are the optional features of a cluster that the index
// template uses when present. The Elasticsearch distribution without
// optional modules has neither; the official image has both.
type Capabilities struct {
	// English is the english analyzer (module analysis-common): title,
	// summary and content get a stemmed .english sub-field.
	English bool `json:"english"`
	// ILM is index lifecycle management: the monthly indices get a policy
	// that force-merges and makes read-only the months that are over.
	ILM bool `json:"ilm"`
}

// Detect asks the cluster which optional features it has: it runs the
// english analyzer on a word and lists the lifecycle policies. A feature
// is absent when the cluster says it does not know it; any other failure
// (connection, credentials) is an error, so a flaky node never silently
// gets the poorer template.
func Detect(ctx context.Context, es *elasticsearch.Client) (Capabilities, error) {
	var c Capabilities
	res, err := es.Indices.Analyze(es.Indices.Analyze.WithContext(ctx),
		es.Indices.Analyze.WithBody(bytes.NewReader([]byte(`{"analyzer":"english","text":"running"}`))))
	if err != nil {
		return c, fmt.Errorf("probing the english analyzer: %w", err)
	}
	switch {
	case res.StatusCode == http.StatusOK:
		c.English = true
	case res.StatusCode == http.StatusBadRequest:
		// "failed to find global analyzer [english]": no analysis-common.
	default:
		defer res.Body.Close()
		return c, responseError("probing the english analyzer", res)
	}
	res.Body.Close()

	res, err = es.ILM.GetLifecycle(es.ILM.GetLifecycle.WithContext(ctx))
	if err != nil {
		return c, fmt.Errorf("probing index lifecycle management: %w", err)
	}
	defer res.Body.Close()
	switch res.StatusCode {
	case http.StatusOK:
		c.ILM = true
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed:
		// No handler for _ilm: the module is absent (405 on a node that
		// knows the path only for other methods).
	default:
		return c, responseError("probing index lifecycle management", res)
	}
	return c, nil
}

// Template is everything Setup installs for one alias: component
// templates, the composable index template built from them and, on
// clusters with ILM, the lifecycle policy.
type Template struct {
	Alias      string
	Components map[string]json.RawMessage // name → component template body
	Index      json.RawMessage            // composable index template body
	Policy     json.RawMessage            // ILM policy body; nil without ILM
}

// Names of what Template installs, derived from the alias so that two
// aliases on one cluster (tests, staging) never share a template.
func settingsComponent(alias string) string { return alias + "@settings" }
func mappingsComponent(alias string) string { return alias + "@mappings" }
func englishComponent(alias string) string  { return alias + "@english" }
func policyName(alias string) string        { return alias + "-policy" }

// NewTemplate returns the template for alias on a cluster with caps: the
// indices alias-YYYY.MM join alias when they are created, one per month
// of publication.
func NewTemplate(alias string, caps Capabilities) (*Template, error) {
	t := &Template{Alias: alias, Components: map[string]json.RawMessage{}}
	index := map[string]any{
		"number_of_shards":     1,
		"auto_expand_replicas": "0-1",
		"refresh_interval":     "1s",
		// Monthly indices are few and small; the default limit of 1000
		// fields leaves room for hundreds of topics under topic_scores.
		"mapping": map[string]any{"total_fields": map[string]any{"limit": 2000}},
	}
	if caps.ILM {
		index["lifecycle"] = map[string]any{"name": policyName(alias)}
		policy, err := json.Marshal(map[string]any{"policy": map[string]any{
			"_meta": map[string]any{"managed_by": "newsflow"},
			"phases": map[string]any{
				"hot": map[string]any{"min_age": "0ms", "actions": map[string]any{"set_priority": map[string]any{"priority": 100}}},
				// A month is over after 31 days at most; late articles of
				// it still arrive for a while, so wait past that.
				"warm": map[string]any{"min_age": "45d", "actions": map[string]any{
					"set_priority": map[string]any{"priority": 50},
					"forcemerge":   map[string]any{"max_num_segments": 1},
				}},
			},
		}})
		if err != nil {
			return nil, err
		}
		t.Policy = policy
	}
	var err error
	if t.Components[settingsComponent(alias)], err = json.Marshal(map[string]any{
		"template": map[string]any{"settings": map[string]any{"index": index}},
		"_meta":    map[string]any{"managed_by": "newsflow"},
	}); err != nil {
		return nil, err
	}
	if t.Components[mappingsComponent(alias)], err = json.Marshal(map[string]any{
		"template": map[string]any{"mappings": Mappings()},
		"_meta":    map[string]any{"managed_by": "newsflow"},
	}); err != nil {
		return nil, err
	}
	composedOf := []string{settingsComponent(alias), mappingsComponent(alias)}
	if caps.English {
		// A later component replaces a field's whole definition, so each
		// text field is restated with its keyword sub-field.
		english := map[string]any{"type": "text", "analyzer": "english"}
		props := map[string]any{
			"title": map[string]any{"type": "text", "fields": map[string]any{
				"keyword": map[string]any{"type": "keyword", "ignore_above": 512},
				"english": english,
			}},
			"summary": map[string]any{"type": "text", "fields": map[string]any{"english": english}},
			"content": map[string]any{"type": "text", "fields": map[string]any{"english": english}},
		}
		if t.Components[englishComponent(alias)], err = json.Marshal(map[string]any{
			"template": map[string]any{"mappings": map[string]any{"properties": props}},
			"_meta":    map[string]any{"managed_by": "newsflow"},
		}); err != nil {
			return nil, err
		}
		composedOf = append(composedOf, englishComponent(alias))
	}
	if t.Index, err = json.Marshal(map[string]any{
		"index_patterns": []string{alias + "-*"},
		"priority":       200,
		"composed_of":    composedOf,
		"template":       map[string]any{"aliases": map[string]any{alias: map[string]any{}}},
		"_meta": map[string]any{
			"managed_by":   "newsflow",
			"description":  "newsflow enriched articles, one index per month of publication",
			"capabilities": caps,
		},
	}); err != nil {
		return nil, err
	}
	return t, nil
}

// Setup detects what the cluster offers and installs the richest template
// it supports for alias, then creates the current month's index so the
// alias exists before the first article arrives. It is idempotent: run
// again, it updates the policy and templates (they apply to indices
// created afterwards) and leaves existing indices alone.
func Setup(ctx context.Context, es *elasticsearch.Client, alias string) (Capabilities, error) {
	caps, err := Detect(ctx, es)
	if err != nil {
		return caps, err
	}
	t, err := NewTemplate(alias, caps)
	if err != nil {
		return caps, err
	}
	if err := t.Install(ctx, es); err != nil {
		return caps, err
	}
	return caps, ensureIndex(ctx, es, IndexName(alias, time.Now()))
}

// Install puts the policy, the component templates and the index template,
// in the order in which each refers to the ones before.
func (t *Template) Install(ctx context.Context, es *elasticsearch.Client) error {
	if t.Policy != nil {
		res, err := es.ILM.PutLifecycle(policyName(t.Alias), es.ILM.PutLifecycle.WithBody(bytes.NewReader(t.Policy)),
			es.ILM.PutLifecycle.WithContext(ctx))
		if err := check("installing lifecycle policy "+policyName(t.Alias), res, err); err != nil {
			return err
		}
	}
	for name, body := range t.Components {
		res, err := es.Cluster.PutComponentTemplate(name, bytes.NewReader(body), es.Cluster.PutComponentTemplate.WithContext(ctx))
		if err := check("installing component template "+name, res, err); err != nil {
			return err
		}
	}
	res, err := es.Indices.PutIndexTemplate(t.Alias, bytes.NewReader(t.Index), es.Indices.PutIndexTemplate.WithContext(ctx))
	return check("installing index template "+t.Alias, res, err)
}

// check closes res and turns a failed request or response into an error.
func check(what string, res *esapi.Response, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return responseError(what, res)
	}
	return nil
}

// ensureIndex creates the index name unless it exists; the template gives
// it its mappings and joins it to the alias.
func ensureIndex(ctx context.Context, es *elasticsearch.Client, name string) error {
	res, err := es.Indices.Create(name, es.Indices.Create.WithContext(ctx), es.Indices.Create.WithWaitForActiveShards("1"))
	if err != nil {
		return fmt.Errorf("creating index %s: %w", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusBadRequest {
		var e struct {
			Error esError `json:"error"`
		}
		if json.NewDecoder(res.Body).Decode(&e) == nil && e.Error.Type == "resource_already_exists_exception" {
			return nil
		}
		return fmt.Errorf("creating index %s: HTTP 400: %s: %s", name, e.Error.Type, e.Error.Reason)
	}
	if res.IsError() {
		return responseError("creating index "+name, res)
	}
	return nil
}
