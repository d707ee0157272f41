#!/bin/bash
# cli_run.sh -- `kzpulse run` on the real broker and Redis gives exactly the
# counters `kzpulse replay` gives for the same posts: once straight through,
# again (a second run of the same group counts nothing twice), and through
# five SIGKILLs at random moments with restarts.  Every malformed message is
# in <topic>.dlq with its reason.  Needs tests/harness/with-servers.sh.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
stamp="$$-$(date +%s)"

# Expected counters: replay of the same archive into the in-process store.
kz replay --json -d "$tmp/replay-dead.jsonl" "$ROOT/samples/posts.jsonl" >"$tmp/replay.json" 2>/dev/null ||
    { echo "FAIL: replay"; exit 1; }

# compare DB TOPIC WHAT: Redis (db DB) against the replay report.
compare() {
    "$PY" - "$KZ_TEST_REDIS_PORT" "$1" "$tmp/replay.json" "$KZ_TEST_BROKERS" "$2" "$3" <<'PY'
import json, sys, time
import redis
from confluent_kafka import Consumer
port, db, rep_path, brokers, topic, what = sys.argv[1:7]
r = redis.Redis(port=int(port), db=int(db))
rep = json.load(open(rep_path))
hours = {}
fields = {}
for k in r.scan_iter("kzp:v2:h:*"):
    h = r.hgetall(k)
    ep = int(k.decode().rsplit(":", 1)[1])
    t = time.strftime("%Y-%m-%dT%H", time.gmtime(ep * 3600))
    hours[t] = int(h.get(b"all", 0))
    for f, v in h.items():
        fields[f.decode()] = fields.get(f.decode(), 0) + int(v)
bad = 0
def check(name, got, want):
    global bad
    ok = got == want
    bad += not ok
    print(("ok   " if ok else "FAIL: ") + f"{what}: {name}: got {got}, want {want}")
check("posts counted", sum(hours.values()), rep["counted"])
# event-time hours: exact, except the arrival-time posts (their hour is "now")
diff = {h: (hours.get(h, 0), n) for h, n in rep["posts_per_hour"].items() if hours.get(h, 0) != n}
check("hours that differ (beyond arrival-time posts)", sum(abs(a - b) for a, b in diff.values()) <= 2 * rep["ts_arrival"], True)
# posts without a ts of their own: in Redis only as "undated" (by arrival), as the report counts them apart
check("undated", fields.get("undated", 0), rep["undated"])
plat = {f.split(":", 1)[1]: n for f, n in fields.items() if f.startswith("platform:") and "|" not in f}
check("by platform", plat, rep["by_platform"])
lang = {f.split(":", 1)[1]: n for f, n in fields.items() if f.startswith("lang:") and "|" not in f}
check("by language", lang, rep["by_language"])
# Dead letters: every one in <topic>.dlq with its reason header.
c = Consumer({"bootstrap.servers": brokers, "group.id": "dlq-check-" + topic + what.replace(" ", "-"),
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic + ".dlq"])
reasons, seen, deadline = {}, set(), time.time() + 30
want_total = rep["dead_letters"]["total"]
while len(seen) < want_total and time.time() < deadline:
    for m in c.consume(500, 1.0):
        if m.error():
            continue
        hd = {k: v.decode() for k, v in (m.headers() or [])}
        key = (hd.get("kzp-partition"), hd.get("kzp-offset"))
        # keyed by the source position, so a compacted DLQ keeps one of each
        check_key = (m.key() or b"").decode() == f"{key[0]}:{key[1]}"
        if not check_key:
            check("dead letter key", (m.key() or b"").decode(), f"{key[0]}:{key[1]}")
        if key in seen:
            continue  # the DLQ is at-least-once: a crash may write one twice
        seen.add(key)
        reasons[hd.get("kzp-reason")] = reasons.get(hd.get("kzp-reason"), 0) + 1
c.close()
want = {k: v for k, v in rep["dead_letters"].items() if k != "total" and v}
check("dead letters in the DLQ by reason (distinct offsets)", reasons, want)
sys.exit(1 if bad else 0)
PY
}

run_until_eof() { # DB TOPIC GROUP [extra flags]
    local db=$1 topic=$2 group=$3
    shift 3
    timeout 120 "$KZ_BIN" run --brokers "$KZ_TEST_BROKERS" --topic "$topic" --group "$group" \
        --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/$db" --until-eof --stats-interval 0 \
        "$@"
}

# -- 1. straight through --------------------------------------------------------------
topic="run-$stamp"
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 3 flushdb >/dev/null
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$ROOT/samples/posts.jsonl" 2>/dev/null ||
    { echo "FAIL: produce"; exit 1; }
kz run --brokers "$KZ_TEST_BROKERS" --topic "$topic" --group "g-$stamp" \
    --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/3" --until-eof --stats-interval 0 2>"$tmp/run.err"
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: run exit $rc"; tail -5 "$tmp/run.err"; fails=$((fails + 1)); }
compare 3 "$topic" "straight run" || fails=$((fails + 1))

# -- 2. the same group again: nothing new, nothing counted twice ----------------------
run_until_eof 3 "$topic" "g-$stamp" 2>/dev/null
compare 3 "$topic" "second run of the group" || fails=$((fails + 1))
# ... and a new group on the same Redis: the store's offsets are per group, so
# a second group would count again; that is by design (a different job).

# -- 2b. --no-samples: the same counters, no sample-post lists ------------------------
# (--minute-ttl 0: the sample posts are months old, and minute keys would expire at once)
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 5 flushdb >/dev/null
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 6 flushdb >/dev/null
run_until_eof 5 "$topic" "n-$stamp" --no-samples --minute-ttl 0 2>/dev/null
compare 5 "$topic" "run --no-samples" || fails=$((fails + 1))
run_until_eof 6 "$topic" "s-$stamp" --minute-ttl 0 2>/dev/null
keys() { redis-cli -p "$KZ_TEST_REDIS_PORT" -n "$1" --scan --pattern "$2" | wc -l; }
with=$(keys 6 'kzp:v2:posts:*') without=$(keys 5 'kzp:v2:posts:*')
mwith=$(keys 6 'kzp:v2:m:*') mwithout=$(keys 5 'kzp:v2:m:*')
if [ "$with" -gt 0 ] && [ "$without" -eq 0 ] && [ "$mwith" -gt 0 ] && [ "$mwith" -eq "$mwithout" ]; then
    echo "ok   run --no-samples writes the same $mwith minute counters and no sample lists ($with with samples)"
else
    echo "FAIL: --no-samples: sample lists $with / $without, minute keys $mwith / $mwithout"
    fails=$((fails + 1))
fi
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 5 flushdb >/dev/null
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 6 flushdb >/dev/null

# -- 3. SIGKILL five times at random moments, restart each time ------------------------
# A bigger generated archive, so that every kill lands mid-stream.
topic2="kill-$stamp"
"$PY" "$ROOT/bench/gen_corpus.py" --seed 7 --count 30000 --out "$tmp/big.jsonl" >/dev/null 2>&1 ||
    { echo "FAIL: gen_corpus"; exit 1; }
kz replay --json -d /dev/null "$tmp/big.jsonl" >"$tmp/replay.json" 2>/dev/null || { echo "FAIL: replay big"; exit 1; }
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 4 flushdb >/dev/null
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic2" "$tmp/big.jsonl" 2>/dev/null
applied() { redis-cli -p "$KZ_TEST_REDIS_PORT" -n 4 hvals "kzp:v2:offsets:k-$stamp" | awk '{ s += $1 } END { print s + 0 }'; }
for i in 1 2 3 4 5; do
    "$KZ_BIN" run --brokers "$KZ_TEST_BROKERS" --topic "$topic2" --group "k-$stamp" \
        --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/4" --flush-posts 50 --flush-ms 20 \
        --stats-interval 0 -X session.timeout.ms=6000 -X heartbeat.interval.ms=1000 \
        2>>"$tmp/kill.err" &
    pid=$!
    # wait until this process has applied something, then kill it at a random moment
    before=$(applied)
    for _ in $(seq 300); do [ "$(applied)" -gt "$before" ] && break; sleep 0.1; done
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", rand() * 0.5 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    after=$(applied)
    echo "     killed run #$i: offsets applied went from $before to $after"
    [ "$after" -gt "$before" ] && mid=$((${mid:-0} + 1))
done
if [ "${mid:-0}" -ge 3 ]; then echo "ok   ${mid} kills landed mid-stream"; else
    echo "FAIL: only ${mid:-0} of 5 kills landed mid-stream"; tail -5 "$tmp/kill.err"; fails=$((fails + 1)); fi
run_until_eof 4 "$topic2" "k-$stamp" -X session.timeout.ms=6000 2>>"$tmp/kill.err" || { echo "FAIL: final run"; tail -5 "$tmp/kill.err"; fails=$((fails + 1)); }
compare 4 "$topic2" "after 5 kills" || fails=$((fails + 1))

echo "$fails failed"
[ "$fails" -eq 0 ]
