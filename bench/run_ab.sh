#!/bin/bash
# bench/run_ab.sh -- `kzpulse run` throughput of two builds, side by side.
#
#   bench/run_ab.sh OLD_BUILD NEW_BUILD [POSTS] [PAIRS]   (defaults: 300000, 3)
#
# Starts its own servers (tests/harness/with-servers.sh), generates POSTS posts
# (bench/gen_corpus.py, seed 1, the same mix as bench/stream.sh), produces them
# once to a 4-partition topic, then runs `kzpulse run --until-eof` (full
# analysis with the lexicons, one process) PAIRS times for each build,
# alternating old and new, each run in a fresh consumer group and an emptied
# Redis database.  Prints every run's wall time and posts/s, the median of
# each build and the ratio new/old of the medians.  Interleaving keeps a
# shared, noisy machine's drift out of the ratio.
# Env: FLAGS adds flags to both builds' `run` (e.g. FLAGS="--flush-ms 250");
#      NEW_FLAGS adds flags to the new build's only; OLD_LEX and NEW_LEX name
#      each build's lexicon directory (default lexicons/ of this tree; an old
#      build may not read a newer lexicon format); STEADY=1 also prints each
#      run's steady rate: the median posts/s of its one-second stats lines
#      with a backlog left (lag > 0), the first busy second (a partial one) left
#      out -- what a stream sees once the job has joined and before the topic
#      runs dry, without the start-up and the tail a short run is full of;
#      SPAN_S=N rewrites the posts' times into the last N seconds, in order
#      (1800: a busy live stream, every minute full; the generator spreads
#      them over weeks, which keeps almost every post as a sample).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${KZ_TEST_BROKERS:-}" ]; then
    exec "$ROOT/tests/harness/with-servers.sh" "$0" "$@"
fi
[ $# -ge 2 ] || {
    echo "usage: bench/run_ab.sh OLD_BUILD NEW_BUILD [POSTS] [PAIRS]" >&2
    exit 2
}
bin() { if [ -x "$1/cli/kzpulse" ]; then echo "$1/cli/kzpulse"; else echo "$1/kzpulse"; fi; }
OLD=$(bin "$1")
NEW=$(bin "$2")
N=${3:-300000}
PAIRS=${4:-3}
PY=/usr/bin/python3
B=$KZ_TEST_BROKERS
R=$KZ_TEST_REDIS_PORT
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
st=$$
now() { date +%s.%N; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ { print $2 }') GiB"
"$PY" "$ROOT/bench/gen_corpus.py" --seed 1 --count "$N" --malformed-rate 0.0072 --edge-cases off \
    --out "$tmp/c.jsonl" >/dev/null 2>&1
if [ -n "${SPAN_S:-}" ]; then
    "$PY" - "$tmp/c.jsonl" "$SPAN_S" <<'PY'
import json, sys, time
path, span = sys.argv[1], int(sys.argv[2])
lines = open(path, "rb").read().split(b"\n")
n, end = max(1, len(lines)), int(time.time() * 1000)
out = []
for i, l in enumerate(lines):
    try:
        d = json.loads(l)
    except ValueError:
        out.append(l)
        continue
    future = isinstance(d, dict) and isinstance(d.get("ts"), int) and d["ts"] > end + 86400000
    if isinstance(d, dict) and "ts" in d and not future:  # future_ts letters stay letters
        d["ts"] = end - span * 1000 + span * 1000 * i // n
        try:
            l = json.dumps(d, ensure_ascii=False).encode()
        except UnicodeEncodeError:  # a lone surrogate escape: keep it escaped
            l = json.dumps(d).encode()
    out.append(l)
open(path, "wb").write(b"\n".join(out))
PY
fi
"$PY" - "$B" "ab-$st" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, NewTopic
a = AdminClient({"bootstrap.servers": sys.argv[1]})
a.create_topics([NewTopic(sys.argv[2], 4, 1)])[sys.argv[2]].result(30)
PY
"$OLD" produce -b "$B" -t "ab-$st" "$tmp/c.jsonl" 2>/dev/null

IV=0
[ -n "${STEADY:-}" ] && IV=1
# one BUILD_BIN NAME I [FLAGS...]: one run; prints its wall seconds
one() {
    local k=$1 name=$2 i=$3 lex=$4
    shift 4
    redis-cli -p "$R" -n 5 flushdb >/dev/null
    local t0 t1
    t0=$(now)
    "$k" run --brokers "$B" --topic "ab-$st" --group "ab-$name-$i" \
        --redis "redis://127.0.0.1:$R/5" --lexicons "$lex" --until-eof \
        --stats-interval "$IV" ${STEADY:+--stats-json} ${FLAGS:-} "$@" \
        2>"$tmp/$name-$i.log" || {
        echo "run_ab.sh: $name run $i failed:" >&2
        tail -5 "$tmp/$name-$i.log" >&2
        exit 1
    }
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}
# steady NAME I: the median posts/s of the run's busy, backlogged seconds
steady() {
    "$PY" - "$tmp/$1-$2.log" <<'PY'
import json, sys
rates = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if isinstance(o, dict) and o.get("lag", 0) > 0 and o.get("posts_per_s", 0) > 0:
        rates.append(o["posts_per_s"])
rates = sorted(rates[1:])
print("%.0f" % rates[len(rates) // 2] if rates else "n/a")
PY
}
old_t=()
new_t=()
old_s=()
new_s=()
for i in $(seq 1 "$PAIRS"); do
    o=$(one "$OLD" old "$i" "${OLD_LEX:-$ROOT/lexicons}")
    n=$(one "$NEW" new "$i" "${NEW_LEX:-$ROOT/lexicons}" ${NEW_FLAGS:-})
    old_t+=("$o")
    new_t+=("$n")
    echo "pair $i: old $o s ($(awk -v n="$N" -v w="$o" 'BEGIN { printf "%.0f", n / w }') posts/s), new $n s ($(awk -v n="$N" -v w="$n" 'BEGIN { printf "%.0f", n / w }') posts/s)"
    if [ -n "${STEADY:-}" ]; then
        so=$(steady old "$i") sn=$(steady new "$i")
        old_s+=("$so")
        new_s+=("$sn")
        echo "        steady: old $so posts/s, new $sn posts/s"
    fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mo=$(median "${old_t[@]}")
mn=$(median "${new_t[@]}")
echo "median: old $mo s = $(awk -v n="$N" -v w="$mo" 'BEGIN { printf "%.0f", n / w }') posts/s; new $mn s = $(awk -v n="$N" -v w="$mn" 'BEGIN { printf "%.0f", n / w }') posts/s"
echo "ratio new/old posts/s: $(awk -v a="$mo" -v b="$mn" 'BEGIN { printf "%.3f", a / b }')"
if [ -n "${STEADY:-}" ]; then
    echo "steady median: old $(median "${old_s[@]}") posts/s; new $(median "${new_s[@]}") posts/s"
fi
