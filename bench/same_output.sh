#!/bin/sh
# bench/same_output.sh -- do two kzpulse builds give the same outputs?
#
#   bench/same_output.sh OLD_KZPULSE NEW_KZPULSE [CORPUS.jsonl...]
#
# Runs both binaries, one right after the other, over samples/posts.jsonl,
# samples/telegram_export.json and each CORPUS, and compares with cmp (files
# are named N-INPUT.WHAT, N counting the inputs):
#   replay.json, replay.txt    the report (--json and text) with the lexicons
#   replay-model.json          the JSON report with the three models below
#   classify, classify-model   the verdicts, without and with the models (a
#                              Telegram export is classified as its texts)
#   tokens                     `kzpulse tokens` on the posts' texts, one a line
#                              (CR and LF in a text become spaces)
#   .dead                      the dead-letter file of a replay
#   .err                       stderr (classify writes its dead letters there)
#                              and the exit code
# No model ships in the repo, so three models (stance, topics, mobilization)
# are trained from tests/data/gold.jsonl with --seed 1 by each binary; the
# model files are compared, and the old binary's models serve both sides.
#
# Before the comparison, what depends on the clock is normalized (the same
# binary run twice differs only there): "is N ms after arrival T" in future_ts
# dead letters, "in X s" in train's output, and in the replay reports the
# posts that fell back to arrival time: hours at or after the hour this script
# started are dropped (posts_per_hour keys, rows of the text chart and the
# "N days without posts" line before them), and "from"/"to" (the "counted"
# line in text) at or after it read <run time>.  Inputs must therefore hold
# no real post dated later than the start of the script; generated corpora
# are dated March 2026 or 2099.
#
# Prints "same" or "DIFFERENT (first differing line ...)" per output and exits
# 1 if any output differs (2 on bad usage).  Everything is streamed to files
# under a temporary directory ($TMPDIR), removed when all is the same and
# kept otherwise.  The 1,000,000-post corpus of bench/gen_corpus.py takes
# about 6 minutes and 3.5 GB there at most (tokens: about 1.8 KB a post, per
# side); memory stays that of one kzpulse replay.
set -u
[ $# -ge 2 ] || { echo "usage: $0 OLD_KZPULSE NEW_KZPULSE [CORPUS.jsonl...]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LEX=$ROOT/lexicons
GOLD=$ROOT/tests/data/gold.jsonl

# --- The command lines: edit here when flags change.  $KZ is the binary; the
# working directory is the side's own, so relative names match on both sides.
replay_json()  { "$KZ" replay --lexicons "$LEX" --json -d "$1.dead" "$2"; }
replay_text()  { "$KZ" replay --lexicons "$LEX" -d "$1.dead" "$2"; }
replay_model() { "$KZ" replay --lexicons "$LEX" $MODELS --json -d "$1.dead" "$2"; }
classify()     { "$KZ" classify --lexicons "$LEX" "$2"; }
classify_model() { "$KZ" classify --lexicons "$LEX" $MODELS "$2"; }
tokens()       { "$KZ" tokens "$2"; }
train()        { "$KZ" train --gold "$GOLD" --lexicons "$LEX" --seed 1 --label "$2" --out "$1.kzpm"; }
LABELS="stance topics mobilization"
# ---

abspath() { (cd "$(dirname "$1")" && echo "${PWD%/}/$(basename "$1")"); }
for b in "$1" "$2"; do [ -f "$b" ] && [ -x "$b" ] || { echo "$0: $b: not executable" >&2; exit 2; }; done
OLD=$(abspath "$1") NEW=$(abspath "$2")
shift 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/same_output.XXXXXX")
mkdir "$tmp/old" "$tmp/new"
START=$(date -u +%Y-%m-%dT%H)   # arrival hours from here on are the clock's
bad=0

# normalize FILE: drop or mask what depends on the clock (see the top comment)
NORM='
import os, re, sys
cut, path = sys.argv[1:3]                           # cut: YYYY-MM-DDTHH
day = cut[:10]
held = None                  # a "N days without posts" line waits for the next row
with open(path, "rb") as src, open(path + ".norm", "wb") as dst:
    for l in src:
        l = re.sub(rb" is -?\d+ ms after arrival \S+", b" is <n> ms after arrival <now>", l)
        l = re.sub(rb"( in )\d+(\.\d+)? s$", rb"\1<elapsed> s", l)
        m = re.match(rb"\s*\"(\d{4}-\d\d-\d\dT\d\d)\": \d+,?$", l)      # posts_per_hour
        if m and m.group(1).decode() >= cut:
            continue
        m = re.match(rb"(\s*\"(?:from|to)\": )\"([^\"]+)\"", l)
        if m and m.group(2).decode()[:13] >= cut:
            l = m.group(1) + b"<run time>" + l[m.end():]
        if l.startswith(b"counted "):
            l = re.sub(rb"\d{4}-\d\d-\d\d \d\d:\d\d(?= )", lambda t: b"<run time>"
                       if t.group(0).decode().replace(" ", "T")[:13] >= cut else t.group(0), l)
        m = re.match(rb"  (\d{4}-\d\d-\d\d) \|", l)                       # chart row
        if m and m.group(1).decode() >= day:
            held = None
            continue
        if held:
            dst.write(held)
            held = None
        if re.match(rb"\s+\d+ days? without posts$", l):
            held = l
            continue
        dst.write(l)
    if held:
        dst.write(held)
os.replace(path + ".norm", path)
'
normalize() { python3 -c "$NORM" "$START" "$1"; }

# texts INPUT OUT: the text of each post, one a line (JSON lines or a Telegram export)
TEXTS='
import json, sys
def text(t):                       # a Telegram text is a string or a list of parts
    return t if isinstance(t, str) else "".join(p if isinstance(p, str) else p.get("text", "") for p in t)
src, dst = open(sys.argv[1], "rb"), open(sys.argv[2], "wb")
first = src.readline()
if first.strip() == b"{":          # a pretty-printed export, not JSON lines
    src.seek(0)
    posts = [m for m in json.load(src).get("messages", []) if m.get("type") == "message"]
else:
    src.seek(0)
    def gen():
        for l in src:
            try:
                yield json.loads(l.decode("utf-8", "surrogateescape"))
            except ValueError:
                pass
    posts = gen()
for p in posts:
    if isinstance(p, dict) and isinstance(p.get("text"), (str, list)):
        t = text(p["text"]).replace("\r", " ").replace("\n", " ")
        dst.write(t.encode("utf-8", "surrogateescape") + b"\n")
'

# SHOW OLD NEW LINE: the two lines around their first differing byte
SHOW='
import itertools, sys
a, b = (next(itertools.islice(open(f, "rb"), int(sys.argv[3]) - 1, None), b"") for f in sys.argv[1:3])
c = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
for side, l in (("old", a), ("new", b)):
    print("      %s, byte %d of the line: ...%s..." % (side, c + 1, l[max(0, c - 60):c + 60].decode("utf-8", "replace").rstrip("\n")))
'

# compare FILE...: cmp each FILE of the old side with the new side's
compare() {
    for f in "$@"; do
        o=$tmp/old/$f n=$tmp/new/$f
        [ -e "$o" ] || [ -e "$n" ] || continue
        for x in "$o" "$n"; do [ -e "$x" ] || : >"$x"; done
        case $f in *.dead|*.err|*.json|*.txt|*.train) normalize "$o"; normalize "$n";; esac
        if r=$(cmp "$o" "$n" 2>&1); then
            printf '  %-40s same\n' "$f"
        else
            case $r in
            *"EOF on $o"*) printf '  %-40s DIFFERENT (the old output is shorter)\n' "$f";;
            *"EOF on $n"*) printf '  %-40s DIFFERENT (the new output is shorter)\n' "$f";;
            *)  line=$(echo "$r" | sed -n 's/.*line \([0-9]*\).*/\1/p')
                printf '  %-40s DIFFERENT (first differing line %s)\n' "$f" "$line"
                python3 -c "$SHOW" "$o" "$n" "$line";;
            esac
            bad=$((bad + 1))
        fi
    done
}

# check CMD NAME INPUT: CMD with both binaries (stdout to NAME, stderr and the
# exit code to NAME.err, dead letters to NAME.dead), then compare
check() {
    printf '%s: ' "$2"
    for side in old new; do
        if [ $side = old ]; then KZ=$OLD; else KZ=$NEW; fi
        t0=$(date +%s)
        (cd "$tmp/$side" && "$1" "$2" "$3" >"$2" 2>"$2.err"; echo "exit $?" >>"$2.err")
        printf '%s %ss  ' "$side" $(($(date +%s) - t0))
    done
    echo
    was=$bad
    compare "$2" "$2.err" "$2.dead" "$2.kzpm"
    # the big outputs are kept only when they differ
    [ $bad = "$was" ] && rm -f "$tmp/old/$2" "$tmp/new/$2"
}

echo "old: $OLD"
echo "new: $NEW"
echo "tmp: $tmp"
echo "== models trained from $GOLD"
MODELS=
for label in $LABELS; do
    check train "train-$label.train" "$label"
    MODELS="$MODELS -m ../old/train-$label.train.kzpm"    # relative: the same on both sides
done

i=0
for input in "$ROOT/samples/posts.jsonl" "$ROOT/samples/telegram_export.json" "$@"; do
    i=$((i + 1))
    [ -r "$input" ] || { echo "$0: $input: cannot read" >&2; bad=$((bad + 1)); continue; }
    in=$(abspath "$input")
    b=$i-$(basename "$in"); b=${b%.*}
    texts=$tmp/$b.texts
    echo "== $in"
    python3 -c "$TEXTS" "$in" "$texts" || bad=$((bad + 1))
    echo "  $(wc -l <"$texts") texts for tokens"
    # a Telegram export (one pretty-printed document) is classified as its texts
    if [ "$(head -n 1 "$in")" = "{" ]; then cin=$texts; else cin=$in; fi
    check replay_json    "$b.replay.json"       "$in"
    check replay_text    "$b.replay.txt"        "$in"
    check replay_model   "$b.replay-model.json" "$in"
    check classify       "$b.classify"          "$cin"
    check classify_model "$b.classify-model"    "$cin"
    check tokens         "$b.tokens"            "$texts"
    rm -f "$texts"
done
if [ $bad = 0 ]; then
    rm -rf "$tmp"
    echo "ALL SAME"
    exit 0
fi
echo "$bad OUTPUT(S) DIFFERENT (files under $tmp)"
exit 1
