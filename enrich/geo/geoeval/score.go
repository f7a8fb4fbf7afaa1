package geoeval

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/newsflow/newsflow/enrich/geo"
	"github.com/newsflow/newsflow/pkg/article"
)

// AccuracyKm is the usual radius of a correct resolution: 161 km, 100 miles.
const AccuracyKm = 161

// Scores are the figures of one corpus split.
//
// Toponyms found: a predicted mention and a gold toponym match when their
// byte spans overlap (Exact counts identical spans). Precision is over the
// predicted mentions, recall over the gold toponyms.
//
// Resolution: over the matched gold toponyms that carry a GeoNames id or a
// point, the share resolved to the same GeoNames id, and the share within
// AccuracyKm of the gold point (the same id counts as 0 km, since the gold
// and the gazetteer may give one record slightly different points).
//
// Given spans: the gold spans are passed to the parser as the entity
// tagger's LOC mentions; the share of resolvable gold toponyms that come
// out resolved within AccuracyKm (unresolved ones count as wrong).
type Scores struct {
	Docs, Gold, Predicted        int
	MatchedPred, Found, Exact    int
	Resolvable, SameID, Within   int
	GivenResolvable, GivenWithin int
	GivenSameID                  int
}

// Precision of toponyms found.
func (s Scores) Precision() float64 { return ratio(s.MatchedPred, s.Predicted) }

// Recall of toponyms found.
func (s Scores) Recall() float64 { return ratio(s.Found, s.Gold) }

// F1 of toponyms found.
func (s Scores) F1() float64 {
	p, r := s.Precision(), s.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// AccuracyID is the share of matched toponyms resolved to the gold id.
func (s Scores) AccuracyID() float64 { return ratio(s.SameID, s.Resolvable) }

// AccuracyKm161 is the share of matched toponyms resolved within 161 km.
func (s Scores) AccuracyKm161() float64 { return ratio(s.Within, s.Resolvable) }

// GivenAccuracyKm161 is the resolution accuracy within 161 km when the gold
// spans are given.
func (s Scores) GivenAccuracyKm161() float64 { return ratio(s.GivenWithin, s.GivenResolvable) }

// GivenAccuracyID is the same-id accuracy when the gold spans are given.
func (s Scores) GivenAccuracyID() float64 { return ratio(s.GivenSameID, s.GivenResolvable) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Evaluate runs p over docs twice — on the text alone, and with the gold
// spans given as LOC mentions — and scores both runs.
func Evaluate(p *geo.Parser, docs []Doc) Scores {
	var s Scores
	for _, d := range docs {
		s.Docs++
		s.Gold += len(d.Toponyms)
		places, _ := p.Places(geo.Field{Name: article.FieldContent, Text: d.Text})
		type pred struct {
			start, end int
			place      *article.Place
		}
		var preds []pred
		for i := range places {
			for _, m := range places[i].Mentions {
				preds = append(preds, pred{m.Start, m.End, &places[i]})
			}
		}
		s.Predicted += len(preds)
		for _, pr := range preds {
			for _, t := range d.Toponyms {
				if pr.start < t.End && t.Start < pr.end {
					s.MatchedPred++
					break
				}
			}
		}
		for _, t := range d.Toponyms {
			var hit *pred
			for i := range preds {
				pr := &preds[i]
				if pr.start < t.End && t.Start < pr.end {
					if hit == nil || (pr.start == t.Start && pr.end == t.End) {
						hit = pr
					}
				}
			}
			if hit == nil {
				continue
			}
			s.Found++
			if hit.start == t.Start && hit.end == t.End {
				s.Exact++
			}
			if t.GeoNameID == 0 && !t.HasPoint {
				continue
			}
			s.Resolvable++
			same, within := correct(t, hit.place)
			s.SameID += b2i(same)
			s.Within += b2i(within)
		}

		// Gold spans given.
		locs := make([][2]int, len(d.Toponyms))
		for i, t := range d.Toponyms {
			locs[i] = [2]int{t.Start, t.End}
		}
		places, _ = p.Places(geo.Field{Name: article.FieldContent, Text: d.Text, Locations: locs})
		for _, t := range d.Toponyms {
			if t.GeoNameID == 0 && !t.HasPoint {
				continue
			}
			s.GivenResolvable++
			var got *article.Place
			for i := range places {
				for _, m := range places[i].Mentions {
					if m.Start == t.Start && m.End == t.End {
						got = &places[i]
					}
				}
			}
			if got != nil {
				same, within := correct(t, got)
				s.GivenSameID += b2i(same)
				s.GivenWithin += b2i(within)
			}
		}
	}
	return s
}

func correct(t Toponym, p *article.Place) (sameID, within bool) {
	sameID = t.GeoNameID != 0 && t.GeoNameID == p.GeoNameID
	within = sameID || (t.HasPoint && geo.Km(t.Lat, t.Lon, p.Lat, p.Lon) <= AccuracyKm)
	return sameID, within
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Split divides docs into a development half (even positions) and a
// held-out half (odd positions), in file order.
func Split(docs []Doc) (dev, heldOut []Doc) {
	for i, d := range docs {
		if i%2 == 0 {
			dev = append(dev, d)
		} else {
			heldOut = append(heldOut, d)
		}
	}
	return dev, heldOut
}

// Row is one line of the report table.
type Row struct {
	Name   string
	Scores Scores
}

// WriteTable prints rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "corpus\tdocs\tgold\tpredicted\tP\tR\tF1\texact\tacc id\tacc 161km\tgiven spans: acc id\tacc 161km\t")
	for _, r := range rows {
		s := r.Scores
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", r.Name, s.Docs, s.Gold, s.Predicted,
			s.Precision(), s.Recall(), s.F1(), ratio(s.Exact, s.Gold), s.AccuracyID(), s.AccuracyKm161(),
			s.GivenAccuracyID(), s.GivenAccuracyKm161())
	}
	return tw.Flush()
}
