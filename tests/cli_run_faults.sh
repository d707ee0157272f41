#!/bin/bash
# cli_run_faults.sh -- `kzpulse run` under load and faults, on the real broker
# and Redis (issue 5, item 7).  Every scenario ends with the counters in Redis
# equal to the exact counts `kzpulse replay` gives for the same posts, and
# with every malformed message in <topic>.dlq with its reason:
#   a. 200,000 generated posts (5% malformed) over an explicitly created
#      4-partition topic, two `kzpulse run` processes in one group;
#   e. checked on (a): every dead letter in the DLQ once (distinct
#      partition/offset), with its reason, holding the source message's bytes;
#   c. Redis (a private one, AOF on, appendfsync always) restarted mid-stream,
#      then stopped for 3 s and started again on the same port;
#   d. the broker restarted mid-stream (the harness's broker);
#   f. a third consumer joining and leaving mid-stream: once by SIGTERM (must
#      exit 0 within 5 s), once by SIGKILL;
#   g. a consumer frozen (SIGSTOP) past its session timeout while the stream
#      goes on, then resumed: a zombie must not count anything twice.
# c, d, f and g stream a 60,000-post corpus produced at a fixed rate while the
# consumers run, and compare Redis key by key with a reference run of the same
# corpus (itself compared with replay).  Needs tests/harness/with-servers.sh.
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
tmp=$(mktemp -d)
cleanup() {
    kill -9 $(jobs -p) 2>/dev/null
    [ -s "$tmp/redis2/redis.pid" ] && "$H/redis.sh" stop "$tmp/redis2" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
stamp="$$-$(date +%s)"
T0=$SECONDS
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { "$PY" "$CHECK" "$@" || fails=$((fails + 1)); }
flush() { redis-cli -p "$1" -n "$2" flushdb >/dev/null; }

# run_bg NAME PORT DB TOPIC GROUP [flags]: a consumer in the background; pid in $NAME_pid
run_bg() {
    local name=$1 port=$2 db=$3 topic=$4 group=$5
    shift 5
    "$KZ_BIN" run --brokers "$B" --topic "$topic" --group "$group" \
        --redis "redis://127.0.0.1:$port/$db" --lexicons "$ROOT/lexicons" \
        --stats-interval 0 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 \
        "$@" 2>>"$tmp/$name.err" &
    eval "${name}_pid=$!"
}
# stop_run NAME: SIGTERM, must exit 0 within 5 s; prints the time it took
stop_run() {
    local pid t0 rc
    pid=$(eval echo "\$${1}_pid")
    t0=$(date +%s%N)
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
        fail "$1 (pid $pid) still running 5 s after SIGTERM"
        kill -9 "$pid"
    fi
    wait "$pid"
    rc=$?
    local ms=$((($(date +%s%N) - t0) / 1000000))
    if [ $rc -eq 0 ]; then echo "ok   $1: SIGTERM -> exit 0 in $ms ms"; else
        fail "$1: SIGTERM -> exit $rc in $ms ms"; tail -3 "$tmp/$1.err"; fi
}
# posts_of NAME: posts the process counted (its last stats line)
posts_of() { grep -o '[0-9]* posts,' "$tmp/$1.err" | tail -1 | cut -d' ' -f1; }

# -X properties librdkafka refuses as a whole (at rd_kafka_new) are bad usage.
"$KZ_BIN" run --brokers "$B" --topic x --group x --redis "redis://127.0.0.1:$R/5" \
    -X fetch.max.bytes=100 -X message.max.bytes=100000 2>"$tmp/x.err"
rc=$?
if [ $rc -eq 2 ] && grep -q -- "-X" "$tmp/x.err"; then echo "ok   a -X rejected by rd_kafka_new: exit 2, message names -X"; else
    fail "-X rejected by rd_kafka_new: exit $rc: $(cat "$tmp/x.err")"; fi

# ---------------------------------------------------------------------------
# a + e. 200,000 posts, 5% malformed, 4 partitions, two processes in one group
# ---------------------------------------------------------------------------
"$PY" "$ROOT/bench/gen_corpus.py" --seed 5 --count 200000 --malformed-rate 0.0072 \
    --edge-cases off --out "$tmp/a.jsonl" >/dev/null 2>&1 || { echo "FAIL: gen_corpus"; exit 1; }
"$KZ_BIN" replay --json --lexicons "$ROOT/lexicons" -d "$tmp/a.dead.jsonl" "$tmp/a.jsonl" \
    >"$tmp/a.replay.json" 2>/dev/null || { echo "FAIL: replay a"; exit 1; }
"$PY" - "$tmp/a.replay.json" <<'PY' || fails=$((fails + 1))
import json, sys
r = json.load(open(sys.argv[1]))
share = r["dead_letters"]["total"] / r["records"]
ok = 0.045 <= share <= 0.055 and sum(1 for k, v in r["dead_letters"].items() if k != "total" and v) == 7
print(("ok   " if ok else "FAIL: ") + f"a: {r['dead_letters']['total']} of {r['records']} records "
      f"malformed ({share:.2%}) over 7 kinds")
sys.exit(0 if ok else 1)
PY
ta="a-$stamp"
check topic "$B" "$ta" 4
flush "$R" 5
# Both processes hold partitions before the posts arrive: one fast enough to
# read the whole topic while the other joins would leave it nothing to count.
run_bg a1 "$R" 5 "$ta" "ga-$stamp"
run_bg a2 "$R" 5 "$ta" "ga-$stamp"
check group-stable "$B" "ga-$stamp" 2 60
"$KZ_BIN" produce -b "$B" -t "$ta" "$tmp/a.jsonl" 2>"$tmp/produce-a.err" || fail "produce a"
check wait-applied "$B" "$ta" "$R" 5 "ga-$stamp" 60
stop_run a1
stop_run a2
n1=$(posts_of a1) n2=$(posts_of a2)
if [ "${n1:-0}" -gt 0 ] && [ "${n2:-0}" -gt 0 ]; then
    echo "ok   a: both processes counted posts ($n1 + $n2; a rebalance may make one count a few again, as duplicates the store skips)"
else fail "a: one process counted nothing ($n1, $n2)"; fi
check compare "$R" 5 "$tmp/a.replay.json" "a: 2 processes, 4 partitions"
check dlq "$B" "$ta" "$tmp/a.dead.jsonl" "e: 5% malformed"
echo "     a+e took $((SECONDS - T0)) s"

# ---------------------------------------------------------------------------
# The streamed corpus for c, d, f, g and its reference run
# ---------------------------------------------------------------------------
"$PY" "$ROOT/bench/gen_corpus.py" --seed 9 --count 60000 --malformed-rate 0.0072 \
    --edge-cases off --out "$tmp/s.jsonl" >/dev/null 2>&1 || { echo "FAIL: gen_corpus s"; exit 1; }
"$KZ_BIN" replay --json --lexicons "$ROOT/lexicons" -d "$tmp/s.dead.jsonl" "$tmp/s.jsonl" \
    >"$tmp/s.replay.json" 2>/dev/null || { echo "FAIL: replay s"; exit 1; }
tref="ref-$stamp"
check topic "$B" "$tref" 4
"$KZ_BIN" produce -b "$B" -t "$tref" "$tmp/s.jsonl" 2>/dev/null || fail "produce ref"
flush "$R" 6
"$KZ_BIN" run --brokers "$B" --topic "$tref" --group "gref-$stamp" --redis "redis://127.0.0.1:$R/6" \
    --lexicons "$ROOT/lexicons" --until-eof --stats-interval 0 2>"$tmp/ref.err" ||
    fail "reference run"
check compare "$R" 6 "$tmp/s.replay.json" "reference run"
"$PY" "$CHECK" dump "$R" 6 "$tmp/ref.dump.json" >/dev/null

RATE=4000 # posts/s: 60,000 posts stream for 15 s
# stream NAME [PARTITIONS]: a topic of 4 partitions (or PARTITIONS), produced
# at $RATE in the background
stream() {
    topic="$1-$stamp"
    check topic "$B" "$topic" "${2:-4}"
    "$KZ_BIN" produce -b "$B" -t "$topic" --rate "$RATE" "$tmp/s.jsonl" 2>"$tmp/produce-$1.err" &
    prod_pid=$!
}
# finish NAME PORT DB GROUP WHAT: wait for the producer, for Redis to cover the
# whole topic; stop the consumers named in $live; compare with the reference.
finish() {
    local name=$1 port=$2 db=$3 group=$4 what=$5 c held
    wait "$prod_pid" || { fail "$what: produce exit $?"; tail -3 "$tmp/produce-$name.err"; }
    # Every record in the topic: a count that differs below would otherwise
    # be blamed on the consumers.
    held=$("$PY" "$CHECK" ends "$B" "$name-$stamp" | awk '{ s += $2 } END { print s + 0 }')
    [ "$held" -eq "$(wc -l <"$tmp/s.jsonl")" ] ||
        fail "$what: the topic holds $held of $(wc -l <"$tmp/s.jsonl") records, lost before any consumer read them ($(tail -1 "$tmp/produce-$name.err"))"
    check wait-applied "$B" "$name-$stamp" "$port" "$db" "$group" 90
    for c in $live; do stop_run "$c"; done
    "$PY" "$CHECK" dump "$port" "$db" "$tmp/$name.dump.json" >/dev/null
    check same "$tmp/ref.dump.json" "$tmp/$name.dump.json" "$what"
    echo "     $what took $((SECONDS - tstart)) s"
}

# ---------------------------------------------------------------------------
# c. Redis restarted mid-stream (AOF, appendfsync always), then a 3 s outage
# ---------------------------------------------------------------------------
tstart=$SECONDS
KZ_REDIS_AOF=1 "$H/redis.sh" start "$tmp/redis2" 2>/dev/null || { echo "FAIL: private redis"; exit 1; }
R2=$(cat "$tmp/redis2/redis.port")
grep -q '^appendonly yes' "$tmp/redis2/redis.conf" && grep -q '^appendfsync always' "$tmp/redis2/redis.conf" ||
    fail "c: private redis without AOF"
stream c
run_bg c1 "$R2" 0 "$topic" "gc-$stamp" --flush-ms 100
run_bg c2 "$R2" 0 "$topic" "gc-$stamp" --flush-ms 100
live="c1 c2"
sleep 4
"$H/redis.sh" restart "$tmp/redis2" 2>/dev/null && echo "     c: redis restarted at $((SECONDS - tstart)) s" ||
    fail "c: redis restart"
sleep 3
"$H/redis.sh" stop "$tmp/redis2" 2>/dev/null
echo "     c: redis stopped at $((SECONDS - tstart)) s for 3 s"
sleep 3
"$H/redis.sh" start "$tmp/redis2" 2>/dev/null || fail "c: redis start again"
[ "$(cat "$tmp/redis2/redis.port")" = "$R2" ] || fail "c: redis came back on another port"
finish c "$R2" 0 "gc-$stamp" "c: redis restarted and stopped mid-stream"
grep -q "retrying" "$tmp/c1.err" "$tmp/c2.err" && echo "ok   c: the consumers saw the outage and retried" ||
    fail "c: no consumer noticed the Redis outage"
"$H/redis.sh" stop "$tmp/redis2" 2>/dev/null

# ---------------------------------------------------------------------------
# d. the broker restarted mid-stream
# ---------------------------------------------------------------------------
tstart=$SECONDS
flush "$R" 7
stream d
run_bg d1 "$R" 7 "$topic" "gd-$stamp" --flush-ms 100
run_bg d2 "$R" 7 "$topic" "gd-$stamp" --flush-ms 100
live="d1 d2"
sleep 4
"$H/kafka.sh" restart "$KZ_TEST_HARNESS_DIR/kafka" 2>"$tmp/kafka-restart.err" &&
    echo "     d: broker restarted at $((SECONDS - tstart)) s" || { fail "d: broker restart"; cat "$tmp/kafka-restart.err"; }
finish d "$R" 7 "gd-$stamp" "d: broker restarted mid-stream"

# ---------------------------------------------------------------------------
# f. a third consumer joins and leaves (SIGTERM), another joins and dies (SIGKILL)
# ---------------------------------------------------------------------------
tstart=$SECONDS
flush "$R" 8
stream f
run_bg f1 "$R" 8 "$topic" "gf-$stamp" --flush-ms 200
run_bg f2 "$R" 8 "$topic" "gf-$stamp" --flush-ms 200
live="f1 f2"
sleep 2
run_bg f3 "$R" 8 "$topic" "gf-$stamp" --flush-ms 200
sleep 4
stop_run f3
echo "     f: third consumer counted $(posts_of f3) posts before SIGTERM"
sleep 1
run_bg f4 "$R" 8 "$topic" "gf-$stamp" --flush-ms 200
sleep 4
kill -9 "$f4_pid"
wait "$f4_pid" 2>/dev/null
echo "     f: fourth consumer SIGKILLed at $((SECONDS - tstart)) s"
finish f "$R" 8 "gf-$stamp" "f: consumers joining and leaving"

# ---------------------------------------------------------------------------
# g. a zombie: frozen past its session timeout while the stream goes on
# ---------------------------------------------------------------------------
tstart=$SECONDS
flush "$R" 9
stream g
run_bg g1 "$R" 9 "$topic" "gg-$stamp" --flush-ms 100
run_bg g2 "$R" 9 "$topic" "gg-$stamp" --flush-ms 1500 --flush-posts 100000
live="g1 g2"
sleep 3
kill -STOP "$g2_pid"
sleep 8 # > session.timeout.ms=6000: the group gives g2's partitions to g1
kill -CONT "$g2_pid"
echo "     g: g2 frozen for 8 s, resumed at $((SECONDS - tstart)) s"
finish g "$R" 9 "gg-$stamp" "g: a zombie consumer resumed"

# g2. the extreme zombie: two processes that both own every partition (one
#     Redis offsets key, two Kafka groups via -X group.id) -- fencing must keep
#     every post counted once; conflicts are expected and logged
tstart=$SECONDS
flush "$R" 11
stream z
run_bg z1 "$R" 11 "$topic" "gz-$stamp" --flush-ms 50 --flush-posts 300 -X group.id="gz-$stamp-1"
run_bg z2 "$R" 11 "$topic" "gz-$stamp" --flush-ms 70 --flush-posts 500 -X group.id="gz-$stamp-2"
live="z1 z2"
finish z "$R" 11 "gz-$stamp" "g2: two writers of every partition"
nc=$(grep -c "fenced:" "$tmp/z1.err" "$tmp/z2.err" | awk -F: '{ s += $2 } END { print s + 0 }')
echo "     g2: $nc batches fenced off (conflicts) and re-read"
# Two writers of every partition must collide: no conflict means the fence was
# never exercised, and the exact counts above prove nothing about it.
[ "$nc" -ge 1 ] || fail "g2: two writers of every partition and not one batch fenced off"

# g3. the same over 70 partitions: a batch is taken at 64 positions, the next
#     holds the other 6, and a conflict drops both and seeks all 70 back
tstart=$SECONDS
flush "$R" 12
stream w 70
run_bg w1 "$R" 12 "$topic" "gw-$stamp" --flush-ms 50 --flush-posts 300 -X group.id="gw-$stamp-1"
run_bg w2 "$R" 12 "$topic" "gw-$stamp" --flush-ms 70 --flush-posts 500 -X group.id="gw-$stamp-2"
# A writer whose seek back fails (librdkafka may time out seeking this many
# partitions at once) ends without committing, so that a restart starts from
# the store: allowed, as long as the counts stay exact.
live=""
finish w "$R" 12 "gw-$stamp" "g3: two writers of 70 partitions"
for w in w1 w2; do
    pid=$(eval echo "\$${w}_pid")
    if kill -0 "$pid" 2>/dev/null; then stop_run "$w"; continue; fi
    wait "$pid"
    rc=$?
    if [ $rc -eq 0 ] || grep -q "stopping: fenced: .*ending so that a restart starts from the store" "$tmp/$w.err"; then
        echo "ok   $w: ended by itself (exit $rc)"
    else
        fail "$w: ended by itself, exit $rc"
        tail -3 "$tmp/$w.err"
    fi
done
nc=$(grep -c "fenced:" "$tmp/w1.err" "$tmp/w2.err" | awk -F: '{ s += $2 } END { print s + 0 }')
echo "     g3: $nc batches fenced off (conflicts) and re-read"
[ "$nc" -ge 1 ] || fail "g3: two writers of 70 partitions and not one batch fenced off"

# ---------------------------------------------------------------------------
# h. SIGHUP reloads the lexicons mid-stream (a good set, then a broken one that
#    must be refused while the old stays); stats as JSON lines; the watermark
# ---------------------------------------------------------------------------
tstart=$SECONDS
flush "$R" 10
mkdir -p "$tmp/lex"
cp "$ROOT"/lexicons/*.tsv "$tmp/lex/"
stream h
"$KZ_BIN" run --brokers "$B" --topic "$topic" --group "gh-$stamp" --redis "redis://127.0.0.1:$R/10" \
    --lexicons "$tmp/lex" --stats-interval 1 --stats-json --lateness-ms 60000 \
    --flush-ms 100 2>"$tmp/h1.err" &
h1_pid=$!
live="h1"
# hup N: SIGHUP, then wait (5 s at most) until N reload attempts are logged
# (signals coalesce: one sent while a reload is pending is not a second one)
hup() {
    kill -HUP "$h1_pid"
    for _ in $(seq 100); do
        [ "$(grep -c "SIGHUP: lexicons" "$tmp/h1.err")" -ge "$1" ] && return 0
        sleep 0.05
    done
    fail "h: SIGHUP $1 not handled within 5 s"
}
sleep 1
for i in 1 2 3 4 5; do hup "$i"; sleep 0.3; done
printf 'this is\tnot a\tvalid line\n' >"$tmp/lex/zz_bad.tsv"
hup 6
rm -f "$tmp/lex/zz_bad.tsv"
sleep 2
wm=$(redis-cli -p "$R" -n 10 hgetall "kzp:v2:watermarks:gh-$stamp" | sed -n 2p)
hb=$(redis-cli -p "$R" -n 10 hgetall "kzp:v2:heartbeats:gh-$stamp" | sed -n 2p)
finish h "$R" 10 "gh-$stamp" "h: lexicons reloaded 5 times mid-stream, a broken set refused"
n=$(grep -c "SIGHUP: lexicons reloaded" "$tmp/h1.err")
[ "$n" -eq 5 ] && echo "ok   h: 5 reloads logged" || fail "h: $n reloads logged, want 5"
grep -q "SIGHUP: lexicons from .* not reloaded, keeping the old ones: .*zz_bad.tsv" "$tmp/h1.err" &&
    echo "ok   h: the broken lexicon was refused and named" || fail "h: broken lexicon not reported"
"$PY" - "$tmp/h1.err" "$wm" "$hb" <<'PY' || fails=$((fails + 1))
import json, sys, time
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
bad = 0
def check(name, ok, detail=""):
    global bad
    bad += not ok
    print(("ok   " if ok else "FAIL: ") + f"h: {name} {detail}")
keys = {"posts_per_s", "lag", "dead_by_reason", "flush_ms_avg", "flush_ms_max", "redis_retries",
        "watermark_ms", "reloads", "conflicts"}
check("stats JSON lines", len(lines) >= 3 and all(keys <= set(l) for l in lines), f"({len(lines)} lines)")
check("dead letters by reason in the stats", lines and len(lines[-1]["dead_by_reason"]) >= 7 and
      lines[-1]["dead"] == sum(lines[-1]["dead_by_reason"].values()), str(lines[-1]["dead_by_reason"] if lines else ""))
check("lag reported", any(l["lag"] >= 0 for l in lines))
check("posts/s reported", max(l["posts_per_s"] for l in lines) > 0)
wm, hb = sys.argv[2], sys.argv[3]
check("watermark published mid-stream", wm.lstrip("-").isdigit() and hb.isdigit() and
      abs(int(hb) - time.time() * 1000) < 60000, f"(watermark {wm}, heartbeat {hb})")
check("watermark in the stats = the published one or later",
      wm.lstrip("-").isdigit() and lines[-1]["watermark_ms"] >= int(wm))
sys.exit(1 if bad else 0)
PY
[ -z "$(redis-cli -p "$R" -n 10 hget "kzp:v2:watermarks:gh-$stamp" "$(hostname):$h1_pid")" ] &&
    echo "ok   h: the watermark field is deleted on exit" || fail "h: watermark field left after exit"

echo "     all scenarios took $((SECONDS - T0)) s"
echo "$fails failed"
[ "$fails" -eq 0 ]
