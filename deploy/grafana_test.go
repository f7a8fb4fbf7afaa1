package deploy

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Query   string `json:"query"`
			Current struct {
				Value string `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int    `json:"id"`
		Type       string `json:"type"`
		Title      string `json:"title"`
		Datasource *struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		GridPos struct{ X, Y, W, H int } `json:"gridPos"`
		Targets []struct {
			Expr       string `json:"expr"`
			Datasource *struct {
				UID string `json:"uid"`
			} `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

const dashboardFile = "grafana/dashboards/newsflow-pipeline.json"

func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard has no uid or title")
	}
	var dsVar string
	for _, v := range d.Templating.List {
		if v.Type == "datasource" && v.Query == "prometheus" {
			dsVar = "${" + v.Name + "}"
		}
	}
	if dsVar == "" {
		t.Fatal("the dashboard has no Prometheus data source variable")
	}
	ex := exportedMetrics(t)
	ids := map[int]bool{}
	queried := map[string]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d is used twice", p.ID)
		}
		ids[p.ID] = true
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: grid position %+v is off the 24-column grid", p.Title, g)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != dsVar {
			t.Errorf("panel %q does not use the data source variable %s", p.Title, dsVar)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			if strings.TrimSpace(q.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			if strings.Count(q.Expr, "(") != strings.Count(q.Expr, ")") {
				t.Errorf("panel %q: unbalanced parentheses in %q", p.Title, q.Expr)
			}
			for _, problem := range checkExpr(ex, nil, q.Expr) {
				t.Errorf("panel %q: %s", p.Title, problem)
			}
			for _, name := range newsflowName.FindAllString(q.Expr, -1) {
				queried[name] = true
			}
		}
	}
	// The pipeline's core metrics each have a panel; a metric added
	// since is reported, for the next revision of the dashboard.
	core := []string{
		"newsflow_ingest_articles_published_total", "newsflow_ingest_fetches_total", "newsflow_ingest_feeds_failing",
		"newsflow_ingest_fetch_duration_seconds", "newsflow_enrich_articles_total", "newsflow_enrich_batch_duration_seconds",
		"newsflow_enrich_topics_total", "newsflow_index_documents_total", "newsflow_index_batch_duration_seconds",
		"newsflow_index_last_ack_timestamp_seconds", "newsflow_kafka_consumer_lag", "newsflow_ready", "newsflow_build_info",
	}
	shown := func(name string) bool { return queried[name] || queried[name+"_bucket"] }
	for _, name := range core {
		if !shown(name) {
			t.Errorf("the dashboard shows no panel of %s", name)
		}
	}
	for name := range ex.metrics {
		if !shown(name) {
			t.Logf("no panel shows %s yet", name)
		}
	}
}

func TestGrafanaProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name      string         `yaml:"name"`
			UID       string         `yaml:"uid"`
			Type      string         `yaml:"type"`
			Access    string         `yaml:"access"`
			URL       string         `yaml:"url"`
			IsDefault bool           `yaml:"isDefault"`
			Editable  bool           `yaml:"editable"`
			JSONData  map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	decodeStrict(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("data source provisioning: %+v", ds.Datasources)
	}

	var dash struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Name                  string `yaml:"name"`
			Folder                string `yaml:"folder"`
			Type                  string `yaml:"type"`
			DisableDeletion       bool   `yaml:"disableDeletion"`
			AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
			UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
			Options               struct {
				Path                      string `yaml:"path"`
				FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	decodeStrict(t, "grafana/provisioning/dashboards/newsflow.yml", &dash)
	if len(dash.Providers) != 1 {
		t.Fatalf("%d dashboard providers, want 1", len(dash.Providers))
	}
	// The provider reads where compose mounts deploy/grafana/dashboards.
	grafana := project(t).Services["grafana"]
	var mounted bool
	for _, v := range grafana.Volumes {
		if strings.HasSuffix(v.Source, "/deploy/grafana/dashboards") && v.Target == dash.Providers[0].Options.Path {
			mounted = true
		}
	}
	if !mounted {
		t.Errorf("compose does not mount deploy/grafana/dashboards at %s", dash.Providers[0].Options.Path)
	}
}
