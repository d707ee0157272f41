#!/usr/bin/env bash
# demo.sh -- the embedded default: build kzpulse and replay the bundled sample
# archive through the whole pipeline into the in-process store (no Kafka, no
# Redis), printing the report, then the command that opens the same archive
# in the dashboard (kzpulse serve).  Installs the build dependencies first when
# they are missing (Debian; uses sudo when not root).
#
#   scripts/demo.sh [extra replay flags, e.g. --json]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PKGS="meson ninja-build gcc pkg-config librdkafka-dev libicu-dev libutf8proc-dev
 libhiredis-dev libjansson-dev libstemmer-dev zlib1g-dev libzstd-dev libssl-dev
 libcurl4-openssl-dev libmicrohttpd-dev python3"
missing=$(for p in $BUILD_PKGS; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
done)
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "demo: installing build dependencies: $(echo $missing)" >&2
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >&2
fi

if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=release >&2
fi
ninja -C build cli/kzpulse >&2
build/cli/kzpulse replay --lexicons lexicons --dead-letters build/sample-dead.jsonl \
    samples/posts.jsonl samples/telegram_export.json "$@"
echo >&2
echo "The dashboard over the same archive (then open http://127.0.0.1:8080/ in a browser):" >&2
echo "  build/cli/kzpulse serve samples/posts.jsonl samples/telegram_export.json" >&2
