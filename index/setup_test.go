package index

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
)

// fakeCluster answers the requests of Setup as a cluster with or without
// the optional modules does, and records what was installed.
type fakeCluster struct {
	english, ilm bool
	healthStatus int // status of every probe when set, e.g. 401

	mu  sync.Mutex
	put map[string]string // path → body
}

func (f *fakeCluster) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	w.Header().Set("Content-Type", "application/json")
	body, _ := io.ReadAll(r.Body)
	if f.healthStatus != 0 {
		w.WriteHeader(f.healthStatus)
		io.WriteString(w, `{"error":{"type":"security_exception","reason":"unable to authenticate"},"status":401}`)
		return
	}
	switch {
	case r.URL.Path == "/_analyze":
		if f.english {
			io.WriteString(w, `{"tokens":[{"token":"run"}]}`)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":{"type":"illegal_argument_exception","reason":"failed to find global analyzer [english]"},"status":400}`)
	case r.URL.Path == "/_ilm/policy" && r.Method == http.MethodGet:
		if f.ilm {
			io.WriteString(w, `{}`)
			return
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
		io.WriteString(w, `{"error":"Incorrect HTTP method for uri [/_ilm/policy] and method [GET], allowed: [POST]","status":405}`)
	case r.Method == http.MethodPut:
		f.mu.Lock()
		f.put[r.URL.Path] = string(body)
		f.mu.Unlock()
		io.WriteString(w, `{"acknowledged":true}`)
	default:
		http.NotFound(w, r)
	}
}

func TestSetupDecidesByCapabilities(t *testing.T) {
	alias := "news-articles"
	month := IndexName(alias, time.Now())
	tests := []struct {
		name         string
		english, ilm bool
		wantPaths    []string
		wantEnglish  bool
	}{
		{"core only", false, false, []string{
			"/_component_template/news-articles@mappings", "/_component_template/news-articles@settings",
			"/_index_template/news-articles", "/" + month,
		}, false},
		{"official image", true, true, []string{
			"/_component_template/news-articles@english", "/_component_template/news-articles@mappings",
			"/_component_template/news-articles@settings", "/_ilm/policy/news-articles-policy",
			"/_index_template/news-articles", "/" + month,
		}, true},
		{"english without ILM", true, false, []string{
			"/_component_template/news-articles@english", "/_component_template/news-articles@mappings",
			"/_component_template/news-articles@settings", "/_index_template/news-articles", "/" + month,
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeCluster{english: tt.english, ilm: tt.ilm, put: map[string]string{}}
			srv := httptest.NewServer(f)
			defer srv.Close()
			cfg := config.Default().Elasticsearch
			cfg.URLs = []string{srv.URL}
			es, err := NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			caps, err := Setup(context.Background(), es, alias)
			if err != nil {
				t.Fatal(err)
			}
			if caps != (Capabilities{English: tt.english, ILM: tt.ilm}) {
				t.Errorf("capabilities = %+v", caps)
			}
			got := keys(f.put)
			if !slices.Equal(got, tt.wantPaths) {
				t.Errorf("installed %v, want %v", got, tt.wantPaths)
			}
			settings := f.put["/_component_template/news-articles@settings"]
			if strings.Contains(settings, "lifecycle") != tt.ilm {
				t.Errorf("settings %s: lifecycle policy set = %v, want %v", settings, !tt.ilm, tt.ilm)
			}
			var it struct {
				ComposedOf []string `json:"composed_of"`
			}
			if err := json.Unmarshal([]byte(f.put["/_index_template/news-articles"]), &it); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(it.ComposedOf, "news-articles@english") != tt.wantEnglish {
				t.Errorf("composed_of %v: english component wanted %v", it.ComposedOf, tt.wantEnglish)
			}
		})
	}
}

func TestDetectFailsOnAuthError(t *testing.T) {
	srv := httptest.NewServer(&fakeCluster{healthStatus: http.StatusUnauthorized, put: map[string]string{}})
	defer srv.Close()
	cfg := config.Default().Elasticsearch
	cfg.URLs = []string{srv.URL}
	es, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// A refused probe must not pass for an absent module: that would
	// install the poorer template on a rich cluster.
	if _, err := Detect(context.Background(), es); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Detect = %v, want the 401", err)
	}
}

func TestEnglishComponentKeepsKeyword(t *testing.T) {
	tpl, err := NewTemplate("a", Capabilities{English: true})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Template struct {
			Mappings struct {
				Properties map[string]struct {
					Fields map[string]struct {
						Type     string `json:"type"`
						Analyzer string `json:"analyzer"`
					} `json:"fields"`
				} `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(tpl.Components["a@english"], &c); err != nil {
		t.Fatal(err)
	}
	props := c.Template.Mappings.Properties
	for _, f := range []string{"title", "summary", "content"} {
		if props[f].Fields["english"].Analyzer != "english" {
			t.Errorf("%s lacks the english sub-field: %+v", f, props[f])
		}
	}
	// The component replaces title whole; without restating it, the
	// title.keyword sub-field that dashboards aggregate on would vanish.
	if props["title"].Fields["keyword"].Type != "keyword" {
		t.Errorf("title.keyword lost in the english component: %+v", props["title"])
	}
}

func TestIndexName(t *testing.T) {
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2016, 8, 26, 10, 0, 0, 0, time.UTC), "a-2016.08"},
		{time.Date(2019, 12, 31, 23, 30, 0, 0, time.FixedZone("", -3600)), "a-2020.01"},
		{time.Time{}, "a-1970.01"},
		{time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC), "a-9999.12"},
	}
	for _, tt := range tests {
		if got := IndexName("a", tt.in); got != tt.want {
			t.Errorf("IndexName(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
