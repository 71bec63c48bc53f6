package takedown

import "time"

// Content identifies one piece of content on a platform. ID is the normalized
// key (two URL forms of the same content give the same ID); URL is the
// canonical public URL built from it. ParseURL and ParseContentID make one.
type Content struct {
	Platform Platform `json:"platform"`
	ID       string   `json:"content_id"`
	URL      string   `json:"url"`
}

// ProbeState is what a probe saw of the content. Its constants say Probe
// rather than State so that they do not read as a takedown's Status
// (ProbeRemoved is an observation, StatusRemoved a conclusion).
type ProbeState string

const (
	ProbePresent  ProbeState = "present"
	ProbeRemoved  ProbeState = "removed"
	ProbeWithheld ProbeState = "withheld" // geo-restricted in some countries, not removed
	ProbeUnknown  ProbeState = "unknown"  // the probe could not tell; never read as removed
)

// ProbeResult is one observation of the content's status.
type ProbeResult struct {
	State ProbeState `json:"state"`
	// Countries lists ISO 3166-1 alpha-2 codes where the content is withheld.
	Countries []string `json:"countries,omitempty"`
	// Reason says why, in the platform's words where it gave any
	// ("uploadStatus=rejected rejectionReason=legal", "Post not found", …).
	Reason    string    `json:"reason,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}
