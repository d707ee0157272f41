#!/bin/sh
# ruw_train_cv.sh -- 5-fold cross-validation of the war-stance model on the
# RUW *train* file only (fold = line number mod 5), for choosing training
# settings without looking at the val split.  Extra arguments go to
# `kzpulse train` (e.g. --char-ngrams, --l2 1e-5).  Prints each fold's
# stance macro-F1 and the mean.  A measurement, not a test.
# Usage: bench/ruw_train_cv.sh KZPULSE [train options...]
set -eu
KZ="$1"
shift
D="${DATA:-../shared/data}"
LEX="${LEXICONS:-lexicons}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in 0 1 2 3 4; do
    awk -v f=$f 'NR % 5 != f' "$D/ruw-stance-en.train.jsonl" >"$tmp/train.jsonl"
    awk -v f=$f 'NR % 5 == f' "$D/ruw-stance-en.train.jsonl" >"$tmp/test.jsonl"
    "$KZ" train --gold "$tmp/train.jsonl" --label stance --out "$tmp/m.kzpm" --lexicons "$LEX" \
        "$@" >/dev/null
    "$KZ" eval --json --gold "$tmp/test.jsonl" --lexicons "$LEX" -m "$tmp/m.kzpm" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["stance"]["macro_f1"])'
done | awk '{ s += $1; printf "%.3f ", $1 } END { printf " mean %.3f\n", s / NR }'
