package index

import (
	"encoding/json"
	"strings"
	"testing"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/article"
)

// FuzzToItem feeds arbitrary enriched-topic messages to the indexer's
// decoder: it must return a document or an error, never panic, and a
// document must be a JSON object that names its monthly index.
func FuzzToItem(f *testing.F) {
	for _, a := range fixtureArticles(f) {
		b, err := article.Encode(a)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(a.ID), b)
	}
	f.Add([]byte(""), []byte(`{"schema_version":1,"id":"x","topics":[{"id":"a.b","score":1e308},{"id":""}],"published_at":"0001-01-01T00:00:00Z"}`))
	f.Add([]byte("k"), []byte(`{"schema_version":1,"id":"x","places":[{"lat":1e400}]}`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		it, err := toItem(kafkago.Message{Key: key, Value: value}, "news-articles")
		if err != nil {
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(it.Doc, &doc); err != nil {
			t.Fatalf("document is not a JSON object: %v\n%s", err, it.Doc)
		}
		if it.ID == "" || !strings.HasPrefix(it.Index, "news-articles-") {
			t.Fatalf("item %q for index %q", it.ID, it.Index)
		}
	})
}

// FuzzDecodeNDJSON: saved object files come from operators' edits.
func FuzzDecodeNDJSON(f *testing.F) {
	objs, err := KibanaObjects("news-articles*", []Topic{{ID: "syria", Label: "Syria"}})
	if err != nil {
		f.Fatal(err)
	}
	b, err := EncodeNDJSON(objs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("{}\n{\"type\":\"x\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := DecodeNDJSON(data)
		if err != nil {
			return
		}
		again, err := EncodeNDJSON(objs)
		if err != nil {
			t.Fatalf("decoded objects do not encode: %v", err)
		}
		if _, err := DecodeNDJSON(again); err != nil {
			t.Fatalf("re-encoded objects do not decode: %v", err)
		}
	})
}
