#!/bin/sh
# cli_alerts_webhook.sh -- `kzpulse alerts --deliver-only` to webhooks, against
# the harness's real Redis and two receivers written in Python
# (tests/alerts_rx.py, which checks every Standard Webhooks signature itself):
#   - "down": nothing listens on its port while five events are published;
#     the attempts fail (logged with the receiver's name), and once it is up it
#     gets every event, each webhook-id once, in the order published;
#   - "flaky": answers 500 to its first three requests, then 200: the first
#     event is retried under the same webhook-id, then all arrive in order;
#   - "picky": answers 400 twice (a refusal, said so in the log, and retried
#     all the same: skipping would lose the alert), then 200;
#   - "file": the records, one JSON line each, in order;
#   - the cursors end at the last entry; SIGTERM exits 0 and gives the leases
#     back; a restart sends nothing again, and an event published while no
#     process ran arrives after the next start, alone;
#   - events trimmed from the capped stream before delivery are reported.
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
ALERTS_DB=5
tmp=$(mktemp -d)
# shellcheck source=tests/alerts_lib.sh
. "$ROOT/tests/alerts_lib.sh"
trap cleanup EXIT

[ -n "${KZ_TEST_REDIS_PORT:-}" ] || { echo "skipped: no Redis (run under with-servers.sh)"; exit 77; }
rcli FLUSHDB >/dev/null
# "down" is held closed until it comes up, so that no receiver started
# meanwhile can take its port (one run of CI saw "picky" on it).
port_down=$(hold_port down) || exit 1
set -- $("$ROOT/tests/harness/free-port" 2)
port_flaky=$1 port_picky=$2

receiver flaky "$port_flaky" --fail 3
receiver picky "$port_picky" --fail 2 --status 400
# Not through kz(): $! must be kzpulse's own pid, not a subshell's.
deliver() {
    ${KZ_WRAP:-} "$KZ_BIN" alerts --deliver-only --redis "$REDIS_URL" \
        --webhook "down=http://127.0.0.1:$port_down/hook" \
        --webhook "flaky=http://127.0.0.1:$port_flaky/hook?team=ops" \
        --webhook "picky=http://127.0.0.1:$port_picky/" --deliver-file "file=$tmp/alerts.jsonl" \
        --deliver-timeout 2 --deliver-lease 4 --deliver-retry-max 1 --metrics-listen 127.0.0.1:0 \
        2>>"$tmp/deliver.err" &
    dpid=$!
}
deliver

a1=$(new_alert_id) a2=$(new_alert_id) a3=$(new_alert_id)
publish "$a1" firing KZ-47
publish "$a2" firing KZ-75
publish "$a1" update KZ-47
publish "$a3" firing KZ-23
publish "$a2" resolved KZ-75
last=$(tail -n 1 "$tmp/entries")

# "down" is down: its attempts fail and say so
if wait_until 20 grep -q 'webhook "down": entry .* attempt 3 failed' "$tmp/deliver.err"; then
    ok "attempts to a receiver that is down fail, logged with its name"
else
    fail "no failed attempts logged for \"down\""; tail -5 "$tmp/deliver.err"
fi
grep -q "Couldn't connect\|Connection refused" "$tmp/deliver.err" &&
    ok "the log says why (connection refused)" || fail "the log lacks the connection error"
[ "$(rcli HGET kzp:v2:alerts:cursor down)" = "" ] && ok "no cursor for \"down\" while it is down" ||
    fail "\"down\" has a cursor before any delivery"
[ "$(rcli EXISTS kzp:v2:alerts:lease:down)" = 1 ] && ok "the lease of \"down\" is held" ||
    fail "no lease key for \"down\""

release_port down
receiver down "$port_down"
check() { python3 "$RX" check "$tmp/$1.log" "$tmp/ids"; }
if wait_until 30 check down; then
    ok "\"down\", once up, got every event once, in order, signatures valid"
else
    fail "\"down\" did not get every event in order"; check down
fi
if wait_until 20 check flaky; then
    ok "\"flaky\" got every event once, in order, signatures valid"
else
    fail "\"flaky\" did not get every event in order"; check flaky
fi
if wait_until 20 check picky; then
    ok "\"picky\" got every event once, in order, after two 400s"
else
    fail "\"picky\" did not get every event in order"; check picky
fi
grep -q 'webhook "picky": entry .* attempt 2 failed: HTTP 400: ok (the receiver refuses it' \
    "$tmp/deliver.err" && ok "a 400 is logged as a refusal, and retried" ||
    fail "no refusal in the log"
python3 "$RX" check /dev/null "$tmp/ids" "$tmp/alerts.jsonl" >"$tmp/file.check" &&
    ok "the JSON-lines file holds every record once, in order" ||
    { fail "the JSON-lines file"; cat "$tmp/file.check"; }
first=$(head -n 1 "$tmp/ids")
n500=$(grep -c "\"status\": 500" "$tmp/flaky.log")
same=$(grep "\"status\": 500" "$tmp/flaky.log" | grep -c "\"webhook_id\": \"$first\"")
[ "$n500" = 3 ] && [ "$same" = 3 ] && ok "the three 500s were the first event, one webhook-id" ||
    fail "500s: $n500, of the first event: $same"
grep -q 'webhook "flaky": entry .* delivered at attempt 4' "$tmp/deliver.err" &&
    ok "the log says the first event got through at attempt 4" ||
    fail "no 'delivered at attempt 4' in the log"
grep -q '"event": "update"' "$tmp/down.log" && grep -q '"type": "application/json"' "$tmp/down.log" &&
    ok "kzpulse-event and Content-Type headers" || fail "headers missing"
for r in down flaky; do
    got=$(rcli HGET kzp:v2:alerts:cursor "$r")
    [ "$got" = "$last" ] && ok "cursor of \"$r\" at the last entry" ||
        fail "cursor of \"$r\" is \"$got\", want $last"
done

# /metrics says what the last line will: the counters per receiver.
mport=$(sed -n 's/^kzpulse alerts: metrics on port \([0-9]*\).*/\1/p' "$tmp/deliver.err" | tail -1)
curl -s --max-time 5 "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt"
cat >"$tmp/metrics.want" <<'WANT'
kzpulse_alerts_delivered_total{receiver="flaky",kind="webhook"} 5
kzpulse_alerts_delivery_attempts_total{receiver="flaky",kind="webhook"} 8
kzpulse_alerts_delivery_failures_total{receiver="flaky",kind="webhook"} 3
kzpulse_alerts_delivery_retried_total{receiver="flaky",kind="webhook"} 1
kzpulse_alerts_delivery_failures_total{receiver="picky",kind="webhook"} 2
kzpulse_alerts_delivered_total{receiver="file",kind="jsonl"} 5
WANT
missing=$(grep -vxF -f "$tmp/metrics.txt" "$tmp/metrics.want")
[ -z "$missing" ] && ok "/metrics of --deliver-only: delivered, attempts, failures, retries per receiver" ||
    fail "/metrics lacks: $missing"
promtool check metrics <"$tmp/metrics.txt" >/dev/null 2>&1 && ok "... a valid exposition (promtool)" ||
    fail "promtool check metrics: $(promtool check metrics <"$tmp/metrics.txt" 2>&1 | head -3)"
kill -TERM "$dpid"
wait "$dpid"
st=$?
[ "$st" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $st"
grep -q 'webhook "flaky": 5 delivered, 8 attempts, 3 failed, 1 retried, 0 malformed' \
    "$tmp/deliver.err" && ok "counters of \"flaky\"" ||
    { fail "counters of \"flaky\""; grep '"flaky": [0-9]' "$tmp/deliver.err"; }
[ "$(rcli EXISTS kzp:v2:alerts:lease:down kzp:v2:alerts:lease:flaky)" = 0 ] &&
    ok "the leases are given back at exit" || fail "lease keys left after SIGTERM"

# A restart sends nothing again.
before_down=$(lines "$tmp/down.log") before_flaky=$(lines "$tmp/flaky.log")
deliver
wait_until 10 grep -q "\"flaky\": delivering from after $last" "$tmp/deliver.err" ||
    fail "the restart did not start from the cursor"
sleep 1
[ "$(lines "$tmp/down.log")" = "$before_down" ] && [ "$(lines "$tmp/flaky.log")" = "$before_flaky" ] &&
    ok "a restart sends nothing already delivered" || fail "a restart sent again"
kill -TERM "$dpid"
wait "$dpid"

# Published while no process runs: delivered after the next start, alone.
a4=$(new_alert_id)
publish "$a4" firing KZ-47
deliver
if wait_until 20 check down && wait_until 10 check flaky; then
    ok "an event published while delivery was stopped arrives after the restart"
else
    fail "the event published during the stop"; check down
fi
[ "$(lines "$tmp/down.log")" = $((before_down + 1)) ] && ok "... and nothing else" ||
    fail "\"down\" got $(($(lines "$tmp/down.log") - before_down)) requests, want 1"
kill -TERM "$dpid"
wait "$dpid"

# An entry whose event field carries a line break (a header it would inject):
# passed as malformed, said in the log, never sent; the next entry goes on.
bad=$(new_alert_id)
rec=$(python3 "$RX" record "$bad" firing KZ-47 -10 -14)
rcli XADD kzp:v2:alerts '*' id "$bad" event "$(printf 'firing\r\nX-Injected: 1')" record "$rec" >/dev/null
publish "$(new_alert_id)" firing KZ-47
before_down=$(lines "$tmp/down.log")
deliver
if wait_until 20 check down && wait_until 10 check flaky; then
    ok "the entry after one with a line break in its event is delivered"
else
    fail "the entry after the malformed one"; check down
fi
grep -q "webhook \"down\": entry .* cannot be delivered and is passed: its event field holds bytes other than" \
    "$tmp/deliver.err" && ok "... the malformed one is passed, and the log says why" ||
    fail "no log line for the entry with a line break in its event"
! grep -qi "injected" "$tmp/down.log" "$tmp/flaky.log" "$tmp/alerts.jsonl" &&
    [ "$(lines "$tmp/down.log")" = $((before_down + 1)) ] &&
    ok "... and nothing of it reaches a receiver" || fail "the malformed entry reached a receiver"
kill -TERM "$dpid"
wait "$dpid"

# Trimmed before delivery (the stream is capped): lost, and the log says so.
for i in 1 2 3; do
    publish "$(new_alert_id)" firing KZ-47
done
rcli XTRIM kzp:v2:alerts MAXLEN 1 >/dev/null
before_down=$(lines "$tmp/down.log")
deliver
if wait_until 10 grep -q '"down": entries after .* were trimmed from kzp:v2:alerts before it got them' \
    "$tmp/deliver.err"; then
    ok "entries trimmed from the stream before delivery are reported"
else
    fail "no report of the trimmed entries"
fi
at_least() { [ "$(lines "$tmp/down.log")" -ge "$1" ]; }
wait_until 10 at_least $((before_down + 1)) && sleep 0.5
[ "$(lines "$tmp/down.log")" = $((before_down + 1)) ] && ok "... and the entry left is delivered" ||
    fail "\"down\" got $(($(lines "$tmp/down.log") - before_down)) requests after the trim, want 1"
kill -TERM "$dpid"
wait "$dpid"

[ "$fails" -eq 0 ] || { echo "---- delivery log"; tail -n 30 "$tmp/deliver.err"; }
exit $((fails > 0))
