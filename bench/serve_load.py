#!/usr/bin/env python3
"""serve_load.py -- load on `kzpulse serve`: event-stream clients held open
while API requests arrive at a fixed rate.

    bench/serve_load.py BASE_URL SERVER_PID [SSE_CLIENTS] [RATE] [SECONDS] [WORKERS]

Opens SSE_CLIENTS (default 200) event streams and keeps reading them, then
for SECONDS (default 60) sends RATE (default 1000) GETs a second, spread over
WORKERS (default 16) threads with one kept-alive connection each, cycling
through series, dims, top, posts and distinct queries.  Prints one line:
requests sent and answered 200, the rate achieved, latency p50/p99/max in ms,
the event streams still open with the events they received, and the server's
RSS at the start and the end and its peak (VmHWM).  A benchmark: it never
fails, it reports.
"""
import http.client
import sys
import threading
import time
import urllib.parse

base, pid = sys.argv[1], sys.argv[2]
nsse = int(sys.argv[3]) if len(sys.argv) > 3 else 200
rate = float(sys.argv[4]) if len(sys.argv) > 4 else 1000
secs = float(sys.argv[5]) if len(sys.argv) > 5 else 60
workers = int(sys.argv[6]) if len(sys.argv) > 6 else 16
u = urllib.parse.urlparse(base)
PATHS = ["/api/v1/series?dim=all", "/api/v1/dims?dim=platform:", "/api/v1/top?kind=hashtag",
         "/api/v1/posts?dim=mob:call&limit=5", "/api/v1/distinct?dim=all",
         "/api/v1/series?dim=topic:protest&step=hour"]


def rss(field):
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) // 1024
    return -1


stop = threading.Event()
events = [0] * nsse
open_streams = [0]
lock = threading.Lock()


def sse(i):
    try:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=secs + 30)
        c.request("GET", "/api/v1/stream")
        r = c.getresponse()
        if r.status != 200:
            return
        with lock:
            open_streams[0] += 1
        while not stop.is_set():
            line = r.readline()
            if not line:
                break
            if line.startswith(b"event:"):
                events[i] += 1
        c.close()
    except OSError:
        pass


lat, codes = [], {}


def worker(k):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    interval = workers / rate
    t = time.monotonic() + k * interval / workers
    n = k
    mine = []
    while not stop.is_set():
        now = time.monotonic()
        if now < t:
            time.sleep(t - now)
        t += interval
        path = PATHS[n % len(PATHS)]
        n += 1
        t0 = time.monotonic()
        try:
            c.request("GET", path)
            r = c.getresponse()
            r.read()
            code = r.status
        except (OSError, http.client.HTTPException):
            code = 0
            c.close()
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        mine.append((time.monotonic() - t0) * 1000)
        with lock:
            codes[code] = codes.get(code, 0) + 1
    with lock:
        lat.extend(mine)


rss0 = rss("VmRSS")
threads = [threading.Thread(target=sse, args=(i,), daemon=True) for i in range(nsse)]
for th in threads:
    th.start()
time.sleep(2)
held = open_streams[0]
ws = [threading.Thread(target=worker, args=(k,)) for k in range(workers)]
start = time.monotonic()
for w in ws:
    w.start()
time.sleep(secs)
stop.set()
for w in ws:
    w.join()
took = time.monotonic() - start
lat.sort()
n = len(lat)
p = lambda q: lat[min(n - 1, int(q * n))] if n else float("nan")
print("serve_load: %d SSE clients held (%d events read), %d requests in %.0f s = %.0f/s "
      "(asked %.0f/s), %d answered 200, others %s; latency p50 %.1f ms p99 %.1f ms max %.1f ms; "
      "RSS %d MB -> %d MB, peak %d MB"
      % (held, sum(events), n, took, n / took, rate, codes.get(200, 0),
         {k: v for k, v in codes.items() if k != 200}, p(0.5), p(0.99), lat[-1] if n else 0,
         rss0, rss("VmRSS"), rss("VmHWM")))
