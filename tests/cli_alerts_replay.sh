#!/bin/sh
# cli_alerts_replay.sh -- `kzpulse replay FILE --alerts --alerts-out F` over a
# generated month (tests/gen_alerts_month.py: a daily rhythm, a holiday, a
# night blip, a two-account spam run and a real burst of calls in KZ-47):
# exactly one alert fires, for the real burst, in KZ-47, within 3 minutes of
# its start, and resolves; none for the decoys; a second replay writes the
# same ids.  With the shipped rules the country-wide calls rule and the
# protest topic rule in KZ-47 fire for the same burst too, and nothing else.  A rules file the store cannot evaluate, or
# with an unknown region, is refused with a clear message.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

"$PY" "$ROOT/tests/gen_alerts_month.py" month >"$tmp/month.jsonl" || { echo "FAIL: generator"; exit 1; }
rules="$ROOT/tests/data/alerts/month.rules"
for i in 1 2; do
    if kz replay --alerts --rules "$rules" --alerts-out "$tmp/alerts$i.jsonl" -d "$tmp/dead.jsonl" \
        "$tmp/month.jsonl" >"$tmp/report$i" 2>"$tmp/err$i"; then
        ok "replay --alerts ($i)"
    else
        fail "replay --alerts ($i)"; sed 's/^/    /' "$tmp/err$i" | head -5
    fi
done

# check FILE MODE: the records of one replay
check() {
    "$PY" - "$1" "$2" <<'PY'
import json, sys
path, mode = sys.argv[1:3]
recs = [json.loads(l) for l in open(path, encoding="utf-8")]
burst = 1774881000  # 2026-03-30T19:30:00+05:00 = 14:30Z
def epoch(s):
    import datetime
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp())
bad = 0
def check(name, cond, got):
    global bad
    bad += not cond
    print(("ok   " if cond else "FAIL: ") + name + ("" if cond else ": got " + repr(got)))
fir = [r for r in recs if r["state"] == "firing"]
res = [r for r in recs if r["state"] == "resolved"]
if mode == "month":
    check("one firing record", len(fir) == 1, [(r["rule"], r["first_minute"]) for r in fir])
    check("one resolved record", len(res) == 1, [(r["rule"], r["last_minute"]) for r in res])
else:
    # the burst is calls to protest: the calls in the region, the calls in
    # the country, and the protest topic in the region (by the same crowd)
    check("three firing records (calls in the region and the country, protest in the region)",
          sorted(r["rule"] for r in fir) == ["mob_call_country", "mob_call_region", "protest_region"],
          [(r["rule"], r["region"], r["first_minute"]) for r in fir])
    check("the country rule's has no region", any(r["rule"] == "mob_call_country" and r["region"] is None for r in fir), fir)
    pr = [r for r in fir if r["rule"] == "protest_region"]
    check("protest in KZ-47, by a crowd", len(pr) == 1 and pr[0]["region"] == "KZ-47" and
          pr[0]["dimension"] == "topic:protest|region:kz-47" and pr[0]["authors"] >= 25, pr)
reg = [r for r in fir if r["region"] is not None and r["kind"] == "call"]
check("one firing record of calls with a region", len(reg) == 1, reg)
for r in fir:
    t = epoch(r["first_minute"])
    check("%s fires within 3 minutes of the burst's start" % r["rule"], burst <= t <= burst + 180, r["first_minute"])
if reg:
    r = reg[0]
    check("region KZ-47", r["region"] == "KZ-47" and r["dimension"] == "mob:call|region:kz-47", r["region"])
    check("crowd: authors >= 25", r["authors"] >= 25, r["authors"])
    s = r["evidence"]["samples"]
    check("up to 10 samples, mostly from the burst", 5 <= len(s) <= 10 and
          sum(x["author"].startswith("crowd") for x in s) >= len(s) - 1, [x["author"] for x in s])
    check("top hashtags", any(m["member"] == "жаңаөзен" for m in r["evidence"]["top_hashtags"]), r["evidence"]["top_hashtags"])
    rr = [x for x in res if x["id"] == r["id"]]
    check("resolved, same id, after the burst", len(rr) == 1 and epoch(rr[0]["last_minute"]) >= burst + 15 * 60, rr)
sys.exit(1 if bad else 0)
PY
}
if check "$tmp/alerts1.jsonl" month; then ok "the month's alerts"; else fail "the month's alerts"; fi
a=$(cut -d, -f1 "$tmp/alerts1.jsonl" | tr '\n' ' ')
b=$(cut -d, -f1 "$tmp/alerts2.jsonl" | tr '\n' ' ')
if [ -n "$a" ] && [ "$a" = "$b" ]; then ok "same ids on a second replay"; else fail "ids differ: $a / $b"; fi
grep -q "2 alert records" "$tmp/err1" && ok "replay counts the records" || fail "no record count on stderr"

# The shipped rules: the region's and the country's calls and the region's
# protest topic fire for the same burst, nothing else.
if kz replay --alerts --alerts-out "$tmp/default.jsonl" -d "$tmp/dead.jsonl" "$tmp/month.jsonl" \
    >/dev/null 2>"$tmp/err3" && check "$tmp/default.jsonl" default; then
    ok "the shipped rules"
else
    fail "the shipped rules"; sed 's/^/    /' "$tmp/err3" | head -5
fi

# Hashtag surges (tests/data/alerts/tags.rules): #Жаңаөзен of the real burst
# fires in its first minute, by its crowd, and resolves; #алаңға of the
# two-account spam run does not.
if kz replay --alerts --rules "$ROOT/tests/data/alerts/tags.rules" --alerts-out "$tmp/tags.jsonl" \
    -d "$tmp/dead.jsonl" "$tmp/month.jsonl" >/dev/null 2>"$tmp/err4" &&
    "$PY" - "$tmp/tags.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [(r["rule"], r["state"], r["dimension"], r["first_minute"], r["authors"] >= 25,
        len(r["evidence"]["samples"]) == 10) for r in recs]
want = [("tag_zhanaozen", s, "hashtag:жаңаөзен", "2026-03-30T14:30:00Z", True, True)
        for s in ("firing", "resolved")]
if got != want:
    sys.exit("got %r" % got)
PY
then
    ok "hashtag surge: #Жаңаөзен fires with the burst and resolves, the spam's #алаңға does not"
else
    fail "hashtag surge rules"; sed 's/^/    /' "$tmp/err4" | head -5
fi

# A term surge: the burst's calls name wages (the topic lexicons' entry
# жалақ*), twelve people in a minute where nobody did before.
printf '[rule.term]\nkind = "term_surge"\nterm = "жалақ*"\nwindow = 5\nmin_count = 5\nmin_authors = 3\nthreshold = 1e-5\n' >"$tmp/term.rules"
if kz replay --alerts --rules "$tmp/term.rules" --alerts-out "$tmp/term.jsonl" -d "$tmp/dead.jsonl" \
    "$tmp/month.jsonl" >/dev/null 2>"$tmp/err5" &&
    [ "$(cut -c1-400 "$tmp/term.jsonl" | grep -c '"kind":"term_surge".*"first_minute":"2026-03-30T14:3[0-2]:00Z".*"dimension":"term:жалақ\*"')" = 2 ]; then
    ok "term surge: жалақ* fires with the burst and resolves"
else
    fail "term surge rule: $(head -c 300 "$tmp/term.jsonl")"; sed 's/^/    /' "$tmp/err5" | head -3
fi

# Bad input: refused, clearly, with exit 2, before any post is read.
# refused WHAT RULES_TEXT PATTERN: replay --alerts with those rules
refused() {
    local what=$1 pattern=$3
    printf "$2" >"$tmp/bad.rules"
    kz replay --alerts --rules "$tmp/bad.rules" -d "$tmp/dead.jsonl" "$tmp/month.jsonl" \
        >"$tmp/bad.out" 2>"$tmp/bad.err"
    local rc=$?
    if [ $rc -eq 2 ] && grep -q "$pattern" "$tmp/bad.err" && ! [ -s "$tmp/bad.out" ]; then
        ok "$what is refused"
    else
        fail "$what: exit $rc"; sed 's/^/    /' "$tmp/bad.err" | head -3
    fi
}
refused "a hashtag surge per region" '[rule.tags]\nkind = "hashtag_surge"\nhashtag = "митинг"\nregion = "any"\n' \
    "bad.rules:4:1: key \"region\": kind \"hashtag_surge\" has no per-region counter"
refused "a hashtag that is not one" '[rule.tags]\nkind = "hashtag_surge"\nhashtag = "two words"\n' \
    "rule tags (line 1): hashtag \"two words\" is not one hashtag"
refused "an unknown region" '[rule.x]\nkind = "call"\nregion = "KZ-99"\n' "bad.rules:3:10: .*KZ-99"
refused "an unknown topic" '[rule.p]\nkind = "topic"\ntopic = "protset"\nmin_authors = 0\n' \
    'rule p (line 1): topic "protset" is not a topic the lexicons know'

[ $fails -eq 0 ] && echo "all replay --alerts checks passed"
[ $fails -eq 0 ]
