package bench

import (
	"github.com/takedown-oss/takedown/internal/policy"
	"github.com/takedown-oss/takedown/internal/probesim"
	"github.com/takedown-oss/takedown/internal/quota"
	"github.com/takedown-oss/takedown/internal/takedown"
)

// probeSchedules plays the production policy's probe schedules for YouTube
// and X with the platforms' default budgets: 200 new takedowns a day,
// about 1,000 open.
func probeSchedules() ([]probesim.Result, error) {
	var out []probesim.Result
	budgets := quota.DefaultBudgets()
	for _, p := range []takedown.Platform{takedown.YouTube, takedown.X} {
		pol := policy.Default().For(p, takedown.DeepfakeSexual)
		c := probesim.YouTube(pol.ProbeSchedule, pol.ConfirmGap, budgets[p])
		c.Name = string(p)
		if p == takedown.X {
			c.BatchSize = 100
		}
		r, err := probesim.Run(c)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}
