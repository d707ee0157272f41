#!/bin/bash
# with-servers.sh CMD ARGS... -- run CMD with a real Redis and Kafka broker
# (and a Prometheus Alertmanager when prometheus-alertmanager is installed).
#
# When KZ_TEST_BROKERS and KZ_TEST_REDIS_PORT are already set (tests/run.sh
# starts the servers once for the whole suite), this simply execs CMD.
# Otherwise it starts a throwaway redis-server and a KRaft Kafka broker in a
# temporary directory, exports
#   KZ_TEST_BROKERS=127.0.0.1:PORT  KZ_TEST_REDIS_PORT=PORT
#   KZ_TEST_REDIS_URL=redis://127.0.0.1:PORT  KZ_TEST_HARNESS_DIR=DIR
#   KZ_TEST_ALERTMANAGER_URL=http://127.0.0.1:PORT (only with an Alertmanager)
# runs CMD, always stops the servers (also on failure or signal), and exits
# with CMD's status.  Servers live in DIR/redis, DIR/kafka and
# DIR/alertmanager, so a test may
# call `redis.sh restart "$KZ_TEST_HARNESS_DIR/redis"` or the same for kafka.
# Env: KZ_KEEP_HARNESS_DIR=1 keeps DIR (logs) after the run.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }

if [ -n "${KZ_TEST_BROKERS:-}" ] && [ -n "${KZ_TEST_REDIS_PORT:-}" ]; then
    exec "$@"
fi

bin=$(cd "$(dirname "$0")" && pwd)
hdir=$(mktemp -d "${TMPDIR:-/tmp}/kzpulse-harness.XXXXXX")
status=0
child=
watchdog=

cleanup() {
    trap - EXIT INT TERM HUP
    if [ -n "$watchdog" ]; then
        kill "$watchdog" 2>/dev/null || true
    fi
    "$bin/kafka.sh" stop "$hdir/kafka" || status=1
    "$bin/redis.sh" stop "$hdir/redis" || status=1
    if [ -d "$hdir/alertmanager" ]; then
        "$bin/alertmanager.sh" stop "$hdir/alertmanager" || status=1
    fi
    if [ "${KZ_KEEP_HARNESS_DIR:-0}" = 1 ] || [ "$status" -ne 0 ]; then
        echo "with-servers: server logs kept in $hdir" >&2
    else
        rm -rf "$hdir"
    fi
}
on_exit() {
    cleanup
    exit "$status"
}
on_signal() {
    status=$1
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
    fi
    cleanup
    exit "$status"
}
trap on_exit EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# If this script is killed outright (SIGKILL, so no trap runs), a watchdog in
# its own session stops the servers once we are gone.
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
    "$2/kafka.sh" stop "$3/kafka"; "$2/redis.sh" stop "$3/redis"
    [ ! -d "$3/alertmanager" ] || "$2/alertmanager.sh" stop "$3/alertmanager"; rm -rf "$3"' \
    watchdog "$$" "$bin" "$hdir" </dev/null >/dev/null 2>&1 &
watchdog=$!

t0=$SECONDS
"$bin/redis.sh" start "$hdir/redis" || { status=1; echo "with-servers: redis failed to start" >&2; exit 1; }
"$bin/kafka.sh" start "$hdir/kafka" || { status=1; echo "with-servers: kafka failed to start" >&2; exit 1; }
# Alertmanager is optional: without the package (or when it will not start:
# said here) its tests skip, and the other tests run all the same.
if command -v "${KZ_ALERTMANAGER:-prometheus-alertmanager}" >/dev/null; then
    if "$bin/alertmanager.sh" start "$hdir/alertmanager"; then
        KZ_TEST_ALERTMANAGER_URL="http://127.0.0.1:$(cat "$hdir/alertmanager/alertmanager.port")"
        export KZ_TEST_ALERTMANAGER_URL
    else
        echo "with-servers: alertmanager failed to start; its tests will skip" >&2
    fi
fi
echo "with-servers: redis, kafka${KZ_TEST_ALERTMANAGER_URL:+ and alertmanager} up in $((SECONDS - t0)) s (dir $hdir)" >&2

KZ_TEST_REDIS_PORT=$(cat "$hdir/redis/redis.port")
KZ_TEST_BROKERS="127.0.0.1:$(cat "$hdir/kafka/kafka.port")"
KZ_TEST_REDIS_URL="redis://127.0.0.1:$KZ_TEST_REDIS_PORT"
KZ_TEST_HARNESS_DIR=$hdir
export KZ_TEST_REDIS_PORT KZ_TEST_BROKERS KZ_TEST_REDIS_URL KZ_TEST_HARNESS_DIR

# Run the command as a child (not exec) so the trap can stop the servers.  In
# the background + wait, so that a signal to this script is handled at once
# (and passed on to the command); stdin stays the caller's.
"$@" <&0 &
child=$!
wait "$child" || status=$?
# wait returns >128 when interrupted by a trapped signal; the trap exits.
exit "$status"
