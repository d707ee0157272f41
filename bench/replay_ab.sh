#!/bin/bash
# bench/replay_ab.sh -- `kzpulse replay` throughput of two builds, side by
# side, and the NLP stage alone (bench_nlp) on the same corpus.
#
#   bench/replay_ab.sh OLD_BUILD NEW_BUILD CORPUS.jsonl [RUNS]   (default 5)
#
# Runs, RUNS times and alternating old and new, `kzpulse replay --lexicons
# lexicons -d /dev/null --json CORPUS` of each build (wall time by date +%N;
# CPU time, user + sys, and peak RSS by /usr/bin/time), then `bench_nlp --runs 1 CORPUS` of each build
# RUNS times the same way.  Prints every run, the median of each, the ratio
# new/old of the replay medians, and for each build the issue 19 ratio:
# replay posts/s (posts as the replay report counts them, over wall time)
# over the NLP stage's posts/s (bench_nlp times itself by the wall clock),
# by replay's wall time and by its CPU time, which a loaded machine moves
# less.  OLD_FLAGS and NEW_FLAGS are added to each side's replay (e.g.
# NEW_FLAGS="--jobs 1" for one build against itself).  OLD_LEX=DIR gives the old build its own lexicons (one that cannot
# read this checkout's: a category it does not know).  Interleaving keeps a shared, noisy
# machine's drift out of the ratios.  Reports; never fails on a figure.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 3 ] || { echo "usage: bench/replay_ab.sh OLD_BUILD NEW_BUILD CORPUS.jsonl [RUNS]" >&2; exit 2; }
OLD=$1 NEW=$2 CORPUS=$3 RUNS=${4:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "corpus: $CORPUS ($(wc -l <"$CORPUS") lines)"
for i in $(seq 1 "$RUNS"); do
    for b in old new; do
        dir=$OLD lex=${OLD_LEX:-$ROOT/lexicons} flags=${OLD_FLAGS:-}
        [ $b = new ] && dir=$NEW lex=$ROOT/lexicons flags=${NEW_FLAGS:-}
        t0=$(now)
        # shellcheck disable=SC2086 # the flags are words
        /usr/bin/time -f "%M %U %S" -o "$tmp/rss" "$dir/cli/kzpulse" replay --lexicons "$lex" \
            -d /dev/null --json $flags "$CORPUS" >"$tmp/$b.json" 2>/dev/null
        t1=$(now)
        posts=$(sed -n 's/^  "posts": \([0-9]*\),$/\1/p' "$tmp/$b.json")
        wall=$(echo "$t1 - $t0" | bc -l)
        read -r rss usr sys <"$tmp/rss"
        cpu=$(echo "$usr + $sys" | bc -l)
        echo "$wall" >>"$tmp/$b.walls"
        echo "$cpu" >>"$tmp/$b.cpus"
        printf 'replay %-3s run %d: %.2f s wall, %.2f s CPU, %d posts, %.0f posts/s, %s KB\n' $b "$i" \
            "$wall" "$cpu" "$posts" "$(echo "$posts / $wall" | bc -l)" "$rss"
        echo "$posts" >"$tmp/$b.posts"
    done
done
for i in $(seq 1 "$RUNS"); do
    for b in old new; do
        dir=$OLD
        [ $b = new ] && dir=$NEW
        line=$("$dir/bench/bench_nlp" --runs 1 "$CORPUS" 2>/dev/null | tail -n 1)
        echo "nlp    $b run $i: $line"
        echo "$line" | sed -n 's/.* \([0-9.]*\) posts\/s.*/\1/p' >>"$tmp/$b.nlp"
    done
done
for b in old new; do
    w=$(median <"$tmp/$b.walls")
    n=$(median <"$tmp/$b.nlp")
    p=$(cat "$tmp/$b.posts")
    c=$(median <"$tmp/$b.cpus")
    printf '%s: replay median %.2f s wall = %.0f posts/s (CPU %.2f s = %.0f posts/s); NLP stage median %.0f posts/s; replay/NLP %.3f (by CPU %.3f)\n' \
        $b "$w" "$(echo "$p / $w" | bc -l)" "$c" "$(echo "$p / $c" | bc -l)" "$n" \
        "$(echo "$p / $w / $n" | bc -l)" "$(echo "$p / $c / $n" | bc -l)"
done
printf 'replay speed new/old: %.3f by median walls, %.3f by median CPU times\n' \
    "$(echo "$(median <"$tmp/old.walls") / $(median <"$tmp/new.walls")" | bc -l)" \
    "$(echo "$(median <"$tmp/old.cpus") / $(median <"$tmp/new.cpus")" | bc -l)"
