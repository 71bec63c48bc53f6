-- When each platform may next be called, by purpose (reports, probes): a
-- configured rate (TAKEDOWN_SEND_RATE_*, TAKEDOWN_PROBE_RATE_*) gives every
-- call a turn one interval after the previous one, reserved here by one
-- UPDATE, so that the rate holds across every worker and calls go in the
-- order they asked. One row per platform and purpose; nothing accumulates.
CREATE TABLE pace (
    platform text NOT NULL,
    purpose  text NOT NULL,
    next_at  timestamptz NOT NULL,
    PRIMARY KEY (platform, purpose)
);
