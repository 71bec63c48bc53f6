package adapter

import (
	"errors"
	"fmt"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// BatchIDs checks the contents of one batch probe call — between one and
// most of them, every id valid — and returns their ids in order. what names
// the contents in the error ("videos"); invalid says what a valid id is.
func BatchIDs(contents []takedown.Content, most int, valid func(string) bool, what, invalid string) ([]string, error) {
	if len(contents) == 0 || len(contents) > most {
		return nil, platforms.Permanent("bad_request", fmt.Errorf("probe %d %s: one call takes 1 to %d", len(contents), what, most))
	}
	ids := make([]string, len(contents))
	for i, c := range contents {
		if !valid(c.ID) {
			return nil, platforms.Permanent("invalid_content_id", errors.New(invalid))
		}
		ids[i] = c.ID
	}
	return ids, nil
}
