package enrich

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// ReplayGroup names the consumer group of a replay after the enrich
// version, so a replay after a model or taxonomy change starts from the
// beginning of the raw topic and a replay interrupted and run again with
// the same version resumes.
func ReplayGroup(prefix, version string) string {
	sum := sha256.Sum256([]byte(version))
	return prefix + "-replay-" + hex.EncodeToString(sum[:])[:12]
}

// Progress is how far a replay has come.
type Progress struct {
	Done, Total int64         // messages
	Rate        float64       // messages per second since the start
	ETA         time.Duration // at Rate; 0 when unknown or done
	Elapsed     time.Duration
	Finished    bool
}

// String formats p for a terminal.
func (p Progress) String() string {
	pct := 100.0
	if p.Total > 0 {
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	s := fmt.Sprintf("%d/%d articles (%.1f%%), %.0f/s, elapsed %s", p.Done, p.Total, pct, p.Rate, p.Elapsed.Round(time.Second))
	if p.Finished {
		return s + ", caught up"
	}
	if p.ETA > 0 {
		s += fmt.Sprintf(", ETA %s", p.ETA.Round(time.Second))
	}
	return s
}

// Replay runs the worker until it has made every message that was on the
// raw topic when Replay started durable, calling report about once per
// interval and once at the end, and returns. It returns early, with no
// error, when ctx is done; the group's committed offsets then let the
// next replay resume.
func (w *Worker) Replay(ctx context.Context, interval time.Duration, report func(Progress)) error {
	topic := w.cfg.Topics.Raw
	client := &kafkago.Client{Addr: kafkago.TCP(w.cfg.Kafka.Brokers...), Timeout: 30 * time.Second}
	ends, err := retry(ctx, w.log, func() (map[int]int64, error) { return endOffsets(ctx, client, topic) })
	if err != nil {
		return nil // ctx is done
	}
	firsts, err := retry(ctx, w.log, func() (map[int]int64, error) {
		return listOffsets(ctx, client, topic, kafkago.FirstOffsetOf)
	})
	if err != nil {
		return nil
	}
	// A resumed replay starts from its group's committed offsets.
	base := firsts
	parts := make([]int, 0, len(ends))
	for p := range ends {
		parts = append(parts, p)
	}
	committed, err := client.OffsetFetch(ctx, &kafkago.OffsetFetchRequest{GroupID: w.reader.Config().GroupID, Topics: map[string][]int{topic: parts}})
	if err == nil {
		for _, po := range committed.Topics[topic] {
			if po.CommittedOffset > base[po.Partition] {
				base[po.Partition] = po.CommittedOffset
			}
		}
	}
	var total int64
	for p, end := range ends {
		total += max(0, end-base[p])
	}

	start := time.Now()
	measure := func() Progress {
		done := w.doneOffsets()
		var n int64
		finished := true
		for p, end := range ends {
			at := max(done[p], base[p])
			n += max(0, min(at, end)-base[p])
			if at < end {
				finished = false
			}
		}
		pr := Progress{Done: n, Total: total, Elapsed: time.Since(start), Finished: finished}
		if s := pr.Elapsed.Seconds(); s > 0 {
			pr.Rate = float64(n) / s
		}
		if pr.Rate > 0 && !finished {
			pr.ETA = time.Duration(float64(total-n) / pr.Rate * float64(time.Second))
		}
		return pr
	}
	if p := measure(); p.Finished {
		report(p)
		return nil
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- w.Run(runCtx) }()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			report(measure())
			return err
		case <-tick.C:
			p := measure()
			if p.Finished {
				// The last batch is durable; Run commits it before it
				// returns.
				cancel()
				err := <-errc
				report(p)
				return err
			}
			report(p)
		}
	}
}
