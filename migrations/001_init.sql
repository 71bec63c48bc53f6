-- The first schema: users, reported items, the takedowns that follow them,
-- the notices sent for each, and two append-only histories.
--
-- Platforms and categories are checked for being non-empty only: their set
-- grows with the code (a new platform adapter), and the API validates them
-- before anything is written. Statuses and roles are checked here because
-- the workflow and the access rules depend on their exact values.

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    role        text NOT NULL CHECK (role IN ('staff', 'supervisor', 'auditor')),
    -- SHA-256 of the bearer token, never the token itself. Tokens are 32
    -- random bytes: nobody can guess one or search for it offline, so a slow
    -- password hash (bcrypt, argon2), which exists to protect low-entropy
    -- secrets, would add nothing but milliseconds to every request. A fast
    -- deterministic hash also lets a request find its user with one index
    -- lookup.
    token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE items (
    id          uuid PRIMARY KEY,
    url         text NOT NULL CHECK (url <> ''),
    platform    text NOT NULL CHECK (platform <> ''),
    -- The platform's normalized key of the content: two URL forms of the
    -- same post give the same content_id, so a post is reported once.
    content_id  text NOT NULL CHECK (content_id <> ''),
    category    text NOT NULL CHECK (category <> ''),
    note        text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'pending_review' CHECK (status IN ('pending_review', 'confirmed')),
    created_by  uuid NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, content_id)
);

-- The review queue: items by status, newest first.
CREATE INDEX items_status_created_idx ON items (status, created_at DESC, id DESC);

CREATE TABLE takedowns (
    id                uuid PRIMARY KEY,
    item_id           uuid NOT NULL UNIQUE REFERENCES items (id),
    workflow_id       text NOT NULL UNIQUE CHECK (workflow_id <> ''),
    -- Copied from the item when confirmed: a takedown is about the content
    -- as it was confirmed, and lists need no join.
    platform          text NOT NULL,
    content_id        text NOT NULL,
    url               text NOT NULL,
    category          text NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN (
                          'pending', 'notice_sent', 'awaiting_portal', 'removed', 'withheld',
                          'rejected', 'blocked', 'withdrawn', 'failed')),
    escalation_level  integer NOT NULL DEFAULT 0 CHECK (escalation_level >= 0),
    deadline          timestamptz,
    assignee          uuid REFERENCES users (id),
    confirmed_by      uuid NOT NULL REFERENCES users (id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    notice_sent_at    timestamptz,
    removed_at        timestamptz,
    closed_at         timestamptz
);

-- Lists are newest first with keyset pagination on (created_at, id), with
-- or without a filter on status or platform.
CREATE INDEX takedowns_created_idx ON takedowns (created_at DESC, id DESC);
CREATE INDEX takedowns_status_created_idx ON takedowns (status, created_at DESC, id DESC);
CREATE INDEX takedowns_platform_created_idx ON takedowns (platform, created_at DESC, id DESC);
-- What is overdue: open takedowns past their deadline, most overdue first.
-- Closed takedowns are most of the table and never overdue.
CREATE INDEX takedowns_open_deadline_idx ON takedowns (deadline, id) WHERE closed_at IS NULL;
-- Compliance figures (time from notice to removal, per platform and
-- category, over a period) read only these columns.
CREATE INDEX takedowns_notice_sent_idx ON takedowns (notice_sent_at)
    INCLUDE (platform, category, status, removed_at)
    WHERE notice_sent_at IS NOT NULL;
CREATE INDEX takedowns_assignee_idx ON takedowns (assignee) WHERE assignee IS NOT NULL;

-- One row per notice attempt. The idempotency key is claimed before a notice
-- leaves the system, so that a retried activity never sends it twice.
CREATE TABLE notices (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    takedown_id         uuid NOT NULL REFERENCES takedowns (id),
    idempotency_key     text NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    attempt             integer NOT NULL CHECK (attempt >= 0),
    channel             text NOT NULL DEFAULT '',
    priority            boolean NOT NULL DEFAULT false,
    -- sending: claimed, the send may or may not have happened;
    -- failed: known not delivered, may be claimed again;
    -- uncertain: a send died midway, never re-sent for this attempt.
    state               text NOT NULL CHECK (state IN ('sending', 'sent', 'failed', 'uncertain', 'awaiting_portal')),
    reference           text NOT NULL DEFAULT '',
    platform_reference  text NOT NULL DEFAULT '',
    error               text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz
);

CREATE INDEX notices_takedown_idx ON notices (takedown_id, attempt);

-- History is evidence: what happened to a takedown and who did what must not
-- change once written. The database itself refuses, so that no code path
-- (or hand-typed statement) can rewrite it by mistake.
CREATE FUNCTION refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TABLE takedown_events (
    seq          bigserial PRIMARY KEY,
    takedown_id  uuid NOT NULL REFERENCES takedowns (id),
    -- Written by retried activities: the key makes a step recorded once.
    event_key    text NOT NULL CHECK (event_key <> ''),
    at           timestamptz NOT NULL,
    kind         text NOT NULL CHECK (kind <> ''),
    status       text CHECK (status IN (
                     'pending', 'notice_sent', 'awaiting_portal', 'removed', 'withheld',
                     'rejected', 'blocked', 'withdrawn', 'failed')),
    detail       jsonb NOT NULL DEFAULT '{}',
    -- When it was written, as opposed to when it happened (at).
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (takedown_id, event_key)
);

CREATE TRIGGER takedown_events_append_only
    BEFORE UPDATE OR DELETE ON takedown_events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER takedown_events_no_truncate
    BEFORE TRUNCATE ON takedown_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE TABLE audit_log (
    seq           bigserial PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    -- Null for actions of the system itself (a workflow, a scheduled job).
    actor_id      uuid REFERENCES users (id),
    actor_role    text NOT NULL DEFAULT '',
    action        text NOT NULL CHECK (action <> ''),
    subject_type  text NOT NULL DEFAULT '',
    subject_id    text NOT NULL DEFAULT '',
    detail        jsonb NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_log_subject_idx ON audit_log (subject_type, subject_id, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, seq) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_log_at_idx ON audit_log (at);

CREATE TRIGGER audit_log_append_only
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
