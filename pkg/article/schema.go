package article

import (
	"bytes"
	_ "embed"
	"fmt"
	"slices"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schema/article-enriched.v1.schema.json
var enrichedSchema []byte

// EnrichedSchema returns the JSON Schema (draft 2020-12) of a message on
// news.articles.enriched, as published to downstream services.
func EnrichedSchema() []byte { return slices.Clone(enrichedSchema) }

// compiled is the enriched schema, compiled once on first use.
var compiled = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(enrichedSchema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("article-enriched.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("article-enriched.json")
})

// ValidateEnriched checks a message against the enriched-article schema
// and says which field breaks it.
func ValidateEnriched(msg []byte) error {
	s, err := compiled()
	if err != nil {
		return fmt.Errorf("compiling the enriched-article schema: %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return fmt.Errorf("validating article: %w", err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("validating article against the enriched schema: %w", err)
	}
	return nil
}
