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
for c in replay query tokens run produce classify eval train lexicon; do
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
expect 2 "--top: expected an integer from 0 (all) to 1000000" kz replay --top -1 x.jsonl
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

expect 0 "1 posts decoded" kz replay --limit 3 "$tmp/one.jsonl" -d "$tmp/dl"

# One name per concept: every flag that several commands share has the same
# short letter and metavariable in each, and each shared concept has one name
# (old names are accepted but never shown; see KZ_HIDDEN in cli/opts.h).
for c in replay query tokens run produce classify eval train lexicon; do
    kz $c --help | sed -n 's/^  \(-\(.\), \)\{0,1\} *--\([a-z0-9-]*\)\( \([A-Z|a-z=:]*\)\)\{0,1\} .*/\3 \2 \5/p' |
        sed "s/^/$c /" >>"$tmp/flags"
done
python3 - "$tmp/flags" <<'PY' || fails=$((fails + 1))
import sys, collections
by = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    parts = line.rstrip("\n").split(" ")
    cmd, name, short, meta = parts[0], parts[1], parts[2], " ".join(parts[3:])
    by[name][cmd] = (short, meta)
bad = 0
for name, cmds in sorted(by.items()):
    shapes = set(cmds.values())
    if len(shapes) > 1 and name not in ("rate",):
        print(f"FAIL: --{name} differs across commands: {cmds}"); bad += 1
# concept -> (its one name, the commands that take it, names it must never have)
concepts = {
    "entries in a top-k list": ("limit", {"replay", "query"}, {"top", "n", "max"}),
    "dead-letter file": ("dead-letters", {"replay", "classify"}, {"dead", "dlq", "dead-letter"}),
    "JSON output": ("json", {"replay", "query", "eval", "train"}, {"output", "format"}),
    "lexicon directory": ("lexicons", {"replay", "query", "run", "classify", "eval", "train"},
                          {"lexicon", "lex"}),
    "no lexicons": ("no-lexicons", {"replay", "query", "run", "classify"}, set()),
    "model files": ("model", {"replay", "run", "classify", "eval"}, {"models"}),
    "output file": ("out", {"train"}, {"output"}),
    "input schema": ("schema", {"replay", "query", "run", "classify", "produce"}, set()),
    "text limit": ("max-text", {"replay", "query", "run", "classify", "tokens"}, set()),
    "record limit": ("max-record", {"replay", "query", "run", "classify"}, set()),
    "future limit": ("max-future", {"replay", "query", "run", "classify"}, set()),
    "learning rate": ("learn-rate", {"train"}, set()),
}
for what, (name, cmds, never) in concepts.items():
    have = set(by.get(name, {}))
    if have != cmds:
        print(f"FAIL: {what}: --{name} in {sorted(have)}, want {sorted(cmds)}"); bad += 1
    for n in never:
        if n in by:
            print(f"FAIL: {what}: --{n} shown in {sorted(by[n])}; the one name is --{name}"); bad += 1
# --rate is produce's posts/s only; train's learning rate is --learn-rate
if set(by.get("rate", {})) != {"produce"}:
    print(f"FAIL: --rate shown in {sorted(by.get('rate', {}))}, want produce only"); bad += 1
print("ok   one name per shared flag" if not bad else f"{bad} flag-name problems")
sys.exit(1 if bad else 0)
PY

echo "$fails failed"
[ "$fails" -eq 0 ]
