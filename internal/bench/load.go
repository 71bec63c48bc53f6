package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/workflows"
)

// warmUp is how many takedowns (and bare workflows) run before measuring,
// so that connections, caches and the engine's task queues are warm.
const warmUp = 20

// Throughput is the full path: POST /api/v1/items, POST …/confirm, the
// workflow, the notice, the probes, and the removal recorded in PostgreSQL.
// Each of Concurrency clients creates, confirms and awaits one takedown at a
// time (a closed loop, as the engine's figures in TEMPORAL.md were taken).
type Throughput struct {
	Takedowns   int     `json:"takedowns"`
	Concurrency int     `json:"concurrency"`
	Removed     int     `json:"removed"`
	Failed      int     `json:"failed"`
	WallSeconds float64 `json:"wall_s"`
	// PerSecond is removed takedowns per second of wall time.
	PerSecond  float64        `json:"takedowns_per_s"`
	ByPlatform map[string]int `json:"by_platform"`
	// API latencies as the client saw them. Confirming includes starting
	// the workflow, inside the transaction that writes the takedown.
	CreateItem Latency `json:"api_create_item"`
	Confirm    Latency `json:"api_confirm"`
	// From sending the confirm request to the notice's sent time, to the
	// removal time recorded in PostgreSQL (the confirming probe's), and to
	// the client seeing the workflow closed.
	ConfirmToNotice  Latency `json:"confirm_to_notice_sent"`
	ConfirmToRemoved Latency `json:"confirm_to_removed"`
	ConfirmToClosed  Latency `json:"confirm_to_workflow_closed"`
	// NoticeToRemoved is the probing: first probe, the confirmation gap,
	// the second probe.
	NoticeToRemoved Latency `json:"notice_to_removed"`
	// CPU is this process's CPU time during the run (engine included;
	// PostgreSQL's is not), and per removed takedown.
	CPUSeconds       float64 `json:"process_cpu_s"`
	CPUPerTakedownMs float64 `json:"process_cpu_per_takedown_ms"`
	// Postgres is PostgreSQL's CPU time during the run (the postmaster
	// and its backends): it runs on the same cores.
	PostgresCPUSeconds       float64 `json:"postgres_cpu_s"`
	PostgresCPUPerTakedownMs float64 `json:"postgres_cpu_per_takedown_ms"`
	// Pool is the store's connection pool, shared by the API and the
	// activities, during the run.
	Pool PoolUse `json:"pg_pool"`
}

// PoolUse says whether callers waited for a PostgreSQL connection.
type PoolUse struct {
	MaxConns int `json:"max_conns"`
	Acquires int `json:"acquires"`
	// Waited counts acquisitions that found no idle connection.
	Waited     int     `json:"waited"`
	MeanWaitMs float64 `json:"mean_acquire_ms"`
}

// EngineCeiling is the bare workflow on the same engine at the same
// concurrency.
type EngineCeiling struct {
	Workflows   int     `json:"workflows"`
	Concurrency int     `json:"concurrency"`
	Activities  int     `json:"activities_per_workflow"`
	Failed      int     `json:"failed"`
	WallSeconds float64 `json:"wall_s"`
	PerSecond   float64 `json:"workflows_per_s"`
	// Latency is from the start request to the client seeing it closed.
	Latency           Latency `json:"start_to_closed"`
	EventsPerWorkflow int     `json:"events_per_workflow"`
	CPUSeconds        float64 `json:"process_cpu_s"`
	CPUPerWorkflowMs  float64 `json:"process_cpu_per_workflow_ms"`
}

// sample is one measured takedown.
type sample struct {
	platform   takedown.Platform
	takedownID uuid.UUID
	workflowID string
	confirmAt  time.Time
	closedAt   time.Time
	create     time.Duration
	confirm    time.Duration
}

// contentURL is the URL of the i-th piece of content of a run: the four
// platforms in turn, each id unique to (run, i). run is four lower-case
// letters, so it fits every platform's id syntax.
func contentURL(run string, i int) (takedown.Platform, string) {
	p := takedown.Platforms[i%len(takedown.Platforms)]
	switch p {
	case takedown.YouTube:
		return p, fmt.Sprintf("https://www.youtube.com/watch?v=%s%07d", run, i)
	case takedown.Telegram:
		return p, fmt.Sprintf("https://t.me/bench%s/%d", run, i+1)
	case takedown.X:
		return p, fmt.Sprintf("https://x.com/bench%s/status/%d", run, 1_700_000_000_000_000_000+runNumber(run)*10_000_000+i)
	default:
		return p, fmt.Sprintf("https://www.instagram.com/p/B%s%07d/", run, i)
	}
}

// runNumber reads run's letters as a number, so that X's numeric ids differ
// between runs as the other platforms' ids do.
func runNumber(run string) int {
	n := 0
	for _, c := range run {
		n = n*26 + int(c-'a')
	}
	return n
}

// benchCategories are the categories every platform's development
// configuration can file: other_illegal needs a YouTube abuse reason id set
// by the operator, and without one its notice fails for good.
var benchCategories = []takedown.Category{takedown.DeepfakeSexual, takedown.NCII, takedown.CSAM, takedown.Sextortion}

// categoryOf spreads the categories over the platforms: every pair occurs.
func categoryOf(i int) takedown.Category {
	return benchCategories[(i/len(takedown.Platforms))%len(benchCategories)]
}

// newRun returns four random lower-case letters.
func newRun() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = 'a' + b[i]%26
	}
	return string(b)
}

// closedLoop runs do for i in [from, from+n) with concurrency clients, each
// taking the next i when its last one is done. It returns the wall time and
// the errors (at most the first ten are kept, all are counted).
func closedLoop(ctx context.Context, from, n, concurrency int, do func(ctx context.Context, i int) error) (time.Duration, int, []error) {
	var next atomic.Int64
	next.Store(int64(from))
	var (
		mu     sync.Mutex
		errs   []error
		failed int
		wg     sync.WaitGroup
	)
	start := time.Now()
	for range min(concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= from+n {
					return
				}
				if err := do(ctx, i); err != nil {
					mu.Lock()
					failed++
					if len(errs) < 10 {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return time.Since(start), failed, append(errs, err)
	}
	return time.Since(start), failed, errs
}

func runOurs(ctx context.Context, cfg Config, st *stack) (*Throughput, []sample, error) {
	run := newRun()
	progress(cfg, "throughput: warming up with %d takedowns", min(warmUp, cfg.Takedowns))
	if _, _, errs := closedLoop(ctx, 0, min(warmUp, cfg.Takedowns), cfg.Concurrency, func(ctx context.Context, i int) error {
		_, err := st.takedown(ctx, run, i)
		return err
	}); len(errs) > 0 {
		return nil, nil, fmt.Errorf("warm-up: %w", errors.Join(errs...))
	}

	settle(ctx, cfg, st)
	progress(cfg, "throughput: %d takedowns through the API at concurrency %d", cfg.Takedowns, cfg.Concurrency)
	stopProfile := cfg.profile("throughput")
	pool0, cpu0, pg0 := st.store.Pool().Stat(), cpuTime(), st.postgresCPU()
	samples := make([]sample, cfg.Takedowns)
	ok := make([]bool, cfg.Takedowns)
	var done atomic.Int64
	wall, failed, errs := closedLoop(ctx, warmUp, cfg.Takedowns, cfg.Concurrency, func(ctx context.Context, i int) error {
		s, err := st.takedown(ctx, run, i)
		if err != nil {
			return err
		}
		samples[i-warmUp], ok[i-warmUp] = s, true
		if n := done.Add(1); n%500 == 0 {
			progress(cfg, "throughput: %d removed", n)
		}
		return nil
	})
	cpu, pgCPU := cpuTime()-cpu0, st.postgresCPU()-pg0
	stopProfile()
	pool1 := st.store.Pool().Stat()
	if ctx.Err() != nil {
		return nil, nil, ctx.Err()
	}
	var got []sample
	for i, s := range samples {
		if ok[i] {
			got = append(got, s)
		}
	}
	tp := &Throughput{
		Takedowns: cfg.Takedowns, Concurrency: cfg.Concurrency,
		Removed: len(got), Failed: failed,
		WallSeconds: seconds(wall), PerSecond: rate(len(got), wall),
		ByPlatform: map[string]int{},
		CPUSeconds: seconds(cpu), PostgresCPUSeconds: seconds(pgCPU),
		Pool: PoolUse{
			MaxConns: int(pool1.MaxConns()),
			Acquires: int(pool1.AcquireCount() - pool0.AcquireCount()),
			Waited:   int(pool1.EmptyAcquireCount() - pool0.EmptyAcquireCount()),
		},
	}
	if len(got) > 0 {
		tp.CPUPerTakedownMs = round3(ms(cpu) / float64(len(got)))
		tp.PostgresCPUPerTakedownMs = round3(ms(pgCPU) / float64(len(got)))
	}
	if tp.Pool.Acquires > 0 {
		tp.Pool.MeanWaitMs = round3(ms(pool1.AcquireDuration()-pool0.AcquireDuration()) / float64(tp.Pool.Acquires))
	}
	if err := st.measureSamples(ctx, got, tp); err != nil {
		return nil, nil, err
	}
	if failed > 0 {
		return tp, got, fmt.Errorf("%d of %d takedowns failed: %w", failed, cfg.Takedowns, errors.Join(errs...))
	}
	return tp, got, nil
}

// takedown runs one takedown through the API and waits for its workflow.
func (s *stack) takedown(ctx context.Context, run string, i int) (sample, error) {
	p, u := contentURL(run, i)
	t0 := time.Now()
	var it takedown.Item
	if err := s.post(ctx, "/api/v1/items", map[string]string{"url": u, "category": string(categoryOf(i))}, http.StatusCreated, &it); err != nil {
		return sample{}, err
	}
	t1 := time.Now()
	var conf struct {
		TakedownID uuid.UUID `json:"takedown_id"`
		WorkflowID string    `json:"workflow_id"`
	}
	if err := s.post(ctx, "/api/v1/items/"+it.ID.String()+"/confirm", nil, http.StatusAccepted, &conf); err != nil {
		return sample{}, err
	}
	t2 := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var res workflows.Result
	if err := s.client.GetWorkflow(wctx, conf.WorkflowID, "").Get(wctx, &res); err != nil {
		return sample{}, fmt.Errorf("takedown %s: %w", conf.TakedownID, err)
	}
	t3 := time.Now()
	if res.Status != takedown.StatusRemoved {
		return sample{}, fmt.Errorf("takedown %s ended %s, want removed", conf.TakedownID, res.Status)
	}
	return sample{platform: p, takedownID: conf.TakedownID, workflowID: conf.WorkflowID,
		confirmAt: t1, closedAt: t3, create: t1.Sub(t0), confirm: t2.Sub(t1)}, nil
}

// measureSamples reads the recorded times of the samples' takedowns from
// PostgreSQL and fills in the latencies.
func (s *stack) measureSamples(ctx context.Context, got []sample, tp *Throughput) error {
	ids := make([]string, len(got))
	for i, g := range got {
		ids[i] = g.takedownID.String()
	}
	rows, err := s.store.Pool().Query(ctx, `
		SELECT id::text, status, notice_sent_at, removed_at FROM takedowns WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return fmt.Errorf("read takedowns: %w", err)
	}
	type rec struct {
		status           string
		notice, removedT *time.Time
	}
	byID := map[string]rec{}
	for rows.Next() {
		var id string
		var r rec
		if err := rows.Scan(&id, &r.status, &r.notice, &r.removedT); err != nil {
			rows.Close()
			return fmt.Errorf("read takedowns: %w", err)
		}
		byID[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read takedowns: %w", err)
	}
	var create, confirm, toNotice, toRemoved, toClosed, probing []time.Duration
	for _, g := range got {
		r, ok := byID[g.takedownID.String()]
		if !ok || r.status != string(takedown.StatusRemoved) || r.notice == nil || r.removedT == nil {
			return fmt.Errorf("takedown %s: status %q in PostgreSQL after its workflow closed as removed", g.takedownID, r.status)
		}
		tp.ByPlatform[string(g.platform)]++
		create = append(create, g.create)
		confirm = append(confirm, g.confirm)
		toNotice = append(toNotice, r.notice.Sub(g.confirmAt))
		toRemoved = append(toRemoved, r.removedT.Sub(g.confirmAt))
		toClosed = append(toClosed, g.closedAt.Sub(g.confirmAt))
		probing = append(probing, r.removedT.Sub(*r.notice))
	}
	tp.CreateItem, tp.Confirm = Summarize(create), Summarize(confirm)
	tp.ConfirmToNotice, tp.ConfirmToRemoved, tp.ConfirmToClosed = Summarize(toNotice), Summarize(toRemoved), Summarize(toClosed)
	tp.NoticeToRemoved = Summarize(probing)
	return nil
}

// post sends one API request as staff and decodes the answer.
func (s *stack) post(ctx context.Context, path string, body any, want int, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.apiURL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.staffToken)
	resp, err := s.http.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", routeOf(path), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("POST %s: %w", routeOf(path), err)
	}
	if resp.StatusCode != want {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return fmt.Errorf("POST %s: HTTP %d %s: %s", routeOf(path), resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("POST %s: decode answer: %w", routeOf(path), err)
	}
	return nil
}

// routeOf names a request in errors without its ids.
func routeOf(path string) string {
	if path == "/api/v1/items" {
		return path
	}
	return "/api/v1/items/{id}/confirm"
}

// bareWorkflows is how many bare workflows measure the ceiling: as many as
// takedowns, up to a thousand. At the engine's rate that is half a minute of
// steady state, plenty for a rate, and it keeps the default run within ten
// minutes.
func bareWorkflows(takedowns int) int { return min(takedowns, 1000) }

func runBare(ctx context.Context, cfg Config, st *stack, acts int) (*EngineCeiling, error) {
	run := newRun()
	var mu sync.Mutex
	var lat []time.Duration
	one := func(ctx context.Context, i int) error {
		t0 := time.Now()
		wr, err := st.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: "bench-bare-" + run + "-" + strconv.Itoa(i), TaskQueue: bareQueue,
		}, bareWorkflow, acts)
		if err != nil {
			return fmt.Errorf("start bare workflow: %w", err)
		}
		if err := wr.Get(ctx, nil); err != nil {
			return fmt.Errorf("bare workflow: %w", err)
		}
		if i >= warmUp {
			mu.Lock()
			lat = append(lat, time.Since(t0))
			mu.Unlock()
		}
		return nil
	}
	progress(cfg, "engine ceiling: warming up")
	if _, _, errs := closedLoop(ctx, 0, min(warmUp, cfg.Takedowns), cfg.Concurrency, one); len(errs) > 0 {
		return nil, fmt.Errorf("warm-up: %w", errors.Join(errs...))
	}
	settle(ctx, cfg, st)
	n := bareWorkflows(cfg.Takedowns)
	progress(cfg, "engine ceiling: %d bare workflows of %d activities at concurrency %d", n, acts, cfg.Concurrency)
	stopProfile := cfg.profile("engine-ceiling")
	cpu0 := cpuTime()
	wall, failed, errs := closedLoop(ctx, warmUp, n, cfg.Concurrency, one)
	cpu := cpuTime() - cpu0
	stopProfile()
	ec := &EngineCeiling{
		Workflows: n, Concurrency: cfg.Concurrency, Activities: acts, Failed: failed,
		WallSeconds: seconds(wall), PerSecond: rate(n-failed, wall), Latency: Summarize(lat),
		CPUSeconds: seconds(cpu),
	}
	if done := n - failed; done > 0 {
		ec.CPUPerWorkflowMs = round3(ms(cpu) / float64(done))
	}
	desc, err := st.client.DescribeWorkflowExecution(ctx, "bench-bare-"+run+"-"+strconv.Itoa(warmUp), "")
	if err != nil {
		return ec, fmt.Errorf("describe a bare workflow: %w", err)
	}
	ec.EventsPerWorkflow = int(desc.GetWorkflowExecutionInfo().GetHistoryLength())
	if failed > 0 {
		return ec, fmt.Errorf("%d of %d bare workflows failed: %w", failed, n, errors.Join(errs...))
	}
	return ec, nil
}

// settle waits until the engine has worked off what earlier runs left it
// (visibility writes, above all, lag behind the workflows they describe),
// so that a measured loop pays for its own work and not for its
// predecessor's: this process and PostgreSQL together use less than a
// tenth of a core for a quarter of a second. It gives up after 30 s and
// says so; the run goes on.
func settle(ctx context.Context, cfg Config, st *stack) {
	const (
		window = 250 * time.Millisecond
		quiet  = window / 10
		limit  = 30 * time.Second
	)
	began := time.Now()
	for time.Since(began) < limit && ctx.Err() == nil {
		before := cpuTime() + st.postgresCPU()
		time.Sleep(window)
		if cpuTime()+st.postgresCPU()-before < quiet {
			progress(cfg, "settled in %.1fs", time.Since(began).Seconds())
			return
		}
	}
	progress(cfg, "not settled after %s; measuring anyway", limit)
}
