package index

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsflow/newsflow/pkg/config"
)

var update = flag.Bool("update", false, "rewrite deploy/kibana/newsflow.ndjson from deploy/taxonomy.yaml")

var (
	ndjsonPath   = filepath.Join("..", "deploy", "kibana", "newsflow.ndjson")
	taxonomyPath = filepath.Join("..", "deploy", "taxonomy.yaml")
)

func TestKibanaNDJSONUpToDate(t *testing.T) {
	topics, err := LoadTopics(taxonomyPath)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := KibanaObjects("news-articles*", topics)
	if err != nil {
		t.Fatal(err)
	}
	want, err := EncodeNDJSON(objs)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(ndjsonPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(ndjsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is not what deploy/taxonomy.yaml generates; run `make kibana`", ndjsonPath)
	}
}

// fieldTypes returns every field of the index mapping with its type,
// multi-fields as parent.sub.
func fieldTypes(t testing.TB) map[string]string {
	t.Helper()
	var m struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(Mappings(), &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(prefix string, props map[string]json.RawMessage)
	walk = func(prefix string, props map[string]json.RawMessage) {
		for name, raw := range props {
			var f struct {
				Type       string                     `json:"type"`
				Properties map[string]json.RawMessage `json:"properties"`
				Fields     map[string]struct {
					Type string `json:"type"`
				} `json:"fields"`
			}
			if err := json.Unmarshal(raw, &f); err != nil {
				t.Fatal(err)
			}
			full := prefix + name
			if f.Properties != nil {
				walk(full+".", f.Properties)
				continue
			}
			out[full] = f.Type
			for sub, sf := range f.Fields {
				out[full+"."+sub] = sf.Type
			}
		}
	}
	walk("", m.Properties)
	return out
}

var (
	aggregatable = []string{"keyword", "long", "integer", "float", "double", "boolean", "date"}
	sortable     = aggregatable
	// kqlField finds the field names of a KQL query: name before a colon.
	kqlField = regexp.MustCompile(`([A-Za-z_@][\w.@]*)\s*:`)
)

// validateKibana checks saved objects against each other and against the
// index mapping: references resolve, and every field a search,
// visualization or map uses exists with a type it accepts.
func validateKibana(objs []SavedObject, fields map[string]string) []error {
	var errs []error
	bad := func(o SavedObject, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s %s: %s", o.Type, o.ID, fmt.Sprintf(format, args...)))
	}
	byKey := map[string]SavedObject{}
	for _, o := range objs {
		k := o.Type + "/" + o.ID
		if _, dup := byKey[k]; dup {
			bad(o, "appears twice")
		}
		byKey[k] = o
	}
	field := func(o SavedObject, name, use string, types []string) {
		typ, ok := fields[name]
		switch {
		case !ok:
			bad(o, "%s uses field %q, which the index template does not map", use, name)
		case types != nil && !slices.Contains(types, typ):
			bad(o, "%s uses field %q of type %s; it needs one of %v", use, name, typ, types)
		}
	}
	str := func(o SavedObject, path ...string) string {
		var v any = o.Attributes
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v = m[p]
		}
		s, _ := v.(string)
		return s
	}
	hasRef := func(o SavedObject, name, typ string) {
		for _, r := range o.References {
			if r.Name == name {
				if typ != "" && r.Type != typ {
					bad(o, "reference %s is a %s, want %s", name, r.Type, typ)
				}
				return
			}
		}
		bad(o, "refers to %q, which is not among its references", name)
	}
	searchSource := func(o SavedObject) {
		raw := str(o, "kibanaSavedObjectMeta", "searchSourceJSON")
		var ss struct {
			IndexRefName string `json:"indexRefName"`
			Query        struct {
				Query    string `json:"query"`
				Language string `json:"language"`
			} `json:"query"`
		}
		if err := json.Unmarshal([]byte(raw), &ss); err != nil {
			bad(o, "searchSourceJSON: %v", err)
			return
		}
		if ss.IndexRefName != "" {
			hasRef(o, ss.IndexRefName, "index-pattern")
		} else if o.Type != "dashboard" {
			bad(o, "search source has no data view")
		}
		for _, m := range kqlField.FindAllStringSubmatch(ss.Query.Query, -1) {
			field(o, m[1], "query", nil)
		}
	}
	for _, o := range objs {
		for _, r := range o.References {
			if _, ok := byKey[r.Type+"/"+r.ID]; !ok {
				bad(o, "reference %s points to %s %s, which is not in the file", r.Name, r.Type, r.ID)
			}
		}
		switch o.Type {
		case "index-pattern":
			field(o, str(o, "timeFieldName"), "time field", []string{"date"})
			if title := str(o, "title"); !strings.HasSuffix(title, "*") {
				bad(o, "title %q does not cover the monthly indices", title)
			}
		case "search":
			searchSource(o)
			cols, _ := o.Attributes["columns"].([]any)
			for _, c := range cols {
				field(o, fmt.Sprint(c), "column", nil)
			}
			sorts, _ := o.Attributes["sort"].([]any)
			for _, s := range sorts {
				if pair, ok := s.([]any); ok && len(pair) == 2 {
					field(o, fmt.Sprint(pair[0]), "sort", sortable)
				} else {
					bad(o, "sort entry %v is not [field, direction]", s)
				}
			}
		case "visualization":
			searchSource(o)
			var vs struct {
				Type string `json:"type"`
				Aggs []struct {
					Type   string `json:"type"`
					Params struct {
						Field string `json:"field"`
					} `json:"params"`
				} `json:"aggs"`
			}
			if err := json.Unmarshal([]byte(str(o, "visState")), &vs); err != nil {
				bad(o, "visState: %v", err)
				continue
			}
			for _, a := range vs.Aggs {
				switch a.Type {
				case "count":
				case "terms":
					field(o, a.Params.Field, "terms aggregation", aggregatable)
				case "date_histogram":
					field(o, a.Params.Field, "date histogram", []string{"date"})
				default:
					bad(o, "aggregation type %q is not checked here", a.Type)
				}
			}
		case "map":
			var layers []struct {
				Source struct {
					Type                string `json:"type"`
					GeoField            string `json:"geoField"`
					IndexPatternRefName string `json:"indexPatternRefName"`
				} `json:"sourceDescriptor"`
			}
			if err := json.Unmarshal([]byte(str(o, "layerListJSON")), &layers); err != nil {
				bad(o, "layerListJSON: %v", err)
				continue
			}
			for _, l := range layers {
				if l.Source.IndexPatternRefName == "" {
					continue // the base map
				}
				hasRef(o, l.Source.IndexPatternRefName, "index-pattern")
				field(o, l.Source.GeoField, l.Source.Type+" layer", []string{"geo_point"})
			}
			var state map[string]any
			if err := json.Unmarshal([]byte(str(o, "mapStateJSON")), &state); err != nil {
				bad(o, "mapStateJSON: %v", err)
			}
		case "dashboard":
			searchSource(o)
			var panels []struct {
				Type         string `json:"type"`
				PanelRefName string `json:"panelRefName"`
				GridData     struct {
					X, W, H int
				} `json:"gridData"`
			}
			if err := json.Unmarshal([]byte(str(o, "panelsJSON")), &panels); err != nil {
				bad(o, "panelsJSON: %v", err)
				continue
			}
			for _, p := range panels {
				hasRef(o, p.PanelRefName, p.Type)
				if p.GridData.X+p.GridData.W > 48 || p.GridData.W <= 0 || p.GridData.H <= 0 {
					bad(o, "panel %s does not fit the 48-column grid: %+v", p.PanelRefName, p.GridData)
				}
			}
		default:
			bad(o, "unexpected saved object type")
		}
	}
	return errs
}

func TestKibanaNDJSONValid(t *testing.T) {
	data, err := os.ReadFile(ndjsonPath)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := DecodeNDJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range validateKibana(objs, fieldTypes(t)) {
		t.Error(err)
	}
	has := map[string]bool{}
	for _, o := range objs {
		has[o.Type+"/"+o.ID] = true
	}
	topics, err := LoadTopics(taxonomyPath)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"syria", "humanitarian-aid", "chemical-weapons"}
	for _, tp := range topics {
		ids = append(ids, tp.ID)
	}
	for _, id := range ids {
		if !has["search/"+topicSearchID(id)] {
			t.Errorf("no saved search for topic %s", id)
		}
	}
	for _, k := range []string{"index-pattern/" + DataViewID, "dashboard/" + DashboardID, "map/" + mapID, "search/" + latestID} {
		if !has[k] {
			t.Errorf("no %s", k)
		}
	}
}

// The validation must catch what it is there to catch.
func TestValidateKibanaCatchesMistakes(t *testing.T) {
	fields := fieldTypes(t)
	objs, err := KibanaObjects("news-articles*", []Topic{{ID: "syria", Label: "Syria"}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := validateKibana(objs, fields); len(errs) > 0 {
		t.Fatalf("generated objects invalid: %v", errs)
	}
	tests := []struct {
		name   string
		mutate func(objs []SavedObject) []SavedObject
		want   string
	}{
		{"terms on a text field", func(objs []SavedObject) []SavedObject {
			for i, o := range objs {
				if o.ID == "newsflow-top-people" {
					objs[i].Attributes["visState"] = strings.Replace(o.Attributes["visState"].(string), `"entities.person"`, `"title"`, 1)
				}
			}
			return objs
		}, "of type text"},
		{"unknown column", func(objs []SavedObject) []SavedObject {
			for i, o := range objs {
				if o.Type == "search" {
					objs[i].Attributes["columns"] = []any{"entities.people"}
				}
			}
			return objs
		}, `"entities.people"`},
		{"dangling reference", func(objs []SavedObject) []SavedObject {
			return slices.DeleteFunc(objs, func(o SavedObject) bool { return o.Type == "map" })
		}, "not in the file"},
		{"map on a keyword", func(objs []SavedObject) []SavedObject {
			for i, o := range objs {
				if o.Type == "map" {
					objs[i].Attributes["layerListJSON"] = strings.ReplaceAll(o.Attributes["layerListJSON"].(string), geoField, "places.name")
				}
			}
			return objs
		}, "geo_point"},
		{"query on a missing field", func(objs []SavedObject) []SavedObject {
			for i, o := range objs {
				if o.ID == topicSearchID("syria") {
					objs[i].Attributes["kibanaSavedObjectMeta"] = map[string]any{"searchSourceJSON": `{"query":{"query":"topic : \"syria\"","language":"kuery"},"indexRefName":"` + indexRef + `"}`}
				}
			}
			return objs
		}, `"topic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh, _ := KibanaObjects("news-articles*", []Topic{{ID: "syria", Label: "Syria"}})
			errs := validateKibana(tt.mutate(fresh), fields)
			if len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tt.want) {
				t.Errorf("errors %v, want one mentioning %s", errs, tt.want)
			}
		})
	}
}

// fakeKibana answers the status and saved objects import APIs like
// Kibana 8, starting unready for a few status requests.
type fakeKibana struct {
	mu       sync.Mutex
	unready  int
	user, pw string
	objects  map[string]json.RawMessage // type/id → object
	imports  int
}

func (f *fakeKibana) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if u, p, _ := r.BasicAuth(); u != f.user || p != f.pw {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"statusCode":401,"error":"Unauthorized","message":"[security_exception] unable to authenticate user"}`)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/status":
		if f.unready > 0 {
			f.unready--
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"status":{"overall":{"level":"unavailable"}}}`)
			return
		}
		io.WriteString(w, `{"status":{"overall":{"level":"available"}}}`)
	case r.Method == http.MethodPost && r.URL.Path == "/api/saved_objects/_import":
		if r.Header.Get("kbn-xsrf") == "" {
			http.Error(w, `{"statusCode":400,"message":"Request must contain a kbn-xsrf header."}`, http.StatusBadRequest)
			return
		}
		if r.URL.Query().Get("overwrite") != "true" {
			http.Error(w, "conflicts: import without overwrite", http.StatusConflict)
			return
		}
		_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		part, err := multipart.NewReader(r.Body, params["boundary"]).NextPart()
		if err != nil || part.FormName() != "file" || !strings.HasSuffix(part.FileName(), ".ndjson") {
			http.Error(w, "want an .ndjson file field", http.StatusUnsupportedMediaType)
			return
		}
		data, _ := io.ReadAll(part)
		objs, err := DecodeNDJSON(data)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, o := range objs {
			b, _ := json.Marshal(o)
			f.objects[o.Type+"/"+o.ID] = b
		}
		f.imports++
		fmt.Fprintf(w, `{"success":true,"successCount":%d,"successResults":[]}`, len(objs))
	default:
		http.NotFound(w, r)
	}
}

func TestKibanaImportIsIdempotent(t *testing.T) {
	f := &fakeKibana{unready: 3, user: "newsflow", pw: "secret", objects: map[string]json.RawMessage{}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := config.Default().Elasticsearch
	cfg.Username, cfg.Password = "newsflow", "secret"
	k, err := NewKibana(srv.URL, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := k.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	topics, err := LoadTopics(taxonomyPath)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := KibanaObjects("news-articles*", topics)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		res, err := k.Import(ctx, objs)
		if err != nil {
			t.Fatal(err)
		}
		if res.SuccessCount != len(objs) {
			t.Errorf("imported %d of %d", res.SuccessCount, len(objs))
		}
	}
	if f.imports != 2 || len(f.objects) != len(objs) {
		t.Errorf("after two imports Kibana holds %d objects from %d imports, want %d from 2", len(f.objects), f.imports, len(objs))
	}
}

func TestKibanaRefusedCredentials(t *testing.T) {
	srv := httptest.NewServer(&fakeKibana{user: "newsflow", pw: "secret", objects: map[string]json.RawMessage{}})
	defer srv.Close()
	cfg := config.Default().Elasticsearch
	cfg.Username, cfg.Password = "newsflow", "wrong"
	k, err := NewKibana(srv.URL, cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	err = k.WaitReady(ctx)
	if err == nil || !strings.Contains(err.Error(), "NEWSFLOW_ES_PASSWORD") {
		t.Fatalf("WaitReady = %v, want an error naming the password setting", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("WaitReady kept retrying refused credentials for %s", time.Since(start))
	}
}
