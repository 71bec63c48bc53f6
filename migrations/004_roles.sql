-- The runtime role: what `takedown serve` and `takedown worker` connect as.
-- The role that runs the migrations owns the tables; the runtime role owns
-- nothing, so it cannot ALTER, DROP or disable the append-only triggers, and
-- it may not UPDATE, DELETE or TRUNCATE the histories either: evidence stays
-- evidence even if the application itself is compromised.
--
-- takedown_runtime is a group role without login. `takedown setup` (or an
-- administrator, see README) creates the login role the processes use and
-- makes it a member. Roles belong to the whole PostgreSQL cluster, so the
-- group may already exist (another database of the same cluster): then it
-- is only granted what this database needs.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'takedown_runtime') THEN
        BEGIN
            CREATE ROLE takedown_runtime NOLOGIN;
        EXCEPTION
            -- Created at the same moment by a migration of another database.
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the migrating role may not create roles: run CREATE ROLE takedown_runtime NOLOGIN as an administrator, then migrate again';
        END;
    END IF;
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO takedown_runtime', current_database());
END
$$;

GRANT USAGE ON SCHEMA public TO takedown_runtime;
REVOKE CREATE ON SCHEMA public FROM takedown_runtime;

-- Every table and sequence there is now, and (default privileges) every one
-- the migrating role creates later: reading and writing rows, nothing that
-- changes a table itself.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO takedown_runtime;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO takedown_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO takedown_runtime;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO takedown_runtime;

-- The histories are append-only for the application. A later migration that
-- adds an append-only table revokes the same on it.
REVOKE UPDATE, DELETE, TRUNCATE ON takedown_events, audit_log FROM takedown_runtime;

-- The migrations' own bookkeeping is the owner's to change; the runtime
-- role may read it (`takedown doctor` checks the schema is current).
REVOKE ALL ON schema_version FROM takedown_runtime;
GRANT SELECT ON schema_version TO takedown_runtime;
