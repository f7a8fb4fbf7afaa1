package config

import (
	"bytes"
	"flag"
	"io"
	"strings"
	"testing"
)

// FuzzLoad feeds hostile values to every setting: Load and Validate must
// return an error naming the variable, never panic.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"", "10MiB", "-1", "30s", "kafka:9092,", "http://[::1", "9999999999999999999999", "\x00", "1e9GiB", "NaN"} {
		f.Add(seed)
	}
	settings := Settings(Default())
	f.Fuzz(func(t *testing.T, raw string) {
		for _, s := range settings {
			fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			c, err := Load(fs, nil, func(k string) (string, bool) {
				if k == s.Env {
					return raw, true
				}
				return "", false
			})
			if err != nil {
				if !strings.Contains(err.Error(), s.Env) {
					t.Fatalf("error %q for %s=%q does not name it", err, s.Env, raw)
				}
				continue
			}
			_ = c.Validate(NeedKafka | NeedElasticsearch | NeedIndex)
		}
	})
}

// FuzzSpliceReference splices into arbitrary documents: either an error,
// or a document that keeps what is outside the markers and yields the
// reference back.
func FuzzSpliceReference(f *testing.F) {
	f.Add([]byte("# Doc\n" + ReferenceBegin + "\nold\n" + ReferenceEnd + "\nend\n"))
	f.Add([]byte(ReferenceEnd + ReferenceBegin))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := SpliceReference(doc, "| ref |\n")
		if err != nil {
			return
		}
		if !bytes.HasPrefix(out, doc[:bytes.Index(doc, []byte(ReferenceBegin))]) {
			t.Fatalf("the text before the begin marker changed")
		}
		got, err := ExtractReference(out)
		if err != nil || got != "| ref |\n" {
			t.Fatalf("ExtractReference after splice = %q, %v", got, err)
		}
	})
}
