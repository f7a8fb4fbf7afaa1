// Package entities finds the people (PER), organizations (ORG), locations
// (LOC) and other names (MISC) in English news text with a statistical
// sequence tagger trained on CoNLL-2003, and resolves them within an
// article to one canonical name each.
//
// The tagger is a greedy averaged perceptron over BILOU tags with word,
// shape, affix, context, gazetteer, previous-prediction and
// document-level features; the trained model is embedded in the binary.
package entities

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
)

// ModelFile is the embedded model's file name under model/.
const ModelFile = "ner-v1.bin.gz"

//go:embed model/ner-v1.bin.gz
var embeddedModel []byte

// Mention is one entity mention in a text: its type ("PER", "ORG", "LOC"
// or "MISC") and its byte offsets, End exclusive.
type Mention struct {
	Type       string
	Start, End int
}

// Field is one named text of an article; Name is article.FieldTitle,
// FieldSummary or FieldContent.
type Field struct {
	Name, Text string
}

// Tagger tags entity mentions with a trained model. It is immutable and
// safe for concurrent use.
type Tagger struct {
	model   *modelData
	aliases *aliasTable
	dict    *dictionary
	version string
}

// Load returns the tagger with the embedded model and alias list.
func Load() (*Tagger, error) {
	m, err := decodeModel(embeddedModel)
	if err != nil {
		return nil, fmt.Errorf("loading embedded NER model %s: %w", ModelFile, err)
	}
	al, err := parseAliases(embeddedAliases)
	if err != nil {
		return nil, fmt.Errorf("loading embedded aliases: %w", err)
	}
	sum := sha256.Sum256(embeddedModel)
	return &Tagger{model: m, aliases: al, dict: newDictionary(al), version: "ner-v1+" + hex.EncodeToString(sum[:4])}, nil
}

// Version names the model, with a digest of its file, for enrich_version.
func (t *Tagger) Version() string { return t.version }

// Tag returns the entity mentions in text, in order. Names of the alias
// file are found even where the model misses them, and give their type.
// It does no I/O.
func (t *Tagger) Tag(text string) []Mention {
	d := prepare(text, t.model)
	classes := d.decode(t.model, t.model.nclass, len(t.model.types), nil, nil)
	return reconcile(d.spans(classes, t.model.types), t.dict.find(d))
}

func tagWith(m *modelData, text string) []Mention {
	d := prepare(text, m)
	classes := d.decode(m, m.nclass, len(m.types), nil, nil)
	return d.spans(classes, m.types)
}
