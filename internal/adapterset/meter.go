package adapterset

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/takedown-oss/takedown/internal/metered"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
	"github.com/takedown-oss/takedown/platforms/x"
	"github.com/takedown-oss/takedown/platforms/youtube"
)

// meterings are how each metered platform batches and says its allowance
// is spent.
var meterings = map[takedown.Platform]struct {
	batch     int
	exhausted []string
}{
	takedown.YouTube: {youtube.BatchSize, []string{"quotaExceeded"}},
	takedown.X:       {x.BatchSize, []string{"http_429"}},
}

// Meter wraps the adapter of every platform the ledger has a budget for,
// except those in skip (platforms that are off), so that its calls are paid
// for from the shared ledger and its probes batched. gather is how long a
// batch waits for more probes (0: the metered adapter's default, a second;
// a stack with a scaled policy, whose slots are short, waits less).
func Meter(ads map[takedown.Platform]platforms.Adapter, ledger *quota.Ledger, skip map[takedown.Platform]error,
	obs metered.Observer, logger *slog.Logger, gather time.Duration, now func() time.Time) error {
	for p, m := range meterings {
		if _, ok := ledger.Budget(p); !ok || ads[p] == nil || skip[p] != nil {
			continue
		}
		w, err := metered.Wrap(ads[p], metered.Config{Platform: p, Ledger: ledger, BatchSize: m.batch,
			ExhaustedCodes: m.exhausted, Gather: gather, Observer: obs, Logger: logger.With("platform", string(p)), Now: now})
		if err != nil {
			return fmt.Errorf("meter %s: %w", p, err)
		}
		ads[p] = w
	}
	return nil
}
