#!/bin/sh
# cli_alerts_deliver.sh -- `kzpulse alerts --deliver-only`: what it refuses
# before it starts, with a message a person can act on and exit 2 (no Redis,
# no receiver, a webhook without a secret, an unreadable or bad secret file
# -- whose content is never shown --, bad URLs and names, an out file that
# cannot be made, a lease shorter than an attempt); and a Redis out of reach,
# which is waited for (logged), never a crash: SIGTERM still exits 0.  Needs no
# server; the deliveries are tested by cli_alerts_webhook.sh and its siblings.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
unset KZPULSE_WEBHOOK_SECRET

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

R=redis://127.0.0.1:1
D="alerts --deliver-only"
expect 2 "needs --redis URL" kz $D --deliver-file -
expect 2 "needs a receiver" kz $D --redis $R
expect 2 "expected redis://" kz $D --redis http://x --deliver-file -
expect 2 "needs a signing secret: --webhook-secret-file FILE or the environment variable KZPULSE_WEBHOOK_SECRET" \
    kz $D --redis $R --webhook ops=http://127.0.0.1:1/
expect 2 "$tmp/none" kz $D --redis $R --webhook ops=http://127.0.0.1:1/ --webhook-secret-file "$tmp/none"
printf 'whsec_not base64 at all, and secret\n' >"$tmp/bad.secret"
expect 2 "webhook secret" kz $D --redis $R --webhook ops=http://127.0.0.1:1/ \
    --webhook-secret-file "$tmp/bad.secret"
grep -q "secret\$" "$tmp/out" && fail "the bad secret's text is shown" || ok "the bad secret is not shown"
printf 'whsec_%s\n' "$(printf 'thirty-two bytes of test secret!' | base64)" >"$tmp/good.secret"
S="--webhook-secret-file $tmp/good.secret"
expect 2 "expected NAME=URL" kz $D --redis $R $S --webhook http://127.0.0.1:1/
expect 2 "expected an http:// or https:// URL" kz $D --redis $R $S --webhook ops=file:///etc/passwd
expect 2 "expected an http:// or https:// URL" kz $D --redis $R --alertmanager localhost:9093
expect 2 "\"ops\" is given already" kz $D --redis $R $S --webhook ops=http://a/ --webhook ops=http://b/
expect 2 "\"out\" is given already" kz $D --redis $R --deliver-file - --deliver-file "$tmp/x.jsonl"
expect 2 "/nonexistent/dir/a.jsonl" kz $D --redis $R --deliver-file /nonexistent/dir/a.jsonl
expect 2 "must exceed --deliver-timeout" kz $D --redis $R --deliver-file - --deliver-lease 5 \
    --deliver-timeout 10
expect 2 "expected seconds from 1 to 300" kz $D --redis $R --deliver-file - --deliver-timeout 0
expect 2 "unexpected argument \"extra\"" kz $D --redis $R --deliver-file - extra
KZPULSE_WEBHOOK_SECRET="$(cat "$tmp/good.secret")" expect 2 "needs a receiver" kz $D --redis $R

# Redis out of reach: waited for, logged, and SIGTERM still exits 0.
${KZ_WRAP:-} "$KZ_BIN" alerts --deliver-only --redis "$R" --deliver-file "$tmp/a.jsonl" \
    2>"$tmp/err" &
pid=$!
i=0
while ! grep -q "unreachable" "$tmp/err" 2>/dev/null && [ $i -lt 200 ]; do
    sleep 0.1
    i=$((i + 1))
done
sleep 0.5
kill -TERM "$pid"
wait "$pid"
st=$?
[ "$st" = 0 ] && ok "Redis out of reach: SIGTERM exits 0" || fail "Redis out of reach: exit $st"
grep -q "Redis 127.0.0.1:1 unreachable" "$tmp/err" && ok "... and says Redis is unreachable" ||
    { fail "no unreachable message"; cat "$tmp/err"; }
grep -q 'jsonl "out": 0 delivered' "$tmp/err" && ok "... with its counters" || fail "no counters"

exit $((fails > 0))
