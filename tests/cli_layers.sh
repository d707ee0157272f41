#!/bin/sh
# cli_layers.sh -- cli/ holds no logic its files share: main.c parses the
# command line (with opts.c) and dispatches; every other cli/ file calls only
# pipeline/ and the modules, never a function another cli/ file defines.
#
# A function "defined in a cli/ file" is a line at column 0 that names a
# function and is neither static nor a prototype; a "call" is NAME( anywhere
# in another file of cli/ but main.c.  Headers of cli/ may declare, never
# define (no static inline helpers).  Only cmd_produce.c uses librdkafka: the
# Kafka consumer and the dead-letter producer of `run` are ingest/'s.
set -u
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
cd "$ROOT/cli" || exit 1
fails=0

# Pairs allowed, "caller.c:definer.c": none.
allowed=""

for def in *.c; do
    names=$(grep -E '^[A-Za-z_][A-Za-z0-9_ *]*[ *][A-Za-z_][A-Za-z0-9_]*\(' "$def" |
        grep -Ev '^(static|extern|typedef)|;[[:space:]]*$' |
        sed -E 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *]([A-Za-z_][A-Za-z0-9_]*)\(.*/\1/' | grep -v '^main$')
    for name in $names; do
        for caller in *.c; do
            [ "$caller" = "$def" ] || [ "$caller" = main.c ] && continue
            case " $allowed " in *" $caller:$def "*) continue ;; esac
            if grep -Eq "(^|[^A-Za-z0-9_])$name[[:space:]]*\(" "$caller"; then
                echo "FAIL: cli/$caller calls $name(), defined in cli/$def"
                fails=$((fails + 1))
            fi
        done
    done
done
if grep -ln 'rdkafka\.h\|rd_kafka_' *.c *.h | grep -vx cmd_produce.c; then
    echo "FAIL: only cmd_produce.c (a producer tool) may use librdkafka in cli/ (above)"
    fails=$((fails + 1))
fi
if grep -n 'static inline' *.h; then
    echo "FAIL: a cli/ header defines a function (above): shared logic belongs in pipeline/"
    fails=$((fails + 1))
fi
if grep -ln '"opts.h"' *.c | grep -Evx 'main.c|opts.c'; then
    echo "FAIL: opts.h is for main.c and opts.c only (above)"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ] && echo "ok   no cli/ file but main.c calls another cli/ file"
echo "$fails failed"
[ "$fails" -eq 0 ]
