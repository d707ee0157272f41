#!/bin/bash
# bench/stream.sh -- end-to-end streaming benchmark: `kzpulse run` against the
# Python peer (bench/peer/peer.py) on the same topic, real Kafka and Redis.
#
#   bench/stream.sh [BUILD_DIR] [POSTS] [RATE]     (defaults: build, 1000000, 20000)
#
# Starts its own servers (tests/harness/with-servers.sh), generates POSTS posts
# (bench/gen_corpus.py, seed 1, 5% malformed), produces them once with
# `kzpulse produce` to a 4-partition topic, then measures:
#   1. throughput: wall time of `kzpulse run --until-eof` (full analysis, the
#      lexicons) from the pre-filled topic to Redis, one process and two in one
#      group, and the peer's; peak RSS from /usr/bin/time -v;
#   2. latency at RATE posts/s (below saturation): a topic with
#      message.timestamp.type=LogAppendTime is produced at --rate RATE for
#      20 s while one process consumes it; bench/peer/latency_probe.py polls
#      the offsets hash the job writes atomically with its counters and gives,
#      per message, (time its offset became visible in Redis) - (Kafka append
#      time): p50 / p99.  Same for the peer (its offsets are in the same
#      MULTI) at PEER_RATE (default 2000/s: it saturates far below RATE).
# Prints a summary; the figures go into bench/README.md by hand.
# Env: LAT_ONLY=1 skips the throughput part; LAT_JOBS="kzpulse" skips the
# peer's latency; LAT_FLAGS="--flush-ms 250" adds flags to the latency run.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KZ_TEST_BROKERS:-}" ]; then
    exec "$ROOT/tests/harness/with-servers.sh" "$0" "$@"
fi
BUILD=${1:-$ROOT/build}
N=${2:-1000000}
RATE=${3:-20000}
K="$BUILD/cli/kzpulse"
[ -x "$K" ] || K="$BUILD/kzpulse"
PY=/usr/bin/python3
B=$KZ_TEST_BROKERS
R=$KZ_TEST_REDIS_PORT
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
st=$$
now() { date +%s.%N; }
el() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rss() { awk '/Maximum resident/ { printf "%.0f", $6 / 1024 }' "$1"; }
mktopic() { # TOPIC [config...]
    "$PY" - "$B" "$@" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
b, t, *cfg = sys.argv[1:]
a = AdminClient({"bootstrap.servers": b})
a.create_topics([NewTopic(t, 4, 1, config=dict(c.split("=", 1) for c in cfg))])[t].result(30)
PY
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GiB"
"$PY" "$ROOT/bench/gen_corpus.py" --seed 1 --count "$N" --malformed-rate 0.0072 --edge-cases off \
    --out "$tmp/c.jsonl" >/dev/null 2>&1
mktopic "bench-$st"
t0=$(now)
"$K" produce -b "$B" -t "bench-$st" "$tmp/c.jsonl" 2>/dev/null
echo "produce: $N posts in $(el "$t0" "$(now)") s"

run1() { # DB GROUP LOG
    /usr/bin/time -v -o "$3.time" "$K" run --brokers "$B" --topic "bench-$st" --group "$2" \
        --redis "redis://127.0.0.1:$R/$1" --lexicons "$ROOT/lexicons" --until-eof \
        --stats-interval 0 2>"$3"
}
if [ -z "${LAT_ONLY:-}" ]; then
t0=$(now); run1 1 one "$tmp/one"; t1=$(now)
w1=$(el "$t0" "$t1")
echo "kzpulse run, 1 process: $N posts in $w1 s = $(awk -v n="$N" -v w="$w1" 'BEGIN { printf "%.0f", n / w }') posts/s, peak RSS $(rss "$tmp/one.time") MB"
t0=$(now)
run1 2 two "$tmp/two-a" &
pa=$!
run1 2 two "$tmp/two-b" &
pb=$!
wait $pa $pb
w2=$(el "$t0" "$(now)")
echo "kzpulse run, 2 processes: $N posts in $w2 s = $(awk -v n="$N" -v w="$w2" 'BEGIN { printf "%.0f", n / w }') posts/s, peak RSS $(rss "$tmp/two-a.time") + $(rss "$tmp/two-b.time") MB"
t0=$(now)
/usr/bin/time -v -o "$tmp/peer.time" "$PY" "$ROOT/bench/peer/peer.py" --brokers "$B" --topic "bench-$st" \
    --group peer --redis-port "$R" --db 3 --until-eof 2>"$tmp/peer"
wp=$(el "$t0" "$(now)")
echo "peer (Python), 1 process: $N posts in $wp s = $(awk -v n="$N" -v w="$wp" 'BEGIN { printf "%.0f", n / w }') posts/s, peak RSS $(rss "$tmp/peer.time") MB"
echo "ratio kzpulse/peer (1 process): $(awk -v a="$wp" -v b="$w1" 'BEGIN { printf "%.1f", a / b }')x"
fi

# Latency at a fixed rate: 20 s of posts.  The peer saturates far below
# RATE, so it is measured at PEER_RATE (default 2000 posts/s), below its own
# saturation.
for job in ${LAT_JOBS:-kzpulse peer}; do
    rate=$RATE
    [ $job = kzpulse ] || rate=${PEER_RATE:-2000}
    M=$((rate * 20))
    [ "$M" -le "$N" ] || M=$N
    head -n "$M" "$tmp/c.jsonl" >"$tmp/l.jsonl"
    topic="lat-$job-$st"
    mktopic "$topic" message.timestamp.type=LogAppendTime
    if [ $job = kzpulse ]; then
        "$K" run --brokers "$B" --topic "$topic" --group "lat" --redis "redis://127.0.0.1:$R/4" \
            --lexicons "$ROOT/lexicons" --stats-interval 0 ${LAT_FLAGS:-} 2>"$tmp/lat-run" &
        key="kzp:v2:offsets:lat"
    else
        "$PY" "$ROOT/bench/peer/peer.py" --brokers "$B" --topic "$topic" --group lat \
            --redis-port "$R" --db 4 2>"$tmp/lat-peer" &
        key="peer:offsets:lat"
    fi
    jp=$!
    sleep 3 # joined the group
    "$PY" "$ROOT/bench/peer/latency_probe.py" "$B" "$topic" "$R" 4 "$key" "$M" 120 >"$tmp/lat-$job.json" &
    pp=$!
    "$K" produce -b "$B" -t "$topic" --rate "$rate" "$tmp/l.jsonl" 2>/dev/null
    wait $pp
    kill -TERM $jp
    wait $jp || true
    echo "latency, $job at $rate posts/s ($M posts): $(cat "$tmp/lat-$job.json")"
done
