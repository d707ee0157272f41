#!/bin/sh
# cli_data.sh -- the shipped data directory (pipeline_data_default): with no
# flags replay, query FILE and classify use the shipped lexicons, found next
# to the binary, through KZPULSE_DATA, or in the source tree of a binary run
# from its build tree; --no-lexicons turns them off; --lexicons DIR wins; a
# missing data directory is an error naming every path tried; models/ in a
# data directory is loaded by default.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
ROOT=$(cd "$ROOT" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
topics() { python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1]))["by_topic"].values()))' "$1"; }

# Run from elsewhere, so no ./lexicons can be what is found.
cd "$tmp" || exit 1

# 1. No flags: the build tree's binary finds the source tree's lexicons.
kz replay --json -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >"$tmp/r.json" 2>"$tmp/err"
rc=$?
n=$(topics "$tmp/r.json" 2>/dev/null || echo 0)
if [ $rc -eq 0 ] && [ "$n" -gt 0 ]; then ok "replay with no flags counts topics ($n)"
else bad "replay with no flags: exit $rc, topics $n"; cat "$tmp/err"; fi

# 2. --no-lexicons: nothing classified, and said so by the empty topic table.
kz replay --json --no-lexicons -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >"$tmp/r0.json" 2>"$tmp/err"
rc=$?
n=$(topics "$tmp/r0.json" 2>/dev/null || echo x)
if [ $rc -eq 0 ] && [ "$n" = 0 ]; then ok "--no-lexicons counts no topics"
else bad "--no-lexicons: exit $rc, topics $n"; fi

# 3. --lexicons DIR wins: a lexicon of one topic gives that topic only.
mkdir -p "$tmp/lex1"
printf 'topic/football\tфутбол\t1.0\tru\t\n' >"$tmp/lex1/one.tsv"
kz replay --json --lexicons "$tmp/lex1" -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >"$tmp/r1.json" 2>"$tmp/err"
got=$(python3 -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1]))["by_topic"])))' "$tmp/r1.json" 2>/dev/null)
if [ "$got" = football ]; then ok "--lexicons DIR replaces the shipped lexicons"
else bad "--lexicons DIR: topics \"$got\""; fi

# 4. query FILE with no flags classifies too.
kz query series topic:protest "$ROOT/samples/posts.jsonl" >"$tmp/q" 2>"$tmp/err"
total=$(awk -F'\t' '$1 == "total" {print $2}' "$tmp/q")
if [ "${total:-0}" -gt 0 ]; then ok "query FILE with no flags counts topic:protest ($total)"
else bad "query FILE with no flags: topic:protest total \"$total\""; cat "$tmp/err"; fi

# 5. classify with no flags, from a directory without lexicons.
echo 'Ертең сағат 12-де алаңға шығайық! Митингке барамыз' | kz classify >"$tmp/c" 2>"$tmp/err"
if grep -q '"call_to_action":true' "$tmp/c"; then ok "classify with no flags finds the call to action"
else bad "classify with no flags"; cat "$tmp/c" "$tmp/err"; fi

# 6. KZPULSE_DATA: used, and only it; a wrong one is an error naming it.
mkdir -p "$tmp/data"
cp -r "$tmp/lex1" "$tmp/data/lexicons"
KZPULSE_DATA="$tmp/data" kz replay --json -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >"$tmp/r2.json" 2>"$tmp/err"
got=$(python3 -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1]))["by_topic"])))' "$tmp/r2.json" 2>/dev/null)
if [ "$got" = football ]; then ok "KZPULSE_DATA is the data directory"
else bad "KZPULSE_DATA: topics \"$got\""; cat "$tmp/err"; fi
KZPULSE_DATA="$tmp/nowhere" kz replay "$ROOT/samples/posts.jsonl" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "KZPULSE_DATA: no lexicons found (tried $tmp/nowhere/lexicons)" "$tmp/err" \
    && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then ok "a wrong KZPULSE_DATA is a one-line error naming it"
else bad "wrong KZPULSE_DATA: exit $rc"; cat "$tmp/err"; fi

# 7. A binary outside any build tree and without data next to it: an error
#    that names every path tried; lexicons/ next to it: found.
mkdir -p "$tmp/bin"
cp "$KZ_BIN" "$tmp/bin/kzpulse"
${KZ_WRAP:-} "$tmp/bin/kzpulse" replay "$ROOT/samples/posts.jsonl" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "tried $tmp/bin/lexicons, $tmp/bin/../share/kzpulse/lexicons, .*share/kzpulse/lexicons); pass --lexicons DIR, set KZPULSE_DATA, or --no-lexicons" "$tmp/err"; then
    ok "no data directory: exit 2 naming every path tried"
else bad "no data directory: exit $rc"; cat "$tmp/err"; fi
${KZ_WRAP:-} "$tmp/bin/kzpulse" replay --no-lexicons -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ]; then ok "no data directory but --no-lexicons: runs"
else bad "--no-lexicons without data: exit $rc"; cat "$tmp/err"; fi
ln -s "$tmp/lex1" "$tmp/bin/lexicons"
${KZ_WRAP:-} "$tmp/bin/kzpulse" replay --json -d "$tmp/dl" "$ROOT/samples/posts.jsonl" >"$tmp/r3.json" 2>"$tmp/err"
got=$(python3 -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1]))["by_topic"])))' "$tmp/r3.json" 2>/dev/null)
if [ "$got" = football ]; then ok "lexicons/ next to the binary are found"
else bad "lexicons next to the binary: topics \"$got\""; cat "$tmp/err"; fi

# 8. models/ in the data directory are loaded by default (their evidence shows).
cat >"$tmp/gold.jsonl" <<'J'
{"text": "Путин агрессор, Украина победит, слава Украине", "stance": "pro_ukraine"}
{"text": "Украинаға қолдау көрсетеміз, соғысқа жол жоқ", "stance": "pro_ukraine"}
{"text": "Россия защищает Донбасс, СВО идёт по плану", "stance": "pro_russia"}
{"text": "Наши ребята на СВО, Россия победит", "stance": "pro_russia"}
{"text": "Бүгін ауа райы жақсы, балалар саябақта ойнады", "stance": "none"}
{"text": "Цены на бензин в Атырау опять выросли", "stance": "none"}
J
for i in 1 2 3 4 5; do cat "$tmp/gold.jsonl"; done >"$tmp/gold30.jsonl"
mkdir -p "$tmp/data2/models"
ln -s "$ROOT/lexicons" "$tmp/data2/lexicons"
kz train --gold "$tmp/gold30.jsonl" --label stance --epochs 3 --lexicons "$ROOT/lexicons" \
    --out "$tmp/data2/models/stance.kzpm" >/dev/null 2>"$tmp/err" || { bad "train"; cat "$tmp/err"; }
echo 'Слава Украине, Россия агрессор' | KZPULSE_DATA="$tmp/data2" kz classify >"$tmp/c2" 2>"$tmp/err"
if grep -q "\"category\":\"model/" "$tmp/c2"; then ok "models/ of the data directory are loaded by default"
else bad "default models not loaded"; cat "$tmp/c2" "$tmp/err"; fi
echo 'Слава Украине, Россия агрессор' | KZPULSE_DATA="$tmp/data2" kz classify --lexicons "$ROOT/lexicons" >"$tmp/c3" 2>"$tmp/err"
if ! grep -q "\"category\":\"model/" "$tmp/c3"; then ok "--lexicons DIR brings no default models"
else bad "--lexicons DIR loaded the data directory's models"; fi

# A lexicon folder whose file paths would not fit: refused in one line, no cut name.
long="$tmp/$(printf 'd%.0s' $(seq 1 240))/$(printf 'e%.0s' $(seq 1 240))"
mkdir -p "$long" && cp "$ROOT"/lexicons/*.tsv "$long/"
kz classify --lexicons "$long" </dev/null >"$tmp/long.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'path longer than 511 bytes' "$tmp/long.out" && ok "a lexicon path too long is refused" ||
    bad "long lexicon path: exit $rc: $(head -2 "$tmp/long.out")"

[ $fails -eq 0 ] && echo "all data-directory checks passed"
exit $((fails > 0))
