#!/bin/sh
# cli_alerts_alertmanager.sh -- `kzpulse alerts --deliver-only --alertmanager`
# against the harness's real Prometheus Alertmanager (API v2) and Redis:
#   - a firing alert is listed by GET /api/v2/alerts with its labels
#     (alertname, rule, severity, region, dim, kzpulse_id), its summary,
#     startsAt = the first minute and generatorURL;
#   - firing alerts are re-sent (--alertmanager-resend), so Alertmanager's
#     updatedAt moves and it never expires an alert still firing;
#   - a resolved record sets endsAt to the end of its last minute (an alert
#     resolved in the past leaves the list of active alerts);
#   - a new process, started after a SIGKILL, rebuilds the set of firing
#     alerts from the stream and re-sends them.
# Skipped (77) without an Alertmanager (the prometheus-alertmanager package).
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
ALERTS_DB=7
tmp=$(mktemp -d)
# shellcheck source=tests/alerts_lib.sh
. "$ROOT/tests/alerts_lib.sh"
trap cleanup EXIT

[ -n "${KZ_TEST_REDIS_PORT:-}" ] || { echo "skipped: no Redis (run under with-servers.sh)"; exit 77; }
AM=${KZ_TEST_ALERTMANAGER_URL:-}
[ -n "$AM" ] || { echo "skipped: no Alertmanager (apt-get install prometheus-alertmanager)"; exit 77; }
rcli FLUSHDB >/dev/null

# am.py ID WHAT [ARG]: ask Alertmanager about the alert whose kzpulse_id is ID.
#   absent        exit 0 when it is not among the active alerts
#   labels        its labels, annotations and generatorURL as expected
#   ends  MINUTES its endsAt is the end of the minute MINUTES from now
#   updated       print its updatedAt
cat >"$tmp/am.py" <<'PY'
import datetime, json, sys, time, urllib.parse, urllib.request
url, aid, what = sys.argv[1:4]
q = urllib.parse.urlencode({"filter": 'kzpulse_id="%s"' % aid})
alerts = json.load(urllib.request.urlopen(url + "/api/v2/alerts?" + q, timeout=5))
if what == "absent":
    sys.exit(0 if not alerts else 1)
if len(alerts) != 1:
    sys.exit("%d alerts listed for %s" % (len(alerts), aid))
a = alerts[0]
stamp = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
if what == "labels":
    want = {"alertname": "mob_call_region", "rule": "mob_call_region", "kind": "call",
            "severity": "critical", "region": "KZ-47", "dim": "mob:call|region:kz-47",
            "kzpulse_id": aid}
    bad = [k for k in want if a["labels"].get(k) != want[k]]
    if bad:
        sys.exit("labels differ: %s" % json.dumps(a["labels"]))
    if "57 posts by 31 authors in Маңғыстау облысы (KZ-47)" not in a["annotations"]["summary"]:
        sys.exit("summary: " + a["annotations"]["summary"])
    if a["generatorURL"] != "http://kzpulse.example/alerts/" + aid:
        sys.exit("generatorURL: " + a["generatorURL"])
    first = (int(time.time()) // 60 - 14) * 60
    if abs(stamp(a["startsAt"]) - first) > 60:
        sys.exit("startsAt: " + a["startsAt"])
    if a["status"]["state"] != "active":
        sys.exit("state: " + a["status"]["state"])
elif what == "ends":
    want = (int(time.time()) // 60 + int(sys.argv[4]) + 1) * 60
    if abs(stamp(a["endsAt"]) - want) > 60 or stamp(a["endsAt"]) % 60:
        sys.exit("endsAt %s, want %s" % (a["endsAt"], want))
elif what == "updated":
    print(a["updatedAt"])
PY
am() { python3 "$tmp/am.py" "$AM" "$@"; }
moved() { [ "$(am "$1" updated)" != "$2" ]; }

deliver() { # LOG
    ${KZ_WRAP:-} "$KZ_BIN" alerts --deliver-only --redis "$REDIS_URL" --alertmanager "$AM/" \
        --alertmanager-resend 2 --generator-url http://kzpulse.example/alerts/ \
        --deliver-timeout 3 --deliver-lease 5 --deliver-retry-max 1 2>>"$1" &
    dpid=$!
    pids="$pids $dpid"
}

x=$(new_alert_id) y=$(new_alert_id)
publish "$x" firing KZ-47 -10
publish "$y" firing KZ-75 -10
deliver "$tmp/d1.err"
if wait_until 20 am "$x" labels; then
    ok "Alertmanager lists the firing alert with its labels, summary, startsAt, generatorURL"
else
    fail "the firing alert is not listed as expected: $(am "$x" labels 2>&1)"
fi
wait_until 10 am "$y" updated || fail "the second firing alert is not listed"

u0=$(am "$x" updated)
wait_until 10 moved "$x" "$u0" && ok "firing alerts are re-sent (updatedAt moved)" ||
    fail "updatedAt did not move in 10 s: $u0"

# y resolved ten minutes ago: it leaves the active alerts
publish "$y" resolved KZ-75 -10 -14
wait_until 20 am "$y" absent && ok "an alert resolved in the past leaves the active alerts" ||
    fail "the resolved alert is still active"

# x resolved with its last minute two minutes ahead: endsAt = its end
publish "$x" resolved KZ-47 2 -14
if wait_until 20 am "$x" ends 2; then
    ok "a resolved record sets endsAt to the end of its last minute"
else
    fail "endsAt not set: $(am "$x" ends 2 2>&1)"
fi
cursor_at_end() { [ "$(rcli HGET kzp:v2:alerts:cursor alertmanager)" = "$(tail -n 1 "$tmp/entries")" ]; }
wait_until 10 cursor_at_end && ok "the cursor of \"alertmanager\" is at the last entry" ||
    fail "the cursor did not reach the last entry"

# A new process after a SIGKILL knows what is still firing.
z=$(new_alert_id)
publish "$z" firing KZ-47 -10
wait_until 20 am "$z" updated || fail "the third alert is not listed"
wait_until 10 cursor_at_end || fail "the cursor did not reach the third alert"
kill -KILL "$dpid"
wait "$dpid" 2>/dev/null
uz=$(am "$z" updated)
deliver "$tmp/d2.err"
wait_until 15 grep -q '"alertmanager": 1 firing alert to keep re-sending' "$tmp/d2.err" &&
    ok "after a SIGKILL the new process rebuilt the firing set from the stream (1 alert)" ||
    { fail "no firing set rebuilt"; cat "$tmp/d2.err"; }
wait_until 10 moved "$z" "$uz" && ok "... and re-sends it" || fail "the rebuilt alert is not re-sent"
kill -TERM "$dpid"
wait "$dpid"
st=$?
[ "$st" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $st"
grep -q 'alertmanager "alertmanager": [0-9]* delivered' "$tmp/d2.err" && ok "counters printed" ||
    fail "no counters line"

exit $((fails > 0))
