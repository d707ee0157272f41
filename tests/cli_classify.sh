#!/bin/sh
# cli_classify.sh -- `kzpulse classify`, `lexicon lint` and `eval` on the
# committed lexicons: verdicts are one valid JSON object per line whose
# evidence spans point at the matched text; the lexicons lint clean; a broken
# lexicon is reported as file:line with exit 2; and macro-F1 on the gold set
# matches tests/data/gold-baseline.json within one verdict for every task.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# -- lint ---------------------------------------------------------------------
if kz lexicon lint "$ROOT/lexicons" >"$tmp/lint.out" 2>&1; then
    echo "ok   lexicon lint on lexicons/: $(cat "$tmp/lint.out")"
else
    echo "FAIL: lexicon lint on lexicons/:"; cat "$tmp/lint.out"; fails=$((fails + 1))
fi
mkdir "$tmp/bad"
printf 'topic/protest\tмитинг\t0.9\tru\t\ntopic/protest\tМитинг\t0.5\tru\t\ntopic/x\ty\t2\tru\t\n' \
    >"$tmp/bad/a.tsv"
kz lexicon lint "$tmp/bad" >/dev/null 2>"$tmp/lint.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "a.tsv:2: duplicate" "$tmp/lint.err" &&
   grep -q "a.tsv:3: weight" "$tmp/lint.err"; then
    echo "ok   lint of a broken lexicon: exit 2 with file:line"
else
    echo "FAIL: lint of a broken lexicon: exit $rc"; cat "$tmp/lint.err"; fails=$((fails + 1))
fi

# -- classify -----------------------------------------------------------------
cat >"$tmp/in.txt" <<'IN'
Выходим завтра в 12:00 к акимату Жанаозена! #митинг
{"id": "tg:1", "text": "Слава Украине! 🇺🇦 Нет войне.", "lang": "ru"}
Ертең сағат 12-де алаңға жиналамыз!
Вчера прошёл митинг у акимата.
{"id": "tg:2", "text": "Завтра в 18:00 футбол, приходите @user_kz https://t.me/x/1"}
IN
kz classify --lexicons "$ROOT/lexicons" "$tmp/in.txt" >"$tmp/out.jsonl" 2>"$tmp/err"
rc=$?
if [ $rc -ne 0 ]; then echo "FAIL: classify exit $rc"; cat "$tmp/err"; exit 1; fi
python3 - "$tmp/in.txt" "$tmp/out.jsonl" <<'PY' || fails=$((fails + 1))
import json, sys
texts = []
for l in open(sys.argv[1], encoding="utf-8"):
    l = l.rstrip("\n")
    texts.append(json.loads(l)["text"] if l.startswith("{") else l)
outs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
bad = 0
def check(what, cond):
    global bad
    print(("ok   " if cond else "FAIL: ") + what)
    bad += not cond
check(f"{len(outs)} verdicts for {len(texts)} lines", len(outs) == len(texts))
keys = ["id", "lang", "script", "topics", "stance", "mobilization", "region", "city", "hashtags",
        "mentions", "urls", "cashtags", "evidence"]
for t, v in zip(texts, outs):
    b = t.encode("utf-8")
    check(f"keys of the verdict for {t[:30]!r}", list(v) == keys)
    for e in v["evidence"]:
        span = b[e["start"]:e["end"]].decode("utf-8")
        if span != e["match"]:
            check(f"evidence span {e} points at {span!r}", False)
    check(f"evidence of {t[:30]!r} ({len(v['evidence'])} items) spans match", True)
check("tg:1 id and stance", outs[1]["id"] == "tg:1" and outs[1]["stance"]["war"] == "pro_ukraine")
check("line 1 calls to action", outs[0]["mobilization"]["call_to_action"] is True)
check("line 1 when/where", outs[0]["mobilization"]["when"] is not None and
      outs[0]["mobilization"]["where"] is not None)
check("line 1 region and city", outs[0]["region"] == "KZ-47" and outs[0]["city"] == "zhanaozen")
check("line 1 hashtag", outs[0]["hashtags"] == ["митинг"])
check("line 1 protest topic", "protest" in [t["name"] for t in outs[0]["topics"]])
check("line 3 calls to action", outs[2]["mobilization"]["call_to_action"] is True)
check("line 4 (past) does not", outs[3]["mobilization"]["call_to_action"] is False)
check("line 5 (football) does not", outs[4]["mobilization"]["call_to_action"] is False)
check("line 5 mentions and urls", outs[4]["mentions"] == ["user_kz"] and
      outs[4]["urls"] == ["https://t.me/x/1"] and outs[4]["cashtags"] == [])
sys.exit(1 if bad else 0)
PY

# plain text on stdin, default lexicon directory (./lexicons)
out=$(cd "$ROOT" && echo "Нет войне" | kz classify)
case "$out" in
    *'"pro_ukraine"'*) echo "ok   stdin with ./lexicons" ;;
    *) echo "FAIL: stdin with ./lexicons: $out"; fails=$((fails + 1)) ;;
esac

# when and where of a call, as the analyst reads them
out=$(cd "$ROOT" && printf '%s\n' "Кешкі сағат 7-де әкімдік алдына жиналамыз, келіңіздер!" \
    "Сегодня вечером в 7 все к акимату, хватит терпеть!" \
    "Ертең сағат 19:00-де консульство алдында пикет, келіңіздер!" \
    "Збираємось завтра о 18:00 біля посольства, приєднуйтесь!" | kz classify)
for want in '"when":"Кешкі сағат 7-де","where":"әкімдік алдына"' \
            '"when":"Сегодня вечером в 7","where":"акимату"' \
            '"when":"Ертең сағат 19:00-де","where":"консульство алдында"' \
            '"when":"завтра о 18:00","where":"біля посольства"'; do
    case "$out" in
        *"$want"*) echo "ok   $want" ;;
        *) echo "FAIL: want $want in: $out"; fails=$((fails + 1)) ;;
    esac
done

# -- topic cases: false friends of short stems, everyday topic vocabulary, stance rules
python3 - "$KZ_BIN" "$ROOT/lexicons" "$ROOT/tests/data/topic-cases.tsv" <<'PY' || fails=$((fails + 1))
import json, os, shlex, subprocess, sys
kz, lex, cases = sys.argv[1:4]
rows = [l.rstrip("\n").split("\t") for l in open(cases, encoding="utf-8")
        if l.strip() and not l.startswith("#")]
cmd = shlex.split(os.environ.get("KZ_WRAP", "")) + [kz, "classify", "--lexicons", lex, "-"]
out = subprocess.run(cmd, input="\n".join(r[2] for r in rows) + "\n", capture_output=True,
                     text=True, check=True).stdout.splitlines()
bad = 0 if len(out) == len(rows) else 1
for (exp, topic, text), line in zip(rows, out):
    v = json.loads(line)
    if topic.startswith("stance:"):  # "+ stance:pro_ukraine": the war stance given
        got = v["stance"]["war"]
        if (got == topic[7:]) != (exp == "+"):
            print(f"FAIL: {exp}{topic} {text!r}: stance {got}")
            bad += 1
        continue
    got = [t["name"] for t in v["topics"]]
    if (topic in got) != (exp == "+"):
        print(f"FAIL: {exp}{topic} {text!r}: topics {got}")
        bad += 1
print(("ok   " if not bad else "FAIL: ") + f"{len(rows) - bad} of {len(rows)} topic cases")
sys.exit(1 if bad else 0)
PY

# -- eval against the recorded baseline ---------------------------------------
kz eval --gold "$ROOT/tests/data/gold.jsonl" --lexicons "$ROOT/lexicons" >"$tmp/eval.txt" 2>&1 ||
    { echo "FAIL: eval (text)"; cat "$tmp/eval.txt"; fails=$((fails + 1)); }
grep "macro-F1" "$tmp/eval.txt"
kz eval --json --gold "$ROOT/tests/data/gold.jsonl" --lexicons "$ROOT/lexicons" >"$tmp/eval.json" ||
    { echo "FAIL: eval --json"; fails=$((fails + 1)); }
python3 - "$tmp/eval.json" "$ROOT/tests/data/gold-baseline.json" <<'PY' || fails=$((fails + 1))
# Per task, the decisions summed over labels (true positives, false positives,
# false negatives) may move by at most one verdict either way: a worse count is
# a regression, a better one a change the baseline must record, in a commit
# that says why.
import json, sys
got = json.load(open(sys.argv[1]))
base = json.load(open(sys.argv[2]))
bad = 0
for task in ("stance", "topics", "mobilization"):
    labels = got[task]["labels"].values()
    g = {k: sum(l[k] for l in labels) for k in ("tp", "fp", "fn")}
    b = base[task]
    off = [k for k in ("tp", "fp", "fn") if abs(g[k] - b[k]) > 1]
    print(("ok   " if not off else "FAIL: ") + f"{task}: tp {g['tp']} fp {g['fp']} fn {g['fn']} "
          f"(baseline {b['tp']} {b['fp']} {b['fn']}), macro-F1 {got[task]['macro_f1']:.4f} "
          f"(baseline {b['macro_f1']:.4f})")
    if off:
        print(f"      {', '.join(off)} moved by more than one verdict; if the change is meant, "
              "update tests/data/gold-baseline.json and say why in the commit")
    bad += bool(off)
sys.exit(1 if bad else 0)
PY

# -- --jobs: the same verdicts, in the same order, and the same dead letters --
# The sample archive (posts and malformed records), plain-text lines of the
# gold set, and the Telegram export, through one thread and through four.
{ head -n 800 "$ROOT/samples/posts.jsonl"; sed -n 's/.*"text": *"\([^"]*\)".*/\1/p' \
    "$ROOT/tests/data/gold.jsonl" | head -n 300; tail -n 800 "$ROOT/samples/posts.jsonl"; } \
    >"$tmp/mixed.txt"
for j in 1 4; do
    for f in "$tmp/mixed.txt" "$ROOT/samples/telegram_export.json"; do
        kz classify --jobs $j -d "$tmp/dead$j.jsonl" "$f" >>"$tmp/v$j.jsonl" 2>>"$tmp/e$j"
        echo "exit $?" >>"$tmp/v$j.jsonl"
        sed -E 's/is -?[0-9]+ ms after arrival [^ ]+ //' "$tmp/dead$j.jsonl" >>"$tmp/d$j"
    done
done
if cmp -s "$tmp/v1.jsonl" "$tmp/v4.jsonl" && cmp -s "$tmp/d1" "$tmp/d4" && [ -s "$tmp/d1" ] &&
    [ "$(grep -c '"id":null' "$tmp/v1.jsonl")" -ge 250 ] && ! grep -q '^exit [^0]' "$tmp/v1.jsonl"; then
    echo "ok   classify --jobs 4: the same $(grep -c '^{' "$tmp/v1.jsonl") verdicts and $(wc -l <"$tmp/d1") dead letters as --jobs 1"
else
    echo "FAIL: classify --jobs 4 differs from --jobs 1"; diff "$tmp/v1.jsonl" "$tmp/v4.jsonl" | head -4
    diff "$tmp/d1" "$tmp/d4" | head -4; cat "$tmp/e1" "$tmp/e4" | head -4; fails=$((fails + 1))
fi

[ $fails -eq 0 ] || { echo "$fails check group(s) failed"; exit 1; }
echo "all classify checks passed"
