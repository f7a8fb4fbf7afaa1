package index

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/elastic/go-elasticsearch/v8"
)

//go:embed templates/mappings.json
var mappingsJSON []byte

// Mappings returns the mappings of the article index.
func Mappings() json.RawMessage { return json.RawMessage(bytes.Clone(mappingsJSON)) }

// firstIndex is the suffix of the first index behind a write alias, in the
// form rollover continues.
const firstIndex = "-000001"

// Setup installs the index template for alias and, when the alias does
// not exist yet, creates the first index with alias as its write alias. It
// is idempotent: run again, it updates the template and leaves existing
// indices alone.
func Setup(ctx context.Context, es *elasticsearch.Client, alias string) error {
	if err := putTemplate(ctx, es, alias); err != nil {
		return err
	}
	return ensureWriteAlias(ctx, es, alias)
}

// templateBody is the composable index template for the indices behind
// alias.
func templateBody(alias string) ([]byte, error) {
	return json.Marshal(map[string]any{
		"index_patterns": []string{alias + "-*"},
		"priority":       200,
		"template": map[string]any{
			"settings": map[string]any{
				"index": map[string]any{
					"number_of_shards":     1,
					"number_of_replicas":   0,
					"refresh_interval":     "1s",
					"auto_expand_replicas": "0-1",
				},
			},
			"mappings": Mappings(),
		},
		"_meta": map[string]any{"managed_by": "newsflow", "description": "newsflow enriched articles"},
	})
}

func putTemplate(ctx context.Context, es *elasticsearch.Client, alias string) error {
	body, err := templateBody(alias)
	if err != nil {
		return err
	}
	res, err := es.Indices.PutIndexTemplate(alias, bytes.NewReader(body), es.Indices.PutIndexTemplate.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("installing index template %s: %w", alias, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		return responseError("installing index template "+alias, res)
	}
	return nil
}

func ensureWriteAlias(ctx context.Context, es *elasticsearch.Client, alias string) error {
	res, err := es.Indices.ExistsAlias([]string{alias}, es.Indices.ExistsAlias.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("checking alias %s: %w", alias, err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := json.Marshal(map[string]any{
		"aliases": map[string]any{alias: map[string]any{"is_write_index": true}},
	})
	name := alias + firstIndex
	res, err = es.Indices.Create(name, es.Indices.Create.WithBody(bytes.NewReader(body)), es.Indices.Create.WithContext(ctx),
		es.Indices.Create.WithWaitForActiveShards("1"))
	if err != nil {
		return fmt.Errorf("creating index %s: %w", name, err)
	}
	defer res.Body.Close()
	if res.IsError() {
		// Another setup may have created it at the same moment.
		if res.StatusCode == http.StatusBadRequest {
			check, err := es.Indices.ExistsAlias([]string{alias}, es.Indices.ExistsAlias.WithContext(ctx))
			if err == nil {
				check.Body.Close()
				if check.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		return responseError("creating index "+name, res)
	}
	return nil
}
