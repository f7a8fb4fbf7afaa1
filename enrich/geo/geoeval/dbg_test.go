package geoeval

import (
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/newsflow/newsflow/enrich/geo"
	"github.com/newsflow/newsflow/pkg/article"
)

func TestDbg(t *testing.T) {
	p, _ := geo.Load()
	f, _ := os.Open("/work/shared/data/geoparsing/" + os.Getenv("CORPUS"))
	docs, _ := Read(f)
	if os.Getenv("CORPUS") == "TR-News.xml" {
		docs, _ = Split(docs)
	}
	given := os.Getenv("GIVEN") != ""
	miss, fp, wrong := map[string]int{}, map[string]int{}, map[string]int{}
	for _, d := range docs {
		var locs [][2]int
		if given {
			for _, t := range d.Toponyms {
				locs = append(locs, [2]int{t.Start, t.End})
			}
		}
		places, _ := p.Places(geo.Field{Name: article.FieldContent, Text: d.Text, Locations: locs})
		for _, pl := range places {
			for _, m := range pl.Mentions {
				ok := false
				for _, t := range d.Toponyms {
					if m.Start < t.End && t.Start < m.End {
						ok = true
						if (t.GeoNameID != 0 || t.HasPoint) && !(t.GeoNameID == pl.GeoNameID || (t.HasPoint && Km(t.Lat, t.Lon, pl.Lat, pl.Lon) <= 161)) {
							wrong[fmt.Sprintf("%s -> %s/%s/%d (gold %d %.1f,%.1f)", d.Text[t.Start:t.End], pl.Name, pl.CountryCode, pl.GeoNameID, t.GeoNameID, t.Lat, t.Lon)]++
						}
					}
				}
				if !ok {
					fp[d.Text[m.Start:m.End]+" -> "+pl.Name+"/"+pl.CountryCode]++
				}
			}
		}
		for _, t := range d.Toponyms {
			hit := false
			for _, pl := range places {
				for _, m := range pl.Mentions {
					if m.Start < t.End && t.Start < m.End {
						hit = true
					}
				}
			}
			if !hit {
				miss[d.Text[t.Start:t.End]]++
			}
		}
	}
	for _, x := range []struct {
		n string
		m map[string]int
	}{{"MISS", miss}, {"FP", fp}, {"WRONG", wrong}} {
		type kv struct {
			k string
			v int
		}
		var l []kv
		tot := 0
		for k, v := range x.m {
			l = append(l, kv{k, v})
			tot += v
		}
		sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v || l[i].v == l[j].v && l[i].k < l[j].k })
		fmt.Println("==", x.n, tot)
		for i, e := range l {
			if i > 45 {
				break
			}
			fmt.Printf("%4d %s\n", e.v, e.k)
		}
	}
}
