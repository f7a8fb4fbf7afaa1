package geo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed data/gazetteer.tsv.gz data/regions.tsv data/aliases.tsv data/stopnames.txt
var dataFS embed.FS

// Kinds of gazetteer records.
const (
	kindCountry   = 'C' // sovereign state or territory with an ISO code
	kindAdmin1    = 'A' // first-level division (US states)
	kindPlace     = 'P' // populated place
	kindContinent = 'L'
	kindRegion    = 'R' // curated region, sea or area (data/regions.tsv)
)

// record is one place of the gazetteer.
type record struct {
	id         int64
	name       string
	kind       byte
	country    string
	admin1     string
	lat, lon   float64
	population int64
}

// How a name refers to its record.
const (
	viaName    = iota // the record's own name or a curated alias
	viaAlt            // a GeoNames alternate name ("Halab" for Aleppo)
	viaDemonym        // "Syrian" for Syria
)

// cand is one record a name may refer to.
type cand struct {
	rec int32
	via uint8
}

// gazetteer is the immutable index the parser reads.
type gazetteer struct {
	recs       []record
	names      map[string][]cand  // name key → records
	qualifiers map[string][]int32 // "la", "texas", "syria" → records a "City, X" suffix names
	countries  map[string]int32   // ISO code → country record
	stop       map[string]bool    // keys the spotter never takes alone
	prefixes   map[string]bool    // first two words of names of two words or more ("new york")
	maxWords   int
	version    string
}

// loadGazetteer parses the embedded data files.
func loadGazetteer() (*gazetteer, error) {
	g := &gazetteer{
		names:      make(map[string][]cand, 200000),
		qualifiers: make(map[string][]int32, 512),
		countries:  make(map[string]int32, 256),
		stop:       make(map[string]bool, 256),
		prefixes:   make(map[string]bool, 32768),
	}
	h := sha256.New()
	read := func(name string) ([]byte, error) {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		h.Write(b)
		return b, nil
	}
	gz, err := read("data/gazetteer.tsv.gz")
	if err != nil {
		return nil, err
	}
	if err := g.readGeoNames(gz); err != nil {
		return nil, fmt.Errorf("reading data/gazetteer.tsv.gz: %w", err)
	}
	regions, err := read("data/regions.tsv")
	if err != nil {
		return nil, err
	}
	if err := g.readRegions(regions); err != nil {
		return nil, fmt.Errorf("reading data/regions.tsv: %w", err)
	}
	aliases, err := read("data/aliases.tsv")
	if err != nil {
		return nil, err
	}
	if err := g.readAliases(aliases); err != nil {
		return nil, fmt.Errorf("reading data/aliases.tsv: %w", err)
	}
	stop, err := read("data/stopnames.txt")
	if err != nil {
		return nil, err
	}
	for line := range lines(stop) {
		k, _ := nameKey(line.text)
		g.stop[k] = true
	}
	g.version = "gazetteer-" + hex.EncodeToString(h.Sum(nil))[:12]
	return g, nil
}

type line struct {
	no   int
	text string
}

// lines yields the non-blank, non-comment lines of a data file. The lines
// share one copy of b.
func lines(b []byte) func(func(line) bool) {
	return func(yield func(line) bool) {
		rest := string(b)
		no := 0
		for len(rest) > 0 {
			no++
			var s string
			s, rest, _ = strings.Cut(rest, "\n")
			s = strings.TrimSuffix(s, "\r")
			if strings.TrimSpace(s) == "" || strings.HasPrefix(s, "#") {
				continue
			}
			if !yield(line{no, s}) {
				return
			}
		}
	}
}

// fields splits a tab-separated line into dst, which must have exactly as
// many elements as the line has fields.
func fields(s string, dst []string) bool {
	for i := range dst {
		if i == len(dst)-1 {
			if strings.IndexByte(s, '\t') >= 0 {
				return false
			}
			dst[i] = s
			return true
		}
		var ok bool
		dst[i], s, ok = strings.Cut(s, "\t")
		if !ok {
			return false
		}
	}
	return true
}

func (g *gazetteer) readGeoNames(gz []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	g.recs = make([]record, 0, bytes.Count(b, []byte{'\n'})+256)
	var f [10]string
	for l := range lines(b) {
		if !fields(l.text, f[:]) || len(f[0]) != 1 {
			return fmt.Errorf("line %d: want 10 tab-separated fields", l.no)
		}
		id, err1 := strconv.ParseInt(f[1], 10, 64)
		lat, err2 := strconv.ParseFloat(f[5], 64)
		lon, err3 := strconv.ParseFloat(f[6], 64)
		pop, err4 := strconv.ParseInt(f[7], 10, 64)
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return fmt.Errorf("line %d: %w", l.no, err)
			}
		}
		r := record{id: id, kind: f[0][0], name: f[2], country: f[3], admin1: f[4], lat: lat, lon: lon, population: pop}
		i := g.add(r)
		g.addName(r.name, i, viaName)
		for _, n := range splitList(f[8]) {
			g.addName(n, i, viaAlt)
		}
		for _, n := range splitList(f[9]) {
			g.addName(n, i, viaDemonym)
		}
		switch r.kind {
		case kindCountry:
			g.countries[r.country] = i
			g.addQualifier(r.name, i)
		case kindAdmin1:
			g.addQualifier(r.name, i)
		}
	}
	return nil
}

func (g *gazetteer) readRegions(b []byte) error {
	for l := range lines(b) {
		f := strings.Split(l.text, "\t")
		if len(f) != 5 {
			return fmt.Errorf("line %d: want 5 tab-separated fields", l.no)
		}
		lat, err1 := strconv.ParseFloat(f[3], 64)
		lon, err2 := strconv.ParseFloat(f[4], 64)
		if err1 != nil || err2 != nil || math.Abs(lat) > 90 || math.Abs(lon) > 180 {
			return fmt.Errorf("line %d: bad coordinates %q, %q", l.no, f[3], f[4])
		}
		r := record{kind: kindRegion, name: f[0], country: strings.TrimSpace(f[2]), lat: lat, lon: lon}
		i := g.add(r)
		g.addName(r.name, i, viaName)
		if r.country != "" {
			g.addQualifier(r.name, i) // "London, Ontario"
		}
		for _, n := range splitList(f[1]) {
			g.addName(n, i, viaName)
		}
	}
	return nil
}

func (g *gazetteer) readAliases(b []byte) error {
	states := map[string]int32{}
	byID := map[int64]int32{}
	for i, r := range g.recs {
		switch r.kind {
		case kindAdmin1:
			states[r.name] = int32(i)
		case kindPlace:
			byID[r.id] = int32(i)
		case kindRegion:
			states[r.name] = int32(i)
		}
	}
	for l := range lines(b) {
		f := strings.Split(l.text, "\t")
		if len(f) != 3 {
			return fmt.Errorf("line %d: want 3 tab-separated fields", l.no)
		}
		i, ok := g.countries[f[0]]
		if !ok {
			i, ok = states[f[0]]
		}
		if !ok {
			if id, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				i, ok = byID[id]
			}
		}
		if !ok {
			return fmt.Errorf("line %d: target %q is no country code, US state, region or GeoNames id of a place", l.no, f[0])
		}
		for _, n := range splitList(f[2]) {
			switch f[1] {
			case "name":
				g.addName(n, i, viaName)
			case "demonym":
				g.addName(n, i, viaDemonym)
			case "qualifier":
				g.addQualifier(n, i)
			default:
				return fmt.Errorf("line %d: use %q is not name, demonym or qualifier", l.no, f[1])
			}
		}
	}
	return nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

func (g *gazetteer) add(r record) int32 {
	g.recs = append(g.recs, r)
	return int32(len(g.recs) - 1)
}

func (g *gazetteer) addName(name string, rec int32, via uint8) {
	key, words := nameKey(name)
	if key == "" {
		return
	}
	cands := g.names[key]
	for j, c := range cands {
		if c.rec == rec {
			// The best way a name refers to a record wins: its own name
			// over an alternate spelling.
			cands[j].via = min(c.via, via)
			return
		}
	}
	g.names[key] = append(cands, cand{rec: rec, via: via})
	g.maxWords = max(g.maxWords, words)
	if words >= 2 {
		// The key's words are joined by single spaces.
		first, rest, _ := strings.Cut(key, " ")
		second, _, _ := strings.Cut(rest, " ")
		g.prefixes[first+" "+second] = true
	}
}

func (g *gazetteer) addQualifier(name string, rec int32) {
	key, _ := nameKey(name)
	g.qualifiers[key] = append(g.qualifiers[key], rec)
}
