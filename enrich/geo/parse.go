package geo

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/newsflow/newsflow/pkg/article"
)

// Thresholds of the spotter, tuned on the development split (see eval).
const (
	// spotPopulation is the population a place must have for the spotter
	// to take its name alone, without a LOC mention or a qualifier.
	spotPopulation = 15000
	// spotPrepPopulation is the same after a locative preposition: "in
	// Jarabulus".
	spotPrepPopulation = 5000
	// spotAltPopulation is the same for an alternate spelling.
	spotAltPopulation = 100000
	// nearKm is how close two places must be to support each other.
	nearKm = 150
)

// directions may precede a name in the same capitalised run: "Northern
// Syria", "South Texas".
var directions = map[string]bool{
	"north": true, "south": true, "east": true, "west": true, "central": true,
	"northern": true, "southern": true, "eastern": true, "western": true,
	"northeast": true, "northwest": true, "southeast": true, "southwest": true,
	"northeastern": true, "northwestern": true, "southeastern": true, "southwestern": true,
	"greater": true, "upper": true, "lower": true,
}

// institutions after a place name in one capitalised run make an
// organisation named after the place, and the place is still mentioned:
// "Gainesville Police", "Texas Department of State Health Services".
var institutions = map[string]bool{
	"police": true, "department": true, "city": true, "high": true, "school": true,
	"schools": true, "university": true, "college": true, "council": true, "public": true,
	"library": true, "utilities": true, "hospital": true, "airport": true, "fire": true,
	"sheriff": true, "sheriff's": true, "board": true, "chamber": true, "commission": true,
	"area": true, "metro": true, "regional": true, "community": true, "church": true,
	"mall": true, "center": true, "centre": true, "zoo": true, "museum": true,
	"state": true, "government": true, "ministry": true, "embassy": true, "army": true,
	"national": true, "municipal": true, "district": true, "court": true, "general": true,
	"times": true, "post": true, "herald": true, "tribune": true, "journal": true,
	"gazette": true, "daily": true, "news": true, "stock": true, "port": true,
}

// placeHeads after a name in one capitalised run make another place:
// "Laurel County", "Van Dorn Street", "Peace River".
var placeHeads = map[string]bool{
	"county": true, "parish": true, "township": true, "street": true, "road": true,
	"avenue": true, "boulevard": true, "drive": true, "lane": true, "highway": true,
	"river": true, "creek": true, "lake": true, "island": true, "islands": true,
	"mountain": true, "mountains": true, "valley": true, "bay": true, "beach": true,
	"harbor": true, "canyon": true, "forest": true, "falls": true, "heights": true,
}

// locPreps before a name make it a place: "in Edmonton said".
var locPreps = map[string]bool{
	"in": true, "at": true, "from": true, "to": true, "near": true, "into": true,
	"outside": true, "across": true, "toward": true, "towards": true, "around": true,
	"visited": true, "via": true,
}

// speechVerbs after a bare name mark a person: "Kerry said".
var speechVerbs = map[string]bool{
	"said": true, "says": true, "told": true, "added": true, "asked": true,
	"wrote": true, "argued": true, "stated": true, "explained": true,
}

// genericHeads are dropped from the end of a LOC mention that is not in the
// gazetteer as a whole: "Idlib city", "Aleppo governorate".
var genericHeads = map[string]bool{
	"city": true, "province": true, "governorate": true, "region": true,
	"state": true, "district": true, "county": true, "area": true, "town": true,
}

// mention is one toponym candidate in one field.
type mention struct {
	field      int
	start, end int
	cands      []cand
	qual       []int32 // records a ", State" qualifier names
	weak       bool    // a small place the article's context must support
	chosen     int32
	score      float64 // of the chosen record
}

// doc is the state of one Places call.
type doc struct {
	g        *gazetteer
	fields   []Field
	toks     [][]token
	lower    map[string]bool // keys of words written lower case
	personal map[string]bool // keys that end a multi-word capitalised name
	ments    []mention
	buf      []byte
	// headline marks fields written in title case ("Kerry, Lavrov Meet
	// On Syria Conflict"), where capitals do not delimit names.
	headline []bool
}

func newDoc(g *gazetteer, fields []Field) *doc {
	d := &doc{g: g, fields: fields, toks: make([][]token, len(fields)),
		lower: map[string]bool{}, personal: map[string]bool{}, headline: make([]bool, len(fields))}
	for i, f := range fields {
		// About one token per six bytes of English text.
		d.toks[i] = tokenize(f.Text, make([]token, 0, len(f.Text)/6+1))
		for _, t := range d.toks[i] {
			if !t.cap && !t.sentStart {
				d.lower[t.key] = true
			}
		}
	}
	for i := range fields {
		d.headline[i] = titleCase(d.toks[i])
		// A capitalised first word that the article also writes in lower
		// case ("The", "In", "After") is no part of a name.
		toks := d.toks[i]
		for k := range toks {
			t := &toks[k]
			if t.cap && t.sentStart && (!t.upper || len(t.key) == 1) && (d.lower[t.key] || g.stop[t.key]) &&
				!(k+1 < len(toks) && toks[k+1].cap && toks[k+1].gap <= gapHyphen && g.prefixes[t.key+" "+toks[k+1].key]) {
				t.cap = false
			}
		}
		if !d.headline[i] {
			d.scanCase(d.toks[i])
		}
	}
	return d
}

// scanCase records the last words of multi-word capitalised names that are
// not places ("John Kerry"), which mark a bare "Kerry" as a person.
func (d *doc) scanCase(toks []token) {
	for i := 0; i < len(toks); {
		if !toks[i].cap {
			i++
			continue
		}
		j := runEnd(toks, i)
		if j-i >= 2 && !toks[i].upper && !toks[i].sentStart && !directions[toks[i].key] && d.g.names[d.key(toks, i, j)] == nil {
			spaced := true
			for k := i + 1; k < j; k++ {
				spaced = spaced && toks[k].gap == gapSpace
			}
			// "Russia-Turkey ties" and "Syrian Kurdish" are no names of
			// people.
			if spaced && d.g.names[toks[j-2].key] == nil {
				d.personal[toks[j-1].key] = true
			}
		}
		i = j
	}
}

// titleCase reports whether most words of four letters or more are
// capitalised, as in a title-case headline.
func titleCase(toks []token) bool {
	long, capital := 0, 0
	for _, t := range toks {
		if len(t.key) >= 4 {
			long++
			if t.cap {
				capital++
			}
		}
	}
	return long >= 3 && capital*5 >= long*4
}

// runEnd returns the end of the capitalised run that starts at i: tokens
// joined by spaces or hyphens.
func runEnd(toks []token, i int) int {
	j := i + 1
	for j < len(toks) && toks[j].cap && (toks[j].gap == gapSpace || toks[j].gap == gapHyphen) {
		j++
	}
	return j
}

// key joins the keys of toks[i:j] with spaces.
func (d *doc) key(toks []token, i, j int) string {
	d.buf = d.buf[:0]
	for k := i; k < j; k++ {
		if k > i {
			d.buf = append(d.buf, ' ')
		}
		d.buf = append(d.buf, toks[k].key...)
	}
	return string(d.buf)
}

// lookup returns the gazetteer records named toks[i:j]. It builds the key
// in the doc's buffer: a map index with string(d.buf) does not allocate.
func (d *doc) lookup(toks []token, i, j int) []cand {
	d.buf = d.buf[:0]
	for k := i; k < j; k++ {
		if k > i {
			d.buf = append(d.buf, ' ')
		}
		d.buf = append(d.buf, toks[k].key...)
	}
	return d.g.names[string(d.buf)]
}

// spot collects the toponym candidates of every field.
func (d *doc) spot() {
	for fi, f := range d.fields {
		toks := d.toks[fi]
		covered := make([]bool, len(toks))
		for _, loc := range f.Locations {
			d.spotLocation(fi, loc, covered)
		}
		d.spotText(fi, toks, covered)
	}
}

// spotLocation resolves a LOC mention from the entity tagger: the whole
// span, or the span without a leading "the", directions or a trailing
// generic head ("province").
func (d *doc) spotLocation(fi int, loc [2]int, covered []bool) {
	text := d.fields[fi].Text
	s, e := loc[0], loc[1]
	if s < 0 || e > len(text) || s >= e || !utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e])) {
		return
	}
	toks := d.toks[fi]
	i, _ := slices.BinarySearchFunc(toks, s, func(t token, s int) int { return cmp.Compare(t.end, s+1) })
	j := i
	for j < len(toks) && toks[j].start < e {
		j++
	}
	if i >= j {
		return
	}
	// A span inside one already taken repeats it.
	if !slices.Contains(covered[i:j], false) {
		return
	}
	for k := i; k < j; k++ {
		covered[k] = true
	}
	// "the West", "the South" name no place of their own.
	if j-i == 1 && directions[toks[i].key] && d.qualifier(toks, j) == nil {
		return
	}
	cands := d.lookupLocation(toks, i, j)
	if cands == nil {
		return
	}
	m := mention{field: fi, start: s, end: e, cands: cands, chosen: -1}
	m.qual = d.qualifier(toks, j)
	d.ments = append(d.ments, m)
}

// lookupLocation finds the records a LOC mention toks[i:j] names: the
// whole span ("South Africa"), a state abbreviation ("Ky."), or the span
// without a leading "the" or direction ("northern Syria") or a trailing
// generic head ("Idlib city").
func (d *doc) lookupLocation(toks []token, i, j int) []cand {
	if c := d.lookup(toks, i, j); c != nil {
		return c
	}
	if isAbbrev(toks, i, j) {
		if q := d.g.qualifiers[toks[i].key]; q != nil {
			c := make([]cand, len(q))
			for k, r := range q {
				c[k] = cand{rec: r}
			}
			return c
		}
	}
	for i < j-1 && (toks[i].key == "the" || directions[toks[i].key]) {
		i++
		if c := d.lookup(toks, i, j); c != nil {
			return c
		}
	}
	if j-i > 1 && genericHeads[toks[j-1].key] {
		return d.lookup(toks, i, j-1)
	}
	return nil
}

// isAbbrev reports whether toks[i:j] is short enough to be an abbreviation.
func isAbbrev(toks []token, i, j int) bool {
	return j-i == 1 && len(toks[i].key) <= 5
}

// spotText finds gazetteer names in capitalised text outside LOC mentions.
func (d *doc) spotText(fi int, toks []token, covered []bool) {
	runStart := 0
	for i := 0; i < len(toks); {
		t := toks[i]
		if !t.cap || covered[i] {
			i++
			continue
		}
		if i == 0 || !(t.gap == gapSpace || t.gap == gapHyphen) || !toks[i-1].cap {
			runStart = i
		}
		// A state abbreviation after a town the gazetteer lacks
		// ("Cottonport, La."), or one dotted inside ("in B.C.").
		afterTown := i > 0 && t.gap == gapComma && toks[i-1].cap
		if d.g.names[t.key] == nil && (afterTown || strings.Contains(d.fields[fi].Text[t.start:t.end], ".")) {
			if q := d.g.qualifiers[t.key]; q != nil && (t.upper || abbreviated(d.fields[fi].Text, t)) {
				m := mention{field: fi, start: t.start, end: t.end, chosen: -1}
				for _, r := range q {
					m.cands = append(m.cands, cand{rec: r})
				}
				d.ments = append(d.ments, m)
				i++
				continue
			}
		}
		n, cands := d.longest(toks, i, covered)
		if cands == nil {
			i++
			continue
		}
		j := i + n
		if m, ok := d.accept(fi, toks, runStart, i, j, cands); ok {
			d.ments = append(d.ments, m)
			i = j
			// The qualifier is a toponym too: "Ky." in "London, Ky.".
			if n := d.qualifierLen(toks, j); n > 0 && !covered[j] {
				q := mention{field: fi, start: toks[j].start, end: toks[j+n-1].end, chosen: -1}
				for _, r := range m.qual {
					q.cands = append(q.cands, cand{rec: r})
				}
				d.ments = append(d.ments, q)
				i = j + n
			}
			continue
		}
		i++
	}
}

// abbreviated reports whether t is written with a dot: "La.", "S.C.".
func abbreviated(text string, t token) bool {
	return text[t.end-1] == '.' || (t.end < len(text) && text[t.end] == '.')
}

// longest returns the longest gazetteer name starting at toks[i].
func (d *doc) longest(toks []token, i int, covered []bool) (int, []cand) {
	limit := i + 1
	for limit < len(toks) && limit-i < d.g.maxWords && !covered[limit] &&
		(toks[limit].gap == gapSpace || toks[limit].gap == gapHyphen) {
		limit++
	}
	for j := limit; j > i; j-- {
		if !toks[j-1].cap {
			continue
		}
		if c := d.lookup(toks, i, j); c != nil {
			return j - i, c
		}
	}
	return 0, nil
}

// accept decides whether the spotter takes the name toks[i:j], and with
// which candidates.
func (d *doc) accept(fi int, toks []token, runStart, i, j int, cands []cand) (mention, bool) {
	key := d.key(toks, i, j)
	qual := d.qualifier(toks, j)
	if d.g.stop[key] && qual == nil {
		return mention{}, false
	}
	end := runEnd(toks, runStart)
	// Directions and an article may lead the run: "Northern Syria", "The
	// Turkish-backed fighters".
	lead := runStart
	for lead < i && (directions[toks[lead].key] || toks[lead].key == "the") {
		lead++
	}
	atStart := lead == i
	whole := atStart && j >= end
	if d.headline[fi] {
		// Every word is capitalised: take names as they come.
		atStart, whole, end = true, true, j
	}
	// An organisation named after the place still mentions it; another
	// place named after it does not.
	named := atStart && j < end && institutions[toks[j].key]
	if j < end && placeHeads[toks[j].key] {
		return mention{}, false
	}
	single := j-i == 1
	afterPrep := i > 0 && toks[i].gap == gapSpace && locPreps[toks[i-1].key]
	wordlike := single && (d.lower[key] || d.personal[key] ||
		(!afterPrep && j < len(toks) && toks[j].gap == gapSpace && speechVerbs[toks[j].key]))
	// A short all-capitals word in mixed text is an acronym ("IRNA",
	// "MENA"), unless it opens a sentence as a dateline does.
	if single && toks[i].upper && len(key) <= 5 && !toks[i].sentStart {
		wordlike = true
	}
	minPop := int64(spotPopulation)
	if afterPrep {
		minPop = spotPrepPopulation
	}

	var keep []cand
	weak := false
	for _, c := range cands {
		r := &d.g.recs[c.rec]
		switch {
		case c.via == viaDemonym:
			if atStart && !(wordlike && d.personal[key]) {
				keep = append(keep, c)
			}
		case r.kind == kindAdmin1 && atStart && !wordlike:
			// "Georgia Tech", "Texas Rangers": like a country, a state may
			// open a name.
			keep = append(keep, c)
		case r.kind == kindCountry:
			// A country may also close a name: "Environment Canada".
			if (atStart || j >= end) && !(wordlike && d.personal[key]) {
				keep = append(keep, c)
			}
		case r.kind != kindPlace:
			if whole || named {
				keep = append(keep, c)
			}
		case !(whole || named) || wordlike:
		case qual != nil:
			keep = append(keep, c)
		case c.via == viaName && r.population >= minPop:
			keep = append(keep, c)
		case c.via == viaName || r.population >= spotAltPopulation:
			// A small place, or a foreign spelling ("Sarkh" is also
			// Chad's Sarh): only where the article's context is.
			keep = append(keep, c)
			weak = true
		}
	}
	if keep == nil {
		return mention{}, false
	}
	// A weak mention stays weak only if no strong candidate came with it.
	if weak {
		for _, c := range keep {
			r := &d.g.recs[c.rec]
			if r.kind != kindPlace || (c.via == viaName && r.population >= minPop) {
				// A strong candidate came along: no context needed.
				weak = false
				break
			}
		}
	}
	return mention{field: fi, start: toks[i].start, end: toks[j-1].end, cands: keep, qual: qual, weak: weak, chosen: -1}, true
}

// qualifier returns the states or countries named right after a comma at
// toks[j]: "Paris, Texas", "Alexandria, La.".
func (d *doc) qualifier(toks []token, j int) []int32 {
	if n := d.qualifierLen(toks, j); n > 0 {
		return d.g.qualifiers[d.key(toks, j, j+n)]
	}
	return nil
}

// qualifierLen returns how many tokens from toks[j] name a qualifier, or 0.
func (d *doc) qualifierLen(toks []token, j int) int {
	if j >= len(toks) || toks[j].gap != gapComma || !toks[j].cap {
		return 0
	}
	for n := min(3, len(toks)-j); n >= 1; n-- {
		if n > 1 && toks[j+n-1].gap != gapSpace {
			continue
		}
		if d.g.qualifiers[d.key(toks, j, j+n)] != nil {
			return n
		}
	}
	return 0
}

// resolve picks one record for every mention.
func (d *doc) resolve() {
	countries := map[string]float64{}
	states := map[string]float64{}
	for _, m := range d.ments {
		for _, q := range m.qual {
			d.addContext(countries, states, q)
		}
		if m.weak {
			continue
		}
		if best := d.unambiguous(m); best >= 0 {
			d.addContext(countries, states, best)
		}
	}
	// Small places count only where the article's countries or states
	// support them.
	kept := d.ments[:0]
	for _, m := range d.ments {
		if m.weak {
			var c []cand
			for _, x := range m.cands {
				r := &d.g.recs[x.rec]
				if (r.country == "US" && states[r.admin1] > 0) || (r.country != "US" && countries[r.country] > 0) {
					c = append(c, x)
				}
			}
			if c == nil {
				continue
			}
			m.cands = c
		}
		kept = append(kept, m)
	}
	d.ments = kept
	for pass := 0; pass < 2; pass++ {
		if pass == 1 {
			// Countries and states the first pass settled on count too:
			// "a transfer to Virginia" puts "Alexandria" in Virginia.
			for _, m := range d.ments {
				if m.chosen >= 0 && d.unambiguous(m) < 0 {
					if k := d.g.recs[m.chosen].kind; k == kindCountry || k == kindAdmin1 {
						d.addContext(countries, states, m.chosen)
					}
				}
			}
		}
		for k := range d.ments {
			m := &d.ments[k]
			best, bestScore := int32(-1), math.Inf(-1)
			for _, c := range m.cands {
				s := d.score(m, c, countries, states, pass > 0)
				if s > bestScore {
					best, bestScore = c.rec, s
				}
			}
			m.chosen, m.score = best, bestScore
		}
	}
	d.oneSense()
}

// oneSense gives every unqualified mention of a name the place its best
// supported mention chose: after "London, Ky.", a bare "London" in the
// same article is in Kentucky too.
func (d *doc) oneSense() {
	best := map[string]int{}
	for k := range d.ments {
		m := &d.ments[k]
		if m.chosen < 0 {
			continue
		}
		key := d.surface(m)
		if b, ok := best[key]; !ok || m.score > d.ments[b].score {
			best[key] = k
		}
	}
	for k := range d.ments {
		m := &d.ments[k]
		if m.chosen >= 0 && m.qual == nil {
			b := &d.ments[best[d.surface(m)]]
			if slices.ContainsFunc(m.cands, func(c cand) bool { return c.rec == b.chosen }) {
				m.chosen = b.chosen
			}
		}
	}
}

// surface is the lower-cased text of a mention.
func (d *doc) surface(m *mention) string {
	return strings.ToLower(d.fields[m.field].Text[m.start:m.end])
}

// unambiguous returns a record whose country (and US state) a mention
// settles, or -1: a country name or demonym with no region of the same
// name ("Georgia" may be the state), or candidates that all lie in one
// country ("Gainesville" is in the United States whichever it is).
func (d *doc) unambiguous(m mention) int32 {
	first := &d.g.recs[m.cands[0].rec]
	country, sameCountry, sameState := int32(-1), true, true
	for _, c := range m.cands {
		r := &d.g.recs[c.rec]
		switch r.kind {
		case kindCountry:
			country = c.rec
		case kindAdmin1, kindRegion:
			country = -2
		}
		sameCountry = sameCountry && r.country == first.country
		sameState = sameState && r.admin1 == first.admin1
	}
	switch {
	case len(m.cands) == 1:
		return m.cands[0].rec
	case country >= 0:
		return country
	case sameCountry && sameState && first.country != "":
		return m.cands[0].rec
	}
	return -1
}

// addContext counts a record toward the article's countries and US states.
// A town alone counts half: one "Liberal" does not put an article in
// Kansas, two towns there do.
func (d *doc) addContext(countries, states map[string]float64, rec int32) {
	r := &d.g.recs[rec]
	w := 1.0
	if r.kind == kindPlace {
		w = 0.5
	}
	if r.country != "" {
		countries[r.country] += w
	}
	if r.country == "US" && r.admin1 != "" {
		states[r.admin1] += w
	}
}

// score rates candidate c of mention m: the kind of place and its size,
// then the article's support for it.
func (d *doc) score(m *mention, c cand, countries, states map[string]float64, near bool) float64 {
	r := &d.g.recs[c.rec]
	var s float64
	switch r.kind {
	case kindCountry:
		// Population only breaks ties between countries sharing a
		// demonym ("American": the United States, not American Samoa).
		s = 10 + math.Log10(float64(r.population)+1)/5
		if len(m.cands) > 1 && countries[r.country] > 0 {
			s += 2
		}
	case kindContinent:
		s = 9
	case kindAdmin1:
		// A state beats a foreign namesake ("Virginia" in South Africa)
		// and, where the article has other US states or towns, a country
		// ("Georgia"); the United States alone is named by foreign news
		// too often to count.
		s = 11
		for st, w := range states {
			if st != r.admin1 && w > 0 {
				s += 2
				break
			}
		}
	case kindRegion:
		s = 10.5
	default:
		s = 2 * math.Log10(float64(r.population)+10)
		// "Hong Kong", "Singapore", "Luxembourg": the country, not its
		// city of the same name.
		if slices.ContainsFunc(m.cands, func(c cand) bool {
			o := &d.g.recs[c.rec]
			return o.kind == kindCountry && o.country == r.country
		}) {
			s -= 5
		}
	}
	if c.via == viaAlt {
		s -= 3
	}
	for _, q := range m.qual {
		qr := &d.g.recs[q]
		if qr.kind == kindCountry && qr.country == r.country && r.kind != kindCountry ||
			qr.kind == kindAdmin1 && qr.admin1 == r.admin1 && r.kind == kindPlace ||
			qr.kind == kindRegion && qr.country == r.country && r.kind == kindPlace && Km(qr.lat, qr.lon, r.lat, r.lon) < 1000 {
			s += 20
			break
		}
	}
	if r.kind == kindPlace || r.kind == kindRegion {
		if countries[r.country] > 0 {
			s += 2
		}
		if r.kind == kindPlace && r.country == "US" && states[r.admin1] > 0 {
			s += 3
		}
	}
	if near && r.kind == kindPlace && len(m.cands) > 1 && d.nearOther(m, r) {
		s += 3
	}
	return s
}

// nearOther reports whether another mention's chosen place, not a country,
// lies within nearKm of r.
func (d *doc) nearOther(m *mention, r *record) bool {
	for k := range d.ments {
		o := &d.ments[k]
		if o == m || o.chosen < 0 {
			continue
		}
		or := &d.g.recs[o.chosen]
		if or == r || or.kind == kindCountry || or.kind == kindContinent {
			continue
		}
		if Km(r.lat, r.lon, or.lat, or.lon) <= nearKm {
			return true
		}
	}
	return false
}

// Km is the great-circle distance between two points in kilometres.
func Km(lat1, lon1, lat2, lon2 float64) float64 {
	const earth = 6371.0
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earth * math.Asin(math.Sqrt(min(1, a)))
}

// output groups mentions by place and ranks places and countries.
func (d *doc) output() ([]article.Place, []string) {
	if len(d.ments) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(d.ments, func(a, b mention) int {
		return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.start, b.start))
	})
	type group struct {
		place article.Place
		first int
		score float64
	}
	var groups []*group
	byRec := map[int32]*group{}
	type salience struct {
		score float64
		first int
	}
	countries := map[string]*salience{}
	for k, m := range d.ments {
		if m.chosen < 0 {
			continue
		}
		r := &d.g.recs[m.chosen]
		g := byRec[m.chosen]
		if g == nil {
			g = &group{first: k, place: article.Place{Name: r.name, GeoNameID: r.id, CountryCode: r.country,
				Admin1: r.admin1, Lat: r.lat, Lon: r.lon}}
			byRec[m.chosen] = g
			groups = append(groups, g)
		}
		w := 1.0
		if d.fields[m.field].Name == article.FieldTitle {
			w = 2
		}
		g.score += w
		g.place.Mentions = append(g.place.Mentions, article.Mention{Field: d.fields[m.field].Name, Start: m.start, End: m.end})
		if r.country != "" {
			s := countries[r.country]
			if s == nil {
				s = &salience{first: k}
				countries[r.country] = s
			}
			s.score += w
		}
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.first, b.first))
	})
	places := make([]article.Place, len(groups))
	for i, g := range groups {
		places[i] = g.place
	}
	codes := make([]string, 0, len(countries))
	for c := range countries {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		sa, sb := countries[a], countries[b]
		return cmp.Or(cmp.Compare(sb.score, sa.score), cmp.Compare(sa.first, sb.first), strings.Compare(a, b))
	})
	return places, codes
}
