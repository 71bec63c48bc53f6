-- accounts (filled in by the accounts change)
SELECT 1;
