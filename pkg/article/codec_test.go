package article

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sample() *Article {
	now := time.Date(2016, 8, 26, 10, 0, 0, 0, time.UTC)
	return &Article{
		ID:          "0123456789abcdef0123456789abcdef",
		URL:         "https://www.rappler.com/world/kerry-lavrov",
		Title:       "Kerry, Lavrov meet on Syria conflict",
		Summary:     "US Secretary of State John Kerry and Russian Foreign Minister Sergei Lavrov were meeting in Geneva.",
		PublishedAt: now,
		FetchedAt:   now.Add(time.Hour),
		Feed:        Feed{URL: "https://www.rappler.com/feed"},
		Source:      Source{Name: "Rappler", Domain: "rappler.com", Country: "PH"},
		Language:    "en",
		Entities: []Entity{{ID: "per:john-kerry", Type: EntityPerson, Name: "John Kerry", Count: 1,
			Mentions: []Mention{{Field: FieldSummary, Start: 25, End: 35}}}},
		Places:        []Place{{Name: "Geneva", GeoNameID: 2660646, CountryCode: "CH", Lat: 46.20222, Lon: 6.14569}},
		Countries:     []string{"CH", "SY"},
		Topics:        []Topic{{ID: "syria", Score: 7.5, Evidence: []Evidence{{Term: "syria", Weight: 4, Field: FieldTitle, Start: 29, End: 34}}}},
		StoryID:       "s-1",
		EnrichVersion: "code=dev;taxonomy=1",
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	a := sample()
	b, err := Encode(a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Encode(got)
	if !bytes.Equal(b, again) {
		t.Errorf("round trip changed the message:\n%s\n%s", b, again)
	}
	if !strings.Contains(string(b), `"schema_version":1`) {
		t.Errorf("encoded article lacks schema_version: %s", b)
	}
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "empty message"},
		{"not JSON", "<rss>", "invalid JSON at byte 1"},
		{"wrong type", `{"schema_version":1,"id":"x","title":5}`, `field "title"`},
		{"no schema version", `{"id":"x","title":"t"}`, "schema_version is missing"},
		{"newer schema", `{"schema_version":99,"id":"x"}`, "newer than 1"},
		{"no id", `{"schema_version":1,"title":"t"}`, "id is missing"},
		{"trailing data", `{"schema_version":1,"id":"x"} {}`, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Decode(%q) error = %v, want it to mention %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestSampleValidatesAgainstSchema(t *testing.T) {
	b, _ := Encode(sample())
	if err := ValidateEnriched(b); err != nil {
		t.Errorf("encoded sample does not validate: %v", err)
	}
}

func TestSchemaCatchesContractBreaks(t *testing.T) {
	for name, mutate := range map[string]func(m map[string]any){
		"missing enrich_version": func(m map[string]any) { delete(m, "enrich_version") },
		"bad entity type":        func(m map[string]any) { m["entities"].([]any)[0].(map[string]any)["type"] = "PERSON" },
		"latitude out of range":  func(m map[string]any) { m["places"].([]any)[0].(map[string]any)["lat"] = 123.0 },
		"lower-case country":     func(m map[string]any) { m["countries"] = []any{"sy"} },
		"bad id":                 func(m map[string]any) { m["id"] = "not-a-hash" },
	} {
		t.Run(name, func(t *testing.T) {
			b, _ := Encode(sample())
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			b, _ = json.Marshal(m)
			if err := ValidateEnriched(b); err == nil {
				t.Error("schema accepted a message that breaks the contract")
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(sample())
	f.Add(b)
	f.Add([]byte(`{"schema_version":1,"id":"x","topics":[{"id":"a","evidence":[{}]}]}`))
	f.Add([]byte(`{"schema_version":1e400}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Decode(in)
		if err != nil {
			return
		}
		// Whatever decodes must encode and decode to the same article.
		out, err := Encode(a)
		if err != nil {
			t.Fatalf("decoded article does not encode: %v", err)
		}
		if _, err := Decode(out); err != nil {
			t.Fatalf("re-encoded article does not decode: %v\n%s", err, out)
		}
	})
}
