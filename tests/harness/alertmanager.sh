#!/bin/bash
# alertmanager.sh -- a throwaway Prometheus Alertmanager on a free loopback port.
#
#   alertmanager.sh start DIR   start; writes DIR/alertmanager.port, DIR/alertmanager.pid
#   alertmanager.sh stop DIR    SIGTERM, wait (SIGKILL after 10 s)
#
# Debian's prometheus-alertmanager (apt-get install prometheus-alertmanager),
# with a config that routes every alert to a receiver that sends nothing, its
# data (silences, notification log) in DIR/data, clustering off (no gossip
# port), listening on 127.0.0.1 only.  Waits until /-/ready answers (20 s),
# or fails with the log's tail.
set -eu

# shellcheck source=tests/harness/lib.sh
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$(kz_absdir "$2")
bin=${KZ_ALERTMANAGER:-prometheus-alertmanager}
comm=prometheus-ale # /proc/PID/comm keeps 15 bytes

ready() { # PORT
    python3 - "$1" <<'PY' 2>/dev/null
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/-/ready" % sys.argv[1], timeout=2) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
}

do_start() {
    command -v "$bin" >/dev/null || kz_die "$bin not found (apt-get install prometheus-alertmanager)"
    mkdir -p "$dir/data"
    cat >"$dir/alertmanager.yml" <<'CONF'
# written by tests/harness/alertmanager.sh: keep every alert, notify no one
route:
  receiver: quiet
  group_wait: 1s
  group_interval: 1s
receivers:
  - name: quiet
CONF
    for attempt in 1 2 3; do
        port=$("$KZ_HARNESS_BIN/free-port") || kz_die "free-port failed"
        log_mark=$(kz_log_mark "$dir/alertmanager.log" /dev/null)
        "$bin" --config.file="$dir/alertmanager.yml" --storage.path="$dir/data" \
            --web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
            </dev/null >>"$dir/alertmanager.log" 2>&1 &
        pid=$!
        echo "$pid" >"$dir/alertmanager.pid"
        deadline=$((SECONDS + 20))
        while :; do
            if ! kz_alive "$pid"; then
                if kz_new_log_has "$log_mark" "address already in use" "$dir/alertmanager.log" /dev/null; then
                    kz_note "port $port was taken, retrying ($attempt)"
                    continue 2
                fi
                kz_tail "$dir/alertmanager.log"
                kz_die "alertmanager exited during start-up (port $port, dir $dir)"
            fi
            if ready "$port"; then
                echo "$port" >"$dir/alertmanager.port"
                return 0
            fi
            if [ "$SECONDS" -ge "$deadline" ]; then
                kz_tail "$dir/alertmanager.log"
                kz_stop_pid "$pid" "$comm" 5 || true
                kz_die "alertmanager on port $port was not ready within 20 s"
            fi
            sleep 0.2
        done
    done
    kz_die "could not find a free port for alertmanager"
}

do_stop() {
    if [ -s "$dir/alertmanager.pid" ]; then
        kz_stop_pid "$(cat "$dir/alertmanager.pid")" "$comm" 10
    fi
    rm -f "$dir/alertmanager.pid"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
*) usage ;;
esac
