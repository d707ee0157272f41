#!/bin/sh
# check_web.sh -- the dashboard's files (web/) name no outside address and put
# no server text into the page as markup.
#
#  - No URL with a scheme or a protocol-relative one ("http:", "https:", "//host",
#    "ws:") in web/, so the page can fetch nothing from anywhere but the server
#    that serves it; the only exceptions are the vendored library's licence
#    and version note (web/vendor/*/LICENSE, VERSION) and the one-line licence
#    banner at the top of its minified file ("/*! https://... (v1.6.32) */").
#  - No HTML sink in the page's own script (web/app.js): innerHTML, outerHTML,
#    insertAdjacentHTML, document.write, eval, new Function, or a string given
#    to setTimeout/setInterval.  Server text goes in with textContent only.
#  - web/embed.py refuses duplicate and malformed paths and unknown types.
# Fails with file:line for each; reads the source tree only (and runs embed.py
# into a temporary folder).
set -u
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
cd "$ROOT/web" || exit 1
bad=0

urls=$(grep -rnIE '\b(https?|wss?|ftp):|//[a-z0-9.-]+\.[a-z]{2,}/' . |
    grep -vE '^\./vendor/[^/]+/(LICENSE|VERSION):' |
    grep -vE '^\./vendor/[^/]+/[^:]+\.min\.js:1:/\*! https://[^ ]+ \(v[0-9.]+\) \*/$')
if [ -n "$urls" ]; then
    echo "FAIL: outside addresses in web/ (the page must fetch nothing from elsewhere):"
    echo "$urls" | sed 's|^\./|  web/|'
    bad=1
fi

sinks=$(grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|[^.a-zA-Z]eval\(|new Function|set(Timeout|Interval)\("' \
    app.js index.html)
if [ -n "$sinks" ]; then
    echo "FAIL: HTML or code sinks in the page (use textContent):"
    echo "$sinks" | sed 's|^|  web/|'
    bad=1
fi

# Every file web/meson.build embeds is kept, and no embedded page asks for a
# script or style sheet that is not embedded.
for ref in $(grep -ohE '(src|href)="[^"]*"' index.html | sed -E 's/^(src|href)="//; s/"$//'); do
    case "$ref" in
    data:*) continue ;;
    esac
    grep -q "'/$ref'" meson.build || {
        echo "FAIL: web/index.html refers to $ref, which web/meson.build does not embed"
        bad=1
    }
done

# web/embed.py refuses what would make a wrong table: a path given twice, a
# path with a character outside [A-Za-z0-9._/-] or not starting with "/", a
# file whose content type it does not know.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'x' >"$tmp/a.js"
printf 'x' >"$tmp/a.exe"
for args in "/a.js=a.js /a.js=a.js" "/a%2e.js=a.js" "a.js=a.js" "/x\"y=a.js" "/a=a.exe" "/a.js"; do
    # shellcheck disable=SC2086 # the cases are split on spaces on purpose
    if python3 embed.py "$tmp/out.c" "$tmp" $args >"$tmp/err" 2>&1 || [ -e "$tmp/out.c" ]; then
        echo "FAIL: web/embed.py accepted $args"
        bad=1
    fi
    rm -f "$tmp/out.c"
done
if ! python3 embed.py "$tmp/out.c" "$tmp" /b.js=a.js /a.js=a.js ||
    [ "$(grep -c '^    {"/' "$tmp/out.c")" != 2 ] ||
    [ "$(grep '^    {"/' "$tmp/out.c" | head -1 | cut -d'"' -f2)" != /a.js ]; then
    echo "FAIL: web/embed.py: two paths of one file are not two sorted rows"
    bad=1
fi

[ $bad -eq 0 ] && echo "ok   web/: no outside address, no HTML sink, every reference embedded, embed.py's refusals"
[ $bad -eq 0 ]
