-- `dualwrite bootstrap`: whether the database has the bridge's migrations that bootstrap needs
-- (its bookkeeping and the expected-state views). Returns one boolean; no parameters.
SELECT to_regclass('dualwrite.bootstrap_chunks') IS NOT NULL
       AND to_regclass('dualwrite_expected._items') IS NOT NULL
