#!/bin/sh
# cli_config.sh -- settings come from the JSON config file, then flags (flags
# win); unknown keys and wrong types are one-line errors with exit code 2.
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
# KZ_WRAP (set by the valgrind-cli test setup) runs kzpulse under a checker.
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() { # check DESC COND-EXIT
    if [ "$2" -eq 0 ]; then echo "ok   $1"; else echo "FAIL: $1"; fails=$((fails + 1)); fi
}

# A post whose text is 200 bytes: max_text 100 in the file truncates it.
python3 - "$tmp/long.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(json.dumps({"text": "Бағалар өсіп жатыр " * 10, "ts": 1741000000}, ensure_ascii=False) + "\n")
PY
printf '{"max_text": 100, "dead_letters": "%s/from-config.jsonl", "top": 3}\n' "$tmp" >"$tmp/cfg.json"
kz replay --config "$tmp/cfg.json" --json "$tmp/long.jsonl" >"$tmp/out" 2>&1
check "config applied (exit $?)" $?
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["truncated"]==1 and r["dead_letter_file"].endswith("from-config.jsonl") else 1)' "$tmp/out"
check "config max_text truncates and names the dead-letter file" $?

# Flags win over the file, wherever --config appears.
kz replay --max-text 64K --config "$tmp/cfg.json" -d "$tmp/flag.jsonl" --json "$tmp/long.jsonl" >"$tmp/out" 2>&1
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["truncated"]==0 and r["dead_letter_file"].endswith("flag.jsonl") else 1)' "$tmp/out"
check "flags win over the config file" $?

printf '{"max_txt": 100}\n' >"$tmp/bad1.json"
kz replay --config "$tmp/bad1.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "max_txt": unknown key' "$tmp/out"
check "unknown config key is an error" $?

printf '{"top": [1]}\n' >"$tmp/bad2.json"
kz replay --config "$tmp/bad2.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "top": expected a string, an integer or a boolean' "$tmp/out"
check "wrong type in config is an error" $?

printf '{"top": 5000000}\n' >"$tmp/bad3.json"
kz replay --config "$tmp/bad3.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q '"top": expected an integer from 0 (all) to 1000000; got "5000000"' "$tmp/out"
check "out-of-range config value is an error" $?

printf '{"top": 3,,}\n' >"$tmp/bad4.json"
kz replay --config "$tmp/bad4.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'bad4.json:1:' "$tmp/out"
check "malformed config file names file:line" $?

kz replay --config "$tmp/nope.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
check "missing config file exits 2" $(($? != 2))

# A key and its flag are one setting: the same check, the same words.
printf '{"redis": "localhost:6379"}\n' >"$tmp/bad5.json"
kz replay --config "$tmp/bad5.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "redis": expected redis://HOST:PORT\[/DB\]; got "localhost:6379"' "$tmp/out"
check "config redis checked as --redis is" $?
kz query series all --redis localhost:6379 >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q -- '--redis: expected redis://HOST:PORT\[/DB\]; got "localhost:6379"' "$tmp/out"
check "--redis gives the same message" $?

printf '{"kafka": {"bootstrap.servers": "127.0.0.1:1"}, "brokers": "127.0.0.1:9092"}\n' >"$tmp/k.json"
kz replay --config "$tmp/k.json" -d "$tmp/d" "$tmp/long.jsonl" >"$tmp/out" 2>&1
check "kafka properties and brokers accepted in the file" $?

# A switch's key: "no_samples": true is --no-samples; a value that is not a
# boolean is refused like a bad flag value.
printf '{"no_samples": true}\n' >"$tmp/ns.json"
kz replay --config "$tmp/ns.json" --json -d "$tmp/d" "$tmp/long.jsonl" >"$tmp/out" 2>&1
grep -q '"samples": false' "$tmp/out"
check "config no_samples: true keeps no samples" $?
printf '{"no_samples": "maybe"}\n' >"$tmp/ns2.json"
kz replay --config "$tmp/ns2.json" -d "$tmp/d" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "no_samples": expected true or false; got "maybe"' "$tmp/out"
check "config no_samples refuses a non-boolean" $?

# The settings of the streaming job, the alerts and serve have keys too: a
# deployment's file holds them (tz here, as analysts set it once).
printf '{"tz": "UTC"}\n' >"$tmp/tz.json"
kz query series all --config "$tmp/tz.json" --json "$ROOT/samples/posts.jsonl" >"$tmp/out" 2>&1
grep -q '"tz":"UTC"' "$tmp/out" && grep -q '"2026-03-01T19:00:00Z"' "$tmp/out"
check "config tz sets the zone of buckets and printed times" $?
kz query series all --config "$tmp/tz.json" --tz Asia/Almaty --json "$ROOT/samples/posts.jsonl" >"$tmp/out" 2>&1
grep -q '"tz":"Asia/Almaty"' "$tmp/out"
check "--tz wins over the file's tz" $?

# A list (topics, models, receivers) takes one string or an array; the
# command line's values replace the file's, they do not add to them.
: >"$tmp/empty.jsonl"
printf '{"topics": ["a", "b"], "brokers": "127.0.0.1:1"}\n' >"$tmp/list.json"
kz produce --config "$tmp/list.json" "$tmp/empty.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q -- '--topic: give exactly one topic' "$tmp/out"
check "config topics: an array is two topics" $?
kz produce --config "$tmp/list.json" --topic c "$tmp/empty.jsonl" >"$tmp/out" 2>&1
[ $? -eq 0 ] && grep -q ' to c in ' "$tmp/out"
check "--topic replaces the file's topics" $?
printf '{"tz": ["UTC"]}\n' >"$tmp/list2.json"
kz replay --config "$tmp/list2.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "tz": expected a string, an integer or a boolean$' "$tmp/out"
check "an array where one value goes is refused" $?
printf '{"topics": ["ok", 7]}\n' >"$tmp/list3.json"
kz replay --config "$tmp/list3.json" "$tmp/long.jsonl" >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'config key "topics": expected an array of strings' "$tmp/out"
check "a list's element that is not a string is refused" $?

echo "$fails failed"
[ "$fails" -eq 0 ]
