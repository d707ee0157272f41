#!/bin/bash
# kafka.sh -- a throwaway Apache Kafka 3.9.1 broker (KRaft, combined mode).
#
#   kafka.sh start DIR     format DIR/data, start, wait until it serves metadata
#   kafka.sh stop DIR      SIGTERM, wait up to 20 s, then SIGKILL
#   kafka.sh restart DIR   stop, then start again with the same ports and data
#
# One JVM is both controller and broker (node.id=1), listening on two free
# loopback ports: PLAINTEXT for clients (DIR/kafka.port) and CONTROLLER for the
# quorum (DIR/kafka.cport).  Logs go to DIR/kafka.log (log4j 1 properties for
# reload4j, written into DIR); the JVM's own stdout/stderr to DIR/kafka.out.
# Readiness means a real Metadata request answered with a broker listed
# (kafka-probe), not merely an open port: a KRaft broker accepts connections
# before it is unfenced.
#
# Env: KZ_CACHE                  jar cache root (see kafka-fetch.sh)
#      KZ_KAFKA_START_TIMEOUT    seconds to wait for readiness (default 90)
#      KZ_KAFKA_JAVA_OPTS        extra JVM options
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
timeout=${KZ_KAFKA_START_TIMEOUT:-90}

running_pid() {
    if [ -s "$dir/kafka.pid" ]; then
        p=$(cat "$dir/kafka.pid")
        if kz_alive "$p" java; then
            echo "$p"
        fi
    fi
}

write_config() { # PORT CPORT
    cat >"$dir/server.properties" <<CONF
# written by tests/harness/kafka.sh -- single-node KRaft, tests only
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$2
listeners=PLAINTEXT://127.0.0.1:$1,CONTROLLER://127.0.0.1:$2
advertised.listeners=PLAINTEXT://127.0.0.1:$1
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/data
num.partitions=4
auto.create.topics.enable=true
delete.topic.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Small internal topics: a one-node test broker creates them faster.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
num.network.threads=2
num.io.threads=4
auto.leader.rebalance.enable=false
CONF
    cat >"$dir/log4j.properties" <<CONF
# written by tests/harness/kafka.sh (log4j 1.x syntax, read by reload4j)
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$dir/kafka.log
log4j.appender.file.Append=true
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
# Per-partition and per-request chatter: warnings only.
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage=WARN
log4j.logger.kafka.cluster=WARN
log4j.logger.kafka.server.epoch=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN
CONF
}

# java_args MAIN ARGS...: set the array jargs to a full java command line.
java_args() {
    main=$1
    shift
    jargs=(java -Xmx512m -Xms256m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
        "-Dlog4j.configuration=file:$dir/log4j.properties" "-Dkafka.logs.dir=$dir")
    if [ -n "${KZ_KAFKA_JAVA_OPTS:-}" ]; then
        # shellcheck disable=SC2206 # a list of words by design
        jargs+=(${KZ_KAFKA_JAVA_OPTS})
    fi
    jargs+=(-cp "$libs/*" "$main" "$@")
}

format_storage() {
    [ -f "$dir/data/meta.properties" ] && return 0
    # A cluster id is 16 random bytes, base64url without padding (what
    # `kafka-storage random-uuid` prints; python saves one JVM start).  Like
    # Kafka's Uuid.randomUuid, never start with "-": the argument parser would
    # take it for an option (1 run in 64 failed before).
    cluster_id=$(python3 -c '
import base64, os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not s.startswith("-"):
        print(s)
        break')
    java_args kafka.tools.StorageTool format "--cluster-id=$cluster_id" -c "$dir/server.properties"
    if ! "${jargs[@]}" </dev/null >"$dir/format.log" 2>&1; then
        kz_tail "$dir/format.log"
        kz_die "kafka storage format failed in $dir/data"
    fi
}

# launch: start the JVM, wait for readiness.  Returns 3 if a port was taken.
launch() {
    port=$(cat "$dir/kafka.port.new")
    start_time=$SECONDS
    java_args kafka.Kafka "$dir/server.properties"
    log_mark=$(kz_log_mark "$dir/kafka.log" "$dir/kafka.out")
    # A simple command in the background: $! is the JVM itself, not a subshell.
    "${jargs[@]}" </dev/null >>"$dir/kafka.out" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/kafka.pid"
    deadline=$((SECONDS + timeout))
    while :; do
        if ! kz_alive "$pid" java; then
            if kz_new_log_has "$log_mark" "Address already in use" "$dir/kafka.log" "$dir/kafka.out"; then
                return 3
            fi
            kz_tail "$dir/kafka.out" 20
            kz_tail "$dir/kafka.log"
            kz_die "kafka broker exited during start-up (port $port, dir $dir)"
        fi
        # Cheap TCP check first, then one real Metadata request.
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
            "$KZ_HARNESS_BIN/kafka-probe" "127.0.0.1:$port" 2 2>/dev/null; then
            mv -f "$dir/kafka.port.new" "$dir/kafka.port"
            kz_note "kafka broker ready on 127.0.0.1:$port in $((SECONDS - start_time)) s (pid $pid)"
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            kz_tail "$dir/kafka.log"
            kz_stop_pid "$pid" java 5 || true
            kz_die "kafka broker on port $port not ready within $timeout s"
        fi
        sleep 0.25
    done
}

do_start() {
    [ -z "$(running_pid)" ] || kz_die "kafka already running for $dir (pid $(cat "$dir/kafka.pid"))"
    for attempt in 1 2 3; do
        ports=$("$KZ_HARNESS_BIN/free-port" 2) || kz_die "free-port failed"
        port=$(echo "$ports" | sed -n 1p)
        cport=$(echo "$ports" | sed -n 2p)
        echo "$port" >"$dir/kafka.port.new"
        echo "$cport" >"$dir/kafka.cport"
        write_config "$port" "$cport"
        format_storage
        rc=0
        launch || rc=$?
        [ "$rc" -eq 3 ] || return "$rc"
        kz_note "port $port or $cport was taken, retrying ($attempt)"
    done
    kz_die "could not find free ports for kafka"
}

do_stop() {
    p=$(running_pid)
    [ -z "$p" ] || kz_stop_pid "$p" java 20
    rm -f "$dir/kafka.pid"
}

do_restart() {
    [ -s "$dir/kafka.port" ] && [ -s "$dir/server.properties" ] ||
        kz_die "no kafka.port/server.properties in $dir: use start first"
    do_stop
    cp "$dir/kafka.port" "$dir/kafka.port.new"
    for attempt in 1 2 3 4 5; do
        rc=0
        launch || rc=$?
        [ "$rc" -eq 3 ] || return "$rc"
        kz_note "port still busy, retrying restart ($attempt)"
        sleep 1
    done
    kz_die "ports stayed busy; cannot restart kafka"
}

case "$cmd" in
start | restart)
    command -v java >/dev/null || kz_die "java not found (apt-get install default-jre-headless)"
    command -v python3 >/dev/null || kz_die "python3 not found"
    libs=$("$KZ_HARNESS_BIN/kafka-fetch.sh") || kz_die "Kafka jars unavailable"
    if [ "$cmd" = start ]; then do_start; else do_restart; fi
    ;;
stop) do_stop ;;
*) usage ;;
esac
