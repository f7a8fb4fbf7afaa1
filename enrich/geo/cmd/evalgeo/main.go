// Command evalgeo scores package geo on the LGL and TR-News gold corpora
// and prints the table: toponyms found (precision, recall) and resolution
// accuracy (same GeoNames id, within 161 km), on the text alone and with
// the gold spans given as LOC mentions.
//
// Usage:
//
//	evalgeo [-data DIR]
//
// DIR holds geoparsing/lgl.xml and geoparsing/TR-News.xml; it defaults to
// $NEWSFLOW_DATA_DIR, else ../shared/data.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/newsflow/newsflow/enrich/geo"
	"github.com/newsflow/newsflow/enrich/geo/geoeval"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "evalgeo:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := os.Getenv("NEWSFLOW_DATA_DIR")
	if dir == "" {
		dir = "../shared/data"
	}
	flag.StringVar(&dir, "data", dir, "data folder holding geoparsing/")
	flag.Parse()
	p, err := geo.Load()
	if err != nil {
		return err
	}
	read := func(name string) ([]geoeval.Doc, error) {
		f, err := os.Open(filepath.Join(dir, "geoparsing", name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		docs, err := geoeval.Read(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return docs, nil
	}
	lgl, err := read("lgl.xml")
	if err != nil {
		return err
	}
	tr, err := read("TR-News.xml")
	if err != nil {
		return err
	}
	dev, held := geoeval.Split(tr)
	rows := []geoeval.Row{
		{Name: "LGL (dev)", Scores: geoeval.Evaluate(p, lgl)},
		{Name: "TR-News dev half", Scores: geoeval.Evaluate(p, dev)},
		{Name: "TR-News held-out half", Scores: geoeval.Evaluate(p, held)},
		{Name: "TR-News all", Scores: geoeval.Evaluate(p, tr)},
	}
	fmt.Printf("gazetteer %s\n\n", p.Version())
	return geoeval.WriteTable(os.Stdout, rows)
}
