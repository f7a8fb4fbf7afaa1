package deploy

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// exported is what the code exports to Prometheus, found in its source:
// every "newsflow_…" string literal outside tests, and every other string
// literal, among which are the label names and constant label values.
type exported struct {
	metrics  map[string]bool
	literals map[string]bool
}

var (
	metricLiteral = regexp.MustCompile(`"(newsflow_[a-z0-9_]+)"`)
	stringLiteral = regexp.MustCompile(`"([^"\\\n]*)"`)
)

func exportedMetrics(t *testing.T) exported {
	t.Helper()
	ex := exported{metrics: map[string]bool{}, literals: map[string]bool{}}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "deploy", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range metricLiteral.FindAllSubmatch(src, -1) {
			ex.metrics[string(m[1])] = true
		}
		for _, m := range stringLiteral.FindAllSubmatch(src, -1) {
			ex.literals[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.metrics) < 5 {
		t.Fatalf("found only %d newsflow metrics in the source: %v", len(ex.metrics), ex.metrics)
	}
	return ex
}

// has reports whether name is exported, directly or as a series of a
// histogram or summary.
func (ex exported) has(name string) bool {
	if ex.metrics[name] {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && ex.metrics[base] {
			return true
		}
	}
	return false
}

var (
	newsflowName = regexp.MustCompile(`\bnewsflow[_:][a-zA-Z0-9_:]+`)
	selector     = regexp.MustCompile(`\b(newsflow_[a-z0-9_]+)\{([^}]*)\}`)
	matcher      = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!=|!~|=)\s*"([^"]*)"`)
)

// targetLabels are attached by Prometheus, not by the code.
var targetLabels = map[string]bool{"job": true, "instance": true, "namespace": true, "pod": true}

// checkExpr reports the metrics, label names and label values of expr
// that the code does not export. recorded holds the recording rules' names.
func checkExpr(ex exported, recorded map[string]bool, expr string) []string {
	var problems []string
	for _, name := range newsflowName.FindAllString(expr, -1) {
		if strings.Contains(name, ":") {
			if !recorded[name] {
				problems = append(problems, "recording rule "+name+" is not defined")
			}
			continue
		}
		if !ex.has(name) {
			problems = append(problems, "metric "+name+" is not exported by the code")
		}
	}
	for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
		for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
			label, op, value := m[1], m[2], m[3]
			if targetLabels[label] {
				continue
			}
			if !ex.literals[label] {
				problems = append(problems, sel[1]+" has no label "+label)
			}
			if op == "=" && !ex.literals[value] {
				problems = append(problems, sel[1]+"{"+label+"} never takes the value "+value)
			}
		}
	}
	return problems
}

type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Record      string            `yaml:"record"`
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func decodeStrict(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func ruleFiles(t *testing.T) map[string]ruleFile {
	t.Helper()
	paths, err := filepath.Glob("prometheus/rules/*.yml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no rule files in prometheus/rules: %v", err)
	}
	out := map[string]ruleFile{}
	for _, p := range paths {
		var rf ruleFile
		decodeStrict(t, p, &rf)
		out[p] = rf
	}
	return out
}

func TestAlertRules(t *testing.T) {
	ex := exportedMetrics(t)
	files := ruleFiles(t)
	recorded := map[string]bool{}
	for _, rf := range files {
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
	alerts := map[string]bool{}
	for path, rf := range files {
		if len(rf.Groups) == 0 {
			t.Errorf("%s has no groups", path)
		}
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				name := r.Alert + r.Record
				if (r.Alert == "") == (r.Record == "") {
					t.Errorf("%s: a rule must be an alert or a recording rule: %+v", path, r)
				}
				if strings.TrimSpace(r.Expr) == "" {
					t.Errorf("%s: %s has no expression", path, name)
				}
				if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
					t.Errorf("%s: %s: unbalanced parentheses in %q", path, name, r.Expr)
				}
				for _, p := range checkExpr(ex, recorded, r.Expr) {
					t.Errorf("%s: %s: %s", path, name, p)
				}
				if r.For != "" {
					if _, err := model.ParseDuration(r.For); err != nil {
						t.Errorf("%s: %s: for %q: %v", path, name, r.For, err)
					}
				}
				if r.Alert == "" {
					continue
				}
				alerts[r.Alert] = true
				if s := r.Labels["severity"]; s != "warning" && s != "critical" {
					t.Errorf("%s: %s: severity %q, want warning or critical", path, name, s)
				}
				if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: %s lacks a summary or description", path, name)
				}
			}
		}
	}
	for _, want := range []string{"NewsflowConsumerLagGrowing", "NewsflowFeedsFailing", "NewsflowDeadLettersEnrich", "NewsflowDeadLettersIndex", "NewsflowIndexerStalled"} {
		if !alerts[want] {
			t.Errorf("no alert %s", want)
		}
	}
}

// TestCheckExprCatchesDrift makes sure the checks above can fail.
func TestCheckExprCatchesDrift(t *testing.T) {
	ex := exportedMetrics(t)
	for expr, want := range map[string]string{
		`rate(newsflow_index_documents_totl[5m])`:                               "not exported",
		`newsflow_index_documents_total{outcome="dropped"}`:                     "never takes the value dropped",
		`newsflow_index_documents_total{result="dead_lettered"}`:                "has no label result",
		`newsflow:nothing:sum > 1`:                                              "not defined",
		`histogram_quantile(0.9, newsflow_index_batch_duration_seconds_bucket)`: "",
	} {
		got := strings.Join(checkExpr(ex, nil, expr), "; ")
		if (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("checkExpr(%q) = %q, want a problem containing %q", expr, got, want)
		}
	}
}

func TestPrometheusConfig(t *testing.T) {
	var cfg struct {
		Global        map[string]any   `yaml:"global"`
		RuleFiles     []string         `yaml:"rule_files"`
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	decodeStrict(t, "prometheus/prometheus.yml", &cfg)
	if len(cfg.RuleFiles) == 0 || !strings.HasPrefix(cfg.RuleFiles[0], "/etc/prometheus/rules/") {
		t.Errorf("rule_files %v do not load the mounted rules", cfg.RuleFiles)
	}
	jobs := map[string]bool{}
	for _, sc := range cfg.ScrapeConfigs {
		jobs[sc["job_name"].(string)] = true
	}
	for _, stage := range stages {
		if !jobs["newsflow-"+stage] {
			t.Errorf("no scrape job newsflow-%s", stage)
		}
	}

	var k8s struct {
		ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
	}
	decodeStrict(t, "prometheus/scrape-kubernetes.yml", &k8s)
	if len(k8s.ScrapeConfigs) != 1 {
		t.Errorf("scrape-kubernetes.yml has %d jobs, want 1", len(k8s.ScrapeConfigs))
	}
}
