#!/bin/sh
# check_includes.sh -- no file includes another module's private header.
#
#   tests/check_includes.sh [ROOT]     (default: the repository this script is in)
#   tests/check_includes.sh --self-test
#
# STYLE.md 11: a module's public header is the only door.  The build enforces
# it (a module's dependency carries a copy of its public header only: see
# nlp/meson.build); this checker says the same of the sources, so a relative
# path ("../nlp/nlp_int.h") or a new include directory cannot get around it.
# The rule, for every `#include "x.h"` or `<x.h>` naming a header of the tree:
#  - the module of a file is its top-level folder (nlp/, tests/ for
#    tests/fuzz/fuzz_decode.c); a module may include any header of its own;
#  - public, to everyone: common/*.h (header-only, shared by all), and
#    <module>/<module>.h (nlp/nlp.h, ingest/ingest.h, pipeline/pipeline.h)
#    for every module but the program folders below, whose headers are all
#    private to them;
#  - a module's narrow test header <module>/<module>_test.h: also to tests/;
#  - every other header (nlp_int.h, cli/cli.h, aggregate/memtab.h) is
#    private to its folder.
# A header is found as the compiler finds it: beside the including file
# first, else by its name (or path) anywhere in the tree; when the name fits
# several headers, each must be allowed.  A violation prints
# file:line: ... and the script exits 1.  --self-test runs it on a small
# tree of cases written here and checks what it reports.
set -eu

# Folders that build programs, not libraries: no header of theirs is public.
PROGRAMS="cli bench tests"

# check ROOT: print violations as file:line (paths relative to ROOT).
check() {
    cd "$1" || return 2
    # Every C file of the tree; dot folders and build folders (build*, or any
    # folder meson configured, which holds copies of public headers) left out.
    find . -type d \( -path './.*' -o -path './build*' -o -path './_build*' -o \
        -exec test -d '{}/meson-private' \; \) -prune -o \
        -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | LC_ALL=C sort >"$tmp/files"
    [ -s "$tmp/files" ] || { echo "check_includes: no C files under $1" >&2; return 2; }
    if grep -q '[[:space:]]' "$tmp/files"; then
        echo "check_includes: a file name with a space: $(grep '[[:space:]]' "$tmp/files" | head -1)" >&2
        return 2
    fi
    # One awk over all files: the list of headers first, then each file.
    # shellcheck disable=SC2046 # file names have no spaces (checked above)
    awk -v programs="$PROGRAMS" '
    function module(path) { return index(path, "/") ? substr(path, 1, index(path, "/") - 1) : "." }
    function base(path) { sub(/.*\//, "", path); return path }
    function dir(path) { return index(path, "/") ? substr(path, 1, match(path, /\/[^\/]*$/) - 1) : "" }
    # a/b/../c/./d.h -> a/c/d.h; "" when it climbs out of the tree.
    function normalize(path,   n, i, k, part, out, r) {
        n = split(path, part, "/")
        k = 0
        for (i = 1; i <= n; i++) {
            if (part[i] == "" || part[i] == ".")
                continue
            if (part[i] == "..") {
                if (k == 0)
                    return ""
                k--
                continue
            }
            out[++k] = part[i]
        }
        r = ""
        for (i = 1; i <= k; i++)
            r = r (i > 1 ? "/" : "") out[i]
        return r
    }
    # Why header h may not be included from file f, or "" when it may.
    function refuse(f, h,   m, hm) {
        m = module(f)
        hm = module(h)
        if (m == hm || hm == "common")
            return ""
        if (h == hm "/" hm ".h" && !(hm in program))
            return ""
        if (h == hm "/" hm "_test.h" && m == "tests")
            return ""
        if (h == hm "/" hm "_test.h")
            return "the test header of " hm "/, for tests/ only"
        if (hm in program)
            return "private to " hm "/ (a program: no public header)"
        return "private to " hm "/ (public: " hm "/" hm ".h)"
    }
    BEGIN {
        n = split(programs, p, " ")
        for (i = 1; i <= n; i++)
            program[p[i]] = 1
    }
    FNR == 1 { infiles = (FILENAME != ARGV[1]) }
    !infiles {
        if ($0 ~ /\.h$/) {
            header[$0] = 1
            named[base($0)] = named[base($0)] " " $0
        }
        next
    }
    /^[ \t]*#[ \t]*include[ \t]*["<]/ {
        line = $0
        sub(/^[ \t]*#[ \t]*include[ \t]*/, "", line)
        quoted = substr(line, 1, 1) == "\""
        line = substr(line, 2)
        if (!match(line, quoted ? "\"" : ">"))
            next
        inc = substr(line, 1, RSTART - 1)
        f = FILENAME
        includes++
        # Beside the including file first (quoted form only), as cc does.
        if (quoted) {
            h = normalize((dir(f) == "" ? "" : dir(f) "/") inc)
            if (h != "" && (h in header)) {
                why = refuse(f, h)
                if (why != "") {
                    printf "%s:%d: includes %s, %s\n", f, FNR, h, why
                    bad++
                }
                next
            }
        }
        # Else through an include path: every header whose path ends in inc.
        m = split(named[base(inc)], cand, " ")
        for (i = 1; i <= m; i++) {
            h = cand[i]
            if (h != inc && substr(h, length(h) - length(inc)) != "/" inc)
                continue
            why = refuse(f, h)
            if (why != "") {
                printf "%s:%d: includes %s, %s\n", f, FNR, h, why
                bad++
            }
        }
    }
    END {
        nfiles = 0
        for (k in header)
            nfiles++
        printf "check_includes: %d includes read, %d headers known, %d private-header includes across modules\n", \
            includes, nfiles, bad > "/dev/stderr"
        exit bad ? 1 : 0
    }' "$tmp/files" $(cat "$tmp/files")
}

# The self-test: a tree with a case of each rule, and what check must print.
self_test() {
    t="$tmp/tree"
    mkdir -p "$t/common" "$t/aaa" "$t/bbb" "$t/cli" "$t/ddd" "$t/eee" "$t/fff" "$t/newmod" \
        "$t/tests/fuzz" "$t/build/aaa"
    echo '#include <stddef.h>' >"$t/common/kz.h"
    echo '#include "kz.h"' >"$t/aaa/aaa.h"
    echo '#include "aaa.h"' >"$t/aaa/aaa_int.h"
    echo '#include "aaa.h"' >"$t/aaa/aaa_test.h"
    printf '%s\n' '#include "aaa_int.h"' '#include "aaa_test.h"' '#include "../common/kz.h"' \
        >"$t/aaa/a.c"
    printf '%s\n' '#include "aaa.h"' '#include "aaa_int.h"' '  #  include "../aaa/aaa_int.h"' \
        '#include <aaa_int.h>' ' * #include "aaa_int.h" in a comment is no include' \
        '#include "aaa/aaa_int.h"' '#include "aaa_test.h"' '#include "cli.h"' \
        '#include "newmod.h"' '#include "newmod_int.h"' '#include <string.h>' \
        '#include "kz.h"' >"$t/bbb/b.c"
    echo '#include "aaa.h"' >"$t/cli/cli.h"
    printf '%s\n' '#include "cli.h"' '#include "aaa.h"' >"$t/cli/main.c"
    echo '/* private to ddd/ */' >"$t/ddd/util.h"
    echo '/* private to eee/ */' >"$t/eee/util.h"
    echo '#include "util.h"' >"$t/ddd/d.c"
    echo '#include "util.h"' >"$t/fff/f.c"
    echo '#include "kz.h"' >"$t/newmod/newmod.h"
    echo '#include "kz.h"' >"$t/newmod/newmod_int.h"
    echo '/* private to tests/ */' >"$t/tests/tap.h"
    printf '%s\n' '#include "aaa_test.h"' '#include "tap.h"' '#include "cli.h"' >"$t/tests/t.c"
    printf '%s\n' '#include "aaa_test.h"' '#include "../tap.h"' >"$t/tests/fuzz/f.c"
    echo '#include "aaa_int.h"' >"$t/build/aaa/copy.c" # a build folder: not read
    mkdir -p "$t/out/meson-private" "$t/out/aaa"       # nor one of another name
    echo '#include "aaa_int.h"' >"$t/out/aaa/copy.c"
    echo '#include "kz.h"' >"$t/out/aaa/aaa.h"
    cat >"$tmp/want" <<'EOF'
bbb/b.c:2: includes aaa/aaa_int.h, private to aaa/ (public: aaa/aaa.h)
bbb/b.c:3: includes aaa/aaa_int.h, private to aaa/ (public: aaa/aaa.h)
bbb/b.c:4: includes aaa/aaa_int.h, private to aaa/ (public: aaa/aaa.h)
bbb/b.c:6: includes aaa/aaa_int.h, private to aaa/ (public: aaa/aaa.h)
bbb/b.c:7: includes aaa/aaa_test.h, the test header of aaa/, for tests/ only
bbb/b.c:8: includes cli/cli.h, private to cli/ (a program: no public header)
bbb/b.c:10: includes newmod/newmod_int.h, private to newmod/ (public: newmod/newmod.h)
fff/f.c:1: includes ddd/util.h, private to ddd/ (public: ddd/ddd.h)
fff/f.c:1: includes eee/util.h, private to eee/ (public: eee/eee.h)
tests/t.c:3: includes cli/cli.h, private to cli/ (a program: no public header)
EOF
    rc=0
    (check "$t") >"$tmp/got" 2>"$tmp/err" || rc=$?
    if [ "$rc" -ne 1 ] || ! diff -u "$tmp/want" "$tmp/got" >&2; then
        echo "check_includes --self-test: exit status $rc (want 1); the diff above is want/got" >&2
        cat "$tmp/err" >&2
        return 1
    fi
    echo "check_includes --self-test: the $(wc -l <"$tmp/want") violations of the cases, and no other"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = "--self-test" ]; then
    self_test
else
    root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
    check "$root"
fi
