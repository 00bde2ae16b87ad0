-- `dualwrite verify`: the settings of both sessions (source and target), run once each. Returns
-- nothing; no parameters.
-- They make row texts comparable across two sessions (timestamptz prints in the session's time
-- zone, and so on) and keep a long scan from being cut off by a role's timeout; cursors are
-- read whole, so they are planned for all their rows.
SET application_name = 'dualwrite verify';
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
SET bytea_output = 'hex';
SET statement_timeout = 0;
SET cursor_tuple_fraction = 1
