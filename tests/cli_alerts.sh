#!/bin/sh
# cli_alerts.sh -- `kzpulse alerts --check-rules FILE`: the shipped rules are
# OK (exit 0, one line per rule); a file with mistakes gets every one of them
# as FILE:LINE:COL: message, in line order, and exit 2; an unreadable file, a
# missing --check-rules and a stray argument are usage errors (exit 2).
set -u
KZ_BIN="$1"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

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

expect 0 "alerts/default.rules: OK, 4 rules" kz alerts --check-rules "$ROOT/alerts/default.rules"
expect 0 "mob_call_region: call, each region apart, window 5 min" \
    kz alerts --check-rules "$ROOT/alerts/default.rules"

# A desk's own file, written by hand, with a Kazakh description.
cat >"$tmp/desk.rules" <<'RULES'
# Маңғыстау: шақырулар
[rule.zhanaozen_calls]
kind = "call"
region = ["KZ-47", "KZ-23"]   # Mangystau, Atyrau
window = 3
min_count = 8
min_authors = 4
threshold = 1e-6
severity = "critical"
description = "Жаңаөзен мен Атыраудағы шақырулар"
RULES
expect 0 "desk.rules: OK, 1 rule$" kz alerts --check-rules "$tmp/desk.rules"
expect 0 "zhanaozen_calls: call, KZ-47, KZ-23, window 3 min, p < 1e-06" \
    kz alerts --check-rules "$tmp/desk.rules"

cat >"$tmp/bad.rules" <<'RULES'
[rule.calls]
kind = "calls"
region = "KZ-99"
window = "5"
[rule.calls]
kind = "call"
tresholds = 1e-4
RULES
kz alerts --check-rules "$tmp/bad.rules" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && ok "a bad file exits 2" || fail "a bad file exits $rc, want 2"
[ -s "$tmp/out" ] && fail "a bad file printed to stdout" || ok "errors go to stderr only"
cat >"$tmp/want" <<EOF
$tmp/bad.rules:2:8: key "kind": expected one of call, topic, stance_share, term_surge, hashtag_surge; got "calls"
$tmp/bad.rules:3:10: key "region": unknown region "KZ-99" (known: all, any, KZ-10, KZ-11, KZ-15, KZ-19, KZ-23, KZ-27, KZ-31, KZ-33, KZ-35, KZ-39, KZ-43, KZ-47, KZ-55, KZ-59, KZ-61, KZ-62, KZ-63, KZ-71, KZ-75, KZ-79)
$tmp/bad.rules:4:10: key "window": expected minutes, an integer from 1 to 1440; got a string
$tmp/bad.rules:5:1: duplicate rule id "calls" (first on line 1)
$tmp/bad.rules:7:1: unknown key "tresholds" (accepted: id, kind, region, topic, stance, of, term, hashtag, window, baseline_weeks, min_count, min_authors, threshold, severity, cooldown, resolve_after, resolve_above, enabled, description)
kzpulse alerts: 5 errors in $tmp/bad.rules
EOF
if cmp -s "$tmp/want" "$tmp/err"; then ok "every error, in line order"; else
    fail "errors of bad.rules"; diff "$tmp/want" "$tmp/err" | sed 's/^/    /' | head -20
fi

expect 2 "$tmp/none.rules: cannot read: No such file or directory" \
    kz alerts --check-rules "$tmp/none.rules"
expect 2 "kzpulse alerts: 1 error in $tmp/none.rules" kz alerts --check-rules "$tmp/none.rules"
expect 2 "kzpulse alerts: --redis is required (or --check-rules FILE" kz alerts
expect 2 "kzpulse alerts: --group is required" kz alerts --redis redis://127.0.0.1:1
expect 2 "unexpected argument \"extra\"" kz alerts --check-rules "$tmp/desk.rules" extra
expect 2 "check-rules" kz alerts --check-rules
expect 0 "usage: kzpulse alerts --redis URL --group GROUP \[--rules FILE\] \[RECEIVER...\] | --deliver-only --redis URL RECEIVER... | --check-rules FILE" kz alerts --help

# Redis away: a line on stderr and a retry, never an exit; SIGTERM stops it (exit 0).
${KZ_WRAP:-} "$KZ_BIN" alerts --redis redis://127.0.0.1:1 --group g --rules "$tmp/desk.rules" \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 100); do # the second retry's line (slow under a checker)
    grep -q "retrying in 2 s" "$tmp/err" && break
    sleep 0.1
done
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 0 ] && grep -q "kzpulse alerts: --redis: .*127.0.0.1:1.*retrying in 1 s" "$tmp/err" &&
    grep -q "retrying in 2 s" "$tmp/err"; then
    ok "alerts with Redis away: retries, then SIGTERM exits 0"
else
    fail "alerts with Redis away: exit $rc"; sed 's/^/    /' "$tmp/err" | head -5
fi
# Rules the evaluator cannot take: refused before Redis is touched.
printf '[rule.t]\nkind = "hashtag_surge"\nhashtag = "бір екі"\n' >"$tmp/tag.rules"
expect 2 'rule t (line 1): hashtag "бір екі" is not one hashtag as posts write it' \
    kz alerts --redis redis://127.0.0.1:1 --group g --rules "$tmp/tag.rules"

# /metrics off loopback without a token: refused at start, as for serve and run.
expect 2 "0.0.0.0:1 is not a loopback address: refusing to serve it without a bearer token" \
    env -u KZPULSE_SERVE_TOKEN "$KZ_BIN" alerts --deliver-only --redis redis://127.0.0.1:1 \
    --deliver-file "f=$tmp/f.jsonl" --metrics-listen 0.0.0.0:1
expect 2 '--metrics-listen: expected ADDR:PORT .*got "nonsense"' \
    kz alerts --redis redis://127.0.0.1:1 --group g --metrics-listen nonsense

printf '[rule.p]\nkind = "topic"\ntopic = "protset"\nmin_authors = 0\n' >"$tmp/topic.rules"
expect 2 'rule p (line 1): topic "protset" is not a topic the lexicons know' \
    kz alerts --redis redis://127.0.0.1:1 --group g --rules "$tmp/topic.rules"

[ $fails -eq 0 ] && echo "all alerts command-line checks passed"
[ $fails -eq 0 ]
