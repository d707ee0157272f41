#!/bin/sh
# cli_usage.sh -- the command line's contract: help for every command, exit
# codes (0 ok, 1 runtime failure, 2 bad usage or unreadable input) and
# one-line errors that name the flag and the accepted values.
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect CODE PATTERN CMD... : exit code and a pattern in stdout+stderr
expect() {
    want=$1 pat=$2
    shift 2
    "$@" >"$tmp/out" 2>&1
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $* -> exit $got, want $want"; sed 's/^/    /' "$tmp/out" | head -5
        fails=$((fails + 1))
    elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/out"; then
        echo "FAIL: $* -> output lacks \"$pat\""; sed 's/^/    /' "$tmp/out" | head -5
        fails=$((fails + 1))
    else
        echo "ok   $*"
    fi
}

expect 2 "usage: kzpulse COMMAND" kz
expect 0 "commands:" kz --help
expect 0 "kzpulse 0" kz --version
expect 2 'unknown command "frobnicate"' kz frobnicate
for c in replay query tokens run produce classify eval train lexicon alerts; do
    expect 0 "usage: kzpulse $c" kz $c --help
    expect 0 "exit codes" kz $c -h
done
# kzpulse help COMMAND is COMMAND --help, byte for byte
for c in replay query run lexicon; do
    kz help $c >"$tmp/h1" 2>&1; r1=$?
    kz $c --help >"$tmp/h2" 2>&1; r2=$?
    if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && cmp -s "$tmp/h1" "$tmp/h2" && grep -q "usage: kzpulse $c" "$tmp/h1"; then
        echo "ok   kz help $c"
    else
        echo "FAIL: kz help $c (exit $r1) differs from kz $c --help (exit $r2)"; fails=$((fails + 1))
    fi
done
expect 0 "commands:" kz help
expect 2 'unknown command "frobnicate"' kz help frobnicate
expect 2 "unknown flag --bogus" kz replay --bogus x.jsonl
expect 2 "unknown flag -Q" kz replay -Q x.jsonl
expect 2 "--schema: expected one of auto, generic, telegram, vk, x" kz replay --schema xml x.jsonl
expect 2 "--max-text: expected a size" kz replay --max-text lots x.jsonl
expect 2 "--top: expected an integer from 1 to 1000" kz replay --top 0 x.jsonl
expect 2 "--top needs a value" kz replay --top
expect 2 "--json takes no value" kz replay --json=yes x.jsonl
expect 2 "no input files" kz replay
expect 2 "cannot open\|No such file" kz replay -d "$tmp/dl" "$tmp/missing.jsonl"
expect 2 "expected at most one FILE" kz tokens a b
# run writes dead letters to <topic>.dlq and query counts only: no dead-letter file flag
expect 2 "unknown flag -d" kz run -b 127.0.0.1:1 -t t -g g --redis redis://127.0.0.1:1 -d x
expect 2 "unknown flag --dead-letters" kz query series all --dead-letters=x a.jsonl
expect 2 "cannot read" kz tokens "$tmp/missing.txt"
printf '{"text":"Сәлем","ts":1741000000}\n' >"$tmp/one.jsonl"
expect 0 "1 posts decoded" kz replay -d "$tmp/dl" "$tmp/one.jsonl"
expect 0 "1 posts decoded" kz replay --dead-letters="$tmp/dl" --top=3 "$tmp/one.jsonl"

echo "$fails failed"
[ "$fails" -eq 0 ]
