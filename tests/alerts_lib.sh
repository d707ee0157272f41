# shellcheck shell=sh
# alerts_lib.sh -- what the alert delivery tests share (sourced, not run):
# Redis in a database of the test's own (ALERTS_DB, flushed first), publishing
# records as the evaluator does, waiting, and the webhook receiver
# (alerts_rx.py).  Needs KZ_BIN, ROOT, tmp and ALERTS_DB set.
RX="$ROOT/tests/alerts_rx.py"
REDIS_URL="redis://127.0.0.1:$KZ_TEST_REDIS_PORT/$ALERTS_DB"
fails=0
pids=""
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }
rcli() { redis-cli -p "$KZ_TEST_REDIS_PORT" -n "$ALERTS_DB" "$@"; }
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }

# A test key of our own, 32 bytes.
KZPULSE_WEBHOOK_SECRET="whsec_$(printf 'delivery tests sign with this 32' | base64)"
export KZPULSE_WEBHOOK_SECRET

cleanup() {
    for p in $pids $(cat "$tmp"/*.holder 2>/dev/null); do
        kill -KILL "$p" 2>/dev/null
    done
    wait 2>/dev/null
    rm -rf "$tmp"
}

# publish ALERT_ID EVENT [REGION [LAST [FIRST]]]: XADD one event as the
# evaluator does; appends its expected webhook-id to $tmp/ids and its stream
# entry id to $tmp/entries.
publish() {
    state=firing
    [ "$2" = resolved ] && state=resolved
    rec=$(python3 "$RX" record "$1" "$state" "${3:-KZ-47}" "${4:--10}" "${5:-$((${4:--10} - 4))}")
    eid=$(rcli XADD kzp:v2:alerts MAXLEN '~' 100000 '*' id "$1" event "$2" record "$rec")
    echo "kzp_$1_$2_$eid" >>"$tmp/ids"
    echo "$eid" >>"$tmp/entries"
}

new_alert_id() {
    python3 -c 'import secrets; print(secrets.token_hex(16))'
}

# receiver NAME PORT [ARGS...]: start alerts_rx.py serve, logging to
# $tmp/NAME.log; its pid in $tmp/NAME.pid.
receiver() {
    name=$1 port=$2
    shift 2
    python3 "$RX" serve --port "$port" --log "$tmp/$name.log" "$@" 2>>"$tmp/$name.err" &
    echo $! >"$tmp/$name.pid"
    pids="$pids $!"
    i=0
    while ! python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$port" 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 50 ] || { fail "receiver $name did not start"; return 1; }
        sleep 0.1
    done
}

# hold_port NAME: a port kept closed (refusing connections) by
# tests/harness/hold-port until release_port NAME; prints the port.  Between
# free-port and a later bind, anything else (another receiver, an outgoing
# connection) could take a port left free; a held one cannot be taken.
hold_port() {
    "$ROOT/tests/harness/hold-port" "$tmp/$1.holder"
}

# release_port NAME: the holder gone, so the port can be bound at once.
release_port() {
    holder=$(cat "$tmp/$1.holder")
    kill "$holder" 2>/dev/null
    i=0
    while kill -0 "$holder" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

# wait_until SECONDS CMD...: run CMD every 0.2 s until it succeeds; 1 on timeout.
wait_until() {
    limit=$(($(date +%s) + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s)" -lt "$limit" ] || return 1
        sleep 0.2
    done
}

# lines FILE: its line count (0 when missing).
lines() {
    if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}
