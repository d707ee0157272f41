#!/bin/bash
# cli_redis_auth.sh -- the Redis password outside the URL: --redis-password-file
# and $REDISCLI_AUTH, their precedence, their errors, and that the password is
# never printed.  Starts its own redis-server (tests/harness/redis.sh) with
# requirepass, so the shared one stays open to the other tests; `run` writes
# through it from the harness's Kafka.  Needs tests/harness/with-servers.sh.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
tmp=$(mktemp -d)
trap '"$ROOT/tests/harness/redis.sh" stop "$tmp/redis" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok   $*"; }

mkdir -p "$tmp/redis"
"$ROOT/tests/harness/redis.sh" start "$tmp/redis" >/dev/null 2>&1 || { echo "FAIL: cannot start redis"; exit 1; }
port=$(cat "$tmp/redis/redis.port")
secret='kz-Сыр-6f1d!x'
redis-cli -p "$port" config set requirepass "$secret" >/dev/null
url="redis://127.0.0.1:$port/3"
printf '%s\n' "$secret" >"$tmp/pw"
printf 'wrong-one\n' >"$tmp/bad"
: >"$tmp/empty"
win=(--from 2026-03-01T00:00:00Z --to 2026-03-09T00:00:00Z)

# expect DESC EXIT PATTERN CMD...: exit status and a stderr pattern; the
# password never shows on stdout or stderr.
expect() {
    local desc=$1 want=$2 pat=$3
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$desc: exit $got, want $want: $(head -3 "$tmp/err")"
    elif [ -n "$pat" ] && ! grep -q -- "$pat" "$tmp/err"; then
        fail "$desc: stderr lacks \"$pat\": $(head -3 "$tmp/err")"
    elif grep -qF -- "$secret" "$tmp/out" "$tmp/err"; then
        fail "$desc: the password was printed"
    else
        ok "$desc"
    fi
}

expect "no password: refused by the server" 1 "NOAUTH\|auth" kz query series all --redis "$url" "${win[@]}"
expect "--redis-password-file" 0 "" kz query series all --redis "$url" --redis-password-file "$tmp/pw" "${win[@]}"
expect "REDISCLI_AUTH" 0 "" env REDISCLI_AUTH="$secret" "$KZ_BIN" query series all --redis "$url" "${win[@]}"
expect "the URL's password" 0 "" kz query series all --redis "redis://:$secret@127.0.0.1:$port/3" "${win[@]}"
expect "the file wins over a wrong URL password" 0 "" \
    kz query series all --redis "redis://:wrong@127.0.0.1:$port/3" --redis-password-file "$tmp/pw" "${win[@]}"
expect "the URL wins over REDISCLI_AUTH" 1 "" \
    env REDISCLI_AUTH="$secret" "$KZ_BIN" query series all --redis "redis://:wrong@127.0.0.1:$port/3" "${win[@]}"
expect "a wrong password in the file" 1 "" kz query series all --redis "$url" --redis-password-file "$tmp/bad" "${win[@]}"
expect "an empty password file" 2 "$tmp/empty: the first line is empty" \
    kz query series all --redis "$url" --redis-password-file "$tmp/empty" "${win[@]}"
expect "a missing password file" 2 "$tmp/none: No such file" \
    kz query series all --redis "$url" --redis-password-file "$tmp/none" "${win[@]}"
head -c 300 /dev/zero | tr '\0' 'k' >"$tmp/long"
expect "a password longer than 255 bytes" 2 "longer than 255 bytes" \
    kz query series all --redis "$url" --redis-password-file "$tmp/long" "${win[@]}"
printf '{"redis": "%s", "redis_password_file": "%s"}\n' "$url" "$tmp/pw" >"$tmp/conf.json"
expect "redis_password_file in the config file" 0 "" kz query series all --config "$tmp/conf.json" "${win[@]}"

# run writes through the password: the sample archive's posts are all counted.
topic="auth-$$-$(date +%s)"
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$ROOT/samples/posts.jsonl" 2>/dev/null || fail "produce"
timeout 120 "$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "auth-$topic" --redis "$url" \
    --redis-password-file "$tmp/pw" --lexicons "$ROOT/lexicons" --until-eof --stats-interval 0 \
    --minute-ttl 0 --hour-ttl 0 >"$tmp/run.out" 2>"$tmp/run.err" || fail "run with a password file: $(tail -3 "$tmp/run.err")"
grep -qF -- "$secret" "$tmp/run.out" "$tmp/run.err" && fail "run printed the password"
want=$(kz query series all --gran hour "${win[@]}" --lexicons "$ROOT/lexicons" "$ROOT/samples/posts.jsonl" 2>/dev/null |
    awk -F'\t' '$1 == "total" { print $2 }')
if kz query series all --redis "$url" --redis-password-file "$tmp/pw" --gran hour "${win[@]}" \
    >"$tmp/series" 2>"$tmp/series.err"; then
    total=$(awk -F'\t' '$1 == "total" { print $2 }' "$tmp/series")
    if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$total" = "$want" ]; then
        ok "run through a password file counted the archive's $want posts of its week"
    else
        fail "run through a password file: $total posts in Redis, want $want"
    fi
else
    fail "query after run: $(cat "$tmp/series.err")"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
