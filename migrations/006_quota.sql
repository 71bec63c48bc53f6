-- Each platform's allowance, one row a window (YouTube's Pacific day, X's
-- 15 minutes), shared by every worker: a spend is one UPDATE that checks the
-- ceilings, so concurrent workers never overspend. Old windows are kept: they
-- are the record of what probing and reporting cost.
CREATE TABLE quota_windows (
    platform        text NOT NULL,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL CHECK (window_end > window_start),
    report_units    integer NOT NULL DEFAULT 0 CHECK (report_units >= 0),
    probe_units     integer NOT NULL DEFAULT 0 CHECK (probe_units >= 0),
    probe_calls     integer NOT NULL DEFAULT 0,
    probe_ids       integer NOT NULL DEFAULT 0,
    refused_reports integer NOT NULL DEFAULT 0,
    refused_probes  integer NOT NULL DEFAULT 0,
    exhausted       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (platform, window_start)
);
CREATE INDEX quota_windows_end ON quota_windows (window_end);
