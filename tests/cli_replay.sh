#!/bin/sh
# cli_replay.sh -- `kzpulse replay` of the bundled sample gives exactly the
# counts its generator recorded (samples/posts.manifest.json): posts, dead
# letters by reason (each one in the dead-letter file), truncations, undated
# posts (no usable ts: counted apart, in no hour and no dimension), posts per
# platform and per hour, top hashtags, and distinct authors within
# HyperLogLog error.  Also the Telegram export, compressed
# copies (gzip, zstd) and stdin, which must give the same totals.
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

kz replay --json -d "$tmp/dead.jsonl" "$ROOT/samples/posts.jsonl" >"$tmp/report.json" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then echo "FAIL: replay exit $rc"; cat "$tmp/err"; exit 1; fi

python3 - "$ROOT/samples/posts.manifest.json" "$tmp/report.json" "$tmp/dead.jsonl" <<'PY' || fails=$((fails + 1))
import base64, json, sys
man = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
bad = 0
def check(what, got, want):
    global bad
    if got == want:
        print(f"ok   {what}: {got}")
    else:
        bad += 1
        print(f"FAIL: {what}: got {got!r}, want {want!r}")

check("posts decoded", rep["posts"], man["valid_posts"])
# undated posts (the manifest's ts_fallback) are reported apart, not counted
check("posts counted in the store", rep["counted"], man["valid_posts"] - man["ts_fallback"])
check("undated", rep["undated"], man["ts_fallback"])
check("records", rep["records"], man["lines"])
for reason, n in man["malformed"].items():
    check(f"dead letters {reason}", rep["dead_letters"][reason], n)
check("dead letters total", rep["dead_letters"]["total"], man["malformed_total"])
check("truncated", rep["truncated"], man["truncated"])
check("arrival-time fallbacks", rep["ts_arrival"], man["ts_fallback"])
# the manifest's platforms include the undated posts, the store's do not
plat = rep["by_platform"]
check("by platform: at most the manifest's", all(plat.get(p, 0) <= n for p, n in man["platforms"].items()), True)
check("by platform: the manifest's less the undated", sum(man["platforms"].values()) - sum(plat.values()), man["ts_fallback"])
hours = rep["posts_per_hour"]
for h, n in man["posts_per_hour"].items():
    if hours.get(h) != n:
        check(f"hour {h}", hours.get(h), n)
extra = sum(n for h, n in hours.items() if h not in man["posts_per_hour"])
extra += sum(hours.get(h, 0) - n for h, n in man["posts_per_hour"].items() if hours.get(h, 0) > n)
check("posts outside the manifest's hours (none: undated posts are in no hour)", extra, 0)
got_tags = {t["hashtag"]: t["count"] for t in rep["top_hashtags"]}
short = 0
for t in man["top_hashtags"]:
    got = got_tags.get(t["tag"], 0)
    if got != t["posts"]:
        check(f"hashtag #{t['tag']} at most the manifest's", got <= t["posts"], True)
        short += t["posts"] - got
    else:
        print(f"ok   hashtag #{t['tag']}: {got}")
check("hashtags missing only from undated posts", short <= man["ts_fallback"], True)
da, want = rep["distinct_authors"], man["distinct_authors"]
check("distinct authors within 2%", abs(da - want) <= 0.02 * want, True)

# Every malformed line is in the dead-letter file, with its reason and its raw bytes.
per = {}
with open(sys.argv[3], "rb") as f:
    for line in f:
        d = json.loads(line)
        per[d["reason"]] = per.get(d["reason"], 0) + 1
        assert isinstance(d["position"], int) and d["source"].endswith("posts.jsonl"), d
        if d["reason"] == "bad_utf8":
            raw = base64.b64decode(d["raw_b64"])
            try:
                raw.decode("utf-8")
                check("bad_utf8 raw_b64 holds invalid bytes", False, True)
            except UnicodeDecodeError:
                pass
for reason, n in man["malformed"].items():
    check(f"dead-letter file lines {reason}", per.get(reason, 0), n)
sys.exit(1 if bad else 0)
PY

# The text report carries the same totals.
kz replay --report -d "$tmp/dead2.jsonl" "$ROOT/samples/posts.jsonl" >"$tmp/report.txt" 2>&1
want=$(python3 -c 'import json,sys; m = json.load(open(sys.argv[1])); print(format(m["valid_posts"] - m["ts_fallback"], ","))' "$ROOT/samples/posts.manifest.json")
if grep -q "counted      $want posts" "$tmp/report.txt" && grep -q "Top hashtags" "$tmp/report.txt" &&
   grep -q "^undated      8 posts without a usable time" "$tmp/report.txt" &&
   grep -q "Posts per hour" "$tmp/report.txt" && grep -q "bad_utf8" "$tmp/report.txt"; then
    echo "ok   text report"
else
    echo "FAIL: text report"; cat "$tmp/report.txt"; fails=$((fails + 1))
fi

# Compressed copies and stdin give the same counts (compression found by magic bytes, not name).
gzip -c "$ROOT/samples/posts.jsonl" >"$tmp/posts-gz.data"
# tests/run.sh installs zstd; without it the zstd case fails rather than vanish.
if command -v zstd >/dev/null; then
    zstd -q -c "$ROOT/samples/posts.jsonl" >"$tmp/posts-zst.data"
else
    echo "FAIL: no zstd binary: the zstd case cannot run (apt-get install zstd)"; fails=$((fails + 1))
fi
for f in "$tmp/posts-gz.data" "$tmp/posts-zst.data" -; do
    [ "$f" = - ] || [ -f "$f" ] || continue
    if [ "$f" = - ]; then
        kz replay --json -d "$tmp/d3.jsonl" - <"$ROOT/samples/posts.jsonl" >"$tmp/r3.json" 2>&1
    else
        kz replay --json -d "$tmp/d3.jsonl" "$f" >"$tmp/r3.json" 2>&1
    fi
    if python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if (a["posts"],a["dead_letters"],a["by_platform"])==(b["posts"],b["dead_letters"],b["by_platform"]) else 1)' "$tmp/report.json" "$tmp/r3.json"; then
        echo "ok   same counts from $f"
    else
        echo "FAIL: counts differ for $f"; head -20 "$tmp/r3.json"; fails=$((fails + 1))
    fi
done

# A Telegram Desktop export: messages counted, service messages skipped and counted.
kz replay --json -d "$tmp/d4.jsonl" "$ROOT/samples/telegram_export.json" >"$tmp/r4.json" 2>&1
python3 - "$ROOT/samples/telegram_export.json" "$tmp/r4.json" <<'PY' || fails=$((fails + 1))
import json, sys
exp = json.load(open(sys.argv[1]))
rep = json.load(open(sys.argv[2]))
msgs = [m for m in exp["messages"] if m.get("type") == "message"]
svc = [m for m in exp["messages"] if m.get("type") == "service"]
ok = rep["posts"] + rep["dead_letters"]["total"] == len(msgs) and rep["skipped_service"] == len(svc) \
     and rep["by_platform"].get("telegram") == rep["posts"] and rep["posts"] > 0
print(("ok   " if ok else "FAIL: ") + f"telegram export: {rep['posts']} posts, {rep['dead_letters']['total']} dead, "
      f"{rep['skipped_service']} service; file has {len(msgs)} messages, {len(svc)} service")
sys.exit(0 if ok else 1)
PY

# The same file twice in one run is counted once (positions make apply idempotent).
kz replay --json -d "$tmp/d5.jsonl" "$ROOT/samples/posts.jsonl" "$ROOT/samples/posts.jsonl" >"$tmp/r5.json" 2>&1
if python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a["counted"]==b["counted"] else 1)' "$tmp/report.json" "$tmp/r5.json"; then
    echo "ok   a file given twice is counted once"
else
    echo "FAIL: a file given twice was counted twice"; fails=$((fails + 1))
fi

# A missing file among good ones: the good ones are processed, exit code 2.
kz replay --json -d "$tmp/d6.jsonl" "$tmp/missing.jsonl" "$ROOT/samples/posts.jsonl" >"$tmp/r6.json" 2>"$tmp/e6"
rc=$?
if [ $rc -eq 2 ] && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["posts"]>0 else 1)' "$tmp/r6.json"; then
    echo "ok   missing file: exit 2, other files still processed"
else
    echo "FAIL: missing file: exit $rc"; cat "$tmp/e6"; fails=$((fails + 1))
fi

# A corrupt gzip stream: a clear error, exit 2, no crash.
head -c 2000 "$tmp/posts-gz.data" >"$tmp/cut.gz"
kz replay -d "$tmp/d7.jsonl" "$tmp/cut.gz" >"$tmp/r7" 2>"$tmp/e7"
rc=$?
if [ $rc -eq 2 ] && [ -s "$tmp/e7" ]; then echo "ok   truncated gzip: exit 2: $(head -1 "$tmp/e7")"; else
    echo "FAIL: truncated gzip: exit $rc"; cat "$tmp/e7"; fails=$((fails + 1)); fi

# --jobs: the records analysed on one thread or on four give the same
# reports (text and JSON) and the same dead letters in the same order (but
# for a future_ts letter's arrival time, read from the clock): the samples,
# the Telegram export and a gzip copy in one run, and the truncated gzip.
for j in 1 4; do
    kz replay --json --report --jobs $j -d "$tmp/dj$j.jsonl" "$ROOT/samples/posts.jsonl" \
        "$ROOT/samples/telegram_export.json" "$tmp/posts-gz.data" >"$tmp/rj$j" 2>"$tmp/ej$j"
    echo "exit $?" >>"$tmp/rj$j"
    sed -E 's/is -?[0-9]+ ms after arrival [^ ]+ //' "$tmp/dj$j.jsonl" >"$tmp/dj$j.norm"
    kz replay --jobs $j -d "$tmp/dc$j.jsonl" "$tmp/cut.gz" >"$tmp/rc$j" 2>&1
    echo "exit $?" >>"$tmp/rc$j"
done
sed -i "s|$tmp/dj[14].jsonl|DEAD|; s|$tmp/dc[14].jsonl|DEAD|" "$tmp/rj1" "$tmp/rj4" "$tmp/rc1" "$tmp/rc4"
if cmp -s "$tmp/rj1" "$tmp/rj4" && cmp -s "$tmp/dj1.norm" "$tmp/dj4.norm" && [ -s "$tmp/dj1.norm" ] &&
    grep -q '^exit 0' "$tmp/rj1" && cmp -s "$tmp/rc1" "$tmp/rc4" &&
    [ "$(cat "$tmp/dc1.jsonl" 2>/dev/null)" = "$(cat "$tmp/dc4.jsonl" 2>/dev/null)" ]; then
    echo "ok   --jobs 4: the same reports and dead letters as --jobs 1 ($(wc -l <"$tmp/dj1.norm") letters)"
else
    echo "FAIL: --jobs 4 differs from --jobs 1"; diff "$tmp/rj1" "$tmp/rj4" | head; diff "$tmp/dj1.norm" "$tmp/dj4.norm" | head -4
    diff "$tmp/rc1" "$tmp/rc4" | head -4; fails=$((fails + 1))
fi

# Progress: with stderr on a terminal (a pseudo-terminal from script(1)) a
# longer replay rewrites one line -- posts, MB of the file's size, MB/s, time
# left -- and erases it before the report; with stderr in a file, none.
for _ in $(seq 100); do cat "$ROOT/samples/posts.jsonl"; done >"$tmp/long.jsonl"
script -qec "\"$KZ_BIN\" replay --jobs 1 -d \"$tmp/dl.jsonl\" \"$tmp/long.jsonl\"" /dev/null >"$tmp/tty.out" 2>&1
rc=$?
esc=$(printf '\033')
if [ $rc -eq 0 ] && grep -aq "long.jsonl: [0-9,]* posts, [0-9.]* of [0-9.]* MB ([0-9]*%), [0-9.]* MB/s, [0-9:]* left${esc}\\[K" "$tmp/tty.out" &&
    grep -aq "${esc}\\[K.*kzpulse replay" "$tmp/tty.out"; then
    echo "ok   progress on a terminal: $(tr '\r' '\n' <"$tmp/tty.out" | grep -ac 'MB/s') lines, erased before the report"
else
    echo "FAIL: progress on a terminal (exit $rc):"; tr '\r' '\n' <"$tmp/tty.out" | head -5; fails=$((fails + 1))
fi
# Dead letters to the same terminal (-d -): the line is erased before each.
script -qec "\"$KZ_BIN\" replay --jobs 2 -d - \"$tmp/long.jsonl\"" /dev/null >"$tmp/tty2.out" 2>&1
python3 - "$tmp/tty2.out" <<'PY' || fails=$((fails + 1))
import sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
bad = n = 0
for line in t.split("\n"):
    k = line.find('{"reason"')
    if k < 0:
        continue
    n += 1
    if line[:k].split("\r")[-1] not in ("", "\x1b[K"):
        bad += 1
ok = n > 1000 and bad == 0 and "MB/s" in t
print(("ok   " if ok else "FAIL: ") + f"-d - on the terminal: {n} dead letters, {bad} after a progress line left standing")
sys.exit(0 if ok else 1)
PY
kz replay -d "$tmp/dl.jsonl" "$tmp/long.jsonl" >/dev/null 2>"$tmp/notty.err"
if grep -q "MB/s" "$tmp/notty.err"; then echo "FAIL: progress with stderr in a file"; fails=$((fails + 1)); else
    echo "ok   no progress when stderr is not a terminal"; fi

echo "$fails failed"
[ "$fails" -eq 0 ]
