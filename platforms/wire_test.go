package platforms_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/takedown-oss/takedown/platforms"
)

func TestMayHaveArrived(t *testing.T) {
	cause := errors.New("i/o timeout")
	tests := []struct {
		name         string
		err          error
		want         bool // MayHaveArrived
		neverReached bool
	}{
		{"no error", nil, false, false},
		{"unmarked", platforms.Transient("network", cause), false, false},
		{"never sent", platforms.NeverSent(platforms.Transient("network", cause)), false, true},
		{"sent, unanswered", platforms.SentUnanswered(platforms.Transient("network", cause)), true, false},
		{"wrapped", fmt.Errorf("report abuse: %w", platforms.SentUnanswered(cause)), true, false},
		{"wrapped, never sent", fmt.Errorf("report abuse: %w", platforms.NeverSent(cause)), false, true},
		// An earlier request (a reason list) went unanswered, but the
		// notice itself never left: the outermost mark wins.
		{"outermost wins", platforms.NeverSent(fmt.Errorf("choose reason: %w", platforms.SentUnanswered(cause))), false, true},
		{"outermost wins, sent", platforms.SentUnanswered(fmt.Errorf("report: %w", platforms.NeverSent(cause))), true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := platforms.MayHaveArrived(tt.err); got != tt.want {
				t.Errorf("MayHaveArrived(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := platforms.NeverReached(tt.err); got != tt.neverReached {
				t.Errorf("NeverReached(%v) = %v, want %v", tt.err, got, tt.neverReached)
			}
			if tt.err != nil && !errors.Is(tt.err, cause) {
				t.Errorf("%v does not wrap its cause", tt.err)
			}
			if pe := platforms.Classify(tt.err); tt.err != nil && pe.Kind != platforms.KindTransient {
				t.Errorf("Classify(%v) = %s, want transient", tt.err, pe.Kind)
			}
		})
	}
}
