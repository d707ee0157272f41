#!/bin/sh
# cli_alerts_sigkill.sh -- a delivery process SIGKILLed mid-delivery loses
# nothing, against the harness's real Redis and a slow webhook receiver
# (tests/alerts_rx.py, 0.7 s per answer):
#   1. one process, killed while the receiver holds an event: the cursor is
#      short of the end; a new process resumes from that cursor (its log says
#      so) once the dead one's lease expired, and every event arrives at least
#      once, in order of first arrival, signatures valid; Redis cutting every
#      connection meanwhile is logged and costs no duplicate;
#   2. two processes at once: one holds the receiver's lease, the other
#      waits, so no event is sent twice while both live; SIGKILL the holder
#      mid-delivery and the other takes over and finishes, with at most the
#      event in flight sent twice (same webhook-id).
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
ALERTS_DB=6
tmp=$(mktemp -d)
# shellcheck source=tests/alerts_lib.sh
. "$ROOT/tests/alerts_lib.sh"
trap cleanup EXIT

[ -n "${KZ_TEST_REDIS_PORT:-}" ] || { echo "skipped: no Redis (run under with-servers.sh)"; exit 77; }
rcli FLUSHDB >/dev/null
port=$("$ROOT/tests/harness/free-port")
receiver slow "$port" --delay 0.7

# deliver LOG: start a delivery process (its pid in $dpid, logging to LOG).
# Not through kz(): $! must be kzpulse's own pid.
deliver() {
    ${KZ_WRAP:-} "$KZ_BIN" alerts --deliver-only --redis "$REDIS_URL" \
        --webhook "slow=http://127.0.0.1:$port/" \
        --deliver-timeout 3 --deliver-lease 4 --deliver-retry-max 1 2>>"$1" &
    dpid=$!
    pids="$pids $dpid"
}
check() { python3 "$RX" check "$tmp/slow.log" "$tmp/ids"; }
requests() { lines "$tmp/slow.log"; }
at_least() { [ "$(requests)" -ge "$1" ]; }

# -- 1. killed and restarted ------------------------------------------------
for i in 1 2 3 4 5 6; do
    publish "$(new_alert_id)" firing
done
deliver "$tmp/d1.err"
wait_until 20 at_least 3 || fail "the receiver never got a third request"
kill -KILL "$dpid"
wait "$dpid" 2>/dev/null
cursor=$(rcli HGET kzp:v2:alerts:cursor slow)
last=$(tail -n 1 "$tmp/entries")
if [ -n "$cursor" ] && [ "$cursor" != "$last" ]; then
    ok "SIGKILL mid-delivery: the cursor ($cursor) is short of the end"
else
    fail "cursor after SIGKILL: \"$cursor\" (last entry $last)"
fi
deliver "$tmp/d2.err"
# Redis drops every connection while the fifth request is in flight: the
# entry was delivered, its cursor move fails, and after reconnecting the
# process moves the cursor without sending the entry again.
wait_until 20 at_least 5 && rcli CLIENT KILL TYPE normal >/dev/null
if wait_until 30 check; then
    ok "the restarted process delivered every event, in order"
else
    fail "not every event after the restart"; check
fi
grep -q "\"slow\": delivering from after $cursor" "$tmp/d2.err" &&
    ok "it resumed from the cursor the killed process left" ||
    { fail "the restart did not resume from $cursor"; cat "$tmp/d2.err"; }
cursor_is() { [ "$(rcli HGET kzp:v2:alerts:cursor slow)" = "$1" ]; }
wait_until 10 cursor_is "$last" && ok "the cursor is at the last entry" ||
    fail "the cursor did not reach the last entry"
grep -q "Redis 127.0.0.1:$KZ_TEST_REDIS_PORT: .*; reconnecting" "$tmp/d2.err" &&
    ok "Redis dropped the connection: logged, reconnected" ||
    { fail "no reconnection logged"; cat "$tmp/d2.err"; }
fifth=$(grep -c "\"webhook_id\": \"$(sed -n 4p "$tmp/ids")\"" "$tmp/slow.log")
[ "$fifth" = 1 ] && ok "the entry delivered while Redis was cut was not sent again" ||
    fail "the entry in flight when Redis was cut was sent $fifth times"
kill -TERM "$dpid"
wait "$dpid"

# -- 2. two processes, the lease holder killed --------------------------------
: >"$tmp/ids"
: >"$tmp/entries"
: >"$tmp/slow.log"
rcli DEL kzp:v2:alerts kzp:v2:alerts:cursor >/dev/null
deliver "$tmp/p1.err"
p1=$dpid
deliver "$tmp/p2.err"
p2=$dpid
for i in 1 2 3 4 5 6 7 8; do
    publish "$(new_alert_id)" firing
done
wait_until 20 at_least 3 || fail "the receiver never got a third request"
holder=$(rcli GET kzp:v2:alerts:lease:slow | cut -d: -f2)
dups=$(python3 "$RX" check "$tmp/slow.log" "$tmp/ids" | sed -n 's/.*, \([0-9]*\) duplicates.*/\1/p')
[ "$dups" = 0 ] && ok "two processes alive: no event sent twice" || fail "duplicates while both ran: $dups"
if [ "$holder" = "$p1" ] || [ "$holder" = "$p2" ]; then
    ok "one of the two holds the lease"
else
    fail "lease holder \"$holder\" is neither $p1 nor $p2"
fi
[ "$holder" = "$p1" ] && other=$p2 || other=$p1
kill -KILL "$holder"
if wait_until 30 check; then
    ok "after SIGKILL of the holder the other process delivered every event, in order"
else
    fail "not every event after the holder's death"; check
fi
dups=$(check | sed -n 's/.*, \([0-9]*\) duplicates.*/\1/p')
[ "${dups:-9}" -le 1 ] && ok "at most the event in flight was sent twice ($dups)" ||
    fail "$dups events sent twice"
wait_until 10 cursor_is "$(tail -n 1 "$tmp/entries")" ||
    fail "the cursor did not reach the last entry"
now=$(rcli GET kzp:v2:alerts:lease:slow)
[ "$(echo "$now" | cut -d: -f2)" = "$other" ] &&
    ok "the survivor holds the lease now" ||
    { fail "the survivor ($other) does not hold the lease: \"$now\""; cat "$tmp/p1.err" "$tmp/p2.err"; }
kill -TERM "$other"
wait "$other"
st=$?
[ "$st" = 0 ] && ok "the survivor exits 0 on SIGTERM" || fail "the survivor exited $st"

exit $((fails > 0))
