#!/bin/sh
# cli_usage.sh -- the command line's contract: help for every command, exit
# codes (0 ok, 1 runtime failure, 2 bad usage or unreadable input) and
# one-line errors that name the flag and the accepted values.
set -u
KZ="$1"
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

expect 2 "usage: kzpulse COMMAND" "$KZ"
expect 0 "commands:" "$KZ" --help
expect 0 "kzpulse 0" "$KZ" --version
expect 2 'unknown command "frobnicate"' "$KZ" frobnicate
for c in replay tokens; do
    expect 0 "usage: kzpulse $c" "$KZ" $c --help
    expect 0 "exit codes" "$KZ" $c -h
done
expect 2 "unknown flag --bogus" "$KZ" replay --bogus x.jsonl
expect 2 "unknown flag -Q" "$KZ" replay -Q x.jsonl
expect 2 "--schema: expected one of auto, generic, telegram, vk, x" "$KZ" replay --schema xml x.jsonl
expect 2 "--max-text: expected a size" "$KZ" replay --max-text lots x.jsonl
expect 2 "--top: expected an integer from 1 to 1000" "$KZ" replay --top 0 x.jsonl
expect 2 "--top needs a value" "$KZ" replay --top
expect 2 "--json takes no value" "$KZ" replay --json=yes x.jsonl
expect 2 "no input files" "$KZ" replay
expect 2 "cannot open\|No such file" "$KZ" replay -d "$tmp/dl" "$tmp/missing.jsonl"
expect 2 "expected at most one FILE" "$KZ" tokens a b
expect 2 "cannot read" "$KZ" tokens "$tmp/missing.txt"
printf '{"text":"Сәлем","ts":1741000000}\n' >"$tmp/one.jsonl"
expect 0 "1 posts decoded" "$KZ" replay -d "$tmp/dl" "$tmp/one.jsonl"
expect 0 "1 posts decoded" "$KZ" replay --dead-letters="$tmp/dl" --top=3 "$tmp/one.jsonl"

echo "$fails failed"
[ "$fails" -eq 0 ]
