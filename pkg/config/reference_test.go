package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReferenceListsEverySetting(t *testing.T) {
	ref := Reference()
	for _, s := range Settings(Default()) {
		row := "| `" + s.Env + "` | `--" + s.Flag + "` |"
		if n := strings.Count(ref, row); n != 1 {
			t.Errorf("reference has %d rows for %s, want 1", n, s.Env)
		}
		if s.Secret && !strings.Contains(ref, s.Env+"` | `--"+s.Flag+"` |  | "+s.Help) {
			t.Errorf("reference row of secret %s shows a default or lacks its help", s.Env)
		}
	}
	for _, group := range []string{"Kafka", "Topics", "Elasticsearch", "Kibana", "Ingest", "Enrich", "Index", "Telemetry"} {
		if !strings.Contains(ref, "#### "+group+"\n") {
			t.Errorf("reference lacks the %s group", group)
		}
	}
}

func TestSpliceReference(t *testing.T) {
	doc := []byte("# Doc\n\nintro\n" + ReferenceBegin + "\nold table\n" + ReferenceEnd + "\n\nafter\n")
	out, err := SpliceReference(doc, "| new |\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Doc\n\nintro\n" + ReferenceBegin + "\n| new |\n" + ReferenceEnd + "\n\nafter\n"
	if string(out) != want {
		t.Errorf("spliced:\n%s\nwant:\n%s", out, want)
	}
	got, err := ExtractReference(out)
	if err != nil || got != "| new |\n" {
		t.Errorf("ExtractReference = %q, %v", got, err)
	}
	for name, bad := range map[string]string{
		"no markers":  "# Doc\n",
		"no end":      ReferenceBegin + "\n| t |\n",
		"end first":   ReferenceEnd + "\n" + ReferenceBegin + "\n",
		"begin twice": ReferenceBegin + "\n" + ReferenceBegin + "\n" + ReferenceEnd,
	} {
		if _, err := SpliceReference([]byte(bad), "x"); err == nil {
			t.Errorf("%s: SpliceReference succeeded", name)
		}
	}
}

// TestReadmeReferenceIsCurrent fails when a setting was added or changed
// without regenerating README.md's configuration reference.
func TestReadmeReferenceIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ExtractReference(doc)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if want := Reference(); got != want {
		t.Errorf("the configuration reference in README.md is out of date; run `make config-doc`.\nREADME has:\n%s\ngenerated:\n%s", got, want)
	}
}
