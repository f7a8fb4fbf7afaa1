// Package entities finds the people (PER), organizations (ORG), locations
// (LOC) and other names (MISC) in English news text with a statistical
// sequence tagger trained on CoNLL-2003, and resolves them within an
// article to one canonical name each.
//
// The tagger is a first-order linear-chain model over BILOU classes,
// decoded with Viterbi and trained as a structured averaged perceptron,
// with word, shape, affix, context, word-cluster, gazetteer,
// previous-class and document-level features. The trained model
// (model/ner-v1.bin.gz, see MODEL.md) is embedded in the binary;
// cmd/nertrain trains it again.
package entities

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"unicode"
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
	docs    sync.Pool // *document scratch space
}

// Load returns the tagger with the embedded model and alias list. It
// decodes the model (about 50 ms) and may be called once per process.
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
	d, _ := t.docs.Get().(*document)
	if d == nil {
		d = new(document)
	}
	d.reset(text, t.model)
	classes := d.decode(t.model, t.model.nclass, len(t.model.types), nil, nil)
	ms := tidy(text, reconcile(d.spans(classes, t.model.types), t.dict.find(d)))
	d.text = ""
	t.docs.Put(d)
	return ms
}

// titles are courtesy titles that name a person but are not part of the
// name, as CoNLL-2003 annotates them ("Mr Assange" is "Assange").
var titles = map[string]bool{
	"Mr": true, "Mr.": true, "Mrs": true, "Mrs.": true, "Ms": true, "Ms.": true, "Miss": true,
	"Dr": true, "Dr.": true, "Sir": true, "Dame": true, "Prof": true, "Prof.": true,
}

// tidy drops mentions without a letter or digit and strips a leading
// courtesy title, making the rest a person.
func tidy(text string, ms []Mention) []Mention {
	out := ms[:0]
	for _, m := range ms {
		s := text[m.Start:m.End]
		if strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			continue
		}
		if sp := strings.IndexByte(s, ' '); sp > 0 && titles[s[:sp]] {
			rest := strings.TrimLeft(s[sp:], " ")
			m = Mention{Type: "PER", Start: m.End - len(rest), End: m.End}
		}
		out = append(out, m)
	}
	return out
}

func tagWith(m *modelData, text string) []Mention {
	d := prepare(text, m)
	classes := d.decode(m, m.nclass, len(m.types), nil, nil)
	return d.spans(classes, m.types)
}
