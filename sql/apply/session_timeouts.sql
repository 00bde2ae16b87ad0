-- The apply session's timeouts, set deliberately on every target connection (after
-- session_setup) so that a role's or database's settings (ALTER ROLE dualwrite SET
-- statement_timeout = ...) do not decide how the bridge behaves. Values in milliseconds, as
-- text: [target] statement_timeout, lock_timeout, idle_in_transaction_session_timeout.
-- The connection that writes a dead letter in a transaction of its own (the fallback when
-- writing it inside the batch failed) runs it with a longer statement_timeout.
SELECT set_config('statement_timeout', $1::text, false),
       set_config('lock_timeout', $2::text, false),
       set_config('idle_in_transaction_session_timeout', $3::text, false);
