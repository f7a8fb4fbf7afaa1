package entities

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// modelMagic starts every model file; the number is the file format.
const modelMagic = "newsflow-ner/1\n"

// maxGazetteerWords is the longest gazetteer phrase, in tokens.
const maxGazetteerWords = 6

// modelData is a trained tagger: entity types, feature weights and the
// gazetteer. It is immutable once built.
type modelData struct {
	types  []string
	nclass int
	// Open-addressing table from feature hash to row of w; key 0 is empty.
	slots    []slot
	w        []float32
	gaz      gazetteer
	clusters wordClusters
	off      uint32 // feature groups the model was trained without
	// Words and shapes that have features paired with the previous class.
	prevWords, prevShapes map[uint64]bool
}

func (m *modelData) hasPrevWord(lower uint64) bool  { return m.prevWords[lower] }
func (m *modelData) hasPrevShape(short uint64) bool { return m.prevShapes[short] }

// findPrevKeys fills prevWords and prevShapes from the tokens of the
// training documents, the only ones that can have such features.
func (m *modelData) findPrevKeys(docs []*document) {
	m.prevWords, m.prevShapes = map[uint64]bool{}, map[uint64]bool{}
	for _, d := range docs {
		for i := range d.info {
			ti := &d.info[i]
			for p := 0; p <= m.nclass; p++ {
				if !m.prevWords[ti.lower] && m.lookupRow(mix(mix(fPrevWord, uint64(p)), ti.lower)) != nil {
					m.prevWords[ti.lower] = true
				}
				if !m.prevShapes[ti.short] && m.lookupRow(mix(mix(fPrevShape, uint64(p)), ti.short)) != nil {
					m.prevShapes[ti.short] = true
				}
			}
		}
	}
}

// slot is one entry of the feature table: key and row side by side, so
// that a lookup touches one cache line.
type slot struct {
	key uint64
	row uint32
}

// gazetteer maps the hash of a lowercased token sequence to a bit set of
// entity types it names.
type gazetteer map[uint64]uint8

// phraseHash extends the hash of a token sequence by one token.
func phraseHash(h, tok uint64) uint64 { return mix(h+0x51, tok) }

// score implements scorer.
func (m *modelData) score(feats []uint64, out []float32) {
	clear(out)
	mask := uint64(len(m.slots) - 1)
	n := m.nclass
	for _, f := range feats {
		if f == 0 {
			continue
		}
		for s := f & mask; ; s = (s + 1) & mask {
			k := m.slots[s].key
			if k == f {
				r := int(m.slots[s].row) * n
				row := m.w[r : r+n]
				for c, v := range row {
					out[c] += v
				}
				break
			}
			if k == 0 {
				break
			}
		}
	}
}

// gazetteerFacts marks tokens covered by gazetteer phrases, within
// sentences, with the type and the token's position in the phrase.
func (m *modelData) gazetteerFacts(d *document) {
	if len(m.gaz) == 0 {
		return
	}
	markGazetteer(d, m.gaz)
}

func markGazetteer(d *document, gaz gazetteer) {
	for _, s := range d.sents {
		for i := s[0]; i < s[1]; i++ {
			h := uint64(0)
			for n := 1; n <= maxGazetteerWords && i+n <= s[1]; n++ {
				h = phraseHash(h, d.info[i+n-1].lower)
				mask, ok := gaz[h]
				if !ok {
					continue
				}
				for t := 0; t < 8; t++ {
					if mask&(1<<t) == 0 {
						continue
					}
					for j := i; j < i+n; j++ {
						pos := posI
						switch {
						case n == 1:
							pos = posU
						case j == i:
							pos = posB
						case j == i+n-1:
							pos = posL
						}
						ti := &d.info[j]
						if int(ti.ngaz) < len(ti.gaz) {
							ti.gaz[ti.ngaz] = uint16(t<<4 | pos)
							ti.ngaz++
						}
					}
				}
			}
		}
	}
}

// build turns rows of weights keyed by feature hash into the lookup table.
func (m *modelData) build(features map[uint64][]float32) {
	size := 1
	// A table at most a quarter full keeps the probes for the many
	// features the model does not know short.
	for size < len(features)*4 {
		size <<= 1
	}
	m.slots = make([]slot, size)
	m.w = make([]float32, 0, len(features)*m.nclass)
	mask := uint64(size - 1)
	for f, row := range features {
		s := f & mask
		for m.slots[s].key != 0 {
			s = (s + 1) & mask
		}
		m.slots[s] = slot{key: f, row: uint32(len(m.w) / m.nclass)}
		m.w = append(m.w, row...)
	}
}

// encode writes the model: magic, types, gazetteer, then each feature
// row with its non-zero weights quantized to 16 bits, all gzipped.
func (m *modelData) encode(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(zw)
	var scratch [binary.MaxVarintLen64]byte
	putU := func(v uint64) { bw.Write(scratch[:binary.PutUvarint(scratch[:], v)]) }
	putS := func(s string) { putU(uint64(len(s))); bw.WriteString(s) }
	put64 := func(v uint64) { binary.LittleEndian.PutUint64(scratch[:8], v); bw.Write(scratch[:8]) }

	bw.WriteString(modelMagic)
	putU(uint64(len(m.types)))
	for _, t := range m.types {
		putS(t)
	}
	putU(uint64(m.off))
	putU(uint64(len(m.gaz)))
	for _, h := range sortedKeys(m.gaz) {
		put64(h)
		bw.WriteByte(m.gaz[h])
	}
	putU(uint64(len(m.clusters)))
	for _, h := range sortedKeys(m.clusters) {
		put64(h)
		c := m.clusters[h]
		putU(uint64(c[0]))
		putU(uint64(c[1]))
	}
	for _, set := range []map[uint64]bool{m.prevWords, m.prevShapes} {
		putU(uint64(len(set)))
		for _, h := range sortedKeys(set) {
			put64(h)
		}
	}
	maxAbs := float32(0)
	for _, v := range m.w {
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
	}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	put64(uint64(math.Float32bits(scale)))
	var keys []uint64
	for _, sl := range m.slots {
		if sl.key != 0 {
			keys = append(keys, sl.key)
		}
	}
	sortUint64(keys)
	putU(uint64(len(keys)))
	n := m.nclass
	for _, k := range keys {
		row := m.lookupRow(k)
		put64(k)
		var bits uint64
		var q []int64
		for c, v := range row {
			if iv := int64(math.Round(float64(v / scale))); iv != 0 {
				bits |= 1 << c
				q = append(q, iv)
			}
		}
		putU(bits)
		for _, iv := range q {
			bw.Write(scratch[:binary.PutVarint(scratch[:], iv)])
		}
		_ = n
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

func (m *modelData) lookupRow(f uint64) []float32 {
	mask := uint64(len(m.slots) - 1)
	for s := f & mask; m.slots[s].key != 0; s = (s + 1) & mask {
		if m.slots[s].key == f {
			r := int(m.slots[s].row)
			return m.w[r*m.nclass : r*m.nclass+m.nclass]
		}
	}
	return nil
}

// decodeModel reads a model written by encode.
func decodeModel(data []byte) (*modelData, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("opening model: %w", err)
	}
	br := bufio.NewReaderSize(zr, 1<<16)
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != modelMagic {
		return nil, errors.New("model: not a newsflow NER model file")
	}
	var rerr error
	getU := func() uint64 {
		v, err := binary.ReadUvarint(br)
		if err != nil && rerr == nil {
			rerr = err
		}
		return v
	}
	var buf [8]byte
	get64 := func() uint64 {
		if _, err := io.ReadFull(br, buf[:]); err != nil && rerr == nil {
			rerr = err
		}
		return binary.LittleEndian.Uint64(buf[:])
	}
	m := &modelData{}
	ntypes := getU()
	if ntypes == 0 || ntypes > 8 {
		return nil, fmt.Errorf("model: %d entity types, want 1 to 8", ntypes)
	}
	for range ntypes {
		l := getU()
		if l > 64 {
			return nil, fmt.Errorf("model: type name of %d bytes", l)
		}
		b := make([]byte, l)
		if _, err := io.ReadFull(br, b); err != nil {
			return nil, fmt.Errorf("model: reading types: %w", err)
		}
		m.types = append(m.types, string(b))
	}
	m.nclass = labels{m.types}.n()
	m.off = uint32(getU())
	ngaz := getU()
	if rerr != nil || ngaz > 1<<24 {
		return nil, fmt.Errorf("model: reading gazetteer size: %v", rerr)
	}
	m.gaz = make(gazetteer, ngaz)
	for range ngaz {
		h := get64()
		t, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("model: reading gazetteer: %w", err)
		}
		m.gaz[h] = t
	}
	nclusters := getU()
	if rerr != nil || nclusters > 1<<24 {
		return nil, fmt.Errorf("model: reading word clusters size: %v", rerr)
	}
	m.clusters = make(wordClusters, nclusters)
	for range nclusters {
		h := get64()
		fine, coarse := getU(), getU()
		if rerr != nil || fine > math.MaxUint16 || coarse > math.MaxUint16 {
			return nil, fmt.Errorf("model: reading word clusters: %v", rerr)
		}
		m.clusters[h] = [2]uint16{uint16(fine), uint16(coarse)}
	}
	for _, set := range []*map[uint64]bool{&m.prevWords, &m.prevShapes} {
		n := getU()
		if rerr != nil || n > 1<<24 {
			return nil, fmt.Errorf("model: reading previous-class keys: %v", rerr)
		}
		*set = make(map[uint64]bool, n)
		for range n {
			(*set)[get64()] = true
		}
	}
	scale := math.Float32frombits(uint32(get64()))
	nrows := getU()
	if rerr != nil || nrows > 1<<26 {
		return nil, fmt.Errorf("model: reading weights header: %v", rerr)
	}
	features := make(map[uint64][]float32, nrows)
	w := make([]float32, int(nrows)*m.nclass)
	for r := range int(nrows) {
		k := get64()
		bits := getU()
		row := w[r*m.nclass : (r+1)*m.nclass]
		for c := range m.nclass {
			if bits&(1<<c) != 0 {
				iv, err := binary.ReadVarint(br)
				if err != nil {
					return nil, fmt.Errorf("model: reading weights of row %d: %w", r, err)
				}
				row[c] = float32(iv) * scale
			}
		}
		if rerr != nil {
			return nil, fmt.Errorf("model: reading row %d: %w", r, rerr)
		}
		features[k] = row
	}
	m.build(features)
	return m, nil
}
