#!/bin/bash
# cli_query_expect.sh -- `kzpulse query` against expectations it did not
# compute: samples/posts.manifest.json, written by the generator that wrote
# samples/posts.jsonl (bench/gen_corpus.py), holds the posts per UTC hour of
# event time, the valid posts, those without a usable time and the distinct
# authors.  Every hour, every local day of Asia/Almaty, the edges of
# --from/--to (on a bucket, inside one, one millisecond past one) and the
# minute step are checked against sums of the manifest's hours, so a window
# one bucket too long or too short, a shifted zone or a lost post fails here.
# No servers: the archive is replayed into the in-process store.
set -u
KZ_BIN="$1"
kz() { ${KZ_WRAP:-} "$KZ_BIN" "$@"; }
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
archive="$ROOT/samples/posts.jsonl"
manifest="$ROOT/samples/posts.manifest.json"

# q NAME ARGS...: one query as JSON into $tmp/NAME.json (exit status kept)
q() {
    local name=$1
    shift
    kz query "$@" --json "$archive" >"$tmp/$name.json" 2>"$tmp/$name.err"
    echo $? >"$tmp/$name.rc"
}
q hours series all --step hour --tz UTC --from 2026-03-01T00:00:00Z --to 2026-03-10T00:00:00Z
q days series all --step day --tz Asia/Almaty --from 2026-03-01T00:00:00+05:00 --to 2026-03-10T00:00:00+05:00
q edge_on series all --step hour --tz UTC --from 2026-03-02T03:00:00Z --to 2026-03-02T05:00:00Z
q edge_in series all --step hour --tz UTC --from 2026-03-02T03:30:00Z --to 2026-03-02T04:59:59Z
q edge_past series all --step hour --tz UTC --from 2026-03-02T03:00:00Z --to 2026-03-02T05:00:00.001Z
q minutes series all --step minute --tz UTC --from 2026-03-05T09:00:00Z --to 2026-03-05T12:00:00Z
q platforms dims platform: --tz UTC
q distinct distinct all --tz UTC
q defaults series all

python3 - "$manifest" "$tmp" <<'PY'
import datetime as dt, json, sys
m = json.load(open(sys.argv[1]))
tmp = sys.argv[2]
fails = 0
def check(ok, what, detail=""):
    global fails
    print(("ok   " if ok else "FAIL: ") + what + ("" if ok else ": " + detail))
    fails += not ok
def load(name):
    rc = int(open(f"{tmp}/{name}.rc").read())
    if rc != 0:
        check(False, name, f"exit {rc}: {open(f'{tmp}/{name}.err').read().strip()}")
        return None
    return json.load(open(f"{tmp}/{name}.json"))
def utc(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
hours = {dt.datetime.strptime(k, "%Y-%m-%dT%H").replace(tzinfo=dt.timezone.utc): v
         for k, v in m["posts_per_hour"].items()}
dated = m["valid_posts"] - m["ts_fallback"]
check(sum(hours.values()) == dated, "the manifest's hours add up to its dated posts")

def series(name):
    r = load(name)
    return (r, {utc(t): n for t, n in r["points"]}) if r else (None, None)

r, pts = series("hours")
if r:
    want = {h: n for h, n in hours.items()}
    got = {h: n for h, n in pts.items() if n}
    check(got == want, "every UTC hour as the manifest counts it",
          str(sorted(set(got.items()) ^ set(want.items()))[:6]))
    check(r["total"] == dated, f"hourly total {r['total']} = dated posts {dated}")
    check(r["undated"] == m["ts_fallback"], f"undated {r['undated']} = the manifest's {m['ts_fallback']}")

r, pts = series("days")
if r:
    almaty = dt.timezone(dt.timedelta(hours=5))  # UTC+5 all of 2026
    want = {}
    for h, n in hours.items():
        d = h.astimezone(almaty).date()
        want[d] = want.get(d, 0) + n
    got = {}
    for t, n in pts.items():
        lt = t.astimezone(almaty)
        check(lt.hour == 0 and lt.minute == 0, f"day bucket {t} starts at local midnight")
        if n:
            got[lt.date()] = n
    check(got == want, "every Asia/Almaty day as the manifest's hours add up",
          f"{sorted(got.items())} vs {sorted(want.items())}")

h = lambda s: hours.get(dt.datetime.strptime(s, "%Y-%m-%dT%H").replace(tzinfo=dt.timezone.utc), 0)
r, pts = series("edge_on")
if r:
    check(r["total"] == h("2026-03-02T03") + h("2026-03-02T04"),
          "[03:00, 05:00) holds the 03 and 04 hours and not 05", str(r["total"]))
r, pts = series("edge_in")
if r:
    check(r["total"] == h("2026-03-02T03") + h("2026-03-02T04"),
          "[03:30, 04:59:59) shows the two hours it overlaps", str(r["total"]))
r, pts = series("edge_past")
if r:
    check(r["total"] == h("2026-03-02T03") + h("2026-03-02T04") + h("2026-03-02T05"),
          "a millisecond into 05:00 shows the 05 hour too", str(r["total"]))
r, pts = series("minutes")
if r:
    check(len(pts) == 180, f"three hours are 180 minute buckets ({len(pts)})")
    check(r["total"] == h("2026-03-05T09") + h("2026-03-05T10") + h("2026-03-05T11"),
          "minute buckets add up to the manifest's hours", str(r["total"]))

r = load("platforms")
if r:
    tot = sum(r["dims"].values())
    check(tot + r["undated"] == m["valid_posts"],
          f"platforms {tot} + undated {r['undated']} = valid posts {m['valid_posts']}")
    check(set(k.split(":", 1)[1] for k in r["dims"]) == set(m["platforms"]),
          "the manifest's platforms and no other")
    over = [k for k, v in r["dims"].items() if v > m["platforms"][k.split(":", 1)[1]]]
    check(not over, "no platform counts more posts than the manifest has", str(over))

r = load("distinct")
if r:
    est, want = r["distinct"], m["distinct_authors"]
    check(abs(est - want) <= 0.03 * want, f"distinct authors {est} within 3% of {want}")

r = load("defaults")
if r:
    check(r["total"] == dated, "the default window is the archive's span: every dated post",
          str(r["total"]))
print(f"{fails} failed")
sys.exit(1 if fails else 0)
PY
