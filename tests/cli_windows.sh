#!/bin/bash
# cli_windows.sh -- query windows, steps and time zones on the command line
# (issue 15, items 2 and 3), over archives written for the test:
#  - posts written ten minutes ago are all counted by --from -1h (and -3600,
#    -60m), and by the default window; a post without a time is an "undated"
#    line, in no bucket;
#  - day buckets of Asia/Almaty start at local midnight (19:00 UTC the day
#    before) and print with +05:00; --tz UTC gives other days; a post of
#    2024-02-29 (UTC+6 then) lands on its own local day;
#  - every bad window is a one-line error naming the parameter, exit 2.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

# Posts of the last ten minutes (Kazakh, Russian, mixed), and one without a time.
python3 - "$tmp/recent.jsonl" <<'PY'
import datetime, json, sys, time
now = time.time()
texts = ["Ертең сағат 12-де алаңға жиналамыз! #Жаңаөзен",
         "Бензин снова подорожал, в Актау люди недовольны",
         "Astanada bügin qar jauyp tur, jolda keptelis",
         "Митинг у акимата в 18:00, приходите все",
         "Жалақы көтерілмей жатыр, а цены всё растут"]
with open(sys.argv[1], "w") as f:
    for i, t in enumerate(texts):
        ts = datetime.datetime.fromtimestamp(now - 600 + 60 * i, datetime.timezone.utc)
        f.write(json.dumps({"id": f"tg:{i}", "platform": "telegram", "author": f"u{i}",
                            "ts": ts.isoformat(), "text": t}, ensure_ascii=False) + "\n")
    f.write(json.dumps({"id": "tg:9", "platform": "telegram", "author": "u9",
                        "text": "Уақыты жоқ хабар: кешке жиналыс болады"}, ensure_ascii=False) + "\n")
PY

for from in -1h -3600 -60m; do
    out=$(kz query series all "$tmp/recent.jsonl" --from "$from" 2>"$tmp/err")
    if [ $? -eq 0 ] && echo "$out" | grep -qx "total	5" && echo "$out" | grep -qx "undated	1" &&
        [ "$(echo "$out" | grep -v '^total\|^undated' | awk -F'\t' '{s += $2} END {print s}')" = 5 ]; then
        ok "--from $from counts the five posts of the last ten minutes, the undated one apart"
    else
        fail "--from $from: $(echo "$out" | tail -3) $(cat "$tmp/err")"
    fi
done
out=$(kz query series all "$tmp/recent.jsonl" --from -1h --json)
echo "$out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["total"] == 5 and o["undated"] == 1 and o["step"] == "minute", o
assert o["tz"] == "Asia/Almaty" and o["from"].endswith("+05:00"), o
assert all(p[0].endswith("+05:00") for p in o["points"]), o
' && ok "JSON: step minute, tz, RFC 3339 times with +05:00, undated 1" || fail "JSON series: $out"
out=$(kz query series all "$tmp/recent.jsonl")
echo "$out" | grep -qx "total	5" && ok "the default window (the data's span) counts them" ||
    fail "default window: $(echo "$out" | tail -2)"
out=$(kz query dims platform: "$tmp/recent.jsonl" --from -15m)
[ "$out" = "$(printf 'platform:telegram\t5\nundated\t1')" ] && ok "dims over -15m, undated apart" ||
    fail "dims: $out"

# Local days.  2026-03-07 18:30Z is 23:30 in Almaty (03-07); 19:30Z is 00:30 (03-08).
cat >"$tmp/days.jsonl" <<'EOF2'
{"id":"d1","platform":"vk","ts":"2026-03-07T18:30:00Z","text":"Кешкі жаңалықтар: Алматыда жер сілкінісі сезілді"}
{"id":"d2","platform":"vk","ts":"2026-03-07T19:30:00Z","text":"Түн ортасы өтті, бірақ ешкім ұйықтамай отыр"}
{"id":"d3","platform":"vk","ts":"2026-03-08T10:00:00+05:00","text":"С праздником 8 марта, дорогие женщины!"}
{"id":"d4","platform":"vk","ts":"2024-02-29T18:30:00Z","text":"Сағат тілін бір сағатқа кері бұрамыз, енді бір уақыт белдеуі"}
EOF2
out=$(kz query series all "$tmp/days.jsonl" --from 2026-03-07T00:00:00+05:00 --to 2026-03-09T00:00:00+05:00 --step day)
want=$(printf '2026-03-07T00:00:00+05:00\t1\n2026-03-08T00:00:00+05:00\t2\ntotal\t3')
[ "$out" = "$want" ] && ok "Asia/Almaty days start at local midnight (19:00Z the day before)" ||
    fail "Almaty days: $out"
out=$(kz query series all "$tmp/days.jsonl" --from 2026-03-07T00:00:00Z --to 2026-03-09T00:00:00Z --step day --tz UTC)
want=$(printf '2026-03-07T00:00:00Z\t2\n2026-03-08T00:00:00Z\t1\ntotal\t3')
[ "$out" = "$want" ] && ok "--tz UTC: UTC days, other counts" || fail "UTC days: $out"
out=$(kz query series all "$tmp/days.jsonl" --from 2026-03-07T00:00:00+05:00 --to 2026-03-09T00:00:00+05:00 --step day --json)
echo "$out" | grep -q '"points":\[\["2026-03-07T00:00:00+05:00",1\],\["2026-03-08T00:00:00+05:00",2\]\]' &&
    ok "JSON days keep RFC 3339 with +05:00" || fail "JSON days: $out"
# 2024-02-29T18:30Z was 23:30 +05:00 on 02-29 (the clocks had just gone back from +06)
out=$(kz query series all "$tmp/days.jsonl" --from 2024-02-28T00:00:00+06:00 --to 2024-03-02T00:00:00+05:00 --step day)
want=$(printf '2024-02-28T00:00:00+06:00\t0\n2024-02-29T00:00:00+06:00\t1\n2024-03-01T00:00:00+05:00\t0\ntotal\t1')
[ "$out" = "$want" ] && ok "2024-03-01: +06:00 before, +05:00 after, the 25-hour day holds its post" ||
    fail "2024 change: $out"
out=$(kz query series all "$tmp/days.jsonl" --from 2026-03-07T23:00:00+05:00 --to 2026-03-08T01:00:00+05:00 --step hour)
want=$(printf '2026-03-07T23:00:00+05:00\t1\n2026-03-08T00:00:00+05:00\t1\ntotal\t2')
[ "$out" = "$want" ] && ok "hours print in local time" || fail "hours: $out"
out=$(kz query series all "$tmp/days.jsonl" --from 2026-03-07T00:00:00Z --to 2026-03-07T02:00:00Z --tz Asia/Kolkata)
echo "$out" | head -1 | grep -q '+05:30' && ok "a +05:30 zone takes minute steps" || fail "Kolkata minutes: $(echo "$out" | head -2)"
out=$(kz replay "$tmp/days.jsonl" -d "$tmp/dead.jsonl")
echo "$out" | grep -q "^  2026-03-08 |" && echo "$out" | grep -q "Posts per hour (Asia/Almaty" &&
    ok "replay report: hours by local day" || fail "replay report: $out"
out=$(kz replay "$tmp/recent.jsonl" -d "$tmp/dead.jsonl" --json)
echo "$out" | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["counted"] == 5 and o["undated"] == 1 and sum(o["posts_per_hour"].values()) == 5, o
' && ok "replay: the undated post is counted apart, not in posts_per_hour" || fail "replay undated: $out"

# Bad windows: one line, naming the parameter, exit 2.
err() { # DESC PATTERN ARGS...
    local desc=$1 pat=$2
    shift 2
    kz query "$@" >"$tmp/e" 2>&1
    local rc=$?
    if [ $rc -eq 2 ] && grep -q -- "$pat" "$tmp/e" && [ "$(wc -l <"$tmp/e")" -eq 1 ]; then ok "$desc"; else
        fail "$desc (exit $rc): $(cat "$tmp/e")"; fi
}
err "a --from in the future" '--from .* is in the future (now is ' series all "$tmp/recent.jsonl" --from 2099-01-01T00:00:00Z
err "an inverted window" 'empty window: --to .* must be after --from' series all "$tmp/recent.jsonl" --from -10m --to -20m
err "an empty window" 'empty window' series all "$tmp/recent.jsonl" --from -10m --to -10m
err "a --from after the archive's end" "at or after the end of the archives' data" series all "$tmp/days.jsonl" --from -1h
err "an unparsable --from" '--from: expected an RFC 3339 time' series all "$tmp/recent.jsonl" --from yesterday
err "a Kazakh word for a time" '--to: expected an RFC 3339 time' series all "$tmp/recent.jsonl" --to ертең
err "a relative time with a sign it cannot have" '--from: expected' series all "$tmp/recent.jsonl" --from +2h
err "an unknown zone" '--tz: unknown time zone "Asia/Astana"' series all "$tmp/recent.jsonl" --tz Asia/Astana
err "a path for a zone" '--tz: unknown time zone' series all "$tmp/recent.jsonl" --tz ../../etc/passwd
err "an unknown step" '--step: expected one of minute, hour, day, auto' series all "$tmp/recent.jsonl" --step week
err "hour buckets in a half-hour zone" 'is not a whole number of hours' series all "$tmp/days.jsonl" --tz Asia/Kolkata --step hour
kz replay --tz Europe/Nowhere "$tmp/days.jsonl" -d "$tmp/dead.jsonl" >"$tmp/e" 2>&1
[ $? -eq 2 ] && grep -q 'replay: --tz: unknown time zone' "$tmp/e" && ok "replay refuses an unknown zone" ||
    fail "replay --tz: $(cat "$tmp/e")"
# --gran still works (the older name of --step), and is not listed in --help
[ "$(kz query series all "$tmp/days.jsonl" --gran day --from 2026-03-07T00:00:00+05:00 --to 2026-03-09T00:00:00+05:00 | tail -1)" = "total	3" ] &&
    ok "--gran day" || fail "--gran day"
kz query --help | grep -q -- "--step" && ! kz query --help | grep -q -- "--gran" &&
    ok "help names --step only" || fail "help: --gran listed or --step missing"
# An edge at epoch 0 is an edge, not "not given": the window is the one asked.
out=$(kz query series all "$tmp/days.jsonl" --from 1970-01-01T00:00:00Z --to 1970-01-01T00:10:00Z --tz UTC 2>&1)
echo "$out" | grep -qx 'total	0' && echo "$out" | head -1 | grep -q '^1970-01-01T00:00:00Z' &&
    ok "--from at epoch 0 is kept" || fail "--from at epoch 0: $(echo "$out" | head -3)"

echo "$fails failed"
[ "$fails" -eq 0 ]
