#!/bin/bash
# run.sh -- the one test command: dependencies, build, servers, every suite.
#
#   tests/run.sh            (from any directory; .ci/run calls exactly this)
#
# 1. installs the Debian packages the build and the tests need (apt-get, via
#    sudo when not root; skipped when dpkg-query says all are installed);
# 2. fetches the Kafka broker jars into the cache (tests/harness/kafka-fetch.sh);
# 3. configures and builds build-test/ with warnings as errors (reconfigured if
#    present, wiped if broken), and build-test-asan/ the same with
#    AddressSanitizer and UndefinedBehaviorSanitizer;
# 4. starts one Redis and one Kafka broker for the whole run
#    (tests/harness/with-servers.sh, which always stops them again) and
# 5. runs `meson test` on all suites, then the unit suite (C unit tests and
#    command-line tests, no servers) again on the sanitizer build, where any
#    sanitizer report fails the test;
#    then every libFuzzer target for 30 s (tests/fuzz/run.sh 30, in
#    build-test-fuzz/, parallel), which counts as one test, "fuzz": any
#    crash, leak, timeout or OOM input (kept under build-test-fuzz/fuzz-findings/)
#    or a failed fuzz build fails it;
# 6. prints `N passed, M failed` as the last line (skipped tests on the line
#    before, when there are any) and exits non-zero when M > 0.  A failed
#    install or build prints `0 passed, 1 failed`.
# Env: KZ_TEST_BUILD_DIR (default build-test), KZ_CACHE (jar cache),
#      KZ_TEST_BROKERS + KZ_TEST_REDIS_PORT (reuse servers already running).
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${KZ_TEST_BUILD_DIR:-build-test}
t_start=$SECONDS

say() {
    echo "run.sh: $*" >&2
}

# fail_early WHAT: an install or build step failed; no test could run.
fail_early() {
    say "$1 failed; no tests were run"
    echo "0 passed, 1 failed"
    exit 1
}

# -- 1. Debian packages ----------------------------------------------------------
packages=(meson ninja-build gcc clang lld llvm libclang-rt-14-dev clang-format pkg-config librdkafka-dev
    libicu-dev libutf8proc-dev libhiredis-dev libjansson-dev libstemmer-dev libcurl4-openssl-dev libssl-dev
    libmicrohttpd-dev zlib1g-dev libzstd-dev zstd redis-server redis-tools valgrind maven
    default-jre-headless python3 python3-confluent-kafka python3-redis prometheus-alertmanager
    prometheus curl chromium chromium-driver python3-selenium)

install_packages() {
    local installed missing=() p sudo=()
    installed=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" 2>/dev/null |
        awk '$2 == "ii" { print $1 }') || true
    for p in "${packages[@]}"; do
        grep -qx -- "$p" <<<"$installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        say "all ${#packages[@]} Debian packages installed"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "not root and no sudo: cannot install ${missing[*]}"; return 1; }
        sudo=(sudo)
    fi
    say "installing: ${missing[*]}"
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"; then
        say "apt-get install failed; updating the package lists and retrying"
        "${sudo[@]}" apt-get update &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
    fi
}
install_packages || fail_early "installing Debian packages"

# -- 2. Kafka jars ------------------------------------------------------------------
tests/harness/kafka-fetch.sh >/dev/null || fail_early "fetching the Kafka jars"

# -- 3. build -----------------------------------------------------------------------
# configure DIR [OPTION...]: set up DIR with -Dwerror=true and the options.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ] && [ -d "$dir/meson-private" ]; then
        meson setup --reconfigure "$dir" -Dwerror=true "$@" && return 0
        say "reconfigure failed; wiping $dir"
        meson setup --wipe "$dir" -Dwerror=true "$@" && return 0
    fi
    rm -rf "$dir"
    meson setup "$dir" -Dwerror=true "$@"
}
asan="$build-asan"
t_build=$SECONDS
configure "$build" || fail_early "meson setup"
ninja -C "$build" || fail_early "the build"
configure "$asan" -Db_sanitize=address,undefined || fail_early "meson setup (sanitizers)"
ninja -C "$asan" || fail_early "the sanitizer build"
say "build took $((SECONDS - t_build)) s"

# -- 4, 5. servers and tests ----------------------------------------------------
testlog="$build/meson-logs/testlog.json"
asanlog="$asan/meson-logs/testlog.json"
rm -f "$testlog" "$asanlog"
t_test=$SECONDS
test_rc=0
tests/harness/with-servers.sh meson test -C "$build" --print-errorlogs --num-processes 2 ||
    test_rc=$?
say "sanitizer build: the unit suite"
ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1 \
    meson test -C "$asan" --suite unit --print-errorlogs --num-processes 2 || test_rc=$?
say "fuzzing: every target for 30 s"
fuzz_rc=0
KZ_FUZZ_BUILD_DIR="$build-fuzz" tests/fuzz/run.sh 30 >&2 || fuzz_rc=$?
say "tests took $((SECONDS - t_test)) s (meson test exit status $test_rc); total $((SECONDS - t_start)) s"

# -- 6. summary -----------------------------------------------------------------
if [ ! -s "$testlog" ]; then
    say "no $testlog: meson test or the server harness failed before running tests"
    echo "0 passed, 1 failed"
    exit 1
fi
# testlog.json: one JSON object per test, "result" one of OK FAIL EXPECTEDFAIL
# UNEXPECTEDPASS SKIP TIMEOUT ERROR.
# The sanitizer run's tests count as tests of their own ("asan/<name>"); a
# missing sanitizer log counts as one failure.
read -r passed failed skipped < <(python3 - "$testlog" "$asanlog" <<'PY'
import json, os, sys
passed = failed = skipped = 0
for path, prefix in ((sys.argv[1], ""), (sys.argv[2], "asan/")):
    if not os.path.exists(path):
        failed += 1
        print("run.sh: no %s" % path, file=sys.stderr)
        continue
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            r = t.get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
                print("run.sh: skipped: %s%s" % (prefix, t.get("name")), file=sys.stderr)
            else:
                failed += 1
                print("run.sh: %s: %s%s" % (r, prefix, t.get("name")), file=sys.stderr)
print(passed, failed, skipped)
PY
) || { say "cannot read $testlog"; echo "0 passed, 1 failed"; exit 1; }

# The fuzz run is one test of its own.
if [ "$fuzz_rc" -eq 0 ]; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
    say "FAIL: fuzz (tests/fuzz/run.sh exit status $fuzz_rc; findings in $build-fuzz/fuzz-findings/)"
fi
if [ "$failed" -eq 0 ] && [ "$test_rc" -ne 0 ]; then
    # Every test passed but meson or the harness did not (e.g. a server would
    # not stop): count it, so the summary and the exit status agree.
    say "meson test / harness exited with status $test_rc although no test failed"
    failed=1
fi
if [ "$skipped" -ne 0 ]; then
    echo "$skipped skipped"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
