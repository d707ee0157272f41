#!/bin/bash
# serve_redis_ab.sh -- `kzpulse serve` over a filled Redis, two builds side by
# side: bench/serve_load.py against each in turn, ROUNDS times.
#
#   tests/harness/with-servers.sh bench/serve_redis_ab.sh KZ_A KZ_B [RATE] [SECONDS] [ROUNDS] [POSTS]
#
# Generates POSTS (default 100000) posts with gen_corpus.py, moves their
# times into the last 23 hours (the API's default window), produces them to
# the harness's Kafka and counts them into Redis database 3 with KZ_A's
# `run`; then serves that Redis with each build on a free port and loads it
# with 50 event-stream clients and RATE (default 1000) GETs a second for
# SECONDS (default 20) over 16 connections.  Prints serve_load.py's line per
# build and round.  A benchmark: it reports, it never fails.
set -u
KZ_A=$1 KZ_B=$2 RATE=${3:-1000} SECS=${4:-20} ROUNDS=${5:-3} POSTS=${6:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}" "${KZ_TEST_BROKERS:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$ROOT/bench/gen_corpus.py" --seed 7 --count "$POSTS" --no-malformed --edge-cases off \
    --out "$tmp/raw.jsonl" >/dev/null 2>&1
python3 - "$tmp/raw.jsonl" "$tmp/posts.jsonl" <<'PY'
import json, random, sys, time
now, rnd = int(time.time()), random.Random(1)
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as o:
    for line in f:
        r = json.loads(line)
        r["ts"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - rnd.randint(0, 23 * 3600)))
        o.write(json.dumps(r, ensure_ascii=False) + "\n")
PY
url="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/3"
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 3 flushdb >/dev/null
topic="serve-ab-$$"
"$KZ_A" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$tmp/posts.jsonl" 2>&1 | tail -1
"$KZ_A" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "g-$topic" --redis "$url" --lexicons "$ROOT/lexicons" \
    --until-eof --stats-interval 0 2>&1 | tail -1
echo "redis keys: $(redis-cli -p "$KZ_TEST_REDIS_PORT" -n 3 dbsize)"
port=$("$ROOT/tests/harness/free-port" 1)
for r in $(seq 1 "$ROUNDS"); do
    for which in A B; do
        bin=KZ_$which
        "${!bin}" serve --redis "$url" --lexicons "$ROOT/lexicons" --listen "127.0.0.1:$port" 2>/dev/null &
        pid=$!
        for _ in $(seq 1 100); do
            curl -s -o /dev/null "http://127.0.0.1:$port/api/v1/distinct" && break
            sleep 0.1
        done
        printf '%s round %d: ' "$which" "$r"
        python3 "$ROOT/bench/serve_load.py" "http://127.0.0.1:$port" "$pid" 50 "$RATE" "$SECS" 16
        kill "$pid"
        wait "$pid" 2>/dev/null
    done
done
