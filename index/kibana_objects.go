package index

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// SavedObject is one Kibana saved object as the saved objects export and
// import APIs write it, one per NDJSON line.
type SavedObject struct {
	Type                 string         `json:"type"`
	ID                   string         `json:"id"`
	Attributes           map[string]any `json:"attributes"`
	References           []Reference    `json:"references"`
	CoreMigrationVersion string         `json:"coreMigrationVersion,omitempty"`
	TypeMigrationVersion string         `json:"typeMigrationVersion,omitempty"`
}

// Reference is a saved object's pointer to another one, by name.
type Reference struct {
	Name string `json:"name"`
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Topic is what the saved searches need of a taxonomy topic.
type Topic struct {
	ID         string `yaml:"id"`
	Label      string `yaml:"label"`
	Definition string `yaml:"definition"`
}

// LoadTopics reads the topic ids, labels and definitions of a taxonomy
// file (deploy/taxonomy.yaml); the rules are the enrich stage's business.
func LoadTopics(path string) ([]Topic, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading taxonomy: %w", err)
	}
	var tax struct {
		Topics []Topic `yaml:"topics"`
	}
	if err := yaml.Unmarshal(b, &tax); err != nil {
		return nil, fmt.Errorf("parsing taxonomy %s: %w", path, err)
	}
	for i, t := range tax.Topics {
		if t.ID == "" {
			return nil, fmt.Errorf("taxonomy %s: topic %d has no id", path, i+1)
		}
		if tax.Topics[i].Label == "" {
			tax.Topics[i].Label = t.ID
		}
	}
	return tax.Topics, nil
}

// Saved object ids. They are fixed, so importing again overwrites the same
// objects instead of adding copies.
const (
	DataViewID  = "newsflow-articles"
	DashboardID = "newsflow-overview"
	latestID    = "newsflow-latest-articles"
	mapID       = "newsflow-places-map"
)

// Migration versions the objects are written in: Kibana 8.19 migrates
// them forward from there on import.
const (
	coreMigration = "8.8.0"
	kibanaVersion = "8.19.0"
)

func topicSearchID(topic string) string { return "newsflow-topic-" + topic }

// indexRef is the reference name a search source uses for its data view.
const indexRef = "kibanaSavedObjectMeta.searchSourceJSON.index"

// articleColumns are the columns of the saved searches: what an analyst
// scans in a list of articles.
var articleColumns = []string{"title", "source.name", "topics", "entities.person", "entities.organization", "places.name"}

// KibanaObjects returns the saved objects analysts start from: the data
// view on pattern (alias + "*"), a saved search per topic and for the
// latest articles, the visualizations and map of the overview dashboard,
// and the dashboard.
func KibanaObjects(pattern string, topics []Topic) ([]SavedObject, error) {
	objs := []SavedObject{{
		Type: "index-pattern", ID: DataViewID, TypeMigrationVersion: "8.0.0", CoreMigrationVersion: coreMigration,
		Attributes: map[string]any{
			"title":         pattern,
			"name":          "News articles",
			"timeFieldName": "@timestamp",
			// Article URLs render as links.
			"fieldFormatMap": jsonString(map[string]any{"url": map[string]any{"id": "url"}}),
		},
		References: []Reference{},
	}}
	search := func(id, title, description, kql string) SavedObject {
		return SavedObject{
			Type: "search", ID: id, TypeMigrationVersion: "8.0.0", CoreMigrationVersion: coreMigration,
			Attributes: map[string]any{
				"title":       title,
				"description": description,
				"columns":     articleColumns,
				"sort":        [][]string{{"@timestamp", "desc"}},
				"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": jsonString(map[string]any{
					"query":        map[string]any{"query": kql, "language": "kuery"},
					"filter":       []any{},
					"indexRefName": indexRef,
				})},
			},
			References: []Reference{{Name: indexRef, Type: "index-pattern", ID: DataViewID}},
		}
	}
	objs = append(objs, search(latestID, "Latest articles", "Every article, newest first.", ""))
	for _, t := range topics {
		objs = append(objs, search(topicSearchID(t.ID), "Topic: "+t.Label, strings.TrimSpace(t.Definition),
			fmt.Sprintf("topics : %q", t.ID)))
	}
	for _, p := range Panels() {
		v, err := p.visualization()
		if err != nil {
			return nil, err
		}
		objs = append(objs, v)
	}
	objs = append(objs, placesMap(), dashboard())
	return objs, nil
}

// Panel is an aggregation-based visualization of the dashboard: a metric
// (the count of articles) bucketed by one or two fields. The test of the
// dashboard runs the same aggregations on the real node.
type Panel struct {
	ID, Title string
	// VisType is the Kibana visualization type: histogram, table, pie,
	// tagcloud.
	VisType string
	// Buckets are the bucket aggregations, outermost first.
	Buckets []Bucket
}

// Bucket is a bucket aggregation of a panel.
type Bucket struct {
	Schema string // Kibana's role for it: segment, group, bucket, split
	Type   string // date_histogram or terms
	Field  string
	Size   int // terms only
}

// Panels returns the aggregation panels of the overview dashboard.
func Panels() []Panel {
	return []Panel{
		{ID: "newsflow-articles-over-time", Title: "Articles over time by topic", VisType: "histogram", Buckets: []Bucket{
			{Schema: "segment", Type: "date_histogram", Field: "@timestamp"},
			{Schema: "group", Type: "terms", Field: "topics", Size: 20},
		}},
		{ID: "newsflow-top-people", Title: "Top people", VisType: "table", Buckets: []Bucket{{Schema: "bucket", Type: "terms", Field: "entities.person", Size: 15}}},
		{ID: "newsflow-top-organizations", Title: "Top organizations", VisType: "table", Buckets: []Bucket{{Schema: "bucket", Type: "terms", Field: "entities.organization", Size: 15}}},
		{ID: "newsflow-top-places", Title: "Top places", VisType: "table", Buckets: []Bucket{{Schema: "bucket", Type: "terms", Field: "places.name", Size: 15}}},
		{ID: "newsflow-top-sources", Title: "Top sources", VisType: "pie", Buckets: []Bucket{{Schema: "segment", Type: "terms", Field: "source.name", Size: 10}}},
	}
}

// visualization returns the legacy aggregation-based visualization of p.
func (p Panel) visualization() (SavedObject, error) {
	aggs := []map[string]any{{"id": "1", "enabled": true, "type": "count", "schema": "metric", "params": map[string]any{"customLabel": "Articles"}}}
	for i, b := range p.Buckets {
		params := map[string]any{"field": b.Field}
		switch b.Type {
		case "date_histogram":
			params["interval"] = "auto"
			params["min_doc_count"] = 1
			params["extended_bounds"] = map[string]any{}
		case "terms":
			params["size"] = b.Size
			params["order"] = "desc"
			params["orderBy"] = "1"
			params["otherBucket"] = false
			params["missingBucket"] = false
		default:
			return SavedObject{}, fmt.Errorf("panel %s: unsupported bucket type %q", p.ID, b.Type)
		}
		aggs = append(aggs, map[string]any{"id": fmt.Sprint(i + 2), "enabled": true, "type": b.Type, "schema": b.Schema, "params": params})
	}
	var params map[string]any
	switch p.VisType {
	case "histogram":
		params = map[string]any{
			"type": "histogram", "addTooltip": true, "addLegend": true, "legendPosition": "right", "times": []any{},
			"addTimeMarker": false, "grid": map[string]any{"categoryLines": false},
			"categoryAxes": []any{map[string]any{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": true,
				"scale": map[string]any{"type": "linear"}, "labels": map[string]any{"show": true, "filter": true, "truncate": 100}, "title": map[string]any{}}},
			"valueAxes": []any{map[string]any{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": true,
				"scale": map[string]any{"type": "linear", "mode": "normal"}, "labels": map[string]any{"show": true, "rotate": 0, "filter": false, "truncate": 100},
				"title": map[string]any{"text": "Articles"}}},
			"seriesParams": []any{map[string]any{"show": true, "type": "histogram", "mode": "stacked", "data": map[string]any{"label": "Articles", "id": "1"},
				"valueAxis": "ValueAxis-1", "drawLinesBetweenPoints": true, "showCircles": true}},
		}
	case "table":
		params = map[string]any{"perPage": 15, "showPartialRows": false, "showMetricsAtAllLevels": false, "showTotal": false, "totalFunc": "sum", "percentageCol": ""}
	case "pie":
		params = map[string]any{"type": "pie", "addTooltip": true, "addLegend": true, "legendPosition": "right", "isDonut": true,
			"labels": map[string]any{"show": false, "values": true, "last_level": true, "truncate": 100}}
	default:
		return SavedObject{}, fmt.Errorf("panel %s: unsupported visualization type %q", p.ID, p.VisType)
	}
	return SavedObject{
		Type: "visualization", ID: p.ID, TypeMigrationVersion: "8.5.0", CoreMigrationVersion: coreMigration,
		Attributes: map[string]any{
			"title":       p.Title,
			"description": "",
			"uiStateJSON": "{}",
			"visState":    jsonString(map[string]any{"title": p.Title, "type": p.VisType, "params": params, "aggs": aggs}),
			"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": jsonString(map[string]any{
				"query": map[string]any{"query": "", "language": "kuery"}, "filter": []any{}, "indexRefName": indexRef,
			})},
		},
		References: []Reference{{Name: indexRef, Type: "index-pattern", ID: DataViewID}},
	}, nil
}

// geoField is the field the map places articles by.
const geoField = "places.location"

// placesMap returns the map of the places articles are about: a grid of
// clusters sized by article count over the base map.
func placesMap() SavedObject {
	layers := []any{
		map[string]any{
			"id": "newsflow-basemap", "type": "EMS_VECTOR_TILE", "label": nil, "minZoom": 0, "maxZoom": 24, "alpha": 1, "visible": true,
			"sourceDescriptor": map[string]any{"type": "EMS_TMS", "isAutoSelect": true, "lightModeDefault": "road_map_desaturated"},
			"style":            map[string]any{"type": "EMS_VECTOR_TILE"},
		},
		map[string]any{
			"id": "newsflow-places", "type": "GEOJSON_VECTOR", "label": "Places in the news", "minZoom": 0, "maxZoom": 24, "alpha": 0.75, "visible": true,
			"sourceDescriptor": map[string]any{
				"id": "newsflow-places-source", "type": "ES_GEO_GRID", "geoField": geoField, "requestType": "point", "resolution": "COARSE",
				"metrics":             []any{map[string]any{"type": "count", "label": "Articles"}},
				"indexPatternRefName": "layer_1_source_index_pattern", "applyGlobalQuery": true, "applyGlobalTime": true,
			},
			"style": map[string]any{"type": "VECTOR", "properties": map[string]any{
				"fillColor": map[string]any{"type": "DYNAMIC", "options": map[string]any{"color": "Blues", "field": map[string]any{"name": "doc_count", "origin": "source"}, "fieldMetaOptions": map[string]any{"isEnabled": true, "sigma": 3}}},
				"iconSize":  map[string]any{"type": "DYNAMIC", "options": map[string]any{"minSize": 6, "maxSize": 32, "field": map[string]any{"name": "doc_count", "origin": "source"}, "fieldMetaOptions": map[string]any{"isEnabled": true, "sigma": 3}}},
				"lineColor": map[string]any{"type": "STATIC", "options": map[string]any{"color": "#FFFFFF"}},
				"lineWidth": map[string]any{"type": "STATIC", "options": map[string]any{"size": 1}},
			}},
		},
	}
	return SavedObject{
		Type: "map", ID: mapID, TypeMigrationVersion: "8.4.0", CoreMigrationVersion: coreMigration,
		Attributes: map[string]any{
			"title":         "Places in the news",
			"description":   "Articles by the places they are about.",
			"layerListJSON": jsonString(layers),
			"mapStateJSON": jsonString(map[string]any{
				"zoom": 1.5, "center": map[string]any{"lat": 25, "lon": 15}, "timeFilters": map[string]any{"from": "now-7d", "to": "now"},
				"refreshConfig": map[string]any{"isPaused": true, "interval": 0}, "query": map[string]any{"query": "", "language": "kuery"}, "filters": []any{},
			}),
			"uiStateJSON": jsonString(map[string]any{"isLayerTOCOpen": true, "openTOCDetails": []any{}}),
		},
		References: []Reference{{Name: "layer_1_source_index_pattern", Type: "index-pattern", ID: DataViewID}},
	}
}

// dashboard lays out the overview: the time chart across the top, the
// top entities below it, then sources and the map, then the latest
// articles.
func dashboard() SavedObject {
	type slot struct {
		typ, id    string
		x, y, w, h int
	}
	panels := Panels()
	slots := []slot{
		{"visualization", panels[0].ID, 0, 0, 48, 14},
		{"visualization", panels[1].ID, 0, 14, 16, 15},
		{"visualization", panels[2].ID, 16, 14, 16, 15},
		{"visualization", panels[3].ID, 32, 14, 16, 15},
		{"visualization", panels[4].ID, 0, 29, 18, 18},
		{"map", mapID, 18, 29, 30, 18},
		{"search", latestID, 0, 47, 48, 20},
	}
	var list []any
	var refs []Reference
	for i, s := range slots {
		idx := fmt.Sprint(i + 1)
		list = append(list, map[string]any{
			"version": kibanaVersion, "type": s.typ, "panelIndex": idx,
			"gridData":         map[string]any{"x": s.x, "y": s.y, "w": s.w, "h": s.h, "i": idx},
			"embeddableConfig": map[string]any{"enhancements": map[string]any{}},
			"panelRefName":     "panel_" + idx,
		})
		refs = append(refs, Reference{Name: "panel_" + idx, Type: s.typ, ID: s.id})
	}
	return SavedObject{
		Type: "dashboard", ID: DashboardID, TypeMigrationVersion: "8.9.0", CoreMigrationVersion: coreMigration,
		Attributes: map[string]any{
			"title":       "News overview",
			"description": "What the news is about: topics over time, who and where, sources, and the latest articles.",
			"panelsJSON":  jsonString(list),
			"optionsJSON": jsonString(map[string]any{"useMargins": true, "syncColors": true, "syncCursor": true, "syncTooltips": false, "hidePanelTitles": false}),
			"timeRestore": true, "timeFrom": "now-7d", "timeTo": "now",
			"refreshInterval": map[string]any{"pause": false, "value": 60000},
			"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": jsonString(map[string]any{
				"query": map[string]any{"query": "", "language": "kuery"}, "filter": []any{},
			})},
		},
		References: refs,
	}
}

// jsonString encodes v as the JSON string Kibana keeps in attributes such
// as visState.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only maps, slices and scalars built in this file reach here.
		panic(fmt.Sprintf("encoding saved object attribute: %v", err))
	}
	return string(b)
}

// EncodeNDJSON writes objs one per line, the saved objects import format.
func EncodeNDJSON(objs []SavedObject) ([]byte, error) {
	var buf bytes.Buffer
	for _, o := range objs {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("encoding saved object %s/%s: %w", o.Type, o.ID, err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes(), nil
}

// DecodeNDJSON parses saved objects, one per line; blank lines are
// skipped. Errors name the line.
func DecodeNDJSON(data []byte) ([]SavedObject, error) {
	var objs []SavedObject
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var o SavedObject
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&o); err != nil {
			return nil, fmt.Errorf("saved objects line %d: %w", i+1, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("saved objects line %d: more than one JSON value", i+1)
		}
		if o.Type == "" || o.ID == "" {
			return nil, fmt.Errorf("saved objects line %d: no type or id", i+1)
		}
		if o.Attributes == nil {
			return nil, fmt.Errorf("saved objects line %d (%s %s): no attributes", i+1, o.Type, o.ID)
		}
		objs = append(objs, o)
	}
	return objs, nil
}
