#!/bin/bash
# make_model_seeds.sh -- write the seed corpus of fuzz_model: tiny models
# trained from tests/data/gold.jsonl by the built kzpulse.
#
#   tests/fuzz/make_model_seeds.sh [KZPULSE]   (default build-fuzz/cli/kzpulse,
#                                               else build/cli/kzpulse)
#
# 2^8 hash buckets keep each model small (a few KB); the seeds cover every
# label kind and the feature flags, so the loader's field checks behind the
# checksum all see valid values to mutate.  These three are what
# `fuzz_model -merge=1` keeps: models differing only in label or flags
# (stance with --char-ngrams, topics without flags, ...) add no coverage.  Overwrites tests/fuzz/corpus_model/
# model_*; other seeds there (kept findings) are left alone.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
kz=${1:-}
if [ -z "$kz" ]; then
    for c in build-fuzz/cli/kzpulse build/cli/kzpulse; do
        [ -x "$c" ] && { kz=$c; break; }
    done
fi
[ -n "$kz" ] && [ -x "$kz" ] || { echo "make_model_seeds.sh: no kzpulse built; pass its path" >&2; exit 2; }

out=tests/fuzz/corpus_model
mkdir -p "$out"
# train NAME OPTION...: one seed, the training report discarded.
train() {
    local name=$1
    shift
    "$kz" train --gold tests/data/gold.jsonl --lexicons lexicons --hash-bits 8 --epochs 3 \
        --out "$out/model_$name" "$@" >/dev/null
}
train stance --label stance
train topics_target --label topics --target-features --refit
train mob_all --label mobilization --char-ngrams --target-features --seed 7
ls -l "$out"
