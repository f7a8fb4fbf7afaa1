package geoeval

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/newsflow/newsflow/enrich/geo"
)

func TestDbg2(t *testing.T) {
	p, _ := geo.Load()
	f, _ := os.Open("/work/shared/data/geoparsing/" + os.Getenv("CORPUS"))
	docs, _ := Read(f)
	for _, doc := range docs {
		if !strings.Contains(doc.Text, os.Getenv("WORD")) {
			continue
		}
		pl, cs := p.Places(geo.Field{Name: "content", Text: doc.Text})
		fmt.Println(doc.Text[:300])
		for _, x := range pl {
			fmt.Println(x.Name, x.CountryCode, x.Admin1, len(x.Mentions), doc.Text[x.Mentions[0].Start:x.Mentions[0].End])
		}
		fmt.Println(cs)
		break
	}
}
