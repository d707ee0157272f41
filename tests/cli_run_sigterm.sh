#!/bin/bash
# cli_run_sigterm.sh -- `kzpulse run` stops within 5 s of SIGTERM/SIGINT even
# while its flush waits for an unreachable broker to confirm dead letters, and
# loses nothing by it.  Needs tests/harness/with-servers.sh.
#
# The archive is 30,000 good posts, then malformed lines of each kind, on a
# one-partition topic (so the malformed lines come last).  A run with
# --flush-posts 1 applies its prefetched backlog one post at a time (seconds
# of work), so the broker can be made unreachable after the consumer has
# fetched everything and before it reaches the malformed tail: the flush
# whose batch covers them then waits for dead letters no broker confirms (the
# producer retries them for message.timeout.ms, 5 minutes).
#   A. the broker frozen (SIGSTOP: connections open, nothing answers), one
#      SIGTERM: run must exit within 5 s;
#   B. the broker frozen, SIGTERM, then SIGINT 0.3 s later: the second signal
#      ends the wait at once (exit within 2.5 s of the first);
#   C. the broker stopped (connections refused), one SIGTERM: exit within 5 s;
#   D. a run caught up and idle, the broker frozen, one SIGTERM: a clean stop
#      (exit 0) within 5 s, leaving the group given up on when it takes long;
#   E. a run in the middle of its backlog, one SIGTERM: exit 0 (leaving the
#      group once aborted inside librdkafka on a queued message).
# Cut short, a run applies nothing more and commits nothing, and exits 1 with
# a "stopping:" line.  Then, the broker back, each group is run again to the
# end (--until-eof): every post is counted exactly once (Redis equals
# `kzpulse replay` of the same archive) and every dead letter is in
# <topic>.dlq.  On the code before the fix, A, B and C run on past their
# limits (the flush waited for as long as the producer retried).
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
H="$ROOT/tests/harness"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_HARNESS_DIR:?run under tests/harness/with-servers.sh}"
PY=/usr/bin/python3
CHECK="$ROOT/tests/kzcheck.py"
B=$KZ_TEST_BROKERS
R=$KZ_TEST_REDIS_PORT
KDIR="$KZ_TEST_HARNESS_DIR/kafka"
tmp=$(mktemp -d)
broker=up
# The broker is the harness's, shared with the other tests: always bring it back.
broker_back() {
    case $broker in
    frozen) kill -CONT "$(cat "$KDIR/kafka.pid")" 2>/dev/null ;;
    stopped) "$H/kafka.sh" restart "$KDIR" >/dev/null 2>"$tmp/kafka-restart.err" ||
        { echo "FAIL: broker restart"; cat "$tmp/kafka-restart.err"; } ;;
    esac
    broker=up
}
cleanup() {
    kill -9 $(jobs -p) 2>/dev/null
    broker_back
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
stamp="$$-$(date +%s)"
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { "$PY" "$CHECK" "$@" || fails=$((fails + 1)); }

# -- the archive ---------------------------------------------------------------------
"$PY" - "$tmp/posts.jsonl" <<'PY'
import json, sys, time
texts = [
    "Ертең таңертең алаңда кездесеміз, бәріміз бірге барайық",
    "Сегодня на рынке опять подняли цены на хлеб и молоко",
    "The bus to the city centre was late again this morning",
    "Ауылда жаңа мектеп ашылды, балалар өте қуанышты",
    "Жители двора собирают подписи против вырубки сквера",
    "Кеше кешке қалада қатты жел тұрды #ауарайы",
    "Завтра в десять у акимата будет встреча с жителями #двор",
    "Our reading club meets on Thursday in the library",
    "Бағалар тағы өсті, жалақы сол күйінде қалды",
    "В новостях говорят о ремонте дороги до аэропорта",
]
bad = [
    b'{"text": "a line cut in the middle',
    b'["an array", "is not a post"]',
    b'{"id": "x-no-text", "author": "a01"}',
    b'{"text": "   ", "author": "a02"}',
    b'{"text": "a post with a boolean time", "ts": true, "author": "a03"}',
    b'{"text": "\xff\xfe not utf-8 at all", "author": "a04"}',
]
base = int(time.time()) // 3600 * 3600 - 3 * 3600  # three hours ago, on the hour
with open(sys.argv[1], "wb") as out:
    for i in range(30000):
        post = {"id": f"sig:{i}", "platform": ["telegram", "vk", "x"][i % 3],
                "author": f"a{i % 23:02d}", "ts": base + i, "text": texts[i % len(texts)]}
        out.write(json.dumps(post, ensure_ascii=False).encode() + b"\n")
    for i in range(12):
        out.write(bad[i % len(bad)] + b"\n")
PY
"$KZ_BIN" replay --json --lexicons "$ROOT/lexicons" -d "$tmp/dead.jsonl" "$tmp/posts.jsonl" \
    >"$tmp/replay.json" 2>/dev/null || { echo "FAIL: replay"; exit 1; }
topic="sig-$stamp"
check topic "$B" "$topic" 1
"$KZ_BIN" produce -b "$B" -t "$topic" "$tmp/posts.jsonl" 2>"$tmp/produce.err" ||
    { echo "FAIL: produce"; cat "$tmp/produce.err"; exit 1; }
total=$(wc -l <"$tmp/posts.jsonl")

applied() { # DB GROUP: messages whose offsets the store holds
    redis-cli -p "$R" -n "$1" hgetall "kzp:v2:offsets:$2" |
        awk 'NR % 2 == 0 { s += $1 + 1 } END { print s + 0 }'
}

# start NAME DB HOW: a run; once it has applied 8,000 posts (it has
# fetched the whole topic by then: the fetch sizes allow 16 MB, so one or two
# fetch responses hold it all, and the second is long read while 8,000
# posts are applied one at a time -- waiting only for the first post left a
# loaded or sanitized run with the topic's tail unfetched, seen at 23,526
# and 27,812 of 30,012), make the broker unreachable (HOW: freeze or stop),
# and wait until the run is stuck in a flush: offsets still for 1 s, short
# of the end.
start() {
    local name=$1 db=$2 how=$3 got last same
    redis-cli -p "$R" -n "$db" flushdb >/dev/null
    "$KZ_BIN" run --brokers "$B" --topic "$topic" --group "$name-$stamp" \
        --redis "redis://127.0.0.1:$R/$db" --lexicons "$ROOT/lexicons" --stats-interval 0 \
        --flush-posts 1 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
        -X max.partition.fetch.bytes=16777216 -X fetch.max.bytes=16777216 \
        -X receive.message.max.bytes=17000000 2>"$tmp/$name.err" &
    pid=$!
    for _ in $(seq 1200); do [ "$(applied "$db" "$name-$stamp")" -ge 8000 ] && break; sleep 0.05; done
    if [ "$how" = freeze ]; then
        kill -STOP "$(cat "$KDIR/kafka.pid")" && broker=frozen
    else
        broker=stopped
        "$H/kafka.sh" stop "$KDIR" 2>/dev/null
    fi
    got=$(applied "$db" "$name-$stamp")
    echo "     $name: broker ${broker} with $got of $total messages applied"
    last=-1 same=0
    for _ in $(seq 300); do
        got=$(applied "$db" "$name-$stamp")
        if [ "$got" = "$last" ]; then same=$((same + 1)); else same=0; fi
        last=$got
        [ $same -ge 10 ] && break
        sleep 0.1
    done
    # stuck at the malformed tail: every good post applied, not the rest
    if [ "$got" -ge 30000 ] && [ "$got" -lt "$total" ] && [ $same -ge 10 ] && kill -0 "$pid" 2>/dev/null; then
        echo "ok   $name: stuck in a flush after $got of $total messages applied"
    else
        fail "$name: expected a live run stuck short of the end; $got of $total applied"
        tail -3 "$tmp/$name.err"
    fi
}

# stopped NAME LIMIT_MS T0_NS DB [clean]: wait for $pid (LIMIT_MS at most after
# T0).  Cut short (the default): exit 1, the "stopping:" line, and nothing more
# applied.  clean: exit 0 (what was pending is applied first, as a stop does).
stopped() {
    local name=$1 limit=$2 t0=$3 db=$4 clean=${5:-} want=1 line=stopping: rc ms before
    before=$(applied "$db" "$name-$stamp")
    for _ in $(seq $((limit / 50))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    ms=$((($(date +%s%N) - t0) / 1000000))
    if kill -0 "$pid" 2>/dev/null; then
        fail "$name: still running $ms ms after the signal (limit $limit ms)"
        kill -9 "$pid"
        wait "$pid" 2>/dev/null
        return
    fi
    wait "$pid"
    rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$ms" -le "$limit" ]; then echo "ok   $name: exited in $ms ms (exit $rc)"; else
        fail "$name: exited after $ms ms, over $limit ms"; fi
    if [ -n "$clean" ]; then
        [ $rc -eq 0 ] && echo "ok   $name: a clean stop (exit 0)" ||
            { fail "$name: exit $rc, want 0"; tail -3 "$tmp/$name.err"; }
        return
    fi
    if [ $rc -eq "$want" ] && grep -q "$line" "$tmp/$name.err"; then
        echo "ok   $name: exit $rc: $(grep "$line" "$tmp/$name.err" | tail -1 | cut -c1-120)"
    else
        fail "$name: exit $rc, want $want with a \"$line\" line"; tail -3 "$tmp/$name.err"
    fi
    [ "$(applied "$db" "$name-$stamp")" = "$before" ] && echo "ok   $name: nothing more applied" ||
        fail "$name: offsets moved at exit although the dead letters were not confirmed"
}

# -- A. broker frozen, one SIGTERM ------------------------------------------------------
start A 12 freeze
t0=$(date +%s%N)
kill -TERM "$pid"
stopped A 5000 "$t0" 12
broker_back

# -- B. broker frozen, SIGTERM then SIGINT: the second signal ends the wait at once ---
start B 13 freeze
t0=$(date +%s%N)
kill -TERM "$pid"
sleep 0.3
kill -INT "$pid" 2>/dev/null
stopped B 5000 "$t0" 13
# The whole exit includes librdkafka's teardown against a frozen broker, which
# a loaded machine stretches; the wait itself must end at the second signal,
# well before the grace period of the first.
cut=$(sed -n 's/.*within \([0-9]*\) ms of the stop.*/\1/p' "$tmp/B.err" | head -n 1)
if [ -n "$cut" ] && [ "$cut" -lt 1500 ]; then echo "ok   B: the second signal ended the wait $cut ms after the first"
else fail "B: the wait ended ${cut:-?} ms after the first signal, not at the second"; fi
broker_back

# -- C. broker stopped, one SIGTERM ------------------------------------------------------
start C 14 stop
t0=$(date +%s%N)
kill -TERM "$pid"
stopped C 5000 "$t0" 14
broker_back
echo "     C: broker restarted"

# -- D. an idle run, caught up, the broker frozen, one SIGTERM: a clean stop (exit 0)
# within 5 s, leaving the group given up on (its coordinator does not answer) --------
redis-cli -p "$R" -n 15 flushdb >/dev/null
"$KZ_BIN" run --brokers "$B" --topic "$topic" --group "D-$stamp" --redis "redis://127.0.0.1:$R/15" \
    --lexicons "$ROOT/lexicons" --stats-interval 0 -X session.timeout.ms=6000 \
    -X heartbeat.interval.ms=500 2>"$tmp/D.err" &
pid=$!
for _ in $(seq 600); do [ "$(applied 15 "D-$stamp")" = "$total" ] && break; sleep 0.1; done
sleep 0.5
kill -STOP "$(cat "$KDIR/kafka.pid")" && broker=frozen
sleep 0.5
t0=$(date +%s%N)
kill -TERM "$pid"
stopped D 5000 "$t0" 15 clean
[ "$(applied 15 "D-$stamp")" = "$total" ] && echo "ok   D: every message applied, once" ||
    fail "D: $(applied 15 "D-$stamp") of $total applied"
broker_back

# -- E. a run in the middle of its backlog (messages fetched and queued), one SIGTERM:
# a clean stop (exit 0, no abort while leaving the group), and the run again
# below counts every post once ------------------------------------------------------
redis-cli -p "$R" -n 11 flushdb >/dev/null
"$KZ_BIN" run --brokers "$B" --topic "$topic" --group "E-$stamp" --redis "redis://127.0.0.1:$R/11" \
    --lexicons "$ROOT/lexicons" --stats-interval 0 --flush-posts 200 2>"$tmp/E.err" &
pid=$!
for _ in $(seq 300); do [ "$(applied 11 "E-$stamp")" -gt 0 ] && break; sleep 0.05; done
echo "     E: SIGTERM with $(applied 11 "E-$stamp") of $total applied"
t0=$(date +%s%N)
kill -TERM "$pid"
stopped E 5000 "$t0" 11 clean

# -- each group run again to the end -----------------------------------------------------
for g in A:12 B:13 C:14 E:11; do
    name=${g%:*} db=${g#*:}
    timeout 120 "$KZ_BIN" run --brokers "$B" --topic "$topic" --group "$name-$stamp" \
        --redis "redis://127.0.0.1:$R/$db" --lexicons "$ROOT/lexicons" --until-eof \
        --stats-interval 0 2>"$tmp/$name-again.err" ||
        { fail "$name: the run after the restart: exit $?"; tail -3 "$tmp/$name-again.err"; }
    check compare "$R" "$db" "$tmp/replay.json" "$name: after the restart"
done
check dlq "$B" "$topic" "$tmp/dead.jsonl" "all groups"

echo "$fails failed"
[ "$fails" -eq 0 ]
