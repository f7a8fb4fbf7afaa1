package lang

import (
	"strings"
	"testing"

	"github.com/abadojack/whatlanggo"
	"github.com/pemistahl/lingua-go"
)

// The benchmarks below measure the detectors newsflow could use on the
// same fixture feed items as BenchmarkDetect, so the choice in New can be
// checked again. Run each alone (-bench '^BenchmarkCompareX$'): lingua
// caches its models per process, so MiB-kept is only right for the first
// detector a process builds.

// BenchmarkCompareWhatlanggo is whatlanggo restricted to Languages (it
// has no Slovak model).
func BenchmarkCompareWhatlanggo(b *testing.B) {
	allow := map[whatlanggo.Lang]bool{}
	for _, c := range Languages {
		for l := whatlanggo.Lang(0); l < 200; l++ {
			if l.Iso6391() == c {
				allow[l] = true
			}
		}
	}
	opts := whatlanggo.Options{Whitelist: allow}
	benchDetector(b, func() func(string) string {
		return func(s string) string { return whatlanggo.DetectWithOptions(Sample(s), opts).Lang.Iso6391() }
	})
}

// BenchmarkCompareLinguaHigh is lingua with all its n-gram models.
func BenchmarkCompareLinguaHigh(b *testing.B) {
	benchDetector(b, func() func(string) string {
		var isos []lingua.IsoCode639_1
		for _, c := range Languages {
			isos = append(isos, lingua.GetIsoCode639_1FromValue(c))
		}
		d := lingua.NewLanguageDetectorBuilder().FromIsoCodes639_1(isos...).WithPreloadedLanguageModels().Build()
		return func(s string) string {
			l, ok := d.DetectLanguageOf(Sample(s))
			if !ok {
				return ""
			}
			return strings.ToLower(l.IsoCode639_1().String())
		}
	})
}
