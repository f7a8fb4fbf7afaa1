package enrich

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/newsflow/newsflow/pkg/kafka"
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
type Progress = kafka.Progress

// Replay runs the worker until it has made every message that was on the
// raw topic when Replay started durable, calling report about once per
// interval and once at the end, and returns. It returns early, with no
// error, when ctx is done; the group's committed offsets then let the
// next replay resume.
func (w *Worker) Replay(ctx context.Context, interval time.Duration, report func(Progress)) error {
	topic := w.cfg.Topics.Raw
	client := &kafkago.Client{Addr: kafkago.TCP(w.cfg.Kafka.Brokers...), Timeout: 30 * time.Second}
	bounds, err := retry(ctx, w.log, func() ([2]map[int]int64, error) {
		first, last, err := kafka.TopicBounds(ctx, w.cfg.Kafka.Brokers, topic)
		return [2]map[int]int64{first, last}, err
	})
	if err != nil {
		return nil // ctx is done
	}
	firsts, ends := bounds[0], bounds[1]
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
		return Progress{Done: n, Total: total, Elapsed: time.Since(start), Finished: finished}
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
