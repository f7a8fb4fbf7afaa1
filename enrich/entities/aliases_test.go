package entities

import (
	"strings"
	"testing"
)

func TestParseAliases(t *testing.T) {
	tbl, err := parseAliases(embeddedAliases)
	if err != nil {
		t.Fatalf("embedded aliases: %v", err)
	}
	for variant, want := range map[string]string{
		"ISIS": "Islamic State", "ISIL": "Islamic State", "Daesh": "Islamic State", "Islamic State group": "Islamic State",
		"IS": "Islamic State", "U.N.": "UN", "United Nations": "UN", "U.S.": "United States", "Kurdistan Workers\u2019 Party": "PKK",
	} {
		e, ok := tbl.lookup(variant)
		if !ok || e.Name != want {
			t.Errorf("lookup(%q) = %v, %v; want %s", variant, e, ok, want)
		}
	}
	for _, word := range []string{"is", "Is", "us", "who"} {
		if e, ok := tbl.lookup(word); ok {
			t.Errorf("lookup(%q) = %s, want no match: variants are case-sensitive", word, e.Name)
		}
	}

	bad := map[string]string{
		"not a list":     "name: UN\n",
		"no name":        "- type: ORG\n  aliases: [x]\n",
		"unknown type":   "- name: UN\n  type: ORGANIZATION\n",
		"unknown field":  "- name: UN\n  type: ORG\n  alias: [x]\n",
		"shared variant": "- name: A\n  type: ORG\n  aliases: [X]\n- name: B\n  type: ORG\n  aliases: [X]\n",
		"empty variant":  "- name: A\n  type: ORG\n  aliases: ['...']\n",
		"empty file":     "[]\n",
	}
	for name, in := range bad {
		if _, err := parseAliases([]byte(in)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	_, err = parseAliases([]byte("- name: A\n  type: ORG\n- name: B\n  type: FOO\n"))
	if err == nil || !strings.Contains(err.Error(), "entry 2 (B)") {
		t.Errorf("error %v, want one naming entry 2 (B)", err)
	}
}

func FuzzParseAliases(f *testing.F) {
	f.Add(string(embeddedAliases))
	f.Add("- name: UN\n  type: ORG\n  aliases: [U.N., United Nations]\n")
	f.Fuzz(func(t *testing.T, in string) {
		tbl, err := parseAliases([]byte(in))
		if err != nil {
			return
		}
		for k, e := range tbl.byKey {
			if got, ok := tbl.lookup(k); !ok || got != e {
				t.Fatalf("lookup(%q) does not find its own entry", k)
			}
		}
		newDictionary(tbl)
	})
}
