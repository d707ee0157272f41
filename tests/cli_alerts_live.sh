#!/bin/bash
# cli_alerts_live.sh -- the live chain on the real broker and Redis: posts of
# the last 50 minutes (tests/gen_alerts_month.py live: a two-account spam run,
# then a real burst of calls in KZ-47) produced to Kafka, `kzpulse run` into
# Redis, and two `kzpulse alerts` evaluators at once over the same group.
# The alert fires once: one firing and one resolved event in the stream
# kzp:v2:alerts, with the same id, in KZ-47, printed by exactly one of the
# evaluators; the spam fires nothing; a replay of the same posts gives the same
# id.  A burst in the current minute fires early, once.  An evaluator stopped
# by SIGTERM exits 0 at once, and one started again reads its states back
# from the stream and fires nothing again.  With its (private) Redis stopped
# under it, an evaluator says so, retries, and goes on when Redis is back;
# SIGHUP reads its rules again (a broken file: said, the old rules kept).
# Both evaluators serve /metrics: their counts agree with the stream's.  A
# hashtag surge rule fires live once the job reads the evaluator's watch set.
# Needs tests/harness/with-servers.sh.
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
tmp=$(mktemp -d)
pids=()
H="$ROOT/tests/harness"
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -s "$tmp/redis2/redis.pid" ] && "$H/redis.sh" stop "$tmp/redis2" >/dev/null 2>&1
    rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
stamp="$$-$(date +%s)"
db=9
url="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/$db"
topic="alerts-$stamp"
group="g-$stamp"
rules="$ROOT/tests/data/alerts/month.rules"
rcli() { redis-cli -p "$KZ_TEST_REDIS_PORT" -n $db "$@"; }
# until_ok TRIES CMD...: CMD every 0.25 s until it succeeds, TRIES times at most
until_ok() {
    local n=$1
    shift
    for _ in $(seq 1 "$n"); do
        "$@" && return 0
        sleep 0.25
    done
    return 1
}
# in_stream CLI PATTERN: does the alert stream of that redis-cli hold PATTERN?
in_stream() { "$1" xrange kzp:v2:alerts - + | grep -q "$2"; }

rcli flushdb >/dev/null
"$PY" "$ROOT/tests/gen_alerts_month.py" live "$(date +%s)" >"$tmp/live.jsonl" || { echo "FAIL: generator"; exit 1; }
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$tmp/live.jsonl" 2>"$tmp/produce.err" ||
    { echo "FAIL: produce"; cat "$tmp/produce.err"; exit 1; }
"$KZ_BIN" run --brokers "$KZ_TEST_BROKERS" --topic "$topic" --group "$group" --redis "$url" \
    --stats-interval 0 2>"$tmp/run.err" &
pids+=($!)
# The first evaluator also delivers the stream (a JSON-lines receiver).
recv=("--deliver-file" "f=$tmp/delivered.jsonl")
for i in 1 2; do
    "$KZ_BIN" alerts --redis "$url" --group "$group" --rules "$rules" --interval-ms 500 \
        --metrics-listen 127.0.0.1:0 "${recv[@]}" >"$tmp/alerts$i.out" 2>"$tmp/alerts$i.err" &
    recv=()
    pids+=($!)
    eval "ev$i=$!"
done
runpid=${pids[0]}

# Wait (up to 45 s) for the resolved event.
resolved=0
for _ in $(seq 1 90); do
    if rcli xrange kzp:v2:alerts - + | grep -qx resolved; then
        resolved=1
        break
    fi
    sleep 0.5
done
[ $resolved -eq 1 ] && ok "the alert resolved within 45 s" || fail "no resolved event in the stream"
sleep 1 # a late duplicate would show now

# check: the stream and the evaluators' outputs.
check() {
    "$PY" - "$KZ_TEST_REDIS_PORT" "$db" "$tmp/alerts1.out" "$tmp/alerts2.out" <<'PY'
import json, sys
import redis
port, db, out1, out2 = sys.argv[1:5]
r = redis.Redis(port=int(port), db=int(db))
ev = [(f[b"id"].decode(), f[b"event"].decode(), json.loads(f[b"record"])) for _, f in r.xrange("kzp:v2:alerts")]
bad = 0
def check(name, cond, got):
    global bad
    bad += not cond
    print(("ok   " if cond else "FAIL: ") + name + ("" if cond else ": got " + repr(got)))
fir = [e for e in ev if e[1] == "firing"]
res = [e for e in ev if e[1] == "resolved"]
check("one firing event in the stream", len(fir) == 1, [(e[0], e[2]["first_minute"]) for e in fir])
check("one resolved event, the same id", len(res) == 1 and fir and res[0][0] == fir[0][0], res)
if fir:
    rec = fir[0][2]
    check("in KZ-47", rec["region"] == "KZ-47" and rec["dimension"] == "mob:call|region:kz-47", rec["region"])
    check("by a crowd", rec["authors"] >= 25, rec["authors"])
    check("the id field is the record's", rec["id"] == fir[0][0], rec["id"])
check("every event's id is the one alert's", len({e[0] for e in ev}) == 1, {e[0] for e in ev})
lines = [json.loads(l) for p in (out1, out2) for l in open(p, encoding="utf-8") if l.strip()]
check("the evaluators printed one firing and one resolved record",
      sorted(l["state"] for l in lines) == ["firing", "resolved"], [l["state"] for l in lines])
check("printed ids are the stream's", all(fir and l["id"] == fir[0][0] for l in lines), [l["id"] for l in lines])
claims = r.keys("kzp:v2:alerts:claim:*")
check("claim keys expire in 40 days", claims and all(3455000 < r.ttl(k) <= 3456000 for k in claims), claims[:2])
sys.exit(1 if bad else 0)
PY
}
if check; then ok "one alert, published once by two evaluators"; else fail "the stream"; fi

# The evaluator's delivery thread: every stream entry in the receiver's file,
# in the stream's order.
stream_recs=$(rcli xrange kzp:v2:alerts - + | awk 'p { print; p = 0 } $0 == "record" { p = 1 }')
if [ -n "$stream_recs" ] && [ "$stream_recs" = "$(cat "$tmp/delivered.jsonl" 2>/dev/null)" ]; then
    ok "the evaluator delivered every entry of the stream, in order ($(wc -l <"$tmp/delivered.jsonl") records)"
else
    fail "delivered records differ from the stream's"; head -c 600 "$tmp/delivered.jsonl"
fi

# /metrics of both evaluators: valid exposition (promtool), their events add
# up to the stream's entries, the firing ones to the stream's one, and the
# first one's receiver counts every record it delivered.
metrics_of() {
    local port
    port=$(sed -n 's/^kzpulse alerts: metrics on port \([0-9]*\).*/\1/p' "$tmp/alerts$1.err")
    [ -n "$port" ] && curl -s --max-time 5 "http://127.0.0.1:$port/metrics"
}
sum_of() { awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }' "$2"; }
xlen=$(rcli xlen kzp:v2:alerts)
for _ in $(seq 1 20); do
    metrics_of 1 >"$tmp/m1.txt"
    metrics_of 2 >"$tmp/m2.txt"
    ev=$(($(sum_of '^kzpulse_alerts_events_total[{]' "$tmp/m1.txt") + $(sum_of '^kzpulse_alerts_events_total[{]' "$tmp/m2.txt")))
    dl=$(sum_of '^kzpulse_alerts_delivered_total[{]receiver="f",kind="jsonl"[}]' "$tmp/m1.txt")
    [ "$ev" = "$xlen" ] && [ "$dl" = "$(wc -l <"$tmp/delivered.jsonl")" ] && break
    sleep 0.5
done
fired=$(($(sum_of '^kzpulse_alerts_events_total[{].*event="firing"' "$tmp/m1.txt") + $(sum_of '^kzpulse_alerts_events_total[{].*event="firing"' "$tmp/m2.txt")))
if promtool check metrics <"$tmp/m1.txt" >"$tmp/promtool.out" 2>&1 && promtool check metrics <"$tmp/m2.txt" >>"$tmp/promtool.out" 2>&1; then
    ok "/metrics of both evaluators: valid exposition (promtool check metrics)"
else
    fail "promtool: $(head -c 400 "$tmp/promtool.out")"
fi
[ "$ev" = "$xlen" ] && ok "/metrics: events published add up to the stream's $xlen entries" ||
    fail "/metrics: events published $ev, the stream holds $xlen"
[ "$fired" = 1 ] && ok "/metrics: one alert fired (event=\"firing\")" || fail "/metrics: fired $fired"
[ "$dl" = "$(wc -l <"$tmp/delivered.jsonl")" ] && ok "/metrics: receiver f delivered $dl" ||
    fail "/metrics: delivered $dl, the file holds $(wc -l <"$tmp/delivered.jsonl")"
grep -q '^kzpulse_alerts_rules 1$' "$tmp/m1.txt" && grep -q '^kzpulse_alerts_keys 20$' "$tmp/m1.txt" &&
    grep -q '^kzpulse_alerts_evaluations_total{pass="final"} [1-9]' "$tmp/m1.txt" &&
    grep -q '^kzpulse_alerts_evaluations_total{pass="early"} [1-9]' "$tmp/m1.txt" &&
    grep -q '^kzpulse_alerts_round_seconds_count [1-9]' "$tmp/m1.txt" &&
    grep -q '^kzpulse_alerts_final_lag_seconds [0-9]' "$tmp/m1.txt" &&
    grep -q '^kzpulse_alerts_delivery_attempts_total{receiver="f",kind="jsonl"} [1-9]' "$tmp/m1.txt" &&
    ! grep -q '^kzpulse_alerts_errors_total' "$tmp/m1.txt" &&
    ok "/metrics: rules, keys, minutes final and early, rounds, lag, attempts; no errors" ||
    fail "/metrics of the first evaluator: $(grep '^kzpulse_alerts' "$tmp/m1.txt" | grep -v _bucket | tr '\n' ' ')"

# The same posts replayed: the same alert, the same id.
"$KZ_BIN" replay --alerts --rules "$rules" --alerts-out "$tmp/replay.jsonl" -d "$tmp/dead.jsonl" \
    "$tmp/live.jsonl" >/dev/null 2>&1
live_ids=$(rcli xrange kzp:v2:alerts - + | awk 'p { print; p = 0 } $0 == "id" { p = 1 }' | sort -u)
replay_ids=$("$PY" -c 'import json, sys; print("\n".join(sorted({json.loads(l)["id"] for l in open(sys.argv[1])})))' \
    "$tmp/replay.jsonl")
[ -n "$live_ids" ] && [ "$live_ids" = "$replay_ids" ] && ok "replay gives the live id ($live_ids)" ||
    fail "replay ids \"$replay_ids\" vs live \"$live_ids\""

# Early: a burst in the current minute (KZ-75) fires before the watermark
# (a minute behind, the allowed lateness) passes its minute.
"$PY" "$ROOT/tests/gen_alerts_month.py" burst "$(date +%s)" KZ-75 >"$tmp/now.jsonl"
t0=$(date +%s%N)
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$tmp/now.jsonl" 2>>"$tmp/produce.err"
early=0
until_ok 40 in_stream rcli '"region":"KZ-75"' && early=1
ms=$((($(date +%s%N) - t0) / 1000000))
[ $early -eq 1 ] && ok "a burst in the current minute fired early, $ms ms after it was produced" ||
    fail "no early alert for the KZ-75 burst within 10 s"
sleep 1
# Count the entries whose event is "firing": an update (the count went on
# rising after the early look) carries a record with "state":"firing" too.
n75=$(rcli xrange kzp:v2:alerts - + | awk '$0 == "event" { getline; ev = $0 }
    $0 == "record" { getline; if (ev == "firing" && index($0, "\"region\":\"KZ-75\"")) n++ }
    END { print n + 0 }')
[ "$n75" = 1 ] && ok "... once" || fail "KZ-75 firing events: $n75"
# (its updates go on while it stays hot: from here on only firing events count)
firings() { rcli xrange kzp:v2:alerts - + | grep -cx firing; }
len1=$(firings)

# SIGTERM: a clean, prompt exit.
t0=$(date +%s%N)
kill -TERM "$ev1"
wait "$ev1"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 0 ] && [ $ms -lt 3000 ] && ok "SIGTERM: exit 0 in $ms ms" || fail "SIGTERM: exit $rc in $ms ms"

# A restarted evaluator reads the states back and publishes nothing new.
"$KZ_BIN" alerts --redis "$url" --group "$group" --rules "$rules" --interval-ms 500 \
    >"$tmp/alerts3.out" 2>"$tmp/alerts3.err" &
ev3=$!
pids+=($ev3)
sleep 4
len2=$(firings)
[ "$len1" = "$len2" ] && ! [ -s "$tmp/alerts3.out" ] && ok "a restart fires nothing again ($len2 firing events)" ||
    fail "a restart fired: $len1 -> $len2 firing events; $(head -c 300 "$tmp/alerts3.out")"
kill -TERM "$ev3" "$ev2" "$runpid"
wait "$ev3" "$ev2" "$runpid"
for f in "$tmp"/alerts*.err; do
    if grep -qv "no live member" "$f"; then
        echo "    $(basename "$f"): $(head -3 "$f")"
    fi
done

# Redis away under a running evaluator (a private redis-server, so the
# harness's is left alone): it says so, retries, and when Redis is back it
# goes on -- the chain's alert fires once.
mkdir -p "$tmp/redis2"
KZ_REDIS_AOF=1 "$H/redis.sh" start "$tmp/redis2" >/dev/null 2>&1 || { echo "FAIL: private redis"; exit 1; }
url2="redis://127.0.0.1:$(cat "$tmp/redis2/redis.port")/0"
cp "$rules" "$tmp/r4.rules"
"$KZ_BIN" alerts --redis "$url2" --group "$group-2" --rules "$tmp/r4.rules" --interval-ms 300 \
    --metrics-listen 127.0.0.1:0 >"$tmp/alerts4.out" 2>"$tmp/alerts4.err" &
ev4=$!
pids+=($ev4)
sleep 1
"$H/redis.sh" stop "$tmp/redis2" >/dev/null 2>&1
for _ in $(seq 1 40); do
    grep -q "retrying in" "$tmp/alerts4.err" && break
    sleep 0.25
done
grep -q "retrying in" "$tmp/alerts4.err" && ok "Redis away: said on stderr ($(grep -m1 'retrying' "$tmp/alerts4.err" | cut -c1-90)...)" ||
    fail "Redis away: nothing on stderr"
sleep 2
kill -0 $ev4 2>/dev/null && ok "... and the evaluator keeps running" || fail "the evaluator exited with Redis away"
metrics_of 4 >"$tmp/m4.txt"
grep -q '^kzpulse_alerts_errors_total{what="redis"} [1-9]' "$tmp/m4.txt" &&
    ok "... and counts it on /metrics ($(grep '^kzpulse_alerts_errors_total' "$tmp/m4.txt"))" ||
    fail "/metrics with Redis away: $(grep '^kzpulse_alerts_errors' "$tmp/m4.txt")"
"$H/redis.sh" start "$tmp/redis2" >/dev/null 2>&1 || fail "private redis: start again"
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic-2" "$tmp/live.jsonl" 2>>"$tmp/produce.err"
"$KZ_BIN" run --brokers "$KZ_TEST_BROKERS" --topic "$topic-2" --group "$group-2" --redis "$url2" \
    --stats-interval 0 2>"$tmp/run2.err" &
run2=$!
pids+=($run2)
fired=0
for _ in $(seq 1 120); do # Redis back: the backoff is at most a few seconds here
    if redis-cli -p "$(cat "$tmp/redis2/redis.port")" xrange kzp:v2:alerts - + | grep -qx firing; then
        fired=1
        break
    fi
    sleep 0.25
done
[ $fired -eq 1 ] && ok "Redis back: the evaluator went on and the alert fired" ||
    fail "no alert after Redis came back"

# SIGHUP: the rules read again; a file with mistakes is said, the rules in force stay.
printf '\n[rule.country]\nkind = "call"\nmin_count = 30\nmin_authors = 10\n' >>"$tmp/r4.rules"
kill -HUP $ev4
for _ in $(seq 1 40); do
    grep -q "rules reloaded" "$tmp/alerts4.err" && break
    sleep 0.25
done
grep -q "kzpulse alerts: rules reloaded: 2 rules, 21 keys" "$tmp/alerts4.err" &&
    ok "SIGHUP: rules reloaded (2 rules, 21 keys)" || fail "SIGHUP: $(tail -2 "$tmp/alerts4.err")"
metrics_of 4 >"$tmp/m4.txt"
grep -q '^kzpulse_alerts_rules 2$' "$tmp/m4.txt" && grep -q '^kzpulse_alerts_keys 21$' "$tmp/m4.txt" &&
    ok "... and /metrics shows the new rules and keys" || fail "/metrics after SIGHUP: $(grep '^kzpulse_alerts_[rk]' "$tmp/m4.txt")"
printf 'kind = "calls"\n' >>"$tmp/r4.rules"
kill -HUP $ev4
for _ in $(seq 1 40); do
    grep -q "reload failed" "$tmp/alerts4.err" && break
    sleep 0.25
done
grep -q "r4.rules:.*kind" "$tmp/alerts4.err" && grep -q "reload failed: the rules in force are kept" "$tmp/alerts4.err" &&
    kill -0 $ev4 2>/dev/null && ok "SIGHUP with a broken file: said, the rules in force kept" ||
    fail "SIGHUP with a broken file: $(tail -3 "$tmp/alerts4.err")"
kill -TERM $ev4
wait $ev4
rc=$?
[ $rc -eq 0 ] && ok "... and it stops cleanly (exit 0)" || fail "evaluator exit $rc after the outage"

# A hashtag surge, live: an evaluator with tests/data/alerts/tags.rules puts
# its members in the watch set (kzp:v2:watch), the running job reads it
# (every 5 s) and counts them; a burst of #Жаңаөзен by 40 people then fires.
r2() { redis-cli -p "$(cat "$tmp/redis2/redis.port")" "$@"; }
"$KZ_BIN" alerts --redis "$url2" --group "$group-2" --rules "$ROOT/tests/data/alerts/tags.rules" \
    --interval-ms 300 >"$tmp/alerts6.out" 2>"$tmp/alerts6.err" &
ev6=$!
pids+=($ev6)
watched() { [ "$(r2 sismember kzp:v2:watch 'hashtag:жаңаөзен')" = 1 ]; }
until_ok 40 watched
[ "$(r2 smembers kzp:v2:watch | sort | tr '\n' ' ')" = "hashtag:алаңға hashtag:жаңаөзен " ] &&
    ok "the evaluator published its hashtags to the watch set" ||
    fail "watch set: $(r2 smembers kzp:v2:watch | tr '\n' ' ')"
r2 sadd kzp:v2:watch "topic:protest" "hashtag:a|region:kz-47" >/dev/null # by hand, wrong
sleep 6 # the job's next read of the watch set
grep -q "kzp:v2:watch: 2 members not hashtag:<h> or term:<t> and 0 past the first 256 left out" \
    "$tmp/run2.err" && kill -0 $run2 && ok "members of another form in the watch set: left out, said" ||
    fail "bad watch members: $(grep watch "$tmp/run2.err" | tail -2)"
"$PY" "$ROOT/tests/gen_alerts_month.py" burst "$(date +%s)" KZ-71 Жаңаөзен >"$tmp/tagged.jsonl"
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic-2" "$tmp/tagged.jsonl" 2>>"$tmp/produce.err"
until_ok 60 in_stream r2 '"kind":"hashtag_surge"' && grep -q '"dimension":"hashtag:жаңаөзен"' "$tmp/alerts6.out" &&
    ok "a live #Жаңаөзен burst fired the hashtag surge rule" ||
    fail "no hashtag surge alert: $(tail -2 "$tmp/alerts6.err")"
kill -TERM $ev6 $run2
wait $ev6 $run2

[ $fails -eq 0 ] && echo "all live alert checks passed"
[ $fails -eq 0 ]
