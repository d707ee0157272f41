#!/bin/bash
# run.sh -- build every libFuzzer target and run each for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS]        (default 60 s per target)
#
# Builds build-fuzz/ with clang and -Dfuzz=true (reconfigured if present,
# wiped if broken), then runs every built tests/fuzz/fuzz_* executable for
# SECONDS, at most `nproc` at once.  Targets are found from the build, so a
# new target needs no edit here.  Each run works on a fresh temporary copy
# of its committed corpus tests/fuzz/corpus_<name> (the seeds stay clean),
# with the dictionary its source names on a line "Dictionary: FILE" (a file
# in tests/fuzz/), -timeout=10 and -rss_limit_mb=2048.  Any crash, leak,
# timeout or out-of-memory input is kept under build-fuzz/fuzz-findings/<name>/.
# Prints one line per target (runs, runs/s, coverage, corpus size, findings)
# and exits non-zero on any finding or when the build fails.
# Env: KZ_FUZZ_BUILD_DIR (default build-fuzz), KZ_FUZZ_JOBS (default nproc),
# KZ_FUZZ_TARGETS (names to run, space-separated, e.g. "fuzz_rules fuzz_zone";
# default every built target).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
secs=${1:-60}
case $secs in '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS]" >&2; exit 2 ;; esac
build=${KZ_FUZZ_BUILD_DIR:-build-fuzz}
jobs=${KZ_FUZZ_JOBS:-$(nproc)}

say() {
    echo "fuzz/run.sh: $*" >&2
}

# -- build ----------------------------------------------------------------------
if [ -f "$build/build.ninja" ] && [ -d "$build/meson-private" ]; then
    CC=clang meson setup --reconfigure "$build" -Dfuzz=true >/dev/null ||
        CC=clang meson setup --wipe "$build" -Dfuzz=true >/dev/null || { say "meson setup failed"; exit 1; }
else
    rm -rf "$build"
    CC=clang meson setup "$build" -Dfuzz=true >/dev/null || { say "meson setup failed"; exit 1; }
fi
ninja -C "$build" -j"$jobs" >/dev/null || { say "the build failed"; exit 1; }

targets=()
for exe in "$build"/tests/fuzz/fuzz_*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    t=$(basename "$exe")
    case " ${KZ_FUZZ_TARGETS:-$t} " in *" $t "*) targets+=("$t") ;; esac
done
for t in ${KZ_FUZZ_TARGETS:-}; do
    [ -x "$build/tests/fuzz/$t" ] || { say "KZ_FUZZ_TARGETS: no target $t in $build/tests/fuzz"; exit 1; }
done
[ "${#targets[@]}" -gt 0 ] || { say "no fuzz_* executable in $build/tests/fuzz"; exit 1; }

# -- runs -----------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/kz-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
findings_root="$root/$build/fuzz-findings"

# run_one TARGET: one bounded run; its log and exit status go to $work/TARGET.*
run_one() {
    local t=$1 name=${1#fuzz_} corpus art dict args=()
    corpus="$work/$t.corpus"
    art="$findings_root/$name"
    mkdir -p "$corpus" "$art"
    if [ -d "tests/fuzz/corpus_$name" ]; then
        cp -R "tests/fuzz/corpus_$name/." "$corpus/"
    fi
    dict=$(sed -n 's/^.*Dictionary: *\([A-Za-z0-9_.-]*\.dict\).*$/\1/p' \
        "tests/fuzz/$t.c" 2>/dev/null | head -n 1)
    if [ -n "$dict" ] && [ -f "tests/fuzz/$dict" ]; then
        args+=("-dict=tests/fuzz/$dict")
        echo "$dict" >"$work/$t.dict"
    fi
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        "$build/tests/fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/" "${args[@]}" "$corpus" \
        >"$work/$t.log" 2>&1
    echo $? >"$work/$t.rc"
}

say "${#targets[@]} targets, $secs s each, $jobs at once; findings go to $build/fuzz-findings/"
running=0
for t in "${targets[@]}"; do
    rm -rf "${findings_root:?}/${t#fuzz_}"
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$t" &
    running=$((running + 1))
done
wait

# -- report ---------------------------------------------------------------------
status=0
printf '%-16s %10s %8s %7s %7s %-13s %s\n' target runs runs/s cov corpus dict findings
for t in "${targets[@]}"; do
    log="$work/$t.log"
    rc=$(cat "$work/$t.rc" 2>/dev/null || echo 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ncorpus=$(find "$work/$t.corpus" -type f | wc -l)
    dict=$(cat "$work/$t.dict" 2>/dev/null || echo -)
    art="$findings_root/${t#fuzz_}"
    found=$(find "$art" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l)
    note=$found
    if [ "$found" -ne 0 ] || [ "$rc" -ne 0 ]; then
        status=1
        [ "$found" -eq 0 ] && note="exit status $rc"
        cp "$log" "$art/run.log"
        note="$note (see $build/fuzz-findings/${t#fuzz_}/)"
    fi
    printf '%-16s %10s %8s %7s %7s %-13s %s\n' "$t" "${runs:-?}" "${rate:-?}" "${cov:-?}" \
        "$ncorpus" "$dict" "$note"
done
exit "$status"
