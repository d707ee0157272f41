#!/bin/sh
# cli_geo.sh -- the region dimension from the command line: posts that name
# towns in Kazakh (Cyrillic and Latin) and Russian, posts with their own
# region field (a name, an ISO code in either case, a town, an unknown
# place) or geo object, and posts with no region at all.  Every region value is an
# ISO 3166-2:KZ code or unknown; towns give city:<slug>; unknown and missing
# regions are counted, not dropped; --names puts names beside codes; queries
# take a code in either case; a broken gazetteer is a file:line error.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
no() { echo "FAIL: $1"; fails=$((fails + 1)); }

cat >"$tmp/geo.jsonl" <<'EOF'
{"id":"g1","platform":"telegram","author":"aigerim_m","ts":"2026-03-05T10:00:00+05:00","text":"Жаңаөзенде мұнайшылар тағы да ереуілге шықты, жалақыны көтеруді талап етеді"}
{"id":"g2","platform":"vk","author":"sergey_k","ts":"2026-03-05T10:01:00+05:00","text":"В Жанаозене снова бастуют нефтяники, требуют повышения зарплат"}
{"id":"g3","platform":"x","author":"nurlan_b","ts":"2026-03-05T10:02:00+05:00","text":"Zhanaozen munaishylary erteñ alañğa şyğady"}
{"id":"g4","platform":"telegram","author":"dana_o","ts":"2026-03-05T10:03:00+05:00","text":"Өскеменде су тасқыны, тұрғындар көшірілді","region":"Усть-Каменогорск"}
{"id":"g5","platform":"facebook","author":"olga_p","ts":"2026-03-05T10:04:00+05:00","text":"Тарифы на отопление снова выросли","region":"Almaty"}
{"id":"g6","platform":"telegram","author":"erlan_s","ts":"2026-03-05T10:05:00+05:00","text":"Кеншілер жалақы туралы жиналыс өткізді","region":"KZ-62"}
{"id":"g7","platform":"news","author":"qazinform","ts":"2026-03-05T10:06:00+05:00","text":"Егіншілерге су жетпейді","region":"kz-33"}
{"id":"g8","platform":"vk","author":"ivan_t","ts":"2026-03-05T10:07:00+05:00","text":"Цены на бензин опять выросли","region":"Марс"}
{"id":"g9","platform":"x","author":"aliya_z","ts":"2026-03-05T10:08:00+05:00","text":"Бензин қымбаттады","region":"mars"}
{"id":"g10","platform":"telegram","author":"marat_a","ts":"2026-03-05T10:09:00+05:00","text":"Бүгін ауа райы жақсы, серуендеуге шығайық"}
{"id":"g11","platform":"telegram","author":"aigerim_m","ts":"2026-03-05T10:10:00+05:00","text":"Ақтауда жарық жоқ","region":"Zhanaozen"}
{"id":"g12","platform":"x","author":"timur_zh","ts":"2026-03-05T10:11:00+05:00","text":"Temirtau metallurgteri jalaqy talap etedi"}
{"id":"g13","platform":"vk","author":"gulnar_a","ts":"2026-03-05T10:12:00+05:00","text":"Мұнай қаласында жол жөндеу басталды","geo":{"lat":46.95,"lon":54.0,"city":"Кульсары"}}
EOF

# replay: regions, towns, unknowns, names
kz replay --json --lexicons "$ROOT/lexicons" --names kk -d "$tmp/dead.jsonl" "$tmp/geo.jsonl" \
    >"$tmp/rep.json" 2>"$tmp/err" || { no "replay exit $?: $(cat "$tmp/err")"; exit 1; }
python3 - "$tmp/rep.json" <<'PY' || fails=$((fails + 1))
import json, re, sys
rep = json.load(open(sys.argv[1]))
bad = 0
def check(what, got, want):
    global bad
    print(("ok   " if got == want else "FAIL: ") + f"{what}: {got!r}" + ("" if got == want else f", want {want!r}"))
    bad += got != want
check("by region", rep["by_region"],
      {"kz-47": 4, "unknown": 3, "kz-63": 1, "kz-75": 1, "kz-62": 1, "kz-33": 1, "kz-35": 1,
       "kz-23": 1})
check("every region value is a code or unknown",
      [r for r in rep["by_region"] if not re.fullmatch(r"kz-\d\d|unknown", r)], [])
check("regions count every post", sum(rep["by_region"].values()), rep["counted"])
check("by city", rep["by_city"], {"zhanaozen": 4, "oskemen": 1, "temirtau": 1, "kulsary": 1})
check("region fields naming no place", rep["region_unknown_field"], 2)
check("Kazakh names", [rep["place_names"].get(k) for k in ("kz-47", "kz-63", "zhanaozen")],
      ["Маңғыстау облысы", "Шығыс Қазақстан облысы", "Жаңаөзен"])
sys.exit(1 if bad else 0)
PY

kz replay --lexicons "$ROOT/lexicons" -d "$tmp/dead.jsonl" "$tmp/geo.jsonl" >"$tmp/rep.txt" 2>&1
if grep -q "KZ-47  Mangystau Region *4 " "$tmp/rep.txt" && grep -q "zhanaozen  Zhanaozen *4 " "$tmp/rep.txt" &&
    grep -q "2 with a region field that names no place" "$tmp/rep.txt"; then
    ok "text report: codes with English names, towns, unknown fields"
else
    no "text report:"; sed -n '/By region/,/By topic/p' "$tmp/rep.txt"
fi

# classify: the verdict's region is the code (from the field first), city the slug
kz classify --lexicons "$ROOT/lexicons" "$tmp/geo.jsonl" >"$tmp/v.jsonl" 2>"$tmp/err"
got=$(python3 -c '
import json, sys
print(" ".join("%s/%s" % (v["region"], v["city"]) for v in map(json.loads, open(sys.argv[1]))))' "$tmp/v.jsonl")
want="KZ-47/zhanaozen KZ-47/zhanaozen KZ-47/zhanaozen KZ-63/oskemen KZ-75/None KZ-62/None KZ-33/None unknown/None unknown/None None/None KZ-47/zhanaozen KZ-35/temirtau KZ-23/kulsary"
[ "$got" = "$want" ] && ok "classify regions and cities" || no "classify: got $got"

# query: names beside codes, either case of a code, the same counter
kz query dims region: --names ru --lexicons "$ROOT/lexicons" "$tmp/geo.jsonl" >"$tmp/q" 2>"$tmp/err"
printf 'region:kz-47\t4\tМангистауская область\n' >"$tmp/want"
grep -q "^region:unknown	3$" "$tmp/q" && grep -qFf "$tmp/want" "$tmp/q" &&
    ok "query dims region: with Russian names" || { no "query dims region:"; cat "$tmp/q" "$tmp/err"; }
kz query series region:KZ-47 --json --lexicons "$ROOT/lexicons" "$tmp/geo.jsonl" >"$tmp/a" 2>/dev/null
kz query series region:kz-47 --json --lexicons "$ROOT/lexicons" "$tmp/geo.jsonl" >"$tmp/b" 2>/dev/null
if grep -q '"total": *4' "$tmp/a" && grep -q '"name": *"Mangystau Region"' "$tmp/a" &&
    [ "$(sed 's/"arg":"[^"]*"//' "$tmp/a")" = "$(sed 's/"arg":"[^"]*"//' "$tmp/b")" ]; then
    ok "region:KZ-47 and region:kz-47 are one counter, named"
else
    no "series of a code in either case:"; cat "$tmp/a" "$tmp/b"
fi
kz query series city:zhanaozen --lexicons "$ROOT/lexicons" "$tmp/geo.jsonl" 2>/dev/null | grep -q "^total	4$" &&
    ok "series of a town" || no "series city:zhanaozen"

# a broken gazetteer: file:line, exit 2, nothing counted
mkdir "$tmp/lex"
cp "$ROOT"/lexicons/*.tsv "$tmp/lex/"
printf 'town\tkeles\tKZ-99\tКелес\tKeles\tКелес\tKeles\n' >>"$tmp/lex/gazetteer.tsv"
line=$(wc -l <"$tmp/lex/gazetteer.tsv")
kz replay --lexicons "$tmp/lex" -d "$tmp/dead.jsonl" "$tmp/geo.jsonl" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "gazetteer.tsv:$line: town keles: region KZ-99 is not defined" "$tmp/err" &&
    [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
    ok "broken gazetteer: one file:line error, exit 2"
else
    no "broken gazetteer: exit $rc: $(cat "$tmp/err")"
fi
kz lexicon lint "$tmp/lex" >"$tmp/lint" 2>&1
grep -q "gazetteer.tsv:$line:" "$tmp/lint" && ok "lexicon lint names the gazetteer line" ||
    no "lint: $(cat "$tmp/lint")"
kz lexicon lint "$ROOT/lexicons" >/dev/null 2>&1 && ok "shipped lexicons and gazetteer lint clean" ||
    no "shipped lexicons do not lint"

[ $fails -eq 0 ] && echo "all geography checks passed"
exit $((fails > 0))
