#!/usr/bin/env bash
# After one 50 MB chatbot_messages.content, the daemon's resident memory comes back down once
# the value has passed (issue 12, should-fix): no buffer stays at its high-water mark. The
# buffers that did were libpq's (the replication connection's input buffer and the target
# connection's output buffer, which libpq never shrinks); the daemon releases them by
# reconnecting both once it is idle after a change that large (README, "Memory").
# Then the bridge goes on: the next message is applied, nothing is applied twice.
#   tests/shell/daemon/memory_after_large_value.sh BUILD_DIR
source "$(dirname "$0")/lib.sh" "$1" bigval
bound_mb=40
u=c1000000-0000-4000-8000-000000000009
conv=c2000000-0000-4000-8000-000000000009
rss_mb() { awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$daemon_pid/status"; }
hwm_mb() { awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$daemon_pid/status"; }

start_daemon
sql -c "INSERT INTO auth.users (id) VALUES ('$u');
        INSERT INTO public.account_linkages (user_id, account_id) VALUES ('$u', '$u');
        INSERT INTO public.chatbot_conversations (id, user_id, conversation_type) VALUES ('$conv', '$u', 'support')"
for _ in $(seq 1 100); do [ "$(sql -c "SELECT count(*) FROM public.chat_sessions")" = 1 ] && break; sleep 0.1; done
idle=$(rss_mb)

# 50 MiB of text that does not compress away (md5 hex), as a legacy client would write it.
sql -c "INSERT INTO public.chatbot_messages (id, conversation_id, role, content)
        SELECT 'c3000000-0000-4000-8000-000000000001', '$conv', 'user', string_agg(md5(g::text), '')
          FROM generate_series(1, 50 * 1024 * 1024 / 32) g"
for _ in $(seq 1 600); do
  [ "$(sql -c "SELECT count(*) FROM public.chat_messages")" = 1 ] && break
  kill -0 "$daemon_pid" 2>/dev/null || fail "the daemon exited"
  sleep 0.2
done
[ "$(sql -c "SELECT length(content) FROM public.chat_messages")" = $((50 * 1024 * 1024)) ] \
  || fail "the 50 MiB message was not applied"
# Idle now: within 20 s resident memory must be back under the bound.
rss=$(rss_mb)
for _ in $(seq 1 100); do
  rss=$(rss_mb)
  [ "$rss" -lt "$bound_mb" ] && break
  sleep 0.2
done
echo "resident memory: idle ${idle} MiB, peak $(hwm_mb) MiB, after the 50 MiB value ${rss} MiB"
[ "$rss" -lt "$bound_mb" ] || fail "resident memory stayed at ${rss} MiB after a 50 MiB value (bound ${bound_mb} MiB)"

sql -c "INSERT INTO public.chatbot_messages (id, conversation_id, role, content)
        VALUES ('c3000000-0000-4000-8000-000000000002', '$conv', 'user', 'small')"
for _ in $(seq 1 150); do
  [ "$(sql -c "SELECT count(*) FROM public.chat_messages")" = 2 ] && break
  sleep 0.1
done
[ "$(sql -c "SELECT string_agg(sequence::text || ':' || left(content, 5), ',' ORDER BY sequence) FROM public.chat_messages")" = "1:$(sql -c "SELECT left(md5('1'), 5)"),2:small" ] \
  || fail "after the release the bridge did not go on as before: $(sql -c "SELECT sequence, left(content, 10) FROM public.chat_messages")"
echo "ok: resident memory back to ${rss} MiB after a 50 MiB value; the bridge goes on"
