package activities

import (
	"hash/fnv"
	"time"
)

// ProbeSchedule spaces the probes of a platform whose status calls cost
// quota and answer many ids at once (YouTube's videos.list: 50 ids for one
// unit; X's post lookup: 100 ids for one request of a 15-minute window).
//
// Probes run only on a grid of slots shared by every takedown, so that the
// probes due at the same moment reach the worker together and one platform
// call answers all of them. A takedown is probed at every slot while removal
// is most likely (Early, for EarlyFor after its notice), then at every
// Late/Slot-th slot, at an offset drawn from its content id so that the
// sparse probes of many takedowns spread evenly over the slots instead of
// all falling on one. A confirming probe and a re-check wait for the next
// slot too, and ride in its batch.
//
// The zero value is off: the policy's backoff (ProbeInitial … ProbeMax)
// spaces the probes, one call each, as for platforms whose probes are free.
type ProbeSchedule struct {
	// Slot is the grid's step.
	Slot time.Duration `json:"slot,omitempty"`
	// Early is the step while the notice is recent; a multiple of Slot.
	Early    time.Duration `json:"early,omitempty"`
	EarlyFor time.Duration `json:"early_for,omitempty"`
	// Late is the step after that; a multiple of Slot.
	Late time.Duration `json:"late,omitempty"`
}

// On reports whether probes follow the grid.
func (s ProbeSchedule) On() bool { return s.Slot > 0 }

// SlotTolerance is how late after a slot's start a probe still counts as
// that slot's: the engine dispatches a slot's retries over a few seconds,
// more under load.
func (s ProbeSchedule) SlotTolerance() time.Duration { return min(s.Slot/4, 30*time.Second) }

func (s ProbeSchedule) every(since, at time.Time) int64 {
	step := s.Early
	if since.IsZero() || at.Sub(since) >= s.EarlyFor {
		step = s.Late
	}
	return max(int64(step/s.Slot), 1)
}

// phase is the content's offset on the sparse grid, stable for a content id.
func phase(key string, every int64) int64 {
	if every <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int64(h.Sum32()) % every
}

func (s ProbeSchedule) slotIndex(t time.Time) int64 { return t.UnixNano() / int64(s.Slot) }

// Due reports whether now falls in a slot at which the content is probed.
func (s ProbeSchedule) Due(key string, since, now time.Time) bool {
	i := s.slotIndex(now)
	start := time.Unix(0, i*int64(s.Slot))
	if now.Sub(start) > s.SlotTolerance() {
		return false
	}
	every := s.every(since, start)
	return (i+phase(key, every))%every == 0
}

// Next is the start of the first slot after now, at least gap away, at
// which the content is probed. A confirming probe passes its gap and
// dense=true: it must come soon, so any slot will do.
func (s ProbeSchedule) Next(key string, since, now time.Time, gap time.Duration, dense bool) time.Time {
	earliest := now.Add(max(gap, time.Nanosecond))
	i := s.slotIndex(earliest)
	if time.Unix(0, i*int64(s.Slot)).Before(earliest) {
		i++
	}
	for {
		start := time.Unix(0, i*int64(s.Slot))
		every := s.every(since, start)
		if dense || (i+phase(key, every))%every == 0 {
			return start
		}
		i++
	}
}
