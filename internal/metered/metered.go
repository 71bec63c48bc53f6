// Package metered wraps the adapter of a platform whose calls cost quota
// (YouTube's units, X's requests per window) so that every call is paid for
// from the shared ledger first, and the probes of many takedowns are
// answered by one platform call.
//
// Why a batcher in the worker rather than a prober that owns the schedule:
// the takedown's workflow keeps its probe as an activity whose retries are
// the polling schedule, so "at most one probe in flight", the two sightings
// a gap apart and crash recovery (the sighting carried in the heartbeat)
// stay exactly as they are; activities.ProbeSchedule puts those retries on a
// grid of slots shared by every takedown, so the probes due at a slot reach
// the worker within moments of each other, and this batcher answers them
// with one call per BatchSize ids. A central prober would pack calls a
// little fuller, at the price of a second source of truth for what is being
// probed and a signal per result in every workflow's history.
package metered

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// BatchProber answers the probes of many contents in one platform call;
// the results come in the order of the contents.
type BatchProber interface {
	ProbeMany(ctx context.Context, cs []takedown.Content) ([]takedown.ProbeResult, error)
}

// Coster says what sending a notice costs (YouTube: 50 units through the
// API, nothing through the portal). Adapters without it send for free.
type Coster interface {
	QuotaCost(n takedown.Notice) int
}

// Ledger is the shared allowance.
type Ledger interface {
	Spend(ctx context.Context, p takedown.Platform, purpose quota.Purpose, units, ids int) (quota.Grant, error)
	Refund(ctx context.Context, p takedown.Platform, g quota.Grant, purpose quota.Purpose, units, ids int) error
	Exhausted(ctx context.Context, p takedown.Platform) (time.Time, error)
}

// Observer is told what the adapter spent and how full its calls were;
// metrics implement it.
type Observer interface {
	Spent(p takedown.Platform, purpose quota.Purpose, units int)
	Refused(p takedown.Platform, purpose quota.Purpose)
	Refunded(p takedown.Platform, purpose quota.Purpose, units int)
	Batch(p takedown.Platform, ids int)
}

// Config configures one platform's metered adapter.
type Config struct {
	Platform takedown.Platform
	Ledger   Ledger
	// BatchSize is the most ids one call carries (YouTube 50, X 100).
	BatchSize int
	// ProbeCost is what one probe call costs, whatever its size (1).
	ProbeCost int
	// Gather is the longest the first probe of a batch waits for others:
	// the engine hands a slot's probes to the worker over a second or two.
	// The batch goes sooner when it is full, or when no probe has come for
	// Lull: a probe alone (a confirmation, a probe off the grid) does not
	// wait for company that is not coming.
	Gather time.Duration
	Lull   time.Duration
	// CallTimeout bounds one batch call, which serves many waiters and so
	// is not tied to any one's context.
	CallTimeout time.Duration
	// ExhaustedCodes are the error codes by which the platform says the
	// whole allowance is spent (YouTube "quotaExceeded", X "http_429");
	// the ledger is then closed until the window ends.
	ExhaustedCodes []string
	Observer       Observer
	Logger         *slog.Logger
	Now            func() time.Time
}

// Adapter is a metered platform adapter.
type Adapter struct {
	inner platforms.Adapter
	batch BatchProber
	cfg   Config

	mu      sync.Mutex
	pending []*waiter
	timer   *time.Timer
	first   time.Time // when the oldest pending probe came
}

type waiter struct {
	content takedown.Content
	res     takedown.ProbeResult
	err     error
	done    chan struct{}
}

var _ platforms.Adapter = (*Adapter)(nil)

// Wrap meters inner. Without a BatchProber, each probe is its own call,
// still paid for from the ledger.
func Wrap(inner platforms.Adapter, cfg Config) (*Adapter, error) {
	if inner == nil || cfg.Ledger == nil {
		return nil, errors.New("metered: an adapter and a ledger are required")
	}
	if !cfg.Platform.Valid() {
		return nil, fmt.Errorf("metered: unknown platform %q", cfg.Platform)
	}
	a := &Adapter{inner: inner, cfg: cfg}
	a.batch, _ = inner.(BatchProber)
	if a.batch == nil {
		a.cfg.BatchSize = 1
	}
	a.cfg.BatchSize = max(a.cfg.BatchSize, 1)
	a.cfg.ProbeCost = cmp.Or(a.cfg.ProbeCost, 1)
	a.cfg.Gather = cmp.Or(a.cfg.Gather, time.Second)
	a.cfg.Lull = min(cmp.Or(a.cfg.Lull, 50*time.Millisecond), a.cfg.Gather)
	a.cfg.CallTimeout = cmp.Or(a.cfg.CallTimeout, 30*time.Second)
	a.cfg.Logger = cmp.Or(a.cfg.Logger, slog.New(slog.DiscardHandler))
	if a.cfg.Now == nil {
		a.cfg.Now = time.Now
	}
	return a, nil
}

// Send pays for the notice, then sends it. A notice the ledger cannot pay
// for now is rate-limited until it can; the activity's retry waits.
func (a *Adapter) Send(ctx context.Context, n takedown.Notice) (platforms.Submission, error) {
	cost := 0
	if c, ok := a.inner.(Coster); ok {
		cost = c.QuotaCost(n)
	}
	var g quota.Grant // nothing paid, nothing to refund
	if cost > 0 {
		var err error
		if g, err = a.cfg.Ledger.Spend(ctx, a.cfg.Platform, quota.Report, cost, 0); err != nil {
			return platforms.Submission{}, platforms.NeverSent(platforms.Transient("quota_ledger", err))
		}
		if !g.OK {
			a.observeRefused(quota.Report)
			return platforms.Submission{}, platforms.NeverSent(platforms.RateLimited("report_quota",
				max(g.RetryAt.Sub(a.cfg.Now()), time.Second), fmt.Errorf("the %s quota has no %d units left for a report until %s",
					a.cfg.Platform, cost, g.RetryAt.UTC().Format(time.RFC3339))))
		}
		a.observeSpent(quota.Report, cost)
	}
	sub, err := a.inner.Send(ctx, n)
	if err != nil {
		a.noteExhausted(ctx, err)
		a.refundUnsent(ctx, g, quota.Report, cost, 0, err)
	}
	return sub, err
}

// Probe joins the next batch call and answers what it said of c.
func (a *Adapter) Probe(ctx context.Context, c takedown.Content) (takedown.ProbeResult, error) {
	w := &waiter{content: c, done: make(chan struct{})}
	a.enqueue(w)
	select {
	case <-w.done:
		return w.res, w.err
	case <-ctx.Done():
		a.drop(w)
		return takedown.ProbeResult{}, fmt.Errorf("wait for a %s probe call: %w", a.cfg.Platform, ctx.Err())
	}
}

func (a *Adapter) enqueue(w *waiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = append(a.pending, w)
	if distinct(a.pending) >= a.cfg.BatchSize {
		a.flushLocked()
		return
	}
	now := time.Now()
	if len(a.pending) == 1 {
		a.first = now
	}
	a.armLocked(now)
}

// armLocked sets the flush for a lull from now, but never later than
// Gather after the oldest pending probe came.
func (a *Adapter) armLocked(now time.Time) {
	if a.timer != nil {
		a.timer.Stop()
	}
	wait := min(a.cfg.Lull, a.cfg.Gather-now.Sub(a.first))
	a.timer = time.AfterFunc(max(wait, 0), func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.flushLocked()
	})
}

// drop forgets a waiter that gave up before its call was made.
func (a *Adapter) drop(w *waiter) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.pending = slices.DeleteFunc(a.pending, func(x *waiter) bool { return x == w })
}

// flushLocked starts the call for the pending waiters, up to BatchSize
// distinct ids; the rest form the next batch.
func (a *Adapter) flushLocked() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
	for len(a.pending) > 0 {
		n, seen := 0, map[string]bool{}
		for n < len(a.pending) {
			id := a.pending[n].content.ID
			if !seen[id] && len(seen) == a.cfg.BatchSize {
				break
			}
			seen[id] = true
			n++
		}
		batch := a.pending[:n:n]
		a.pending = slices.Clone(a.pending[n:])
		go a.call(batch)
		if distinct(a.pending) < a.cfg.BatchSize {
			break
		}
	}
	if len(a.pending) > 0 {
		now := time.Now()
		a.first = now
		a.armLocked(now)
	}
}

func distinct(ws []*waiter) int {
	seen := map[string]bool{}
	for _, w := range ws {
		seen[w.content.ID] = true
	}
	return len(seen)
}

// call pays for one platform call and answers every waiter of the batch;
// two takedowns of the same content share its id.
func (a *Adapter) call(batch []*waiter) {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.CallTimeout)
	defer cancel()
	var contents []takedown.Content
	index := map[string]int{}
	for _, w := range batch {
		if _, ok := index[w.content.ID]; !ok {
			index[w.content.ID] = len(contents)
			contents = append(contents, w.content)
		}
	}
	results, err := a.probe(ctx, contents)
	for _, w := range batch {
		if err != nil {
			w.err = err
		} else {
			w.res = results[index[w.content.ID]]
		}
		close(w.done)
	}
}

func (a *Adapter) probe(ctx context.Context, contents []takedown.Content) ([]takedown.ProbeResult, error) {
	g, err := a.cfg.Ledger.Spend(ctx, a.cfg.Platform, quota.Probe, a.cfg.ProbeCost, len(contents))
	if err != nil {
		return nil, platforms.Transient("quota_ledger", err)
	}
	if !g.OK {
		a.observeRefused(quota.Probe)
		return nil, platforms.RateLimited("probe_quota", max(g.RetryAt.Sub(a.cfg.Now()), time.Second),
			fmt.Errorf("the %s probes have spent their share of the quota until %s", a.cfg.Platform, g.RetryAt.UTC().Format(time.RFC3339)))
	}
	a.observeSpent(quota.Probe, a.cfg.ProbeCost)
	if o := a.cfg.Observer; o != nil {
		o.Batch(a.cfg.Platform, len(contents))
	}
	var results []takedown.ProbeResult
	if a.batch != nil {
		results, err = a.batch.ProbeMany(ctx, contents)
	} else {
		var r takedown.ProbeResult
		r, err = a.inner.Probe(ctx, contents[0])
		results = []takedown.ProbeResult{r}
	}
	if err != nil {
		a.noteExhausted(ctx, err)
		a.refundUnsent(ctx, g, quota.Probe, a.cfg.ProbeCost, len(contents), err)
		return nil, err
	}
	if len(results) != len(contents) {
		return nil, platforms.Transient("malformed_response", fmt.Errorf("probe %d %s contents: %d answers", len(contents), a.cfg.Platform, len(results)))
	}
	return results, nil
}

// noteExhausted closes the ledger's window when the platform says the
// allowance is spent, so that no worker keeps asking until it renews.
func (a *Adapter) noteExhausted(ctx context.Context, err error) {
	pe := platforms.Classify(err)
	if pe.Kind != platforms.KindRateLimited || !slices.Contains(a.cfg.ExhaustedCodes, pe.Code) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := a.cfg.Ledger.Exhausted(ctx, a.cfg.Platform); err != nil {
		a.cfg.Logger.WarnContext(ctx, "could not close the quota window", "platform", a.cfg.Platform, "error", err)
	}
}

// refundUnsent gives back what a call paid when its failure says it never
// reached the platform: the platform charged nothing for it. A call that
// reached the platform, answered or not, stays paid for.
func (a *Adapter) refundUnsent(ctx context.Context, g quota.Grant, purpose quota.Purpose, units, ids int, err error) {
	if !g.OK || units <= 0 || !platforms.NeverReached(err) {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := a.cfg.Ledger.Refund(ctx, a.cfg.Platform, g, purpose, units, ids); rerr != nil {
		// The ledger then holds a few units more than the platform
		// counted: it errs on the side of spending less.
		a.cfg.Logger.WarnContext(ctx, "could not refund an unsent call's quota", "platform", a.cfg.Platform,
			"purpose", purpose, "units", units, "error", rerr)
		return
	}
	if o := a.cfg.Observer; o != nil {
		o.Refunded(a.cfg.Platform, purpose, units)
	}
}

func (a *Adapter) observeSpent(p quota.Purpose, units int) {
	if o := a.cfg.Observer; o != nil {
		o.Spent(a.cfg.Platform, p, units)
	}
}

func (a *Adapter) observeRefused(p quota.Purpose) {
	if o := a.cfg.Observer; o != nil {
		o.Refused(a.cfg.Platform, p)
	}
}
