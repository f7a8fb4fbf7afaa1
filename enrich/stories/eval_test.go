package stories

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/newsflow/newsflow/enrich/internal/fixture"
)

// goldItem is a fixture text with the story it belongs to.
type goldItem struct {
	name, story, text string
}

// goldStories reads every fixture feed item and article. Items share a
// story when they have the same link (the same feed in two charsets, an
// item repeated or updated in place in its feed); when they are the same
// post of one publisher in two feed formats (Daring Fireball's Atom and
// JSON feeds link-list posts to other sites, so their links differ);
// where one text was posted twice under two ids (sameStory); and where
// testdata/SOURCES.md says two documents tell one story: the reference
// story as a text file and as its outlet's feed item, and the same
// Assange news written by the BBC and by Al Bawaba (independent reports,
// not a republication: a near-duplicate fingerprint is not expected to
// join them, and the figures say so).
func goldStories(t *testing.T) []goldItem {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(fixture.Dir(), "feeds", "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var out []goldItem
	for _, n := range names {
		items, err := fixture.Feed(filepath.Base(n))
		if err != nil {
			continue // malformed fixtures have no items to group
		}
		for _, it := range items {
			story := it.Link
			if it.File == "jsonfeed10-daringfireball.json" || it.File == "atom10-daringfireball-xmlbase.xml" {
				story = "daringfireball:" + it.Title
			}
			if alias, ok := sameStory[fmt.Sprintf("%s#%d", it.File, it.Index)]; ok {
				story = alias
			}
			if story == "" {
				story = it.GUID
			}
			if story == "" {
				story = fmt.Sprintf("%s#%d", it.File, it.Index)
			}
			out = append(out, goldItem{name: fmt.Sprintf("%s#%d", it.File, it.Index), story: story, text: Text(it.Title, it.Text)})
		}
	}
	arts, err := fixture.Articles()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		story := a.File
		switch {
		case strings.HasPrefix(a.File, "story-kerry-lavrov"):
			story = "https://www.rappler.com/world/middle-east/kerry-lavrov-meet-syria-conflict?utm_source=rss&utm_medium=feed"
		case strings.Contains(a.File, "sweden-drops-assange"):
			story = "assange-investigation-dropped"
		}
		out = append(out, goldItem{name: a.File, story: story, text: Text(a.Title, a.Text)})
	}
	return out
}

// sameStory names the story of items that repeat another item's text
// under another link, read by eye.
var sameStory = map[string]string{
	// A union's press release on the move of CTS to the south, posted
	// twice by Coolloud.
	"rss10-big5-coolloud.xml#15": "coolloud-cts-press-release",
	"rss10-big5-coolloud.xml#18": "coolloud-cts-press-release",
	// One chat quote posted under two numbers.
	"rss20-windows1251-ibash.xml#0": "ibash-java-programmer-quote",
	"rss20-windows1251-ibash.xml#5": "ibash-java-programmer-quote",
}

// TestGroupingOnFixtures measures pairwise precision and recall of story
// grouping: a pair is predicted together when both items got one story
// id, and is truly together when they share a gold story.
func TestGroupingOnFixtures(t *testing.T) {
	items := goldStories(t)
	ix := NewIndex(0, 0)
	at := time.Date(2019, 11, 19, 0, 0, 0, 0, time.UTC)
	got := make([]string, len(items))
	for i, it := range items {
		got[i] = ix.Assign(it.name, it.text, at)
	}
	var tp, fp, fn int
	var misses, wrong []string
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			pred, gold := got[i] == got[j], items[i].story == items[j].story
			switch {
			case pred && gold:
				tp++
			case pred:
				fp++
				wrong = append(wrong, items[i].name+" + "+items[j].name)
			case gold:
				fn++
				misses = append(misses, items[i].name+" + "+items[j].name)
			}
		}
	}
	precision := float64(tp) / float64(max(1, tp+fp))
	recall := float64(tp) / float64(max(1, tp+fn))
	t.Logf("%d items, %d true pairs: precision %.3f, recall %.3f (tp %d, fp %d, fn %d)", len(items), tp+fn, precision, recall, tp, fp, fn)
	for _, m := range misses {
		t.Logf("missed: %s", m)
	}
	for _, w := range wrong {
		t.Logf("wrongly joined: %s", w)
	}
	if precision < 0.95 || recall < 0.9 {
		t.Errorf("precision %.3f, recall %.3f; want ≥ 0.95 and ≥ 0.9", precision, recall)
	}
	if os.Getenv("NEWSFLOW_STORIES_VERBOSE") != "" {
		for i, it := range items {
			t.Logf("%s → %s", it.name, got[i])
		}
	}
}
