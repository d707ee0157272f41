#!/bin/bash
# kafka-fetch.sh -- make sure the Apache Kafka broker jars are in the cache.
#
# Jars go to ${KZ_CACHE:-$HOME/.cache/kzpulse}/kafka-3.9.1/libs, fetched from
# Maven Central with tests/kafka/pom.xml.  Idempotent: when the cache already
# holds the broker, the server-common and the reload4j binding it does nothing.
# Prints the libs directory on stdout.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
version=3.9.1
libs="${KZ_CACHE:-$HOME/.cache/kzpulse}/kafka-$version/libs"

complete() {
    [ -f "$libs/kafka_2.13-$version.jar" ] &&
        [ -f "$libs/kafka-clients-$version.jar" ] &&
        [ -f "$libs/kafka-server-common-$version.jar" ] &&
        [ -f "$libs/kafka-metadata-$version.jar" ] &&
        [ -f "$libs/slf4j-reload4j-1.7.36.jar" ] &&
        ls "$libs"/scala-library-*.jar >/dev/null 2>&1
}

if ! complete; then
    command -v mvn >/dev/null || { echo "kafka-fetch: mvn not found (apt-get install maven)" >&2; exit 1; }
    echo "kafka-fetch: fetching Kafka $version jars into $libs" >&2
    mkdir -p "$libs"
    tmp="$libs.tmp.$$"
    rm -rf "$tmp"
    trap 'rm -rf "$tmp"' EXIT
    # Fetch into a temporary directory and move it in place, so an interrupted
    # download never leaves a half-filled cache that looks complete.
    if ! mvn -q -B -f "$root/tests/kafka/pom.xml" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" >&2; then
        echo "kafka-fetch: mvn failed to fetch the Kafka jars (is Maven Central reachable?)" >&2
        exit 1
    fi
    cp -f "$tmp"/*.jar "$libs"/
    complete || { echo "kafka-fetch: jars incomplete in $libs after mvn" >&2; exit 1; }
fi
echo "$libs"
