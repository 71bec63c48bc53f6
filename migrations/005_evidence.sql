-- Evidence a reviewer attaches to a reported item: a screenshot, a saved
-- page. Stored in the database with its SHA-256, so that what was seen can
-- be shown to be what was kept; the same file is kept once per item.
CREATE TABLE evidence (
    id           uuid PRIMARY KEY,
    item_id      uuid NOT NULL REFERENCES items (id),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL,
    size_bytes   integer NOT NULL CHECK (size_bytes > 0),
    data         bytea NOT NULL,
    uploaded_by  uuid NOT NULL REFERENCES users (id),
    uploaded_at  timestamptz NOT NULL,
    UNIQUE (item_id, sha256)
);

