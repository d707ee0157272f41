#!/bin/bash
# bench/alerts_latency.sh -- end-to-end alert latency under load: from a burst
# of calls to action produced to Kafka to its webhook at a receiver, while
# `kzpulse run` carries a steady background stream.
#
#   bench/alerts_latency.sh [BUILD_DIR] [BURSTS] [SPACING_S] [RATE]
#                           (defaults: build-release, 10, 25, 20000)
#
# Starts its own servers (tests/harness/with-servers.sh).  The chain is the
# real one: `kzpulse produce --rate RATE`, reading a pipe, publishes a
# background stream to a 4-partition topic (posts of bench/gen_corpus.py, seed
# 1, cycled, each stamped with the wall-clock time as it is written, and each
# naming no region the gazetteer knows: with no history behind them they would
# otherwise fire in every region); one `kzpulse run` consumes it into Redis;
# one `kzpulse alerts` (tests/data/alerts/month.rules: calls to action in any
# one region, as shipped; --interval-ms INTERVAL_MS, default 5000 as shipped)
# evaluates and delivers to a signed webhook, tests/alerts_rx.py, which logs
# each request's arrival time.  After a warm-up and 30 s of `run` alone (its
# Redis commands, to tell them from the evaluator's), the evaluator starts,
# and about every SPACING_S seconds (shifted so as to meet its rounds at
# spread phases) a burst (tests/gen_alerts_month.py burst: 40 calls by 40
# people) goes to a region of its own, so each fires a new alert on the
# short-history fallback.  A burst's latency runs from the broker's append of
# its first post (the topic keeps LogAppendTime; the burst's posts are read
# back at the end) to the arrival of the first webhook with event "firing" and
# the burst's region; also shown: t0, the wall clock just before the burst's
# `kzpulse produce`, and when the alert entered the stream kzp:v2:alerts (its
# entry id).  Over the span of the bursts it measures the evaluator's CPU
# (utime + stime from /proc/PID/stat), `run`'s posts/s (its --stats-json
# lines), and Redis commands a minute (INFO commandstats deltas): all clients,
# and the evaluator's share as all less `run`'s rate when alone (but for the
# commands only run's apply script sends).  Prints one line per burst and a
# summary table; the figures go into bench/README.md by hand.
# Env: INTERVAL_MS (the evaluator's --interval-ms, default 5000).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KZ_TEST_BROKERS:-}" ]; then
    exec "$ROOT/tests/harness/with-servers.sh" "$0" "$@"
fi
BUILD=${1:-$ROOT/build-release}
BURSTS=${2:-10}
SPACING=${3:-25}
RATE=${4:-20000}
INTERVAL_MS=${INTERVAL_MS:-5000}
K="$BUILD/cli/kzpulse"
[ -x "$K" ] || K="$BUILD/kzpulse"
[ -x "$K" ] || { echo "alerts_latency: no kzpulse in $BUILD" >&2; exit 2; }
REGIONS=(KZ-10 KZ-11 KZ-15 KZ-19 KZ-23 KZ-27 KZ-31 KZ-33 KZ-35 KZ-39
    KZ-43 KZ-47 KZ-55 KZ-59 KZ-61 KZ-62 KZ-63 KZ-71 KZ-75 KZ-79)
[ "$BURSTS" -ge 1 ] && [ "$BURSTS" -le ${#REGIONS[@]} ] ||
    { echo "alerts_latency: BURSTS must be 1-${#REGIONS[@]} (one region each)" >&2; exit 2; }
PY=/usr/bin/python3
B=$KZ_TEST_BROKERS
RP=$KZ_TEST_REDIS_PORT
DB=13
URL="redis://127.0.0.1:$RP/$DB"
st=$$
topic="lat-$st"
group="lat-$st"
tmp=$(mktemp -d)
pids=()
# Stop what we started (the feeder first, so its producer ends on EOF), then
# wait for all of it, then the temp dir.
cleanup() {
    trap - EXIT INT TERM
    for p in "${pids[@]}" $(jobs -p); do
        kill -TERM "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
now() { date +%s.%N; }
# nap SECONDS: sleep, in the background so that a signal's trap runs at once
nap() {
    sleep "$1" &
    wait $!
}
# sleep_until EPOCH_S: sleep until that wall-clock time (at once if past)
sleep_until() {
    nap "$(awk -v t="$1" -v n="$(now)" 'BEGIN { printf "%.3f", (t > n) ? t - n : 0 }')"
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
snap() { # NAME: INFO commandstats, both processes' CPU ticks, the wall clock
    redis-cli -p "$RP" info commandstats >"$tmp/$1.info"
    echo "$(now) $(if [ -n "$ev" ]; then ticks "$ev"; else echo 0; fi) $(ticks "$runpid")" >"$tmp/$1.t"
}
fired() { # distinct regions with a firing webhook in the receiver's log
    grep '"event": "firing"' "$tmp/rx.log" 2>/dev/null | grep -o '"region": "[^"]*"' | sort -u | wc -l
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" "$ROOT/bench/gen_corpus.py" --seed 1 --count 300000 --no-malformed --edge-cases off \
    --out "$tmp/c.jsonl" >/dev/null 2>&1 || { echo "alerts_latency: gen_corpus failed" >&2; exit 1; }
"$PY" - "$B" "$topic" <<'PY' || { echo "alerts_latency: cannot create the topic" >&2; exit 1; }
import sys
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": sys.argv[1]})
a.create_topics([NewTopic(sys.argv[2], 4, 1, config={"message.timestamp.type": "LogAppendTime"})])[
    sys.argv[2]].result(30)
PY
redis-cli -p "$RP" -n $DB flushdb >/dev/null
KZPULSE_WEBHOOK_SECRET="whsec_$(printf 'the latency bench signs with this' | base64)"
export KZPULSE_WEBHOOK_SECRET

# The receiver.
rxport=$("$ROOT/tests/harness/free-port")
"$PY" "$ROOT/tests/alerts_rx.py" serve --port "$rxport" --log "$tmp/rx.log" 2>"$tmp/rx.err" &
pids+=($!)

# The background: the corpus cycled (ids made unique per cycle), every post
# stamped with the time it is written; the pipe is small, so that is within
# a fraction of a second of its publication, paced by produce --rate.
mkfifo "$tmp/feed"
"$PY" - "$tmp/c.jsonl" >"$tmp/feed" <<'PY' &
import json, sys, time
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    p = json.loads(line)
    pid = str(p.pop("id", "bg"))
    p.pop("ts", None)
    p["region"] = "none"  # no place the gazetteer knows: region:unknown
    rest = json.dumps(p, ensure_ascii=False, separators=(",", ":"))
    rows.append(('{"id":' + json.dumps(pid, ensure_ascii=False)[:-1] + "/", ',' + rest[1:] + "\n"))
out = sys.stdout
cycle = 0
try:
    while True:
        cycle += 1
        c = str(cycle)
        for head, rest in rows:
            out.write(head + c + '","ts":' + str(int(time.time() * 1000)) + rest)
except (BrokenPipeError, KeyboardInterrupt):
    pass
PY
feeder=$!
pids+=($feeder)
"$K" produce -b "$B" -t "$topic" --rate "$RATE" "$tmp/feed" 2>"$tmp/produce.err" &
producer=$!
pids+=($producer)
nap 2
"$K" run --brokers "$B" --topic "$topic" --group "$group" --redis "$URL" --lexicons "$ROOT/lexicons" \
    --stats-json --stats-interval 2 2>"$tmp/run.err" &
runpid=$!
pids+=($runpid)
ev=
nap 15 # the group joined, the first backlog drained

# `run` alone for 30 s: its Redis commands a minute.
snap alone0
nap 30
snap alone1

"$K" alerts --redis "$URL" --group "$group" --rules "$ROOT/tests/data/alerts/month.rules" \
    --interval-ms "$INTERVAL_MS" --webhook "rx=http://127.0.0.1:$rxport/hook" \
    >"$tmp/alerts.out" 2>"$tmp/alerts.err" &
ev=$!
pids+=($ev)
nap 10 # its first round: the stream read back, the hour before taken final

snap span0
first=$(awk -v t="$(now)" 'BEGIN { printf "%.3f", t + 2 }')
: >"$tmp/bursts"
for i in $(seq 1 "$BURSTS"); do
    region=${REGIONS[$((i - 1))]}
    # SPACING apart, plus a share of the interval that differs from burst to
    # burst (i times the golden ratio, modulo 1), so that the bursts meet the
    # evaluator's rounds at phases spread over the interval
    sleep_until "$(awk -v f="$first" -v i="$i" -v s="$SPACING" -v iv="$INTERVAL_MS" \
        'BEGIN { g = i * 0.6180339887; printf "%.3f", f + (i - 1) * s + (g - int(g)) * iv / 1000 }')"
    "$PY" "$ROOT/tests/gen_alerts_month.py" burst "$(date +%s)" "$region" >"$tmp/burst$i.jsonl"
    t0=$(now)
    "$K" produce -b "$B" -t "$topic" "$tmp/burst$i.jsonl" 2>>"$tmp/burst.err"
    echo "$i $region $t0 $(now)" >>"$tmp/bursts"
    kill -0 "$ev" 2>/dev/null || { echo "alerts_latency: the evaluator exited" >&2; cat "$tmp/alerts.err" >&2; exit 1; }
    kill -0 "$runpid" 2>/dev/null || { echo "alerts_latency: run exited" >&2; tail "$tmp/run.err" >&2; exit 1; }
done
last=$(awk 'END { print $3 }' "$tmp/bursts")
sleep_until "$(awk -v l="$last" -v s="$SPACING" 'BEGIN { printf "%.3f", l + s }')"
until [ "$(fired)" -ge "$BURSTS" ] || [ "$(awk -v l="$last" -v n="$(now)" 'BEGIN { print (n > l + 60) }')" = 1 ]; do
    nap 0.5
done
snap span1

# Stop: the feeder (its producer drains and reports), then the others.
kill -TERM "$feeder" 2>/dev/null
wait "$producer" 2>/dev/null
kill -TERM "$ev" "$runpid" 2>/dev/null
wait "$ev" "$runpid" 2>/dev/null
grep -v "no live member" "$tmp/alerts.err" | head -5 | sed 's/^/alerts stderr: /'

"$PY" - "$tmp" "$(getconf CLK_TCK)" "$RATE" "$INTERVAL_MS" "$B" "$topic" <<'PY'
import json, math, sys
from confluent_kafka import Consumer, TopicPartition

tmp, hz, rate, interval, brokers, topic = sys.argv[1:7]
hz, rate, interval = int(hz), int(rate), int(interval)


def cmdstats(name):
    calls = {}
    for line in open("%s/%s.info" % (tmp, name)):
        if line.startswith("cmdstat_"):
            k, _, v = line.strip()[len("cmdstat_"):].partition(":")
            calls[k] = int(dict(f.split("=") for f in v.split(","))["calls"])
    return calls


def times(name):
    t, ev, run = open("%s/%s.t" % (tmp, name)).read().split()
    return float(t), int(ev), int(run)


def per_min(a, b, secs):
    return {k: (b.get(k, 0) - a.get(k, 0)) * 60.0 / secs for k in set(a) | set(b)}


def rank(xs, q):  # nearest-rank percentile
    xs = sorted(xs)
    return xs[max(0, math.ceil(q * len(xs)) - 1)]


def appended(bursts):
    """region -> the broker's append time (LogAppendTime, s) of the burst's
    first post: read back from the topic, from t0 on, in each partition until
    2 s past the end of its produce."""
    c = Consumer({"bootstrap.servers": brokers, "group.id": "lat-scan", "enable.auto.commit": False})
    first = {}
    for i, region, t0, t1 in bursts:
        tps = [TopicPartition(topic, p, int(float(t0) * 1000)) for p in range(4)]
        c.assign(c.offsets_for_times(tps, timeout=10))
        end, done = float(t1) * 1000 + 2000, set()
        while len(done) < 4:
            msgs = c.consume(5000, timeout=2)
            if not msgs:
                break
            for m in msgs:
                if m.error():
                    continue
                ts = m.timestamp()[1]
                if ts > end:
                    done.add(m.partition())
                elif (m.key() or b"").startswith(b"now") and json.loads(m.value()).get("region") == region:
                    first[region] = min(first.get(region, ts), ts)
        c.unassign()
    c.close()
    return {r: ms / 1000.0 for r, ms in first.items()}


bursts = [l.split() for l in open(tmp + "/bursts")]
log = [json.loads(l) for l in open(tmp + "/rx.log") if l.strip()]
arrive = {}
for e in log:
    if e.get("event") == "firing" and e.get("region") and e["region"] not in arrive:
        entry_ms = int(e["webhook_id"].rsplit("_", 1)[1].split("-")[0])
        arrive[e["region"]] = (e["arrived"], entry_ms / 1000.0)
app = appended(bursts)
lat, lat_t0, to_stream, to_rx, t0_app = [], [], [], [], []
print("burst region  t0->append  append->stream  stream->webhook  append->webhook  t0->webhook (ms)")
for i, region, t0, t1 in bursts:
    t0 = float(t0)
    a = app.get(region)
    if a is not None:
        t0_app.append((a - t0) * 1000)
    if region in arrive and a is not None:
        rx, st = arrive[region]
        lat.append((rx - a) * 1000)
        lat_t0.append((rx - t0) * 1000)
        to_stream.append((st - a) * 1000)
        to_rx.append((rx - st) * 1000)
        print("%5s %-7s %10.0f %15.0f %16.0f %16.0f %12.0f" % (i, region, t0_app[-1], to_stream[-1],
                                                             to_rx[-1], lat[-1], lat_t0[-1]))
    else:
        print("%5s %-7s %s" % (i, region, "no webhook" if a is not None else "not found in the topic"))
others = sorted({e.get("region") or "none" for e in log} - {b[1] for b in bursts})

ta0, _, _ = times("alone0")
ta1, _, _ = times("alone1")
t0, ev0, run0 = times("span0")
t1, ev1, run1 = times("span1")
span = t1 - t0
alone = per_min(cmdstats("alone0"), cmdstats("alone1"), ta1 - ta0)
total = per_min(cmdstats("span0"), cmdstats("span1"), span)
# The evaluator's share: all less run's rate when alone, over the commands
# the evaluator and its delivery send; those only run's apply script sends
# (aggregate/store_redis.c) are left out, their difference being run's noise.
RUN_ONLY = {"evalsha", "hincrby", "zincrby", "pfadd", "rpush", "expireat", "type", "getrange", "llen"}
evaluator = {k: total[k] - alone.get(k, 0) for k in total if k not in RUN_ONLY}

stats = []
for line in open(tmp + "/run.err"):
    try:
        stats.append(json.loads(line))
    except ValueError:
        pass
inside = [s for s in stats if t0 * 1000 <= s["ts"] <= t1 * 1000]
if len(inside) >= 2:
    a, b = inside[0], inside[-1]
    bg = (b["posts"] - a["posts"]) / ((b["ts"] - a["ts"]) / 1000.0)
    lag = max(s["lag"] for s in inside)
    flush = sum(s["flush_ms_avg"] for s in inside) / len(inside)
else:
    bg, lag, flush = float("nan"), -1, float("nan")
produced = open(tmp + "/produce.err").read().strip().splitlines()
ev_cpu = (ev1 - ev0) / hz / span

print()
print("background: asked %d posts/s; %s" % (rate, produced[-1] if produced else "produce said nothing"))
print("run over the span: %.0f posts/s, lag at most %d, flush %.0f ms on average (%d stats lines); "
      "CPU %.0f%% of a core" % (bg, lag, flush, len(inside), (run1 - run0) / hz / span * 100))
print("webhooks: %d requests, %d firing; regions other than the bursts': %s"
      % (len(log), sum(e.get("event") == "firing" for e in log), ", ".join(others) or "none"))


def top(d, n):
    return ", ".join("%s %.0f" % (k, v) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n])


print("Redis commands a minute, all clients: %.0f (%s)" % (sum(total.values()), top(total, 6)))
print("  run alone (%.0f s before the evaluator): %.0f (%s)" % (ta1 - ta0, sum(alone.values()), top(alone, 4)))
print("  the evaluator and its delivery (all less run alone, but for run's script's own commands): %.0f (%s)"
      % (sum(evaluator.values()), top(evaluator, 6)))
print()
n = len(lat)
f = lambda xs, q: "%.0f" % rank(xs, q) if xs else "-"
print("| bursts (fired) | p50 ms | p99 ms | max ms | append->stream p50 / max | stream->webhook p50 / max "
      "| t0->webhook p50 / max | background posts/s | evaluator CPU | Redis calls/min, all / evaluator |")
print("|---|---|---|---|---|---|---|---|---|---|")
print("| %d (%d) | %s | %s | %s | %s / %s | %s / %s | %s / %s | %.0f | %.2f%% of a core (%.2f s/min) | %.0f / %.0f |"
      % (len(bursts), n, f(lat, 0.5), f(lat, 0.99), f(lat, 1), f(to_stream, 0.5), f(to_stream, 1),
         f(to_rx, 0.5), f(to_rx, 1), f(lat_t0, 0.5), f(lat_t0, 1), bg, ev_cpu * 100, ev_cpu * 60,
         sum(total.values()), sum(evaluator.values())))
print("latency: the first post's append to Kafka -> the firing webhook's arrival; span %.0f s, "
      "evaluator interval %d ms; p99 of %d is nearest-rank (the max under 100)" % (span, interval, n))
print("goal p99 < 10 s: %s" % ("met" if n == len(bursts) and rank(lat, 0.99) < 10000 else "MISSED"))
PY
