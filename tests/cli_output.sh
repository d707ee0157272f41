#!/bin/sh
# cli_output.sh -- what the commands print (issue 15, item 6): JSON is UTF-8
# (raw Cyrillic, never \u-escaped) in every JSON the program writes; the
# "term" top-k is filled with the lexicon entries behind the topics; an
# unknown dimension is refused; classify reads every input replay reads; the
# dead-letter file exists only when there is a dead letter.
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
cd "$tmp" || exit 1

cat >"$tmp/posts.jsonl" <<'J'
{"id":"p1","ts":"2026-03-05T10:01:00+05:00","platform":"telegram","author":"aigerim","text":"Жаңаөзенде мұнайшылар ереуілге шықты, митинг екінші күн жалғасып жатыр"}
{"id":"p2","ts":"2026-03-05T10:02:00+05:00","platform":"vk","author":"dmitry","text":"В Алматы снова митинг у акимата, люди требуют снизить цены на газ"}
{"id":"p3","ts":"2026-03-05T10:03:00+05:00","platform":"x","author":"saule","text":"Митингке барамыз ба? Газ бағасы тағы өсті"}
{"id":"p4","ts":"2026-03-05T10:04:00+05:00","platform":"telegram","author":"arman","text":"Сегодня в Астане хорошая погода, гуляем с детьми в парке"}
J

# --- JSON is UTF-8 --------------------------------------------------------
# utf8_json FILE WHAT: FILE holds raw Cyrillic and no \u escape of it.
utf8_json() {
    if python3 - "$1" <<'PY'; then ok "$2: UTF-8 JSON, Cyrillic as it is"; else bad "$2"; head -c 300 "$1"; echo; fi
import re, sys
b = open(sys.argv[1], "rb").read()
if re.search(rb"\\u0[4-5]", b):
    print("    \\u-escaped Cyrillic"); sys.exit(1)
if not re.search(rb"[\xd0-\xd3][\x80-\xbf]", b):
    print("    no raw Cyrillic"); sys.exit(1)
b.decode("utf-8")
PY
}
kz classify "$tmp/posts.jsonl" >"$tmp/o.classify" 2>"$tmp/err"
utf8_json "$tmp/o.classify" "classify"
kz replay --json -d "$tmp/dl.jsonl" "$tmp/posts.jsonl" >"$tmp/o.replay" 2>"$tmp/err"
utf8_json "$tmp/o.replay" "replay --json"
kz query top term --json "$tmp/posts.jsonl" >"$tmp/o.qtop" 2>"$tmp/err"
utf8_json "$tmp/o.qtop" "query top term --json"
kz query top hashtag --json "$ROOT/samples/posts.jsonl" >"$tmp/o.qtag" 2>"$tmp/err"
utf8_json "$tmp/o.qtag" "query top hashtag --json"
kz tokens "$tmp/posts.jsonl" >"$tmp/o.tokens" 2>"$tmp/err"
utf8_json "$tmp/o.tokens" "tokens"
cat >"$tmp/gold.jsonl" <<'J'
{"text": "Жаңаөзенде мұнайшылар ереуілге шықты", "topics": ["protest"], "stance": "none", "mobilization": false}
{"text": "Ертең сағат 12-де алаңға шығайық, бәріміз барамыз!", "topics": ["protest"], "stance": "none", "mobilization": true}
{"text": "Слава Украине, нет войне", "topics": ["war_ukraine"], "stance": "pro_ukraine", "mobilization": false}
{"text": "Сегодня хорошая погода", "topics": [], "stance": "none", "mobilization": false}
J
kz eval --json --gold "$tmp/gold.jsonl" >"$tmp/o.eval" 2>"$tmp/err"
utf8_json "$tmp/o.eval" "eval --json"
printf '{"id":"d1","text":"Митинг болады","ts":"2099-01-01T00:00:00Z"}\n{"id":"d2","text":""}\n' \
    >"$tmp/dead.jsonl"
kz replay -d "$tmp/dl2.jsonl" --schema generic "$tmp/dead.jsonl" >/dev/null 2>"$tmp/err"
utf8_json "$tmp/dl2.jsonl" "dead letters"

# --- top terms --------------------------------------------------------------
kz query top term "$tmp/posts.jsonl" >"$tmp/terms" 2>"$tmp/err"
if [ "$(head -n 1 "$tmp/terms")" = "$(printf 'митинг*\t3')" ] && grep -q "^газ	2$" "$tmp/terms" \
    && ! grep -q "погод\|парк" "$tmp/terms"; then
    ok "query top term: the lexicon entries behind the topics, counted per post"
else bad "query top term"; cat "$tmp/terms" "$tmp/err"; fi
if python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["top_terms"]; sys.exit(not t or t[0]["term"] != "митинг*" or t[0]["count"] != 3)' "$tmp/o.replay"; then
    ok "replay --json: top_terms"
else bad "replay --json: top_terms"; fi
kz replay -d "$tmp/dl.jsonl" "$tmp/posts.jsonl" >"$tmp/o.report" 2>"$tmp/err"
if grep -q "^Top terms" "$tmp/o.report" && grep -q "1\. митинг\*" "$tmp/o.report"; then
    ok "replay report: Top terms"
else bad "replay report: Top terms"; fi
kz query top term --no-lexicons "$tmp/posts.jsonl" >"$tmp/terms0" 2>"$tmp/err"
if [ ! -s "$tmp/terms0" ]; then ok "--no-lexicons: no terms"
else bad "--no-lexicons gave terms"; cat "$tmp/terms0"; fi

# --- unknown dimensions are refused, with what is known -------------------
# refuse PATTERN QUERY ARG: exit 2, one line on stderr matching PATTERN, nothing on stdout.
refuse() {
    pat=$1
    shift
    kz query "$@" "$tmp/posts.jsonl" >"$tmp/q.out" 2>"$tmp/q.err"
    rc=$?
    if [ $rc -eq 2 ] && [ ! -s "$tmp/q.out" ] && [ "$(wc -l <"$tmp/q.err")" -eq 1 ] \
        && grep -q -- "$pat" "$tmp/q.err"; then ok "query $* refused: $(cut -c1-90 "$tmp/q.err")"
    else bad "query $*: exit $rc"; cat "$tmp/q.out" "$tmp/q.err" | head -3; fi
}
refuse 'unknown dimension "topics:protest": expected all, platform:<p>' series topics:protest
refuse 'unknown region "mars" in "region:mars"; known: kz-10, .*kz-71, .*unknown' series region:mars
refuse '"astana" is region:KZ-71 (Astana)' series region:astana
refuse '"zhanaozen" is city:zhanaozen (Mangystau Region)' series region:zhanaozen
refuse 'unknown city "kz-47"' series city:KZ-47
refuse 'unknown stance "maybe" in "stance:maybe"; known: pro_ukraine, pro_russia' series stance:maybe
refuse 'unknown topic "protestt" .*known: .*protest, .*war_ukraine' series topic:protestt
refuse 'unknown mob "now"' series mob:now
refuse 'the cross is counted as topic:...|region:...' series 'region:KZ-71|topic:protest'
refuse 'lang and topic are not crossed' series 'lang:kk|topic:protest'
refuse 'unknown dimension "Platform:x"' series Platform:x
refuse 'distinct: authors are counted for all, topic:<t> and region:<r>' distinct platform:x
refuse 'unknown region "mars"' distinct region:mars
refuse 'unknown dimension "topics:"' dims topics:
refuse 'dims: expected a prefix' dims topic
refuse 'top: expected one of hashtag, term, channel' top terms
# known ones are answered: lexicon topics, regions by code in either case, towns, any platform
for d in topic:protest region:KZ-47 region:kz-47 region:unknown city:zhanaozen platform:vk \
    platform:myspace 'topic:protest|region:KZ-75' \
    stance:pro_russia mob:call all; do
    kz query series "$d" "$tmp/posts.jsonl" >"$tmp/q.out" 2>"$tmp/q.err"
    rc=$?
    if [ $rc -eq 0 ] && grep -q "^total" "$tmp/q.out"; then ok "query series $d answered"
    else bad "query series $d: exit $rc"; cat "$tmp/q.err"; fi
done
kz query dims "topic:protest|region:" "$tmp/posts.jsonl" >"$tmp/q.out" 2>"$tmp/q.err"
if grep -q "^topic:protest|region:kz-47	1	Mangystau Region$" "$tmp/q.out"; then ok "query dims of a cross prefix"
else bad "query dims topic:protest|region:"; cat "$tmp/q.out" "$tmp/q.err"; fi

# --- classify reads what replay reads --------------------------------------
kz classify "$ROOT/samples/telegram_export.json" >"$tmp/c.tg" 2>"$tmp/c.tg.err"
rc=$?
kz replay --json -d "$tmp/dl.tg" "$ROOT/samples/telegram_export.json" >"$tmp/r.tg" 2>/dev/null
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["posts"])' "$tmp/r.tg")
got=$(wc -l <"$tmp/c.tg")
if [ $rc -eq 0 ] && [ "$got" -eq "$want" ] && [ "$got" -gt 0 ] \
    && [ "$(grep -c '^{"id":"tg:' "$tmp/c.tg")" -eq "$got" ]; then
    ok "classify of a Telegram export: one verdict per message ($got, as replay counts)"
else bad "classify of a Telegram export: exit $rc, $got verdicts, replay counts $want"; head -c 300 "$tmp/c.tg.err"; fi
# JSON lines with a plain-text line among them, plain, gzip, zstd and stdin: the same verdicts
{ cat "$tmp/posts.jsonl"; echo "Ертең сағат 12-де алаңға шығайық, бәріміз барамыз!"; } >"$tmp/mixed.jsonl"
kz classify "$tmp/mixed.jsonl" >"$tmp/c.plain" 2>&1
gzip -c "$tmp/mixed.jsonl" >"$tmp/mixed.gz.data"
kz classify "$tmp/mixed.gz.data" >"$tmp/c.gz" 2>&1
kz classify <"$tmp/mixed.jsonl" >"$tmp/c.stdin" 2>&1
if [ "$(wc -l <"$tmp/c.plain")" -eq 5 ] && grep -q '"call_to_action":true' "$tmp/c.plain" \
    && cmp -s "$tmp/c.plain" "$tmp/c.gz" && cmp -s "$tmp/c.plain" "$tmp/c.stdin"; then
    ok "classify: gzip and stdin give the plain file's 5 verdicts (4 posts, 1 text line)"
else bad "classify gzip/stdin differ from plain"; head -c 300 "$tmp/c.gz"; fi
if command -v zstd >/dev/null; then
    zstd -q -c "$tmp/mixed.jsonl" >"$tmp/mixed.zst.data"
    kz classify "$tmp/mixed.zst.data" >"$tmp/c.zst" 2>&1
    if cmp -s "$tmp/c.plain" "$tmp/c.zst"; then ok "classify: zstd gives the plain file's verdicts"
    else bad "classify zstd differs from plain"; head -c 300 "$tmp/c.zst"; fi
fi
printf '\037\213\010\000garbage' >"$tmp/bad.gz"
kz classify "$tmp/bad.gz" >"$tmp/c.bad" 2>"$tmp/c.bad.err"
rc=$?
if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/c.bad.err")" -eq 1 ]; then ok "classify of a corrupt gzip: exit 2: $(cat "$tmp/c.bad.err")"
else bad "classify of a corrupt gzip: exit $rc"; cat "$tmp/c.bad.err"; fi

# --- the dead-letter file exists only when there is a dead letter -----------
mkdir -p "$tmp/dlcase" && cd "$tmp/dlcase" || exit 1
kz replay "$tmp/posts.jsonl" >/dev/null 2>&1
kz replay -d "$tmp/dlcase/named.jsonl" "$tmp/posts.jsonl" >"$tmp/dl.report" 2>&1
if [ ! -e kzpulse-dead.jsonl ] && [ ! -e named.jsonl ] && grep -q "^dead letters 0$" "$tmp/dl.report"; then
    ok "no dead letter: no dead-letter file (default name or -d)"
else bad "no dead letter, yet a dead-letter file"; ls -l; fi
kz replay "$tmp/dead.jsonl" >"$tmp/dl.report" 2>&1
if [ "$(wc -l <kzpulse-dead.jsonl 2>/dev/null)" = 2 ] \
    && grep -q "^dead letters 2 -> kzpulse-dead.jsonl" "$tmp/dl.report"; then
    ok "two dead letters: the file holds both"
else bad "dead letters not written"; cat "$tmp/dl.report"; fi
kz replay -d "$tmp/nodir/dl.jsonl" "$tmp/posts.jsonl" >/dev/null 2>"$tmp/dl.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "cannot write $tmp/nodir/dl.jsonl" "$tmp/dl.err"; then
    ok "an unwritable --dead-letters fails before the run (exit 2)"
else bad "unwritable --dead-letters: exit $rc"; cat "$tmp/dl.err"; fi
cd "$tmp" || exit 1

[ $fails -eq 0 ] && echo "all output checks passed"
exit $((fails > 0))
