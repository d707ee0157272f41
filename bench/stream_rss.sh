#!/bin/bash
# bench/stream_rss.sh -- memory of one `kzpulse run` over a long stream: is RSS
# flat as the stream grows?
#
#   bench/stream_rss.sh [BUILD_DIR] [MILLIONS]      (defaults: build, 10)
#
# Starts its own servers (tests/harness/with-servers.sh), generates 1,000,000
# posts (bench/gen_corpus.py, seed 1), produces them MILLIONS times to one
# 4-partition topic, then runs one `kzpulse run --until-eof --lexicons lexicons`
# over all of it, sampling its RSS every 5 s (ps) and reporting the peak
# (/usr/bin/time -v), the wall time and the posts/s.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KZ_TEST_BROKERS:-}" ]; then
    exec "$ROOT/tests/harness/with-servers.sh" "$0" "$@"
fi
BUILD=${1:-$ROOT/build}
M=${2:-10}
K="$BUILD/cli/kzpulse"
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
topic="rss-$$"
"$PY" - "$KZ_TEST_BROKERS" "$topic" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
b, t = sys.argv[1:]
a = AdminClient({"bootstrap.servers": b})  # keep the handle alive until the result
a.create_topics([NewTopic(t, 4, 1)])[t].result(30)
PY
"$PY" "$ROOT/bench/gen_corpus.py" --seed 1 --count 1000000 --edge-cases off --out "$tmp/c.jsonl" >/dev/null 2>&1
t0=$(date +%s)
for i in $(seq "$M"); do
    "$K" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$tmp/c.jsonl" 2>/dev/null
done
echo "produce: ${M}M records in $(($(date +%s) - t0)) s"
t0=$(date +%s.%N)
/usr/bin/time -v -o "$tmp/time" "$K" run --brokers "$KZ_TEST_BROKERS" --topic "$topic" --group "g-$topic" \
    --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/1" --lexicons "$ROOT/lexicons" --until-eof \
    --stats-interval 0 2>"$tmp/run.err" &
tpid=$!
sleep 1
pid=$(pgrep -P "$tpid" kzpulse || true)
echo "RSS samples (MB), every 5 s:"
while kill -0 "$tpid" 2>/dev/null; do
    [ -n "$pid" ] && ps -o rss= -p "$pid" 2>/dev/null | awk '{ printf "%d ", $1 / 1024 }'
    sleep 5
done
echo
wait "$tpid" || { echo "run failed"; tail -5 "$tmp/run.err"; exit 1; }
t1=$(date +%s.%N)
applied=$(redis-cli -p "$KZ_TEST_REDIS_PORT" -n 1 hvals "kzp:v2:offsets:g-$topic" | awk '{ s += $1 + 1 } END { print s }')
awk -v a="$t0" -v b="$t1" -v n="$applied" 'BEGIN { printf "run: %d records in %.1f s: %.0f records/s\n", n, b - a, n / (b - a) }'
awk '/Maximum resident/ { printf "peak RSS: %.0f MB\n", $6 / 1024 }' "$tmp/time"
