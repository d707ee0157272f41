#!/bin/sh
# cli_tokens.sh -- `kzpulse tokens`: one JSON object per input line, the same
# from a file, from stdin and from "-"; bytes that are not UTF-8 make no token
# (the spans of the others still point into the original line) but are
# counted on their line and in a stderr line; bytes past
# --max-text are not analysed; and the usage errors with their exit codes.
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

# same DESC WANT-FILE GOT-FILE
same() {
    if cmp -s "$2" "$3"; then ok "$1"; else
        fail "$1"; diff "$2" "$3" | sed 's/^/    /' | head -10
    fi
}

# expect CODE PATTERN CMD... : exit code and a pattern in stdout+stderr
expect() {
    want=$1 pat=$2
    shift 2
    "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$* -> exit $got, want $want"; sed 's/^/    /' "$tmp/out" | head -5
    elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/out"; then
        fail "$* -> output lacks \"$pat\""; sed 's/^/    /' "$tmp/out" | head -5
    else
        ok "$*"
    fi
}

# Two lines and a blank one: the exact output.
printf 'Good morning, Astana\r\nСегодня в 19:00 #митинг\n\n' >"$tmp/in.txt"
cat >"$tmp/want.jsonl" <<'EOF'
{"line":1,"lang":"en","script":"latn","tokens":[{"surface":"Good","norm":"good","stem":"good","lang":"en","script":"latn","kind":"word","start":0,"end":4},{"surface":"morning","norm":"morning","stem":"morn","lang":"en","script":"latn","kind":"word","start":5,"end":12},{"surface":"Astana","norm":"astana","stem":"astana","lang":"en","script":"latn","kind":"word","start":14,"end":20}]}
{"line":2,"lang":"ru","script":"cyrl","tokens":[{"surface":"Сегодня","norm":"сегодня","stem":"сегодн","lang":"ru","script":"cyrl","kind":"word","start":0,"end":14},{"surface":"в","norm":"в","stem":"в","lang":"ru","script":"cyrl","kind":"word","start":15,"end":17},{"surface":"19:00","norm":"19:00","stem":"19:00","lang":"und","script":"none","kind":"time","start":18,"end":23},{"surface":"#митинг","norm":"#митинг","stem":"#митинг","lang":"ru","script":"cyrl","kind":"hashtag","start":24,"end":37},{"surface":"митинг","norm":"митинг","stem":"митинг","lang":"ru","script":"cyrl","kind":"word","start":25,"end":37,"hashtag_part":true}]}
{"line":3,"lang":"und","script":"none","tokens":[]}
EOF
kz tokens "$tmp/in.txt" >"$tmp/got" 2>"$tmp/err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/err" ]; then ok "tokens FILE: exit 0, nothing on stderr"; else
    fail "tokens FILE: exit $rc"; fi
same "tokens FILE: the exact tokens" "$tmp/want.jsonl" "$tmp/got"
kz tokens <"$tmp/in.txt" >"$tmp/got" 2>&1
same "tokens on stdin (no FILE)" "$tmp/want.jsonl" "$tmp/got"
kz tokens - <"$tmp/in.txt" >"$tmp/got" 2>&1
same "tokens - (stdin)" "$tmp/want.jsonl" "$tmp/got"

# Invalid UTF-8: a lone Latin-1 byte and a broken two-byte sequence make no
# token, but are counted, never dropped unsaid: the line says how many bytes
# ("invalid_utf8") and stderr gives the total; "ok" keeps its byte span in the
# original line.
printf 'caf\351 \303\050 ok\nАлматы\n' >"$tmp/bad.txt"
cat >"$tmp/want-bad.jsonl" <<'EOF'
{"line":1,"invalid_utf8":2,"lang":"en","script":"latn","tokens":[{"surface":"caf","norm":"caf","stem":"caf","lang":"en","script":"latn","kind":"word","start":0,"end":3},{"surface":"ok","norm":"ok","stem":"ok","lang":"en","script":"latn","kind":"word","start":8,"end":10}]}
{"line":2,"lang":"kk","script":"cyrl","tokens":[{"surface":"Алматы","norm":"алматы","stem":"алматы","lang":"kk","script":"cyrl","kind":"word","start":0,"end":12}]}
EOF
kz tokens "$tmp/bad.txt" >"$tmp/got" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "invalid UTF-8: exit 0" || fail "invalid UTF-8: exit $rc"
same "invalid UTF-8: the exact tokens, and the count on its line" "$tmp/want-bad.jsonl" "$tmp/got"
echo 'kzpulse tokens: 2 bytes of invalid UTF-8 on 1 line made no token (see "invalid_utf8" in that line)' >"$tmp/want-err"
same "invalid UTF-8: one stderr line with the count" "$tmp/want-err" "$tmp/err"

# --max-text: thirteen words fill the first 64 bytes; the one after them is
# not analysed.
printf 'word word word word word word word word word word word word word tail\n' >"$tmp/long.txt"
kz tokens "$tmp/long.txt" | grep -q '"surface":"tail"' && ok "a short line is analysed whole" ||
    fail "a short line is analysed whole"
kz tokens --max-text 64 "$tmp/long.txt" >"$tmp/got" 2>&1
rc=$?
words=$(grep -o '"surface":"word"' "$tmp/got" | wc -l)
if [ $rc -eq 0 ] && ! grep -q '"surface":"tail"' "$tmp/got" && [ "$words" -eq 13 ]; then
    ok "--max-text 64: bytes past 64 are not analysed"
else
    fail "--max-text 64"; head -c 300 "$tmp/got"; echo
fi

# Usage errors and exit codes.
expect 0 "usage: kzpulse tokens" kz tokens --help
expect 2 "expected at most one FILE, got 2" kz tokens "$tmp/in.txt" "$tmp/in.txt"
expect 2 "cannot read" kz tokens "$tmp/missing.txt"
expect 2 "--max-text: expected a size from 64 to 64M" kz tokens --max-text 10 "$tmp/in.txt"
expect 2 "unknown flag --lexicons" kz tokens --lexicons lexicons "$tmp/in.txt"

echo "$fails failed"
[ "$fails" -eq 0 ]
