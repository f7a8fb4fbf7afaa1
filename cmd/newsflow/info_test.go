package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/pkg/config"
)

func TestConfigRedactsSecrets(t *testing.T) {
	env := map[string]string{
		"NEWSFLOW_ES_USERNAME":   "newsflow",
		"NEWSFLOW_ES_PASSWORD":   "hunter2-password",
		"NEWSFLOW_ES_API_KEY":    "c2VjcmV0LWFwaS1rZXk=",
		"NEWSFLOW_KAFKA_BROKERS": "kafka-1:9092,kafka-2:9092",
	}
	code, out, stderr := runCmd(env, "config", "--enrich-group", "night-shift")
	if code != 0 {
		t.Fatalf("newsflow config exited %d: %s", code, stderr)
	}
	for _, secret := range []string{"hunter2", "c2VjcmV0"} {
		if strings.Contains(out, secret) {
			t.Errorf("newsflow config shows the secret %q:\n%s", secret, out)
		}
	}
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(l)
		if len(f) > 1 {
			lines[f[0]] = strings.Join(f[1:], " ")
		}
	}
	for name, want := range map[string]string{
		"NEWSFLOW_ES_PASSWORD":   "<redacted> (set)",
		"NEWSFLOW_ES_API_KEY":    "<redacted> (set)",
		"NEWSFLOW_ES_USERNAME":   "newsflow (set)",
		"NEWSFLOW_KAFKA_BROKERS": "kafka-1:9092,kafka-2:9092 (set)",
		"NEWSFLOW_ENRICH_GROUP":  "night-shift (set)",
		"NEWSFLOW_TOPIC_RAW":     "news.articles.raw",
	} {
		if lines[name] != want {
			t.Errorf("%s shows %q, want %q", name, lines[name], want)
		}
	}
	if n, want := len(strings.Split(strings.TrimSpace(out), "\n")), len(config.Settings(config.Default())); n != want {
		t.Errorf("newsflow config printed %d lines, want one per setting (%d)", n, want)
	}
}

func TestConfigReference(t *testing.T) {
	code, out, _ := runCmd(nil, "config", "--reference")
	if code != 0 || out != config.Reference() {
		t.Errorf("newsflow config --reference exited %d, printed something other than config.Reference()", code)
	}
	if code, _, stderr := runCmd(nil, "config", "--update", "README.md"); code != 2 || !strings.Contains(stderr, "--update needs --reference") {
		t.Errorf("--update without --reference: exit %d, %q", code, stderr)
	}
}

func TestConfigReferenceUpdatesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "OPS.md")
	doc := "# Ops\n\n" + config.ReferenceBegin + "\nstale\n" + config.ReferenceEnd + "\n\nmore\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(nil, "config", "--reference", "--update", path); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "# Ops\n\n" + config.ReferenceBegin + "\n" + config.Reference() + config.ReferenceEnd + "\n\nmore\n"
	if string(got) != want {
		t.Errorf("updated file:\n%s", got)
	}
	if err := os.WriteFile(path, []byte("# no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(nil, "config", "--reference", "--update", path); code == 0 || !strings.Contains(stderr, "marker") {
		t.Errorf("a file without markers: exit %d, %q", code, stderr)
	}
}
