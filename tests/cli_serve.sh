#!/bin/bash
# cli_serve.sh -- `kzpulse serve` against real servers: the API answers what
# `kzpulse query --json` prints, over archives and over Redis (filled by
# `kzpulse run` from Kafka); 400 naming the parameter, 404, 405, 503 with
# Retry-After when Redis is unreachable; a non-loopback address without a
# token is refused and, with a token, requests without it get 401; every path
# of the OpenAPI document answers what its schema declares
# (serve_openapi.py); the alert stream over /api/v1/alerts and the event
# stream with Last-Event-ID resume (serve_sse.py).
# Needs tests/harness/with-servers.sh.
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
HERE="$ROOT/tests"
: "${KZ_TEST_BROKERS:?run under tests/harness/with-servers.sh}"
: "${KZ_TEST_REDIS_PORT:?run under tests/harness/with-servers.sh}"
tmp=$(mktemp -d)
fails=0
. "$HERE/serve_lib.sh"
dead_holder=
trap 'serve_stop_all; [ -z "$dead_holder" ] || kill "$dead_holder" 2>/dev/null; rm -rf "$tmp"' EXIT
topic="serve-$$-$(date +%s)"
db=8
url="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/$db"
archive="$ROOT/samples/posts.jsonl"
lex=(--lexicons "$ROOT/lexicons")

redis-cli -p "$KZ_TEST_REDIS_PORT" -n $db flushdb >/dev/null
"$KZ_BIN" produce -b "$KZ_TEST_BROKERS" -t "$topic" "$archive" 2>/dev/null || { echo "FAIL: produce"; exit 1; }
timeout 120 "$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "s-$topic" --redis "$url" "${lex[@]}" \
    --until-eof --stats-interval 0 --minute-ttl 0 --hour-ttl 0 2>/dev/null || { echo "FAIL: run"; exit 1; }

serve_start mem "${lex[@]}" --dead-letters "$tmp/serve-dead.jsonl" "$archive" || exit 1
serve_start redis "${lex[@]}" --redis "$url" || exit 1
echo "ok   serving the archive on port $port_mem and Redis on port $port_redis"
# The archive's records that cannot be decoded: written with their reasons,
# the same lines as replay's dead letters, and said on stderr.
"$KZ_BIN" replay "${lex[@]}" -d "$tmp/replay-dead.jsonl" "$archive" >/dev/null 2>&1
ndead=$(wc -l <"$tmp/replay-dead.jsonl")
# (each record but its detail, which quotes the arrival time of its own run)
nodetail() { python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l); r.pop("detail", None); print(json.dumps(r, sort_keys=True))' "$1"; }
if [ "$ndead" -gt 0 ] && [ "$(nodetail "$tmp/serve-dead.jsonl")" = "$(nodetail "$tmp/replay-dead.jsonl")" ] &&
    grep -q "^kzpulse serve: $ndead records could not be decoded .* written with their reasons to $tmp/serve-dead.jsonl" "$tmp/serve-mem.err"; then
    echo "ok   serve --dead-letters: the $ndead dead letters replay writes, said on stderr"
else
    echo "FAIL: serve --dead-letters: $(wc -l <"$tmp/serve-dead.jsonl" 2>/dev/null) lines against replay's $ndead; $(grep 'could not be decoded' "$tmp/serve-mem.err")"
    fails=$((fails + 1))
fi

# same DESC PATH QUERY -- CLI ARGS...: the API's body equals the command's output, byte for byte.
same() {
    local desc=$1 path=$2 qs=$3
    shift 4
    local store
    for store in mem redis; do
        local port_var="port_$store" src=("$archive")
        [ $store = redis ] && src=(--redis "$url")
        curl -s -o "$tmp/api.out" -w '%{http_code}' "http://127.0.0.1:${!port_var}$path?$qs" >"$tmp/code"
        "$KZ_BIN" query "$@" --json "${lex[@]}" "${src[@]}" >"$tmp/cli.out" 2>/dev/null
        if [ "$(cat "$tmp/code")" = 200 ] && [ -s "$tmp/cli.out" ] && cmp -s "$tmp/api.out" "$tmp/cli.out"; then
            echo "ok   $desc ($store)"
        else
            echo "FAIL: $desc ($store): HTTP $(cat "$tmp/code")"
            diff <(head -c 600 "$tmp/api.out") <(head -c 600 "$tmp/cli.out")
            fails=$((fails + 1))
        fi
    done
}
W='from=2026-03-01T00:00:00Z&to=2026-03-09T00:00:00Z'
WC=(--from 2026-03-01T00:00:00Z --to 2026-03-09T00:00:00Z)
# Concurrent requests over Redis (a store each): every answer is the command's, byte for byte.
"$KZ_BIN" query series all "${WC[@]}" --step hour --json "${lex[@]}" --redis "$url" >"$tmp/conc.want" 2>/dev/null
conc=()
for w in 1 2 3 4 5 6; do
    (for _ in $(seq 1 15); do
        curl -s "http://127.0.0.1:$port_redis/api/v1/series?dim=all&$W&step=hour" >"$tmp/conc.$w"
        cmp -s "$tmp/conc.$w" "$tmp/conc.want" || echo x >>"$tmp/conc.bad"
    done) &
    conc+=($!)
done
wait "${conc[@]}"
check "90 requests from six clients at once over Redis, each the command's answer" \
    test ! -e "$tmp/conc.bad" -a -s "$tmp/conc.want"
same "hourly series of all" /api/v1/series "dim=all&$W&step=hour" -- series all "${WC[@]}" --step hour
same "minute series of a topic, UTC" /api/v1/series "dim=topic%3Aprotest&from=2026-03-05T08:00:00Z&to=2026-03-05T13:00:00Z&step=minute&tz=UTC" \
    -- series topic:protest --from 2026-03-05T08:00:00Z --to 2026-03-05T13:00:00Z --step minute --tz UTC
same "series of a cross (escaped |)" /api/v1/series "dim=topic:protest%7Cregion:KZ-47&$W" -- series "topic:protest|region:KZ-47" "${WC[@]}"
same "daily series, Russian names of a region" /api/v1/series "dim=region:kz-47&$W&step=day&names=ru" -- series region:kz-47 "${WC[@]}" --step day --names ru
same "top hashtags" /api/v1/top "kind=hashtag&limit=20&$W" -- top hashtag --limit 20 "${WC[@]}"
same "all channels" /api/v1/top "kind=channel&limit=0&$W" -- top channel --limit 0 "${WC[@]}"
same "distinct authors of a topic" /api/v1/distinct "dim=topic:economy&$W" -- distinct topic:economy "${WC[@]}"
same "region totals, Kazakh names" /api/v1/dims "dim=region:&names=kk&$W" -- dims region: --names kk "${WC[@]}"
same "sample posts of mob:call" /api/v1/posts "dim=mob:call&limit=0&$W" -- posts mob:call --limit 0 "${WC[@]}"
same "sample posts of a region (+ in a time)" /api/v1/posts "dim=region:KZ-47&from=2026-03-05T17:00:00%2B05:00&to=2026-03-05T23:00:00%2B05:00" \
    -- posts region:KZ-47 --from 2026-03-05T17:00:00+05:00 --to 2026-03-05T23:00:00+05:00
# Undated posts differ by design between the stores (cli_query.sh); the
# archive's default window is its data's span, with or without the API.
curl -s "http://127.0.0.1:$port_mem/api/v1/series?dim=all" >"$tmp/api.out"
"$KZ_BIN" query series all --json "${lex[@]}" "$archive" >"$tmp/cli.out" 2>/dev/null
check "archive: the default window is the data's span, as in the command" cmp -s "$tmp/api.out" "$tmp/cli.out"

# status STORE EXPECTED-CODE PATTERN PATH [CURL ARGS...]: the code, and the body matching.
status() {
    local store=$1 want=$2 pat=$3 path=$4
    shift 4
    local port_var="port_$store"
    local code
    code=$(curl -s -o "$tmp/st.out" -D "$tmp/st.hdr" -w '%{http_code}' "$@" "http://127.0.0.1:${!port_var}$path")
    if [ "$code" = "$want" ] && grep -q -- "$pat" "$tmp/st.out" "$tmp/st.hdr"; then
        echo "ok   $want $path"
    else
        echo "FAIL: $path: expected $want matching $pat, got $code: $(head -c 300 "$tmp/st.out")"
        fails=$((fails + 1))
    fi
}
status mem 400 '"parameter":"form"' "/api/v1/series?form=-2h"
status mem 400 '"parameter":"from".*RFC 3339' "/api/v1/series?from=yesterday"
status mem 400 '"parameter":"step"' "/api/v1/series?step=week"
status mem 400 '"parameter":"tz"' "/api/v1/series?tz=Mars/Olympus"
status mem 400 '"parameter":"to".*empty window' "/api/v1/series?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z"
status mem 400 '"parameter":"from".*future' "/api/v1/series?from=2099-01-01T00:00:00Z"
status mem 400 '"parameter":"from".*minute buckets.*coarser step' "/api/v1/series?step=minute&from=2020-01-01T00:00:00Z"
status mem 400 '"parameter":"from".*hour buckets' "/api/v1/top?kind=term&from=1900-01-01T00:00:00Z&tz=UTC"
status mem 200 '"points"' "/api/v1/series?step=hour&from=2020-01-01T00:00:00Z"
status redis 400 '"parameter":"from".*minute buckets' "/api/v1/posts?dim=topic:protest&from=2020-01-01T00:00:00Z"
status mem 200 '"posts"' "/api/v1/posts?dim=topic:protest&from=2020-01-01T00:00:00Z"
status mem 400 '"parameter":"dim".*unknown topic' "/api/v1/series?dim=topic:mars"
status mem 400 '"parameter":"dim".*unknown region' "/api/v1/posts?dim=region:mars"
status mem 400 '"parameter":"kind".*required' "/api/v1/top"
status mem 400 '"parameter":"kind".*hashtag, term, channel' "/api/v1/top?kind=emoji"
status mem 400 '"parameter":"limit"' "/api/v1/top?kind=term&limit=-1"
status mem 400 '"parameter":"dim".*more than once' "/api/v1/series?dim=all&dim=all"
status mem 400 '"parameter":"dim".*percent' "/api/v1/series?dim=topic%3"
status mem 400 '"parameter":"dim".*not taken' "/api/v1/top?kind=term&dim=all"
status mem 400 '"parameter":"names"' "/api/v1/dims?dim=region:&names=fr"
status mem 400 '"parameter":"step","message":"parameter .*got ..??' "/api/v1/series?step=%FF%0A"
status mem 400 '"parameter":"n?me","message"' "/api/v1/series?n%0Ame=1"
status mem 404 '"status":404' "/api/v1/nothing"
status mem 404 '"status":404' "/api/v1/series/../openapi.json" --path-as-is
status mem 404 '"status":404' "/api/v1/%73eries"
status mem 405 'Allow: GET' "/api/v1/series" -X POST -d x=1
status mem 405 '"status":405' "/api/v1/series" -X DELETE
status mem 413 '"status":413' "/api/v1/series" -X GET -d x=1
# A large body or a chunked one is refused at once with the same JSON answer,
# never read, never a cut connection with no answer.
head -c 100000 /dev/zero | tr '\0' b >"$tmp/big.body"
status mem 413 '"message":"a GET takes no body"' "/api/v1/series" -X GET --data-binary @"$tmp/big.body"
status mem 413 '"status":413' "/api/v1/series" -X GET -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big.body"
status mem 413 '"status":413' "/api/v1/series" -X GET -H 'Expect: 100-continue' --data-binary @"$tmp/big.body"
long=$(head -c 40000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_mem/api/v1/series?dim=$long")
check "a request line over the connection's 32 KiB is refused ($code)" test "$code" = 414 -o "$code" = 431
# Requests the HTTP layer refuses, or a client cuts, are counted too.
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $long" "http://127.0.0.1:$port_mem/api/v1/series")
check "a header over 32 KiB is refused ($code)" test "$code" = 431
python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/v1/series HTTP/1.1\r\nHost: kzpulse\r\n")
time.sleep(0.3)
s.close()' "$port_mem"
failed_metrics() {
    curl -s "http://127.0.0.1:$port_mem/metrics" | grep -c \
        -e '^kzpulse_http_requests_failed_total{reason="error"} [1-9]' \
        -e '^kzpulse_http_requests_failed_total{reason="client_abort"} [1-9]'
}
for _ in $(seq 1 20); do
    [ "$(failed_metrics)" = 2 ] && break
    sleep 0.1
done
check "... counted: kzpulse_http_requests_failed_total, reasons error and client_abort" \
    test "$(failed_metrics)" = 2
conns=$(curl -s -o /dev/null -o /dev/null -w '%{num_connects} ' "http://127.0.0.1:$port_mem/api/v1/distinct" \
    "http://127.0.0.1:$port_mem/api/v1/distinct")
check "two GETs share one kept-alive connection (connects: $conns)" test "$conns" = "1 0 "
status mem 200 '"alerts":\[\]' "/api/v1/alerts"
status mem 200 '"alerts":\[\]' "/api/v1/alerts?limit=1000"
status mem 400 '"parameter":"limit".*at most 1000 alerts' "/api/v1/alerts?limit=1001"
status mem 200 'X-Content-Type-Options: nosniff' "/api/v1/series"
if grep -qi '^Access-Control' "$tmp/st.hdr"; then
    echo "FAIL: CORS headers without --cors-origin"; fails=$((fails + 1))
else
    echo "ok   no CORS headers unless configured"
fi

# Redis unreachable: 503 with Retry-After, and the server keeps running.
# The port is held closed (not merely free) so that nothing can take it.
dead_port=$("$HERE/harness/hold-port" "$tmp/dead.holder") || exit 1
dead_holder=$(cat "$tmp/dead.holder")
serve_start dead --no-lexicons --redis "redis://127.0.0.1:$dead_port" || exit 1
status dead 503 'Retry-After: 5' "/api/v1/series?dim=all"
status dead 503 '"status":503' "/api/v1/alerts"
status dead 200 'kzpulse_http_requests_total{code="503"} 2' "/metrics"
kill "$dead_holder"

# Security: a non-loopback address needs a token; with one, 401 without it
# (but for the dashboard's own files).
out=$(env -u KZPULSE_SERVE_TOKEN "$KZ_BIN" serve --no-lexicons --listen 0.0.0.0:1 "$archive" 2>&1)
rc=$?
check "a non-loopback address without a token is refused (exit 2)" \
    test $rc -eq 2 -a -n "$(echo "$out" | grep 'not a loopback address: refusing')"
out=$(env -u KZPULSE_SERVE_TOKEN "$KZ_BIN" serve --no-lexicons --listen '[::]:1' "$archive" 2>&1)
check "... nor [::] (exit 2)" test $? -eq 2 -a -n "$(echo "$out" | grep 'refusing')"
printf 'сенім-белгісі-42\n' >"$tmp/token"
serve_start tok --no-lexicons --token-file "$tmp/token" --cors-origin https://dash.example.kz "$archive" || exit 1
status tok 401 'WWW-Authenticate: Bearer' "/api/v1/series"
status tok 401 '"status":401' "/api/v1/series" -H "Authorization: Bearer сенім-белгісі-41"
status tok 401 '"status":401' "/metrics" -H "Authorization: Bearer сенім-белгісі-42x"
status tok 401 '"status":401' "/api/v1/series" -H "Authorization: Basic c2VuaW0="
status tok 200 '"query":"series"' "/api/v1/series" -H "Authorization: Bearer сенім-белгісі-42"
status tok 200 'Access-Control-Allow-Origin: https://dash.example.kz' "/api/v1/series" -H "Authorization: bearer сенім-белгісі-42"
# The dashboard's own files hold no data: served without the token (the page
# asks for it); everything else, and anything but GET, still needs it.
status tok 200 'Content-Security-Policy' "/?from=-2h"
status tok 200 'text/javascript\|application/javascript' "/assets/app.js"
status tok 401 '"status":401' "/api/v1/openapi.json"
status tok 401 '"status":401' "/api/v1/stream"
status tok 401 '"status":401' "/" -X POST -d x=1
status tok 401 '"status":401' "/assets/nothing.js"
export KZPULSE_SERVE_TOKEN=env-token
serve_start envtok --no-lexicons "$archive" || exit 1
unset KZPULSE_SERVE_TOKEN
status envtok 401 '"status":401' "/api/v1/dims?dim=lang:"
status envtok 200 '"lang:kk"' "/api/v1/dims?dim=lang:" -H "Authorization: Bearer env-token"

# Every path of the OpenAPI document, against both stores.
for store in mem redis; do
    port_var="port_$store"
    if python3 "$HERE/serve_openapi.py" "http://127.0.0.1:${!port_var}" "$ROOT/serve/openapi.json" >"$tmp/oa.out" 2>&1; then
        echo "ok   the OpenAPI document's paths answer as declared ($store: $(tail -1 "$tmp/oa.out"))"
    else
        echo "FAIL: OpenAPI walk ($store):"; cat "$tmp/oa.out"; fails=$((fails + 1))
    fi
done

# The alert stream and the event stream, with Last-Event-ID resume.
if python3 "$HERE/serve_sse.py" "http://127.0.0.1:$port_redis" "$KZ_TEST_REDIS_PORT" $db \
    "$KZ_BIN" "$KZ_TEST_BROKERS" "$url" >"$tmp/sse.out" 2>&1; then
    sed 's/^/ok   /' "$tmp/sse.out"
else
    echo "FAIL: alerts and event stream:"; cat "$tmp/sse.out"; fails=$((fails + 1))
fi

# Redis away while a client catches up (a private redis-server, so the
# harness's is left alone): an "event: gap" with the last alert sent as its
# id; reconnecting with that id once Redis is back gets the rest, in order.
mkdir -p "$tmp/redis-gap"
if KZ_REDIS_AOF=1 "$HERE/harness/redis.sh" start "$tmp/redis-gap" >/dev/null 2>&1; then
    gport=$(cat "$tmp/redis-gap/redis.port")
    serve_start gap --no-lexicons --redis "redis://127.0.0.1:$gport/0" || exit 1
    g=()
    for n in 1 2 3; do
        g+=("$(redis-cli -p "$gport" XADD kzp:v2:alerts '*' id "g$n" event fired record '{"n":'$n'}')")
    done
    sse() { curl -sN -m "$1" -H "Last-Event-ID: $2" "http://127.0.0.1:$port_gap/api/v1/stream"; }
    polled=0
    for _ in $(seq 1 50); do # the server's poller has read the three
        sse 1.5 "${g[2]}" | grep -qx "id: ${g[2]}" && { polled=1; break; }
        sleep 0.2
    done
    check "the server's poller read the three alerts" test $polled = 1
    "$HERE/harness/redis.sh" stop "$tmp/redis-gap" >/dev/null 2>&1
    sse 3 "${g[0]}" >"$tmp/gap.out"
    check "Redis away while catching up: an event: gap, its id the last alert sent" \
        test "$(grep -A1 -x 'event: gap' "$tmp/gap.out" | tail -1)" = "id: ${g[0]}"
    "$HERE/harness/redis.sh" start "$tmp/redis-gap" >/dev/null 2>&1 ||
        { echo "FAIL: private redis: start again"; fails=$((fails + 1)); }
    sse 3 "${g[0]}" >"$tmp/gap2.out"
    got=$(grep -A1 -x 'event: alert' "$tmp/gap2.out" | sed -n 's/^id: //p' | tr '\n' ' ')
    check "... reconnecting with it once Redis is back gets the rest, in order ($got)" \
        test "$got" = "${g[1]} ${g[2]} "
    "$HERE/harness/redis.sh" stop "$tmp/redis-gap" >/dev/null 2>&1
else
    echo "FAIL: a private redis-server did not start"; fails=$((fails + 1))
fi

# kzpulse run --metrics-listen: the streaming job's own metrics, scraped while it runs.
redis-cli -p "$KZ_TEST_REDIS_PORT" -n 9 flushdb >/dev/null
: >"$tmp/run.err"
"$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g "m-$topic" --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/9" \
    "${lex[@]}" --stats-interval 0 --minute-ttl 0 --hour-ttl 0 --metrics-listen 127.0.0.1:0 2>"$tmp/run.err" &
run_pid=$!
mport=
for i in $(seq 1 100); do
    mport=$(sed -n 's/^kzpulse run: metrics on port \([0-9]*\).*/\1/p' "$tmp/run.err")
    [ -n "$mport" ] && break
    sleep 0.1
done
posts=$(sed -n 's/^kzpulse serve: \([0-9]*\) posts replayed.*/\1/p' "$tmp/serve-mem.err")
sum=
for i in $(seq 1 60); do
    curl -s "http://127.0.0.1:$mport/metrics" >"$tmp/run.metrics"
    sum=$(awk '/^kzpulse_posts_total\{/ { s += $2 } END { print s + 0 }' "$tmp/run.metrics")
    [ "$sum" = "$posts" ] && grep -q '^kzpulse_consumer_lag_messages 0$' "$tmp/run.metrics" && break
    sleep 1
done
check "run --metrics-listen: kzpulse_posts_total sums to the $posts posts (got $sum)" test "$sum" = "$posts"
check "run --metrics-listen: consumer lag 0 once drained" grep -q '^kzpulse_consumer_lag_messages 0$' "$tmp/run.metrics"
# each a command of its own: one grep with the others as its "files" passed
# on the first match alone
run_metrics_complete() {
    grep -q '^kzpulse_batches_applied_total [1-9]' "$tmp/run.metrics" &&
        grep -q '^kzpulse_apply_duration_seconds_count [1-9]' "$tmp/run.metrics" &&
        grep -q '^kzpulse_watermark_age_seconds [0-9]' "$tmp/run.metrics" &&
        grep -q '^kzpulse_dead_letters_total{reason="bad_json"} [1-9]' "$tmp/run.metrics" &&
        ! grep -q '^kzpulse_alerts_' "$tmp/run.metrics"
}
check "run --metrics-listen: batches applied, apply latency, watermark age, dead letters, no alert counters" \
    run_metrics_complete
serve_start wm --no-lexicons --redis "redis://127.0.0.1:$KZ_TEST_REDIS_PORT/9" --group "m-$topic" || exit 1
status wm 200 '^kzpulse_watermark_age_seconds [0-9]' /metrics
check "run --metrics-listen: only /metrics" test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/api/v1/series")" = 404
kill -TERM $run_pid
wait $run_pid
check "run --metrics-listen: SIGTERM still stops the job cleanly (exit 0)" test $? -eq 0
out=$(env -u KZPULSE_SERVE_TOKEN "$KZ_BIN" run -b "$KZ_TEST_BROKERS" -t "$topic" -g x --redis "$url" \
    --metrics-listen 0.0.0.0:1 2>&1)
check "run --metrics-listen on a non-loopback address without a token is refused (exit 2)" \
    test $? -eq 2 -a -n "$(echo "$out" | grep 'refusing')"

serve_stop_all
for f in mem redis dead tok envtok; do
    grep -q 'stopping (SIGTERM)' "$tmp/serve-$f.err" ||
        { echo "FAIL: serve $f did not stop cleanly: $(tail -2 "$tmp/serve-$f.err")"; fails=$((fails + 1)); }
done

echo "$fails failed"
[ "$fails" -eq 0 ]
