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
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"unmarked", platforms.Transient("network", cause), false},
		{"never sent", platforms.NeverSent(platforms.Transient("network", cause)), false},
		{"sent, unanswered", platforms.SentUnanswered(platforms.Transient("network", cause)), true},
		{"wrapped", fmt.Errorf("report abuse: %w", platforms.SentUnanswered(cause)), true},
		// An earlier request (a reason list) went unanswered, but the
		// notice itself never left: the outermost mark wins.
		{"outermost wins", platforms.NeverSent(fmt.Errorf("choose reason: %w", platforms.SentUnanswered(cause))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := platforms.MayHaveArrived(tt.err); got != tt.want {
				t.Errorf("MayHaveArrived(%v) = %v, want %v", tt.err, got, tt.want)
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
