package platforms

import "testing"

func TestIsDigits(t *testing.T) {
	for s, want := range map[string]bool{"0": true, "1790000000000000001": true, "": false, "12a": false, "-1": false} {
		if IsDigits(s) != want {
			t.Errorf("IsDigits(%q) = %v", s, !want)
		}
	}
}
