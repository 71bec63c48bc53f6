-- Accounts: an admin role, disabled users, named tokens that expire and can
-- be revoked, passwords for people who sign in, and server-side sessions.
--
-- Users are never deleted (items, takedowns and the audit log refer to
-- them): an account that must stop working is disabled, and every token
-- and session of a disabled user is refused at once.

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('staff', 'supervisor', 'auditor', 'admin'));
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
-- argon2id in the PHC string format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
-- Unlike tokens, passwords are chosen by people and can be guessed, so they
-- get a slow, memory-hard hash.
ALTER TABLE users ADD COLUMN password_hash text CHECK (password_hash LIKE '$argon2id$%');
-- Consecutive failed sign-ins, and until when the account refuses
-- passwords after too many of them.
ALTER TABLE users ADD COLUMN failed_signins integer NOT NULL DEFAULT 0 CHECK (failed_signins >= 0);
ALTER TABLE users ADD COLUMN locked_until timestamptz;

-- A user has any number of named tokens. The hash is SHA-256, as before:
-- tokens are 32 random bytes, which a slow hash would not make any harder
-- to guess, and a fast one finds the token with one index lookup.
CREATE TABLE tokens (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users (id),
    name          text NOT NULL CHECK (name <> ''),
    hash          bytea NOT NULL UNIQUE CHECK (octet_length(hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Null only for tokens carried over from before tokens expired.
    expires_at    timestamptz,
    revoked_at    timestamptz,
    last_used_at  timestamptz,
    UNIQUE (user_id, name)
);

CREATE INDEX tokens_user_idx ON tokens (user_id, created_at);

-- Existing tokens keep working, under the name "initial", until revoked.
INSERT INTO tokens (id, user_id, name, hash, created_at)
SELECT gen_random_uuid(), id, 'initial', token_hash, created_at FROM users;

ALTER TABLE users DROP COLUMN token_hash;

-- Sessions of people signed in with a browser. The cookie holds a random
-- secret; only its SHA-256 is kept, so a copy of this table opens nothing.
CREATE TABLE sessions (
    hash          bytea PRIMARY KEY CHECK (octet_length(hash) = 32),
    user_id       uuid NOT NULL REFERENCES users (id),
    -- Sent back with every state-changing form or request.
    csrf_token    text NOT NULL CHECK (csrf_token <> ''),
    -- How the person signed in: "password" or "oidc".
    method        text NOT NULL CHECK (method IN ('password', 'oidc')),
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    -- The absolute timeout: no activity extends a session past it.
    expires_at    timestamptz NOT NULL,
    ended_at      timestamptz
);

CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE ended_at IS NULL;
