#!/bin/sh
# cli_produce.sh -- `kzpulse produce` publishes every record of an archive to a
# real Kafka broker (started by tests/harness/with-servers.sh), malformed ones
# included, keyed by author; -X properties pass through to librdkafka; --rate
# paces the stream.  Read back with python3-confluent-kafka.
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
topic="produce-$$-$(date +%s)"

kz produce --brokers "$KZ_TEST_BROKERS" --topic "$topic" -X client.id=kz-test \
    -Xcompression.codec=lz4 "$ROOT/samples/posts.jsonl" 2>"$tmp/err"
rc=$?
cat "$tmp/err"
[ $rc -eq 0 ] || { echo "FAIL: produce exit $rc"; fails=$((fails + 1)); }

# Debian's python3 has python3-confluent-kafka (a pyenv python on PATH may not).
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
"$PY" - "$KZ_TEST_BROKERS" "$topic" "$ROOT/samples/posts.jsonl" <<'PY' || fails=$((fails + 1))
import json, sys, time
from confluent_kafka import Consumer
brokers, topic, path = sys.argv[1:4]
lines = [l.rstrip(b"\n") for l in open(path, "rb") if l.strip()]
c = Consumer({"bootstrap.servers": brokers, "group.id": "verify-" + topic,
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
got, deadline = [], time.time() + 60
while len(got) < len(lines) and time.time() < deadline:
    for m in c.consume(1000, 1.0):
        if m.error():
            continue
        got.append((m.key(), m.value(), m.partition()))
c.close()
bad = 0
def check(what, ok):
    global bad
    print(("ok   " if ok else "FAIL: ") + what)
    bad += not ok
check(f"all {len(lines)} records published ({len(got)} read back)", len(got) == len(lines))
check("values are the records byte for byte", sorted(v for _, v, _ in got) == sorted(lines))
# Keyed by author: every keyed message's key is its post's author, and one
# author's posts all sit in one partition.
by_author, keyed, wrong = {}, 0, 0
for k, v, p in got:
    if k is None:
        continue
    keyed += 1
    try:
        if json.loads(v).get("author", "").encode() != k:
            wrong += 1
    except Exception:
        wrong += 1
    by_author.setdefault(k, set()).add(p)
check(f"{keyed} messages keyed by their author", keyed > 0.9 * len(lines) and wrong == 0)
check("one partition per author", all(len(s) == 1 for s in by_author.values()))
sys.exit(1 if bad else 0)
PY

# --rate paces: 300 records at 1000/s take at least 0.25 s.
head -300 "$ROOT/samples/posts.jsonl" >"$tmp/300.jsonl"
start=$(date +%s.%N)
kz produce -b "$KZ_TEST_BROKERS" -t "$topic-rate" --rate 1000 "$tmp/300.jsonl" 2>/dev/null
end=$(date +%s.%N)
if python3 -c "import sys; sys.exit(0 if $end - $start >= 0.25 else 1)"; then echo "ok   --rate paces"; else
    echo "FAIL: --rate 1000 sent 300 records in $(python3 -c "print($end - $start)") s"; fails=$((fails + 1)); fi

# Bad usage: exit 2 with a one-line error naming the flag.
kz produce -t x "$tmp/300.jsonl" 2>"$tmp/e"; [ $? -eq 2 ] && grep -q -- "--brokers is required" "$tmp/e" ||
    { echo "FAIL: missing --brokers"; fails=$((fails + 1)); }
kz produce -b "$KZ_TEST_BROKERS" -t x -X nokey "$tmp/300.jsonl" 2>"$tmp/e"; [ $? -eq 2 ] &&
    grep -q -- "-X: expected key=value" "$tmp/e" || { echo "FAIL: -X without ="; fails=$((fails + 1)); }
kz produce -b "$KZ_TEST_BROKERS" -t x -X no.such.prop=1 "$tmp/300.jsonl" 2>"$tmp/e"; [ $? -eq 2 ] &&
    grep -q "no.such.prop" "$tmp/e" || { echo "FAIL: unknown -X property"; fails=$((fails + 1)); }
kz produce -b "$KZ_TEST_BROKERS" -t "bad topic" "$tmp/300.jsonl" 2>"$tmp/e"; [ $? -eq 2 ] &&
    grep -q -- "--topic: expected a Kafka topic name" "$tmp/e" || { echo "FAIL: bad topic"; fails=$((fails + 1)); }

echo "$fails failed"
[ "$fails" -eq 0 ]
