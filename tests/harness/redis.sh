#!/bin/bash
# redis.sh -- a throwaway redis-server on a free loopback port.
#
#   redis.sh start DIR     start; writes DIR/redis.port, DIR/redis.pid
#   redis.sh stop DIR      SIGTERM, wait (SIGKILL after 20 s)
#   redis.sh restart DIR   stop, then start again with the same port and data
#
# `start` on a DIR whose server was stopped (it holds redis.port and
# redis.conf) starts it again on the same port with the same config and data,
# so a test can make an outage of any length: stop, sleep, start.
#
# Env: KZ_REDIS_AOF=1  turn on the append-only file with appendfsync always,
#                      so data survives `restart` (RDB snapshots are off).
# All state (config, log, AOF) lives in DIR.  Fails with the log tail when the
# server does not answer PING within 20 s.
set -eu

# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: $0 start|stop|restart DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$(kz_absdir "$2")
command -v redis-server >/dev/null || kz_die "redis-server not found (apt-get install redis-server)"
command -v redis-cli >/dev/null || kz_die "redis-cli not found (apt-get install redis-tools)"

write_conf() { # PORT
    if [ "${KZ_REDIS_AOF:-0}" = 1 ]; then aof=yes; else aof=no; fi
    cat >"$dir/redis.conf" <<CONF
# written by tests/harness/redis.sh
bind 127.0.0.1
port $1
daemonize no
save ""
appendonly $aof
appendfsync always
dir $dir
pidfile $dir/redis.pid
logfile $dir/redis.log
CONF
}

# launch PORT: start the server from DIR/redis.conf and wait for PONG.
# Returns 3 when the port turned out to be taken (caller may retry).
launch() {
    port=$1
    log_mark=$(kz_log_mark "$dir/redis.log" "$dir/redis.out")
    redis-server "$dir/redis.conf" </dev/null >>"$dir/redis.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/redis.pid"
    deadline=$((SECONDS + 20))
    while :; do
        if ! kz_alive "$pid"; then
            if kz_new_log_has "$log_mark" "Address already in use" "$dir/redis.log" "$dir/redis.out"; then
                return 3
            fi
            kz_tail "$dir/redis.log"
            kz_tail "$dir/redis.out"
            kz_die "redis-server exited during start-up (port $port, dir $dir)"
        fi
        if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
            echo "$port" >"$dir/redis.port"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            kz_tail "$dir/redis.log"
            kz_stop_pid "$pid" redis-server 5 || true
            kz_die "redis-server on port $port did not answer PING within 20 s"
        fi
        sleep 0.1
    done
}

running_pid() {
    if [ -s "$dir/redis.pid" ]; then
        p=$(cat "$dir/redis.pid")
        if kz_alive "$p" redis-server; then
            echo "$p"
        fi
    fi
}

do_start() {
    [ -z "$(running_pid)" ] || kz_die "redis already running for $dir (pid $(cat "$dir/redis.pid"))"
    if [ -s "$dir/redis.port" ] && [ -s "$dir/redis.conf" ]; then
        relaunch
        return
    fi
    for attempt in 1 2 3; do
        port=$("$KZ_HARNESS_BIN/free-port") || kz_die "free-port failed"
        write_conf "$port"
        rc=0
        launch "$port" || rc=$?
        [ "$rc" -eq 3 ] || return "$rc"
        kz_note "port $port was taken, retrying ($attempt)"
    done
    kz_die "could not find a free port for redis"
}

do_stop() {
    p=$(running_pid)
    [ -z "$p" ] || kz_stop_pid "$p" redis-server 20
    rm -f "$dir/redis.pid"
}

# relaunch: start again from DIR/redis.conf on the port in DIR/redis.port.
relaunch() {
    port=$(cat "$dir/redis.port")
    # The old socket may linger briefly; redis sets SO_REUSEADDR, but retry a few
    # times anyway rather than fail a fault-injection test on a race.
    for attempt in 1 2 3 4 5; do
        rc=0
        launch "$port" || rc=$?
        [ "$rc" -eq 3 ] || return "$rc"
        sleep 1
    done
    kz_die "port $port stayed busy; cannot restart redis"
}

do_restart() {
    [ -s "$dir/redis.port" ] && [ -s "$dir/redis.conf" ] ||
        kz_die "no redis.port/redis.conf in $dir: use start first"
    do_stop
    relaunch
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
restart) do_restart ;;
*) usage ;;
esac
