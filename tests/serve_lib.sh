# serve_lib.sh -- helpers of the `kzpulse serve` tests (sourced, not run).
#
# serve_start NAME ARGS...: start `kzpulse serve ARGS... --listen 127.0.0.1:0`
# in the background, wait until it says which port it took (60 s), and set
# the variables port_NAME and pid_NAME.  serve_stop_all stops them (trap it).
serve_pids=()

serve_start() {
    local name=$1 i port=
    shift
    : >"$tmp/serve-$name.err"
    ${KZ_WRAP:-} "$KZ_BIN" serve "$@" --listen 127.0.0.1:0 2>"$tmp/serve-$name.err" &
    local pid=$!
    serve_pids+=("$pid")
    for i in $(seq 1 600); do
        port=$(sed -n 's/^kzpulse serve: listening on port \([0-9]*\) .*/\1/p' "$tmp/serve-$name.err")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "FAIL: serve $name did not start: $(cat "$tmp/serve-$name.err")"
        return 1
    fi
    printf -v "port_$name" '%s' "$port"
    printf -v "pid_$name" '%s' "$pid"
}

serve_stop_all() {
    local p
    for p in "${serve_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${serve_pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    serve_pids=()
}

# check DESC COND...: run COND; count a failure when it fails.
check() {
    local desc=$1
    shift
    if "$@"; then
        echo "ok   $desc"
    else
        echo "FAIL: $desc"
        fails=$((fails + 1))
    fi
}
