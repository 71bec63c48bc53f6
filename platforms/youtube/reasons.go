package youtube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/takedown-oss/takedown/internal/takedown"
	"github.com/takedown-oss/takedown/platforms"
)

// abuseReason is one entry of videoAbuseReportReasons.list.
type abuseReason struct {
	ID      string `json:"id"`
	Snippet struct {
		Label            string `json:"label"`
		SecondaryReasons []struct {
			ID    string `json:"id"`
			Label string `json:"label"`
		} `json:"secondaryReasons"`
	} `json:"snippet"`
}

// reasonRule finds a category's reason among the labels YouTube returns. The
// ids are not documented as stable, the labels are localised by hl, so the
// rule holds lower-case keywords in English and Korean; the first reason
// whose label holds a primary keyword wins, then the first of its secondary
// reasons whose label holds a secondary keyword (none is fine).
type reasonRule struct {
	primary, secondary []string
}

// reasonRules covers the categories a label can name. other_illegal has no
// matching label ("Infringes my rights" leads to a legal web form, not this
// API) and needs Config.ReasonIDs.
var reasonRules = map[takedown.Category]reasonRule{
	takedown.DeepfakeSexual: {
		primary:   []string{"sexual", "성적"},
		secondary: []string{"nudity", "graphic sexual", "누드", "노출", "성행위"},
	},
	takedown.NCII: {
		primary:   []string{"sexual", "성적"},
		secondary: []string{"nudity", "graphic sexual", "누드", "노출", "성행위"},
	},
	takedown.CSAM: {
		primary: []string{"child abuse", "아동"},
	},
	takedown.Sextortion: {
		primary: []string{"harassment", "bullying", "괴롭힘"},
	},
}

// reasonFor returns the reason ids for category, from the override map or
// from the (cached) reason list.
func (c *Client) reasonFor(ctx context.Context, category takedown.Category) (ReasonID, error) {
	if r, ok := c.cfg.ReasonIDs[category]; ok {
		return r, nil
	}
	rule, ok := reasonRules[category]
	if !ok {
		return ReasonID{}, platforms.Permanent("reason_unmapped",
			fmt.Errorf("no YouTube abuse reason for category %q: set it in ReasonIDs", category))
	}
	reasons, err := c.abuseReasons(ctx)
	if err != nil {
		return ReasonID{}, err
	}
	for _, r := range reasons {
		if !containsAny(r.Snippet.Label, rule.primary) {
			continue
		}
		id := ReasonID{Reason: r.ID}
		for _, s := range r.Snippet.SecondaryReasons {
			if containsAny(s.Label, rule.secondary) {
				id.Secondary = s.ID
				break
			}
		}
		return id, nil
	}
	return ReasonID{}, platforms.Permanent("reason_unmapped",
		fmt.Errorf("no YouTube abuse reason label matches category %q: set it in ReasonIDs", category))
}

func containsAny(label string, keywords []string) bool {
	label = strings.ToLower(label)
	for _, k := range keywords {
		if strings.Contains(label, k) {
			return true
		}
	}
	return false
}

// abuseReasons returns the reason list, fetching it when the cache is empty
// or older than ReasonCacheTTL. Two notices racing past an expired cache may
// both fetch; at one quota unit a fetch that is cheaper than a lock held
// across the network.
func (c *Client) abuseReasons(ctx context.Context) ([]abuseReason, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	if c.reasons != nil && now.Sub(c.reasonsAt) < c.cfg.ReasonCacheTTL {
		r := c.reasons
		c.mu.Unlock()
		return r, nil
	}
	c.mu.Unlock()

	resp, err := c.do(ctx, "GET", "/videoAbuseReportReasons?part=id,snippet&hl="+url.QueryEscape(c.cfg.Language), nil)
	if err != nil {
		return nil, fmt.Errorf("list abuse reasons: %w", err)
	}
	if resp.Status/100 != 2 {
		return nil, fmt.Errorf("list abuse reasons: %w", c.apiError(resp))
	}
	var list struct {
		Items []abuseReason `json:"items"`
	}
	if err := json.Unmarshal(resp.Body, &list); err != nil {
		return nil, platforms.Transient("malformed_response", errors.New("list abuse reasons: unreadable answer"))
	}
	if len(list.Items) == 0 {
		return nil, platforms.Transient("malformed_response", errors.New("list abuse reasons: empty list"))
	}
	c.mu.Lock()
	c.reasons, c.reasonsAt = list.Items, now
	c.mu.Unlock()
	return list.Items, nil
}

func (c *Client) dropReasons() {
	c.mu.Lock()
	c.reasons = nil
	c.mu.Unlock()
}
