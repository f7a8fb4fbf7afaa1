// Command nertrain trains the English named-entity model from CoNLL-2003
// and writes the model file that package entities embeds.
//
//	go run ./enrich/entities/cmd/nertrain -data ../shared/data -out enrich/entities/model/ner-v1.bin.gz
//
// The same data and flags give the same file.
package main

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/newsflow/newsflow/enrich/entities"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nertrain:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		dataDir    = flag.String("data", envOr("NEWSFLOW_DATA_DIR", "../shared/data"), "data folder holding conll2003/eng.train and eng.testa")
		out        = flag.String("out", "enrich/entities/model/"+entities.ModelFile, "model file to write")
		iterations = flag.Int("iterations", 6, "training passes (6 is best on eng.testa)")
		seed       = flag.Uint64("seed", 1, "shuffle seed")
		folds      = flag.Int("folds", 5, "gazetteer folds (1: no jackknife)")
		names      = flag.String("names", "enrich/entities/names", "folder of extra gazetteer lists, TYPE.txt with one name a line (empty: none)")
		minWeight  = flag.Float64("min-weight", 0.001, "drop features whose averaged weights are all below this")
		dev        = flag.Bool("dev", true, "score eng.testa after every pass")
		clusters   = flag.Int("clusters", 256, "word clusters learned from unlabelled text (0: none)")
		coarse     = flag.Int("coarse-clusters", 32, "coarse word clusters over the fine ones")
		unlabelled = flag.String("unlabelled", "testdata/articles/*.txt,{data}/geoparsing/*.xml", "comma-separated globs of unlabelled English text for the word clusters, besides eng.train ({data}: the data folder; .xml: the <text> of each <article>)")
		without    = flag.String("without", "", "comma-separated feature groups to leave out (affixes, context, shape, case, history, prev-word, gazetteer)")
	)
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	train, err := readCoNLL(filepath.Join(*dataDir, "conll2003", "eng.train"))
	if err != nil {
		return err
	}
	opts := entities.TrainOptions{
		Iterations: *iterations,
		Seed:       *seed,
		Folds:      *folds,
		MinWeight:  *minWeight,
		Without:    splitList(*without),
		Logf:       func(format string, args ...any) { log.Info(fmt.Sprintf(format, args...)) },
	}
	if *names != "" {
		if opts.Names, err = readNames(*names); err != nil {
			return err
		}
	}
	if *clusters > 0 {
		texts, err := readUnlabelled(strings.ReplaceAll(*unlabelled, "{data}", *dataDir))
		if err != nil {
			return err
		}
		for _, d := range train {
			texts = append(texts, d.Text)
		}
		opts.Unlabelled = texts
		opts.Clusters = entities.ClusterOptions{Fine: *clusters, Coarse: *coarse, MinCount: 3, Contexts: 1000, Iterations: 10, Seed: *seed}
	}
	var testa []entities.Document
	if *dev {
		if testa, err = readCoNLL(filepath.Join(*dataDir, "conll2003", "eng.testa")); err != nil {
			return err
		}
		opts.Dev = testa
	}
	log.Info("training", "documents", len(train), "names", len(opts.Names), "iterations", *iterations, "folds", *folds)
	m, err := entities.Train(train, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf); err != nil {
		return fmt.Errorf("encoding model: %w", err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing model: %w", err)
	}
	log.Info("wrote model", "file", *out, "bytes", buf.Len(), "features", m.Features())
	if *dev {
		fmt.Print(entities.Evaluate(testa, m.Tag).Table())
	}
	return nil
}

func readCoNLL(path string) ([]entities.Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening training data: %w", err)
	}
	defer f.Close()
	docs, err := entities.ReadCoNLL(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return docs, nil
}

// readNames reads every TYPE.txt list in dir: one name a line, "#"
// comments.
func readNames(dir string) ([]entities.Name, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, errors.New("no name lists in " + dir)
	}
	var names []entities.Name
	for _, p := range paths {
		typ := strings.TrimSuffix(filepath.Base(p), ".txt")
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("opening name list: %w", err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			names = append(names, entities.Name{Type: typ, Text: line})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	return names, nil
}

// readUnlabelled reads the texts of files matching the globs: a .xml
// file is a list of <article> elements whose <text> is read, any other
// file is one text.
func readUnlabelled(globs string) ([]string, error) {
	var texts []string
	for _, g := range splitList(globs) {
		paths, err := filepath.Glob(g)
		if err != nil {
			return nil, fmt.Errorf("unlabelled text %q: %w", g, err)
		}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("reading unlabelled text: %w", err)
			}
			if filepath.Ext(p) != ".xml" {
				texts = append(texts, string(data))
				continue
			}
			var doc struct {
				Articles []struct {
					Text string `xml:"text"`
				} `xml:"article"`
			}
			if err := xml.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("reading articles of %s: %w", p, err)
			}
			for _, a := range doc.Articles {
				texts = append(texts, a.Text)
			}
		}
	}
	return texts, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
