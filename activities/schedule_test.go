package activities

import (
	"fmt"
	"testing"
	"time"
)

func TestProbeScheduleSpreadsLateProbesOverTheSlots(t *testing.T) {
	s := ProbeSchedule{Slot: 10 * time.Minute, Early: 10 * time.Minute, EarlyFor: 24 * time.Hour, Late: time.Hour}
	since := time.Date(2026, 3, 10, 0, 3, 0, 0, time.UTC)
	// Early: every slot, and only at a slot's start (within the tolerance).
	at := time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC)
	if !s.Due("a", since, at) || !s.Due("a", since, at.Add(29*time.Second)) || s.Due("a", since, at.Add(31*time.Second)) {
		t.Error("early probe: want due at the slot and up to 30 s after, not later")
	}
	if got := s.Next("a", since, at.Add(time.Minute), 0, false); !got.Equal(at.Add(10 * time.Minute)) {
		t.Errorf("next early probe %s, want the next slot", got)
	}
	// Late: each content once an hour, the contents spread over the six slots.
	late := since.Add(48 * time.Hour)
	perSlot := make([]int, 6)
	for i := range 600 {
		key := fmt.Sprint("content-", i)
		due := 0
		for k := range 6 {
			if s.Due(key, since, late.Truncate(time.Hour).Add(time.Duration(k)*10*time.Minute)) {
				due++
				perSlot[k]++
			}
		}
		if due != 1 {
			t.Fatalf("%s is due %d times an hour, want once", key, due)
		}
		next := s.Next(key, since, late, 0, false)
		if !s.Due(key, since, next) || next.Sub(late) > time.Hour {
			t.Fatalf("%s: next %s is not a slot it is due at within the hour", key, next)
		}
	}
	for k, n := range perSlot {
		if n < 70 || n > 130 {
			t.Errorf("slot %d holds %d of 600 contents, want about 100", k, n)
		}
	}
	// A confirming probe takes any slot at least its gap away.
	if got := s.Next("a", since, late.Truncate(10*time.Minute).Add(time.Minute), 5*time.Minute, true); !got.Equal(late.Truncate(10 * time.Minute).Add(10 * time.Minute)) {
		t.Errorf("confirming probe at %s, want the next slot", got)
	}
	if got := s.Next("a", since, late.Truncate(10*time.Minute).Add(6*time.Minute), 5*time.Minute, true); !got.Equal(late.Truncate(10 * time.Minute).Add(20 * time.Minute)) {
		t.Errorf("confirming probe at %s, want the slot after the gap", got)
	}
}
