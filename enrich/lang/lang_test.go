package lang

import (
	"testing"
	"unicode/utf8"
)

func TestDetect(t *testing.T) {
	d := New()
	tests := []struct {
		name, text, want string
		reliable         bool
	}{
		{"english", "The United Nations said on Friday that aid convoys had reached the besieged city.", "en", true},
		{"french", "Les Nations unies ont annoncé vendredi que les convois d'aide avaient atteint la ville assiégée.", "fr", true},
		{"german", "Die Vereinten Nationen teilten am Freitag mit, dass Hilfskonvois die belagerte Stadt erreicht hätten.", "de", true},
		{"russian", "Организация Объединённых Наций сообщила в пятницу, что гуманитарные конвои достигли осаждённого города.", "ru", true},
		{"ukrainian", "Організація Об'єднаних Націй повідомила в п'ятницю, що гуманітарні конвої досягли обложеного міста.", "uk", true},
		{"arabic", "قالت الأمم المتحدة يوم الجمعة إن قوافل المساعدات وصلت إلى المدينة المحاصرة في شمال سوريا.", "ar", true},
		{"slovak", "Británia vyzvala Čínu, aby umožnila inšpektorom z OSN navštíviť ujgurskú oblasť.", "sk", true},
		{"japanese", "国連は金曜日、支援物資を積んだ車列が包囲された都市に到着したと発表した。", "ja", true},
		{"short text is not reliable", "Syria talks", "", false},
		{"no letters", "2016-08-26 12:00 — 42 %", "", false},
		{"empty", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Detect(tt.text)
			if tt.want != "" && got.Code != tt.want {
				t.Errorf("Detect = %+v, want %s", got, tt.want)
			}
			if got.Reliable != tt.reliable {
				t.Errorf("Detect = %+v, reliable want %v", got, tt.reliable)
			}
		})
	}
}

func TestChoose(t *testing.T) {
	tests := []struct {
		name     string
		declared string
		detected Result
		want     string
	}{
		{"reliable detection beats a wrong declaration", "en-US", Result{Code: "ru", Confidence: 0.9, Reliable: true}, "ru"},
		{"declaration beats an unreliable detection", "fr", Result{Code: "it", Confidence: 0.4}, "fr"},
		{"declaration with region is cut to its language", "PT_br", Result{}, "pt"},
		{"unreliable detection beats nothing", "", Result{Code: "de", Confidence: 0.3}, "de"},
		{"a declaration that is no language tag is ignored", "english", Result{Code: "en", Confidence: 0.2}, "en"},
		{"nothing at all", "", Result{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Choose(tt.declared, tt.detected); got != tt.want {
				t.Errorf("Choose(%q, %+v) = %q, want %q", tt.declared, tt.detected, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"en": "en", "EN-gb": "en", " de ": "de", "zh_Hant": "zh", "eng": "", "e1": "", "": "", "é": "", "-en": "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSampleCutsAtRuneBoundary(t *testing.T) {
	long := ""
	for len(long) < 3*sampleBytes {
		long += "Сирия "
	}
	s := Sample(long)
	if len(s) > sampleBytes || len(s) < sampleBytes-4 {
		t.Fatalf("Sample is %d bytes, want about %d", len(s), sampleBytes)
	}
	if !utf8.ValidString(s) {
		t.Fatalf("Sample cut a rune")
	}
}

// FuzzDetect feeds arbitrary text to the detector: no panic, and a code
// is either empty or two lower-case letters.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"The United Nations said on Friday", "Сирия", "", "\xff\xfe", "国連は金曜日"} {
		f.Add(s)
	}
	d := New()
	f.Fuzz(func(t *testing.T, text string) {
		r := d.Detect(text)
		if r.Code != "" && Normalize(r.Code) != r.Code {
			t.Fatalf("Detect(%q) = %q, not an ISO 639-1 code", text, r.Code)
		}
		if r.Confidence < 0 || r.Confidence > 1 {
			t.Fatalf("confidence %v", r.Confidence)
		}
	})
}

// TestDetectResultsTable checks a results table full of foreign names,
// introduced in English, reads as English.
func TestDetectResultsTable(t *testing.T) {
	text := `CYCLING - TOUR OF NETHERLANDS FINAL RESULTS / STANDINGS .
LANDGRAAF , Netherlands 1996-08-31
Leading results of the 205-km sixth and final stage of the Tour of the Netherlands between Roermond and Landgraaf on Saturday :
1. Olaf Ludwig ( Germany ) Telekom 4 hours 48 mins 2 seconds
2. Giovanni Lombardi ( Italy ) Polti 5 seconds behind
3. Tristan Hoffman ( Netherlands ) TVM same time
4. Erik Breukink ( Netherlands ) Rabobank 8 seconds
5. Jesper Skibby ( Denmark ) TVM 9
Final overall standings after the sixth stage of the tour, which the Dutch team won :
1. Erik Breukink ( Netherlands ) Rabobank 20 hours 3 mins 43 seconds`
	if r := New().Detect(text); r.Code != "en" || !r.Reliable {
		t.Errorf("Detect = %+v, want reliable en", r)
	}
	if r := New().Detect("De Nederlandse wielrenner Erik Breukink heeft de Ronde van Nederland gewonnen, na de laatste etappe tussen Roermond en Landgraaf."); r.Code != "nl" {
		t.Errorf("Dutch prose detected as %+v", r)
	}
}
