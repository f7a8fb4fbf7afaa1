package ingest

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// scheduler polls a changing set of feeds, each when it is due, with a
// fixed number of workers. A feed is never polled by two workers at
// once.
type scheduler struct {
	poller  *Poller
	workers int
	drain   time.Duration // how long polls in flight may take after run's ctx ends

	mu      sync.Mutex
	tasks   map[string]*task
	queue   dueQueue
	wake    chan struct{}
	failing int
}

func newScheduler(p *Poller, workers int) *scheduler {
	return &scheduler{poller: p, workers: max(1, workers), drain: 15 * time.Second, tasks: map[string]*task{}, wake: make(chan struct{}, 1)}
}

// upsert adds a feed, or changes the options of one already scheduled
// while keeping its state. st is its saved state, if any.
func (s *scheduler) upsert(f Feed, st *State, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tasks[f.URL]; ok {
		if t.running {
			t.pending = &f // applied when the poll in flight is over
		} else {
			t.feed = f
		}
		return
	}
	t := newTask(f, st)
	t.due = t.state.NextDue
	if t.due.IsZero() {
		t.due = s.poller.schedule.First(f.URL, now)
	}
	if t.state.Health == Failing {
		s.failing++
	}
	s.tasks[f.URL] = t
	heap.Push(&s.queue, t)
	s.poke()
}

// remove stops polling a feed; a poll in flight finishes.
func (s *scheduler) remove(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[url]
	if !ok {
		return
	}
	delete(s.tasks, url)
	t.removed = true
	if t.state.Health == Failing {
		s.failing--
	}
	if t.index >= 0 {
		heap.Remove(&s.queue, t.index)
	}
}

func (s *scheduler) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

func (s *scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// run polls feeds as they fall due until ctx is done, then waits for the
// polls in flight. It returns the first publish error, after which the
// caller restarts it: the state of the feed that failed was not updated,
// so its items are published again.
func (s *scheduler) run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// Polls in flight when ctx ends (shutdown, or a rebalance taking the
	// feeds away) finish within the drain time: cutting one off between
	// the publish and the state save would make the next owner publish
	// its articles again.
	pollCtx, stopPolls := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPolls()
	stopDrain := context.AfterFunc(ctx, func() { time.AfterFunc(s.drain, stopPolls) })
	defer stopDrain()
	work := make(chan *task)
	var wg sync.WaitGroup
	for range s.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				s.poll(pollCtx, t, cancel)
			}
		}()
	}
	s.dispatch(ctx, work)
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && err != context.Canceled && err != context.DeadlineExceeded {
		return err
	}
	return nil
}

func (s *scheduler) dispatch(ctx context.Context, work chan<- *task) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		var next *task
		wait := time.Hour
		if len(s.queue) > 0 {
			now := s.poller.now()
			if d := s.queue[0].due.Sub(now); d <= 0 {
				next = heap.Pop(&s.queue).(*task)
				next.running = true
				s.poller.metrics.lag.Observe(-d.Seconds())
			} else {
				wait = d
			}
		}
		s.poller.metrics.owned.Set(float64(len(s.tasks)))
		s.poller.metrics.failing.Set(float64(s.failing))
		s.mu.Unlock()
		if next != nil {
			select {
			case work <- next:
				continue
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

func (s *scheduler) poll(ctx context.Context, t *task, fail context.CancelCauseFunc) {
	wasFailing := t.state.Health == Failing
	_, err := s.poller.Poll(ctx, t)
	if err != nil {
		if ctx.Err() == nil {
			fail(err)
		}
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t.running = false
	if t.pending != nil {
		t.feed, t.pending = *t.pending, nil
	}
	if isFailing := t.state.Health == Failing; isFailing != wasFailing && !t.removed {
		if isFailing {
			s.failing++
		} else {
			s.failing--
		}
	}
	if t.removed {
		return
	}
	t.due = t.state.NextDue
	heap.Push(&s.queue, t)
	s.poke()
}

// dueQueue is a min-heap of tasks by due time.
type dueQueue []*task

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].due.Before(q[j].due) }
func (q dueQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *dueQueue) Push(x any) {
	t := x.(*task)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *dueQueue) Pop() any {
	old := *q
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*q = old[:n-1]
	return t
}
