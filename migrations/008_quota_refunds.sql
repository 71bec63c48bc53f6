-- A call paid for that never reached the platform (a refused connection,
-- a dial timeout) cost the platform's allowance nothing: its units go back
-- to the window they were paid from, and refunded_units says how many did,
-- so the window's figures still add up to every grant the ledger made.
ALTER TABLE quota_windows
    ADD COLUMN refunded_units integer NOT NULL DEFAULT 0 CHECK (refunded_units >= 0);
