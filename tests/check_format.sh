#!/bin/sh
# check_format.sh -- every C file of the project is formatted as .clang-format
# says (kernel-like, 4-space indent, 100 columns).  Generated files are left
# out (nlp/langid_ngrams.h and nlp/tlds.h: nlp/gen_*.py write them); tables laid
# out by hand sit between "clang-format off" and "clang-format on" comments.
# Fails with the file and clang-format's first complaint; exits 77 (skipped)
# when clang-format is not installed.  To mend: tests/check_format.sh --fix
set -u
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
cd "$ROOT" || exit 1
command -v clang-format >/dev/null 2>&1 || { echo "skipped: no clang-format"; exit 77; }
files=$(find common ingest nlp aggregate pipeline alerts metrics serve cli web tests bench -name '*.[ch]' \
    ! -name langid_ngrams.h ! -name tlds.h ! -path '*/build*' | sort)
if [ "${1:-}" = --fix ]; then
    # shellcheck disable=SC2086
    exec clang-format -i $files
fi
bad=0
for f in $files; do
    if ! out=$(clang-format --dry-run --Werror "$f" 2>&1); then
        echo "FAIL: $f is not formatted: $(echo "$out" | head -n 1)"
        bad=$((bad + 1))
    fi
done
[ $bad -eq 0 ] && echo "ok   every C file formatted ($(echo "$files" | wc -l) files)"
[ $bad -eq 0 ]
