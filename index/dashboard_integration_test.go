package index

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/newsflow/newsflow/pkg/config"
	"github.com/newsflow/newsflow/pkg/testenv"
)

// panelQuery is the request Kibana sends for a panel: the count of
// articles under its bucket aggregations, outermost first, named by
// position. Date histograms are monthly, as Kibana's auto interval is
// over the fixtures' three-year range.
func panelQuery(p Panel) map[string]any {
	var inner map[string]any
	for i := len(p.Buckets) - 1; i >= 0; i-- {
		b := p.Buckets[i]
		var agg map[string]any
		switch b.Type {
		case "date_histogram":
			agg = map[string]any{"date_histogram": map[string]any{"field": b.Field, "calendar_interval": "month", "min_doc_count": 1, "format": "yyyy-MM"}}
		case "terms":
			agg = map[string]any{"terms": map[string]any{"field": b.Field, "size": b.Size, "order": map[string]any{"_count": "desc"}}}
		}
		if inner != nil {
			agg["aggs"] = inner
		}
		inner = map[string]any{fmt.Sprint(i): agg}
	}
	return map[string]any{"size": 0, "aggs": inner}
}

// bucket is a bucket of a panel's answer, with its sub-buckets.
type bucket struct {
	Key      any    `json:"key"`
	KeyStr   string `json:"key_as_string"`
	DocCount int    `json:"doc_count"`
	Sub      struct {
		Buckets []bucket `json:"buckets"`
	} `json:"1"`
}

func (b bucket) key() string {
	if b.KeyStr != "" {
		return b.KeyStr
	}
	return fmt.Sprint(b.Key)
}

func runQuery(t *testing.T, cfg *config.Config, body map[string]any) []bucket {
	t.Helper()
	es, err := NewClient(cfg.Elasticsearch)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(body)
	res, err := es.Search(es.Search.WithIndex(cfg.Elasticsearch.Alias), es.Search.WithBody(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.IsError() {
		t.Fatal(responseError("aggregating", res))
	}
	var out struct {
		Aggregations struct {
			Top struct {
				Buckets []bucket `json:"buckets"`
			} `json:"0"`
		} `json:"aggregations"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Aggregations.Top.Buckets
}

// flat renders buckets as key=count, sub-buckets as key/sub=count.
func flat(bs []bucket) map[string]int {
	out := map[string]int{}
	for _, b := range bs {
		if len(b.Sub.Buckets) == 0 {
			out[b.key()] = b.DocCount
		}
		for _, s := range b.Sub.Buckets {
			out[b.key()+"/"+s.key()] = s.DocCount
		}
	}
	return out
}

func TestDashboardAggregations(t *testing.T) {
	cfg := testenv.Config(t, config.NeedElasticsearch)
	es := setupAlias(t, cfg)
	ctx := context.Background()
	alias := cfg.Elasticsearch.Alias
	if rej, err := NewBulk(es, alias, 5<<20, quietLog()).Write(ctx, items(t, alias, fixtureArticles(t))); err != nil || len(rej) > 0 {
		t.Fatalf("Write = %+v, %v", rej, err)
	}
	if _, err := Count(ctx, es, alias); err != nil { // refreshes
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"newsflow-articles-over-time": {
			"2016-08/syria": 1, "2016-08/diplomacy-peace-talks": 1,
			"2019-11/syria": 1, "2019-11/humanitarian-aid": 1,
		},
		"newsflow-top-people": {"John Kerry": 1, "Sergei Lavrov": 1, "Julian Assange": 1, "Gordon Sondland": 1, "Donald Trump": 1},
		"newsflow-top-organizations": {
			"United Nations": 2, "European Union": 1, "Wikileaks": 1, "US military": 1, "Trump administration": 1,
		},
		"newsflow-top-places":  {"Syria": 2, "Geneva": 1, "Al-Tanf": 1, "Israel": 1, "Sweden": 1, "London": 1, "Afghanistan": 1, "Ukraine": 1},
		"newsflow-top-sources": {"Rappler": 1, "Polygraph.info": 1, "Al Bawaba": 1, "BBC News": 1, "Al Jazeera": 1, "AP": 1},
	}
	for _, p := range Panels() {
		t.Run(p.ID, func(t *testing.T) {
			got := flat(runQuery(t, cfg, panelQuery(p)))
			if fmt.Sprint(got) != fmt.Sprint(want[p.ID]) {
				t.Errorf("%s buckets = %v, want %v", p.Title, got, want[p.ID])
			}
		})
	}
	t.Run(mapID, func(t *testing.T) {
		// The map's grid layer: a geotile grid on the geo field, counting
		// articles per tile; at zoom 6 Syria and Al-Tanf share one.
		got := flat(runQuery(t, cfg, map[string]any{"size": 0, "aggs": map[string]any{
			"0": map[string]any{"geotile_grid": map[string]any{"field": geoField, "precision": 6}},
		}}))
		if n := got[tile(geneva.Lat, geneva.Lon, 6)]; n != 1 {
			t.Errorf("tile of Geneva holds %d articles, want 1 (tiles %v)", n, got)
		}
		if n := got[tile(syria.Lat, syria.Lon, 6)]; n != 2 {
			t.Errorf("tile of Syria holds %d articles, want 2 (tiles %v)", n, got)
		}
	})
}

// tile returns the zoom/x/y key of the web-map tile holding a point.
func tile(lat, lon float64, zoom int) string {
	n := math.Exp2(float64(zoom))
	x := int((lon + 180) / 360 * n)
	rad := lat * math.Pi / 180
	y := int((1 - math.Log(math.Tan(rad)+1/math.Cos(rad))/math.Pi) / 2 * n)
	return fmt.Sprintf("%d/%d/%d", zoom, x, y)
}
