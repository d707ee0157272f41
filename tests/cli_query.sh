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
    kz query "${win[@]}" "$@" --redis "$url" --lexicons "$ROOT/lexicons" >"$tmp/redis.out" 2>"$tmp/redis.err"
    local r1=$?
    kz query "${win[@]}" "$@" --lexicons "$ROOT/lexicons" "$archive" >"$tmp/mem.out" 2>"$tmp/mem.err"
    local r2=$?
    # Undated posts (no ts of their own) differ by design: the archive reports
    # all 8 of them whatever the window; in Redis they are kept by arrival
    # (now), outside this March window.  Compared apart.
    if grep -q '"query":"series"\|"query":"dims"' "$tmp/mem.out"; then
        grep -q '"undated":8' "$tmp/mem.out" && grep -q '"undated":0' "$tmp/redis.out" ||
            { echo "FAIL: $desc: undated not reported"; fails=$((fails + 1)); }
        sed -i 's/,"undated":[0-9]*//' "$tmp/mem.out" "$tmp/redis.out"
    elif [ "$1" = series ] || [ "$1" = dims ]; then
        grep -qx 'undated	8' "$tmp/mem.out" ||
            { echo "FAIL: $desc: undated not reported"; fails=$((fails + 1)); }
        sed -i '/^undated	/d' "$tmp/mem.out"
    fi
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
same "hourly series of all" series all --step hour
same "minute series of topic:protest" series topic:protest --step minute --from 2026-03-05T08:00:00Z --to 2026-03-05T13:00:00Z
same "daily series of all (local days)" series all --step day
same "hourly series in UTC (--gran, the older name)" series topic:protest --gran hour --tz UTC
same "series of a cross (JSON)" series "topic:protest|region:KZ-47" --json
same "top hashtags" top hashtag --limit 20
same "all channels (JSON)" top channel --limit 0 --json
same "distinct authors" distinct all
same "distinct authors of a topic" distinct topic:economy
same "platform totals" dims platform:
same "topic totals per minute" dims topic: --step minute
same "stance by language crosses" dims "stance:pro_ukraine|lang:"
same "region totals, Kazakh names" dims region: --names kk
same "town totals (JSON, Russian names)" dims city: --json --names ru
same "a region in lower case" series region:kz-47 --json

# The default Redis window is the last 24 hours up to now: the posts without a
# time of their own went to Redis as "undated" by their arrival (now), in no
# series; the current partial hour is in the window.
out=$(kz query series all --redis "$url")
if echo "$out" | grep -qx 'undated	8' && echo "$out" | grep -qx 'total	0' &&
    [ "$(echo "$out" | grep -c '+05:00')" -ge 24 ]; then
    echo "ok   default Redis window: 24 hours up to now, 8 undated reported apart"
else
    echo "FAIL: default Redis window: $(echo "$out" | tail -3)"; fails=$((fails + 1))
fi
# A post written a minute ago, through Kafka into Redis: the current minute counts.
printf '{"id":"now1","platform":"telegram","ts":"%s","text":"Қазір алаңда адам көп, полиция да келді"}\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$tmp/now.jsonl"
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$tmp/now.jsonl" 2>/dev/null &&
    timeout 120 "$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "q-$topic" --redis "$url" \
        --until-eof --stats-interval 0 2>/dev/null
out=$(kz query series all --from -5m --redis "$url")
echo "$out" | grep -qx 'total	1' && echo "ok   --from -5m over Redis counts the post of the current minute" ||
    { echo "FAIL: --from -5m over Redis: $(echo "$out" | tail -3)"; fails=$((fails + 1)); }

same "sample posts of mob:call" posts mob:call --limit 0
same "sample posts of a topic (JSON)" posts topic:protest --json --limit 30
same "sample posts of a region in an afternoon" posts region:KZ-47 --from 2026-03-05T12:00:00Z --to 2026-03-05T18:00:00Z

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
err "bad step" '--step: expected one of minute, hour, day, auto' series all --step week --redis "$url"
err "bad granularity (older name)" '--gran: expected one of minute, hour, day, auto' series all --gran week --redis "$url"
err "a --from in the future" 'is in the future' series all --from 2099-01-01T00:00:00Z --redis "$url"
err "an unknown zone" '--tz: unknown time zone' series all --tz Mars/Olympus --redis "$url"
err "empty window" 'empty window' series all --from 2026-03-02T00:00:00Z --to 2026-03-01T00:00:00Z --redis "$url"
err "no store" 'either --redis URL or archive' series all
err "bad url" '--redis: expected redis://' series all --redis http://x
err "posts of a cross" 'keeps no sample posts' posts "topic:protest|region:KZ-75" --redis "$url"

echo "$fails failed"
[ "$fails" -eq 0 ]
