#!/bin/bash
# cli_serve_prometheus.sh -- a real Prometheus (Debian's prometheus) scrapes
# `kzpulse serve`'s /metrics every second, and PromQL over its HTTP API
# returns the posts the server counted: the sum of kzpulse_posts_total is
# the number of posts replayed, one series by platform and language equals
# what /metrics says, and the HTTP counter is there.  Prometheus runs on
# loopback with a throwaway config and storage, and is stopped at the end.
set -u
KZ_BIN="$1"
ROOT="${KZ_SOURCE_ROOT:-$(dirname "$0")/..}"
HERE="$ROOT/tests"
tmp=$(mktemp -d)
fails=0
prom_pid=
. "$HERE/serve_lib.sh"
trap '[ -n "$prom_pid" ] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid"; serve_stop_all; rm -rf "$tmp"' EXIT
command -v prometheus >/dev/null || { echo "FAIL: no prometheus (Debian package prometheus)"; exit 1; }

serve_start mem --lexicons "$ROOT/lexicons" "$ROOT/samples/posts.jsonl" || exit 1
posts=$(sed -n 's/^kzpulse serve: \([0-9]*\) posts replayed.*/\1/p' "$tmp/serve-mem.err")
prom_port=$("$HERE/harness/free-port")
cat >"$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kzpulse
    static_configs:
      - targets: ['127.0.0.1:$port_mem']
YML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!

# promql QUERY: the first value of an instant query, or nothing.
promql() {
    curl -s --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
        python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
}

got=
for i in $(seq 1 60); do
    got=$(promql 'sum(kzpulse_posts_total{job="kzpulse"})')
    [ "$got" = "$posts" ] && break
    sleep 1
done
check "Prometheus scraped /metrics: sum(kzpulse_posts_total) = $posts posts replayed (got ${got:-nothing} after ${i} s)" \
    test -n "$posts" -a "$got" = "$posts"

want=$(curl -s "http://127.0.0.1:$port_mem/metrics" |
    sed -n 's/^kzpulse_posts_total{platform="telegram",language="kk"} //p')
got=$(promql 'kzpulse_posts_total{platform="telegram",language="kk"}')
check "one series by platform and language: $want Kazakh Telegram posts (PromQL: $got)" \
    test -n "$want" -a "$got" = "$want"
got=$(promql 'sum(kzpulse_dead_letters_total)')
check "dead letters by reason are scraped too (168 in the sample: $got)" test "$got" = 168
# the first scrape sees the family empty: its own request is counted after it
for i in $(seq 1 10); do
    got=$(promql 'sum(kzpulse_http_requests_total{code="200"})')
    [ -n "$got" ] && break
    sleep 1
done
check "the scrapes count in kzpulse_http_requests_total{code=\"200\"} ($got)" test -n "$got"
got=$(curl -s "http://127.0.0.1:$prom_port/api/v1/targets" | grep -o '"health":"[a-z]*"' | head -1)
check "the target is healthy ($got)" test "$got" = '"health":"up"'

[ "$fails" -eq 0 ] || tail -5 "$tmp/prometheus.log"
echo "$fails failed"
[ "$fails" -eq 0 ]
