#!/bin/bash
# alerts_cost.sh -- what a live alert evaluator costs: CPU and Redis calls a
# minute, with the shipped rules, over the counters of the last 50 minutes
# (tests/gen_alerts_month.py live: ordinary talk, a spam run, a burst), after
# its first round (the hour's backfill) is done.  Prints one line.
#
#   tests/harness/with-servers.sh bench/alerts_cost.sh BUILD/cli/kzpulse [SECONDS]
set -u
KZ_BIN="$1"
SECS="${2:-60}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$tmp"' EXIT
db=12
url="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/$db"
stamp="$$-$(date +%s)"
rcli() { redis-cli -p "$KZ_TEST_REDIS_PORT" "$@"; }

rcli -n $db flushdb >/dev/null
python3 "$ROOT/tests/gen_alerts_month.py" live "$(date +%s)" >"$tmp/live.jsonl"
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "cost-$stamp" "$tmp/live.jsonl" 2>/dev/null
"$KZ_BIN" run --brokers "$KZ_TEST_BROKERS" --topic "cost-$stamp" --group "g-$stamp" --redis "$url" \
    --stats-interval 0 2>/dev/null &
pids+=($!)
sleep 8 # consumed and applied; the watermark is published every second
"$KZ_BIN" alerts --redis "$url" --group "g-$stamp" >/dev/null 2>"$tmp/alerts.err" &
ev=$!
pids+=($ev)
sleep 5 # the first round: restore, an hour of finals
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
calls() { rcli info commandstats | awk -F'[=,:]' '/^cmdstat_(hget|pfcount|eval|evalsha|lrange|zrange|hgetall|xrevrange|set|xadd)/ { n += $3 } END { print n }'; }
c0=$(ticks $ev)
r0=$(calls)
sleep "$SECS"
c1=$(ticks $ev)
r1=$(calls)
hz=$(getconf CLK_TCK)
awk -v c="$((c1 - c0))" -v hz="$hz" -v r="$((r1 - r0))" -v s="$SECS" 'BEGIN {
    printf "alerts evaluator, shipped rules (42 keys), interval 5 s: CPU %.2f s/min (%.2f%% of a core), Redis read commands %.0f/min\n",
        c / hz * 60 / s, c / hz / s * 100, r * 60 / s }'
