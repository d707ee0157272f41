#!/bin/sh
# gold_cv.sh -- k-fold cross-validation of lexicons + learned models on the
# project's gold set (tests/data/gold.jsonl by default).
#
# Usage: bench/gold_cv.sh KZPULSE [GOLD.jsonl] [FOLDS]
# Fold f holds the lines whose number is f modulo FOLDS; for each fold the
# three models (stance, topics, mobilization) are trained on the other folds
# (kzpulse train, seed 1, its own 10% held-out split inside) and both the
# lexicons alone and lexicons + models are scored on the fold (kzpulse eval).
# Prints the mean macro-F1 of each task over the folds, one line per setting.
# TRAIN_OPTS adds options to every `kzpulse train` (e.g. "--target-features").
# A measurement, not a test: it never fails on the figures.
set -eu
KZ="$1"
GOLD="${2:-tests/data/gold.jsonl}"
FOLDS="${3:-5}"
LEX="${LEXICONS:-lexicons}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=0
while [ $f -lt "$FOLDS" ]; do
    awk -v k="$FOLDS" -v f=$f 'NR % k != f' "$GOLD" >"$tmp/train.jsonl"
    awk -v k="$FOLDS" -v f=$f 'NR % k == f' "$GOLD" >"$tmp/test.jsonl"
    for label in stance topics mobilization; do
        "$KZ" train --gold "$tmp/train.jsonl" --label $label --out "$tmp/$label.kzpm" \
            --lexicons "$LEX" --seed 1 ${TRAIN_OPTS:-} >/dev/null
    done
    "$KZ" eval --json --gold "$tmp/test.jsonl" --lexicons "$LEX" >"$tmp/lex.$f.json"
    "$KZ" eval --json --gold "$tmp/test.jsonl" --lexicons "$LEX" -m "$tmp/stance.kzpm" \
        -m "$tmp/topics.kzpm" -m "$tmp/mobilization.kzpm" >"$tmp/model.$f.json"
    f=$((f + 1))
done
python3 - "$tmp" "$FOLDS" <<'PY'
import json, sys
d, k = sys.argv[1], int(sys.argv[2])
for name in ("lex", "model"):
    figs = []
    for task in ("stance", "topics", "mobilization"):
        v = [json.load(open(f"{d}/{name}.{f}.json"))[task]["macro_f1"] for f in range(k)]
        figs.append(f"{task} {sum(v) / k:.3f}")
    label = "lexicons" if name == "lex" else "lexicons+models"
    print(f"{k}-fold macro-F1, {label}: " + ", ".join(figs))
PY
