package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/newsflow/newsflow/index"
	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// kibanaFake accepts saved object imports and keeps the objects.
type kibanaFake struct {
	mu      sync.Mutex
	objects map[string]bool
}

func (k *kibanaFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/status":
		io.WriteString(w, `{"status":{"overall":{"level":"available"}}}`)
	case "/api/saved_objects/_import":
		f, _, err := r.FormFile("file")
		if err != nil || r.URL.Query().Get("overwrite") != "true" || r.Header.Get("kbn-xsrf") == "" {
			http.Error(w, "bad import request", http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(f)
		objs, err := index.DecodeNDJSON(data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		k.mu.Lock()
		for _, o := range objs {
			k.objects[o.Type+"/"+o.ID] = true
		}
		k.mu.Unlock()
		io.WriteString(w, `{"success":true,"successCount":`+itoa(len(objs))+`}`)
	default:
		http.NotFound(w, r)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSetupImportsKibanaObjects(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	fake := &kibanaFake{objects: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	c := newCLI(t, cfg)
	c.env["NEWSFLOW_KIBANA_URL"] = srv.URL
	c.env["NEWSFLOW_TAXONOMY"] = "../../deploy/taxonomy.yaml"
	out := c.run(context.Background(), "setup")
	if !strings.Contains(out, "saved objects imported") {
		t.Errorf("setup printed:\n%s", out)
	}
	c.run(context.Background(), "setup")
	for _, k := range []string{"dashboard/" + index.DashboardID, "index-pattern/" + index.DataViewID, "search/newsflow-topic-syria"} {
		if !fake.objects[k] {
			t.Errorf("setup did not import %s (have %v)", k, fake.objects)
		}
	}
}

func TestIndexReplayCommand(t *testing.T) {
	cfg := testenv.Config(t, config.NeedKafka|config.NeedElasticsearch)
	c := newCLI(t, cfg)
	ctx := context.Background()
	c.run(ctx, "setup")
	out := c.run(ctx, "index", "--replay")
	if !regexp.MustCompile(`replayed 0 messages`).MatchString(out) {
		t.Errorf("replay of an empty topic printed %q", out)
	}
}
