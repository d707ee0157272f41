#!/bin/bash
# cli_query.sh -- `kzpulse query` prints the same thing from Redis (filled by
# `kzpulse run` from Kafka) as from the archive replayed into the in-process
# store: series at both granularities, top-k, distinct authors, dimension
# totals, sample posts.  Plus its usage errors.  Needs tests/harness/with-servers.sh.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
topic="query-$$-$(date +%s)"
url="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/7"
archive="$ROOT/samples/posts.jsonl"

redis-cli -p "$KZ_TEST_REDIS_PORT" -n 7 flushdb >/dev/null
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$archive" 2>/dev/null || { echo "FAIL: produce"; exit 1; }
timeout 120 "$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "q-$topic" --redis "$url" \
    --lexicons "$ROOT/lexicons" --until-eof --stats-interval 0 --minute-ttl 0 --hour-ttl 0 2>/dev/null || { echo "FAIL: run"; exit 1; }

# The archive's own week (arrival-time posts fall outside it, in "now").
# Retention is off for this run: the sample's March buckets are older than the
# default 7 days of minute keys, and Redis would (rightly) not write them.
win=(--from 2026-03-01T00:00:00Z --to 2026-03-09T00:00:00Z)
same() { # DESC QUERY...
    local desc=$1
    shift
    kz query "${win[@]}" "$@" --redis "$url" >"$tmp/redis.out" 2>"$tmp/redis.err"
    local r1=$?
    kz query "${win[@]}" "$@" --lexicons "$ROOT/lexicons" "$archive" >"$tmp/mem.out" 2>"$tmp/mem.err"
    local r2=$?
    if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ -s "$tmp/mem.out" ] && cmp -s "$tmp/redis.out" "$tmp/mem.out"; then
        echo "ok   $desc ($(wc -l <"$tmp/mem.out") lines)"
        # the archive's malformed lines are reported, not silently left out
        grep -q "168 records could not be decoded" "$tmp/mem.err" ||
            { echo "FAIL: $desc: dead letters not reported: $(cat "$tmp/mem.err")"; fails=$((fails + 1)); }
    else
        echo "FAIL: $desc (exit $r1/$r2)"; cat "$tmp/redis.err" "$tmp/mem.err"; diff "$tmp/redis.out" "$tmp/mem.out" | head -10
        fails=$((fails + 1))
    fi
}
same "hourly series of all" series all
same "minute series of topic:protest" series topic:protest --gran minute --from 2026-03-05T08:00:00Z --to 2026-03-05T13:00:00Z
same "series of a cross (JSON)" series "topic:protest|region:mangystau" --json
same "top hashtags" top hashtag --limit 20
same "all channels (JSON)" top channel --limit 0 --json
same "distinct authors" distinct all
same "distinct authors of a topic" distinct topic:economy
same "platform totals" dims platform:
same "topic totals per minute" dims topic: --gran minute
same "stance by language crosses" dims "stance:pro_ukraine|lang:"
same "sample posts of mob:call" posts mob:call --limit 0
same "sample posts of a topic (JSON)" posts topic:protest --json --limit 30
same "sample posts of a region in an afternoon" posts region:mangystau --from 2026-03-05T12:00:00Z --to 2026-03-05T18:00:00Z

# Usage errors: exit 2, one line naming what is wrong.
err() { # DESC PATTERN ARGS...
    local desc=$1 pat=$2
    shift 2
    kz query "$@" >"$tmp/e" 2>&1
    if [ $? -eq 2 ] && grep -q -- "$pat" "$tmp/e"; then echo "ok   $desc"; else
        echo "FAIL: $desc: $(cat "$tmp/e")"; fails=$((fails + 1)); fi
}
err "unknown query" 'expected one of series, top, distinct, dims, posts; got "sum"' sum all --redis "$url"
err "unknown top kind" 'expected one of hashtag, term, channel' top emoji --redis "$url"
err "bad time" '--from: expected an RFC 3339 time' series all --from yesterday --redis "$url"
err "bad granularity" '--gran: expected one of minute, hour' series all --gran day --redis "$url"
err "empty window" 'empty window' series all --from 2026-03-02T00:00:00Z --to 2026-03-01T00:00:00Z --redis "$url"
err "no store" 'either --redis URL or archive' series all
err "bad url" '--redis: expected redis://' series all --redis http://x
err "posts of a cross" 'keeps no sample posts' posts "topic:protest|region:almaty" --redis "$url"

echo "$fails failed"
[ "$fails" -eq 0 ]
