package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/takedown-oss/takedown/internal/takedown"
)

// millis is durations of so many milliseconds.
func millis(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", millis(7), 99, 7 * time.Millisecond},
		{"median of an even count lies halfway", millis(1, 2, 3, 4), 50, 2500 * time.Microsecond},
		{"median of an odd count is the middle", millis(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		// rank 0.9 * 1 = 0.9: 90% of the way from 1 h to 3 h, as
		// PostgreSQL's percentile_cont gives in the store's tests.
		{"interpolates like percentile_cont", []time.Duration{time.Hour, 3 * time.Hour}, 90, 2*time.Hour + 48*time.Minute},
		{"0 is the minimum", millis(3, 5, 9), 0, 3 * time.Millisecond},
		{"100 is the maximum", millis(3, 5, 9), 100, 9 * time.Millisecond},
		{"out of range is clamped", millis(3, 5, 9), 150, 9 * time.Millisecond},
		{"p95 of 1..100", millis(seq(1, 100)...), 95, 95050 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestSummarize(t *testing.T) {
	in := []time.Duration{40 * time.Millisecond, 10 * time.Millisecond, 30 * time.Millisecond, 20 * time.Millisecond}
	orig := slices.Clone(in)
	got := Summarize(in)
	want := Latency{Count: 4, Mean: 25, P50: 25, P95: 38.5, P99: 39.7, Max: 40}
	if got != want {
		t.Errorf("Summarize = %+v, want %+v", got, want)
	}
	if !slices.Equal(in, orig) {
		t.Errorf("Summarize reordered its input: %v", in)
	}
	if got := Summarize(nil); got != (Latency{}) {
		t.Errorf("Summarize(nil) = %+v, want zero", got)
	}
}

func TestRate(t *testing.T) {
	if got := rate(50, 2*time.Second); got != 25 {
		t.Errorf("rate = %v, want 25", got)
	}
	if got := rate(50, 0); got != 0 {
		t.Errorf("rate over no time = %v, want 0", got)
	}
}

// TestContentURLs checks that every generated URL is accepted by the same
// parser the API uses, lands on the intended platform, and names content no
// other index (or run) names: a duplicate would be refused as already
// reported and the run would fail.
func TestContentURLs(t *testing.T) {
	seen := map[string]bool{}
	perPlatform := map[takedown.Platform]int{}
	for _, run := range []string{"abcd", "zzzz"} {
		for i := range 2000 {
			want, raw := contentURL(run, i)
			c, err := takedown.ParseURL(raw)
			if err != nil {
				t.Fatalf("contentURL(%q, %d) = %q: %v", run, i, raw, err)
			}
			if c.Platform != want {
				t.Fatalf("contentURL(%q, %d) = %q parses as %s, want %s", run, i, raw, c.Platform, want)
			}
			key := string(c.Platform) + "/" + c.ID
			if seen[key] {
				t.Fatalf("contentURL(%q, %d) repeats content %s", run, i, key)
			}
			seen[key] = true
			perPlatform[c.Platform]++
		}
	}
	for _, p := range takedown.Platforms {
		if perPlatform[p] != 1000 {
			t.Errorf("%s got %d of 4000 URLs, want an even spread", p, perPlatform[p])
		}
	}
}

func TestNewRunFitsEveryPlatform(t *testing.T) {
	for range 100 {
		run := newRun()
		if len(run) != 4 || strings.Trim(run, "abcdefghijklmnopqrstuvwxyz") != "" {
			t.Fatalf("newRun() = %q, want four lower-case letters", run)
		}
	}
	if runNumber("aaaa") != 0 || runNumber("aaab") != 1 || runNumber("zzzz") != 26*26*26*26-1 {
		t.Error("runNumber does not read the letters as base-26 digits")
	}
}

func TestCategoriesCoverEveryPlatform(t *testing.T) {
	pairs := map[string]bool{}
	for i := range len(takedown.Platforms) * len(benchCategories) {
		p, _ := contentURL("abcd", i)
		c := categoryOf(i)
		if !c.Valid() || c == takedown.OtherIllegal {
			t.Fatalf("categoryOf(%d) = %q", i, c)
		}
		pairs[string(p)+"/"+string(c)] = true
	}
	if len(pairs) != len(takedown.Platforms)*len(benchCategories) {
		t.Errorf("only %d platform/category pairs in one cycle, want all %d", len(pairs), len(takedown.Platforms)*len(benchCategories))
	}
}

func TestDefaults(t *testing.T) {
	full := Config{}.withDefaults()
	if full.Takedowns != 2000 || full.Concurrency != 50 || full.SeedRows != 1_000_000 || full.Waiting != 10_000 ||
		full.Replays != 200 || full.QueryRuns != 200 {
		t.Errorf("defaults = %+v", full)
	}
	quick := Config{Quick: true}.withDefaults()
	if quick.Takedowns != 400 || quick.SeedRows != 20_000 || quick.Waiting != 200 || quick.Concurrency != 50 {
		t.Errorf("quick defaults = %+v", quick)
	}
	// A figure given explicitly wins over -quick's.
	if got := (Config{Quick: true, Takedowns: 7}).withDefaults(); got.Takedowns != 7 {
		t.Errorf("quick with n=7 gives %d takedowns", got.Takedowns)
	}
}

// TestReportJSON pins the report's shape: CI and BENCHMARKS.md read these
// keys.
func TestReportJSON(t *testing.T) {
	rep := Report{
		Benchmark: "takedown bench",
		Date:      time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Machine:   Machine{CPUs: 2},
		Throughput: &Throughput{
			Takedowns: 10, PerSecond: 5, ConfirmToNotice: Latency{Count: 10, P50: 1.5},
			ByPlatform: map[string]int{"x": 10}, ByRound: []Round{{N: 10, PerSecond: 5}},
		},
		EngineCeiling:     &EngineCeiling{PerSecond: 10, ByRound: []Round{{N: 10, PerSecond: 10}}},
		RatioOursOverBare: 0.5, RatioByPair: []float64{0.5}, RatioMedian: 0.5, RatioBasis: "steady",
		History: &HistoryCost{HappyPath: &HappyPath{EventsMean: 27}, NinetyDays: &NinetyDays{EventsPerRun: 140}},
		Queries: &Queries{Overdue: QueryTiming{Plan: []string{"Index Scan"}}},
		Memory:  &Memory{Waiting: 3},
		Replay:  &Replay{HistoriesPerSecond: 100},
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		"benchmark", "date", "command", "machine.nproc", "machine.go", "settings.takedowns", "settings.policy",
		"throughput.takedowns_per_s", "throughput.confirm_to_notice_sent.p50_ms", "throughput.confirm_to_removed.p99_ms",
		"engine_ceiling.workflows_per_s", "ratio_ours_over_bare",
		"ratio_by_pair", "ratio_median_of_pairs", "ratio_basis", "throughput.steady_takedowns_per_s", "throughput.steady_confirm_to_notice_sent.p95_ms", "engine_ceiling.steady_workflows_per_s", "throughput.by_round", "engine_ceiling.by_round", "settings.pairs",
		"history.happy_path.events_mean", "history.ninety_days_probing.events_per_run_estimate", "history.ninety_days_probing.method",
		"queries.overdue_list.latency.p95_ms", "queries.overdue_list.plan", "queries.compliance_30_days.meets_target",
		"memory.after.vm_rss_mb", "memory.before.go_heap_inuse_mb", "replay.histories_per_s", "duration_s",
	} {
		if _, ok := lookup(got, path); !ok {
			t.Errorf("report has no %s:\n%s", path, b)
		}
	}
	if v, _ := lookup(got, "throughput.confirm_to_notice_sent.p50_ms"); v != 1.5 {
		t.Errorf("p50 = %v, want 1.5", v)
	}
	// A report without errors says nothing about them.
	if _, ok := got["errors"]; ok {
		t.Error("an empty error list is in the report")
	}
}

func lookup(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func TestFormulaEvents(t *testing.T) {
	// TEMPORAL.md: one activity is 11 events, each further one 6 more; the
	// formula is an upper bound by one start event per run.
	if got := formulaEvents(1, 0); got != 11 {
		t.Errorf("one activity = %d events, want 11", got)
	}
	if got := formulaEvents(3, 1); got != 28 {
		t.Errorf("3 activities and a timer = %d events, want 28", got)
	}
}

func TestProcField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(path, []byte("Name:\tbench\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := procBytes(path, "VmRSS"); got != 1024*1024 {
		t.Errorf("VmRSS = %d, want 1 MiB", got)
	}
	if got := procBytes(path, "VmSwap"); got != 0 {
		t.Errorf("a missing key = %d, want 0", got)
	}
	if got := procField(path, "Name"); got != "bench" {
		t.Errorf("Name = %q", got)
	}
}

func TestHead(t *testing.T) {
	lines := []string{"a", "b", "c"}
	if got := head(lines, 5); !slices.Equal(got, lines) {
		t.Errorf("head of a short plan = %v", got)
	}
	got := head(lines, 2)
	if len(got) != 3 || got[0] != "a" || got[1] != "b" || !strings.Contains(got[2], "1 more") {
		t.Errorf("head(…, 2) = %v", got)
	}
	if lines[2] != "c" {
		t.Error("head changed its input")
	}
}

// The process tree's CPU time counts this process's own work: spinning for
// a while shows up in it.
func TestCPUTimesCountWork(t *testing.T) {
	busy0, whole0, steal0, ok := cpuTimes()
	if !ok {
		t.Skip("no /proc/stat on this system")
	}
	for start := cpuTime(); cpuTime()-start < 200*time.Millisecond; {
	}
	busy1, whole1, steal1, _ := cpuTimes()
	// This goroutine's 200 ms are the machine's busy time; whatever else
	// ran may only add to it.
	if d := busy1 - busy0; d < 100*time.Millisecond {
		t.Errorf("200 ms of spinning added %s of busy time, want at least 100 ms", d)
	}
	if busy1-busy0 > whole1-whole0 || steal1 < steal0 {
		t.Errorf("busy %s of %s, steal %s → %s: busy must fit in the whole and steal only grow",
			busy1-busy0, whole1-whole0, steal0, steal1)
	}
}

func TestProcessTreeCPUCountsWork(t *testing.T) {
	before, ok := processTreeCPU(os.Getpid())
	if !ok {
		t.Skip("no /proc on this system")
	}
	for start := cpuTime(); cpuTime()-start < 200*time.Millisecond; {
	}
	after, _ := processTreeCPU(os.Getpid())
	if d := after - before; d < 100*time.Millisecond {
		t.Errorf("200 ms of spinning added %s to the process tree's CPU time, want at least 100 ms", d)
	}
}

func TestRoundSizes(t *testing.T) {
	for _, c := range []struct {
		n, pairs int
		want     []int
	}{
		{2000, 4, []int{500, 500, 500, 500}},
		{401, 2, []int{201, 200}},
		{3, 4, []int{1, 1, 1}},
		{10, 0, []int{10}},
	} {
		if got := roundSizes(c.n, c.pairs); !slices.Equal(got, c.want) {
			t.Errorf("roundSizes(%d, %d) = %v, want %v", c.n, c.pairs, got, c.want)
		}
	}
}

func TestPairRatios(t *testing.T) {
	ours := []Round{{PerSecond: 30}, {PerSecond: 40}, {PerSecond: 45}, {PerSecond: 20}}
	bare := []Round{{PerSecond: 40}, {PerSecond: 40}, {PerSecond: 50}, {PerSecond: 0}}
	got, median := pairRatios(ours, bare)
	// A bare round that completed nothing gives no ratio.
	if !slices.Equal(got, []float64{0.75, 1, 0.9}) || median != 0.9 {
		t.Errorf("pairRatios = %v, median %v; want [0.75 1 0.9], 0.9", got, median)
	}
	if got, median := pairRatios(ours[:2], bare[:2]); median != 0.875 || len(got) != 2 {
		t.Errorf("two pairs: %v, median %v; want median 0.875", got, median)
	}
	if got, median := pairRatios(nil, bare); got != nil || median != 0 {
		t.Errorf("no rounds of ours: %v, %v", got, median)
	}
}

func TestSteadyWindow(t *testing.T) {
	// Two clients: the first two completions (at 10 and 12 ms) end the
	// start; the last item was handed out at 40 ms, so the completions at
	// 20, 30 and 40 ms are steady and the one at 50 ms is the drain.
	n, w := steadyWindow(millis(30, 10, 50, 12, 20, 40), 2, 40*time.Millisecond)
	if n != 3 || w != 28*time.Millisecond {
		t.Errorf("steady = %d in %v, want 3 in 28ms", n, w)
	}
	// A round no longer than its concurrency has no steady state.
	if n, w := steadyWindow(millis(10, 12), 2, 5*time.Millisecond); n != 0 || w != 0 {
		t.Errorf("short round: %d in %v", n, w)
	}
	if n, w := steadyWindow(millis(10, 12, 20), 2, 11*time.Millisecond); n != 0 || w != 0 {
		t.Errorf("last item handed out before the start ended: %d in %v", n, w)
	}
}

func TestPairRatiosPreferSteadyRates(t *testing.T) {
	ours := []Round{{PerSecond: 30, SteadyPerSecond: 45}, {PerSecond: 30}}
	bare := []Round{{PerSecond: 40, SteadyPerSecond: 50}, {PerSecond: 40, SteadyPerSecond: 50}}
	// The second pair's round of ours had no steady state: both fall back
	// to whole rounds.
	if got, _ := pairRatios(ours, bare); !slices.Equal(got, []float64{0.9, 0.75}) {
		t.Errorf("pairRatios = %v, want [0.9 0.75]", got)
	}
}

func TestInSteady(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := loop{window: 2 * time.Second, steadyFrom: t0, steadyTo: t0.Add(2 * time.Second)}
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{-time.Millisecond, false}, {0, true}, {time.Second, true}, {2 * time.Second, true}, {2*time.Second + 1, false}} {
		if got := l.inSteady(t0.Add(c.at)); got != c.want {
			t.Errorf("inSteady(start%+v) = %v, want %v", c.at, got, c.want)
		}
	}
	// A round without a steady state has no steady samples.
	if (loop{steadyFrom: t0, steadyTo: t0}).inSteady(t0) {
		t.Error("a loop without a window counts a sample as steady")
	}
}
