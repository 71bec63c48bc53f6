package bench

import (
	"math"
	"slices"
	"time"
)

// Latency summarizes a sample of durations, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// Summarize computes the summary of ds; it does not change ds. An empty
// sample gives a zero summary.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	var sum float64
	for _, d := range s {
		sum += ms(d)
	}
	return Latency{
		Count: len(s),
		Mean:  round3(sum / float64(len(s))),
		P50:   round3(ms(Percentile(s, 50))),
		P95:   round3(ms(Percentile(s, 95))),
		P99:   round3(ms(Percentile(s, 99))),
		Max:   round3(ms(s[len(s)-1])),
	}
}

// Percentile returns the p-th percentile (0–100) of an ascending sample,
// interpolating linearly between the two nearest ranks: the definition of
// PostgreSQL's percentile_cont and of most statistics packages, so that the
// figures here compare with the compliance report's.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	rank := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(rank))
	hi := int(math.Ceil(rank))
	frac := rank - float64(lo)
	return sorted[lo] + time.Duration(math.Round(frac*float64(sorted[hi]-sorted[lo])))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// round3 keeps three decimals: microseconds, finer than anything measured.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// rate is n per second over d, rounded for reading.
func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return round3(float64(n) / d.Seconds())
}

func seconds(d time.Duration) float64 { return round3(d.Seconds()) }
