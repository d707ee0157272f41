#!/bin/bash
# cli_posts.sh -- the posts behind a count, from archives: `kzpulse query posts
# DIM FILE` lists the calls to action of posts written for the test (Kazakh,
# Russian, mixed; newest first; text and JSON, the JSON in plain UTF-8), caps
# snippets at 280 characters and a minute at 20 posts per dimension, refuses
# a dimension that keeps no posts, and the replay report lists the calls.
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
LEX="$ROOT/lexicons"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# Three calls to action (one without a region), a report of a meeting and an
# everyday invitation: only the three are calls.
cat >"$tmp/calls.jsonl" <<'EOF'
{"id":"tg:zhanaozen_live/101","platform":"telegram","author":"aigerim_m","ts":"2026-03-05T09:00:10Z","region":"mangystau","text":"Мұнайшылардың талабы орындалмаса, ертең сағат 11:00-де алаңға шығамыз! #Жаңаөзен"}
{"id":"vk:-5550_202","platform":"vk","author":"daniyar_k","ts":"2026-03-05T09:20:00Z","region":"almaty","text":"Все, кому не всё равно: завтра в 12:00 выходим на площадь у акимата. Мирно, без провокаций."}
{"id":"x:1895000000000000303","platform":"x","author":"sanzhar_88","ts":"2026-03-05T10:05:00Z","text":"Бүгін кешкі сағат 7-де Абай даңғылында жиналамыз, бәріміз келейік!"}
{"id":"tg:news_kz/404","platform":"telegram","author":"news_kz","ts":"2026-03-05T10:30:00Z","region":"astana","text":"Вчера в Астане прошла встреча министра с фермерами, обсуждали цены на удобрения."}
{"id":"fb:777_505","platform":"facebook","author":"gulnar_a","ts":"2026-03-05T11:00:00Z","region":"shymkent","text":"Сенбіде достармен футбол ойнаймыз, кім келеді?"}
not json at all
EOF

# Text: newest first, the three calls and nothing else.
kz query posts mob:call --limit 0 --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
ids=$(grep -v '^ ' "$tmp/out" | grep -v '^shown' | cut -f2 | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$ids" = "x:1895000000000000303 vk:-5550_202 tg:zhanaozen_live/101 " ]; then
    ok "query posts mob:call lists the three calls, newest first"
else
    bad "query posts mob:call (exit $rc): ids \"$ids\"; $(cat "$tmp/err")"
fi
grep -q $'^shown\t3 of 3 sample posts' "$tmp/out" && ok "the count line" || bad "count line: $(tail -1 "$tmp/out")"
grep -q '^  Мұнайшылардың талабы орындалмаса, ертең сағат 11:00-де алаңға шығамыз! #Жаңаөзен$' "$tmp/out" &&
    ok "the snippet, as written" || bad "snippet: $(cat "$tmp/out")"
grep -q '^  evidence: .*cue/call_to_action .*"алаңға шығамыз"' "$tmp/out" &&
    ok "the evidence that fired" || bad "evidence: $(cat "$tmp/out")"
grep -q $'^2026-03-05T15:05:00+05:00\tx:1895000000000000303\tsanzhar_88\tx\t' "$tmp/out" &&
    ok "the header: time, id, author, platform, region" || bad "header: $(head -1 "$tmp/out")"
grep -q "1 records could not be decoded" "$tmp/err" && ok "the malformed line is reported" ||
    bad "dead letter not reported: $(cat "$tmp/err")"

# --limit: the newest one.
kz query posts mob:call --limit 1 --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out" 2>/dev/null
[ "$(grep -c '^2026' "$tmp/out")" = 1 ] && grep -q $'^shown\t1 of 3' "$tmp/out" &&
    grep -q 'x:1895000000000000303' "$tmp/out" && ok "--limit 1: the newest of 3" || bad "--limit 1: $(cat "$tmp/out")"

# JSON: UTF-8 as it is (no \u escapes), the fields and the evidence.
kz query posts mob:call --limit 0 --json --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out.json" 2>/dev/null
if grep -q '\\u04' "$tmp/out.json"; then bad "JSON escapes Cyrillic"; else ok "JSON keeps Cyrillic as UTF-8"; fi
python3 - "$tmp/out.json" <<'PY' || fails=$((fails + 1))
import json, sys
o = json.load(open(sys.argv[1]))
ids = [p["id"] for p in o["posts"]]
want = ["x:1895000000000000303", "vk:-5550_202", "tg:zhanaozen_live/101"]
ok = (o["query"] == "posts" and o["arg"] == "mob:call" and ids == want and o["shown"] == 3
      and o["total"] == 3)
p = o["posts"][2]
ok = ok and p["time"] == "2026-03-05T14:00:10+05:00" and p["author"] == "aigerim_m" and p["platform"] == "telegram"
ok = ok and p["region"] == "KZ-47" and p["snippet"].startswith("Мұнайшылардың талабы")
ok = ok and {"category": "cue/call_to_action", "rule": '"алаңға шығамыз"', "match": "алаңға шығамыз"} in p["evidence"]
print("ok   JSON posts: ids, fields, evidence" if ok else f"FAIL: JSON posts: {json.dumps(o, ensure_ascii=False)[:600]}")
sys.exit(0 if ok else 1)
PY

# Regions are sampled too; a post without a region is in none of them.
kz query posts region:KZ-47 --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out" 2>/dev/null
grep -q 'tg:zhanaozen_live/101' "$tmp/out" && ok "query posts region:KZ-47" || bad "region: $(cat "$tmp/out")"

# region:unknown is counted but keeps no samples (a third of posts name no place).
kz query posts region:unknown --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'keeps no sample posts' "$tmp/err" && ok "region:unknown keeps no samples (exit 2)" ||
    bad "region:unknown: exit $rc: $(cat "$tmp/out" "$tmp/err")"

# A war post: its stance sample shows why it counted, without the model cues
# (cue/target_russia fires on it: classify lists it, the sample does not).
cat >"$tmp/war.jsonl" <<'EOF'
{"id":"tg:war_kz/1","platform":"telegram","author":"marat_s","ts":"2026-03-05T12:00:00Z","region":"astana","text":"Российская армия снова обстреляла Харьков, погибли мирные жители. Нет войне!"}
EOF
kz classify --lexicons "$LEX" "$tmp/war.jsonl" 2>/dev/null | grep -q '"cue/target_russia"' &&
    kz query posts stance:pro_ukraine --lexicons "$LEX" "$tmp/war.jsonl" >"$tmp/out" 2>/dev/null &&
    grep -q '^  evidence: .*stance/pro_ukraine "нет войне" "Нет войне"' "$tmp/out" &&
    ! grep -q 'cue/target' "$tmp/out" && ok "a stance sample: its evidence, without the model cues" ||
    bad "stance sample: $(cat "$tmp/out")"

# A dimension that keeps no posts: refused, naming those that do.
kz query posts 'topic:protest|region:KZ-47' --lexicons "$LEX" "$tmp/calls.jsonl" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'keeps no sample posts; expected topic:<t>, stance:<s>, mob:call or region:<r>' "$tmp/err" &&
    ok "a cross is refused (exit 2)" || bad "cross: exit $rc: $(cat "$tmp/err")"
kz query posts lang:kk --lexicons "$LEX" "$tmp/calls.jsonl" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && ok "lang:kk is refused (exit 2)" || bad "lang:kk: $(cat "$tmp/err")"

# 25 calls in one minute: 20 kept.  A 2,000-character Russian call: its
# snippet is 280 characters, the last an ellipsis.
python3 - "$tmp/many.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(25):
        f.write(json.dumps({"id": f"tg:aktau/{i}", "platform": "telegram", "author": f"user{i}",
                            "ts": f"2026-03-06T08:15:{i:02d}Z", "region": "mangystau",
                            "text": f"Ертең сағат {10 + i % 8}:00-де алаңға шығамыз! Бәріміз келейік."},
                           ensure_ascii=False) + "\n")
    long = "Завтра в 12:00 выходим на площадь у акимата. " + "Мы требуем справедливых зарплат и честных выборов. " * 40
    f.write(json.dumps({"id": "tg:long/1", "platform": "telegram", "author": "long_writer",
                        "ts": "2026-03-06T09:00:00Z", "region": "almaty", "text": long},
                       ensure_ascii=False) + "\n")
PY
kz query posts mob:call --limit 0 --json --lexicons "$LEX" "$tmp/many.jsonl" >"$tmp/many.json" 2>"$tmp/err"
python3 - "$tmp/many.json" <<'PY' || fails=$((fails + 1))
import json, sys
o = json.load(open(sys.argv[1]))
minute = [p for p in o["posts"] if p["time"].startswith("2026-03-06T13:15")]
ids = sorted(int(p["id"].split("/")[1]) for p in minute)
long = [p for p in o["posts"] if p["id"] == "tg:long/1"]
ok = ids == list(range(20))
print("ok   20 of 25 calls in a minute kept, the first 20" if ok else f"FAIL: kept {ids}")
s = long[0]["snippet"] if long else ""
ok2 = len(s) == 280 and s.endswith("…") and s.startswith("Завтра в 12:00 выходим")
print("ok   a long post's snippet: 280 characters, ending in …" if ok2 else f"FAIL: snippet of {len(s)}: {s!r}")
sys.exit(0 if ok and ok2 else 1)
PY

# The replay report lists the calls (text and JSON).
kz replay --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/calls.jsonl" >"$tmp/report.txt" 2>/dev/null
grep -q '^Calls to action (newest 3 of 3 sample posts kept' "$tmp/report.txt" &&
    grep -q $'^  2026-03-05T14:20:00+05:00\tvk:-5550_202' "$tmp/report.txt" &&
    ok "the replay report lists the calls to action" || bad "report: $(sed -n '/Calls/,$p' "$tmp/report.txt")"
kz replay --json --top 2 --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/calls.jsonl" >"$tmp/report.json" 2>/dev/null
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
c = r["calls_to_action"]
ok = r["calls_to_action_kept"] == 3 and [p["id"] for p in c] == ["x:1895000000000000303", "vk:-5550_202"]
print("ok   JSON report: calls_to_action (--top 2 of 3)" if ok else "FAIL: JSON report: %r" % (c,))
sys.exit(0 if ok else 1)' "$tmp/report.json" || fails=$((fails + 1))
grep -v -e zhanaozen_live -e vk:-5550 -e x:1895 "$tmp/calls.jsonl" >"$tmp/quiet.jsonl"
kz replay --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/quiet.jsonl" >"$tmp/report.txt" 2>/dev/null
grep -q '^Calls to action: none' "$tmp/report.txt" && ok "no calls in the archive: said so" ||
    bad "no calls: $(sed -n '/Calls/,$p' "$tmp/report.txt")"

# --no-samples: the same counts, no posts kept; the report says why it lists
# no calls (text) and "samples": false (JSON).
kz replay --json --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/calls.jsonl" >"$tmp/on.json" 2>/dev/null
kz replay --json --no-samples --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/calls.jsonl" \
    >"$tmp/off.json" 2>/dev/null
python3 -c '
import json, sys
on, off = (json.load(open(f)) for f in sys.argv[1:3])
calls = on.pop("calls_to_action"), on.pop("calls_to_action_kept")
got = off.pop("calls_to_action"), off.pop("calls_to_action_kept"), off.pop("samples", None)
ok = on == off and got == ([], 0, False) and calls[1] == 3
print("ok   replay --no-samples: the same counts, no calls kept, samples false" if ok
      else "FAIL: --no-samples: %r" % (got,))
sys.exit(0 if ok else 1)' "$tmp/on.json" "$tmp/off.json" || fails=$((fails + 1))
kz replay --no-samples --lexicons "$LEX" -d "$tmp/dead.jsonl" "$tmp/calls.jsonl" >"$tmp/report.txt" 2>/dev/null
grep -q '^Calls to action: not listed (--no-samples)' "$tmp/report.txt" &&
    ok "--no-samples: the text report says why no calls are listed" ||
    bad "--no-samples text: $(sed -n '/Calls/,$p' "$tmp/report.txt")"

echo "$fails failed"
[ "$fails" -eq 0 ]
