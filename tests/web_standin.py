#!/usr/bin/env python3
"""web_standin.py -- a stand-in for `kzpulse serve`, for developing the page only.

TEMPORARY: until `kzpulse serve` (issue 17, items 1-3) is merged, this serves
the dashboard's files from web/ and answers the JSON API v1 by running
`kzpulse query --json` for each request, so the page and its browser test
(tests/web_dashboard.py) have the contract to work against.  The browser test
uses the real server as soon as `kzpulse serve` exists; this file is then to be
deleted.  It is not a product: no limits, no token, no TLS; loopback only.

    web_standin.py --kzpulse BIN --port P (--redis URL | FILE...) [--lexicons DIR] [--alerts FILE]

  /  /index.html  /assets/...       the files of web/ (the table of web/meson.build)
  /api/v1/series|top|distinct|dims|posts?dim=(kind= for top)&from=&to=&step=&tz=&names=&limit=
                                    `kzpulse query --json` with the same parameters;
                                    its exit 2, or a parameter the path does not take,
                                    is HTTP 400 {"error": {"status", "parameter", "message"}}
  /api/v1/alerts?limit=N            {"query": "alerts", "alerts": [entries]}: the lines
                                    of --alerts FILE, then the Redis alert stream
                                    (kzp:v2:alerts), newest first
  /api/v1/stream                    server-sent events: "minute" {"minute", "total"}
                                    whenever the current minute's total changes, and
                                    "alert" {stream_id, id, event, record} for each new
                                    entry of the alert stream
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "web")
FILES = {
    "/": "index.html",
    "/index.html": "index.html",
    "/assets/app.js": "app.js",
    "/assets/style.css": "style.css",
    "/assets/vendor/uplot/uPlot.iife.min.js": "vendor/uplot/uPlot.iife.min.js",
    "/assets/vendor/uplot/uPlot.min.css": "vendor/uplot/uPlot.min.css",
    "/assets/vendor/uplot/LICENSE": "vendor/uplot/LICENSE",
    "/assets/vendor/uplot/VERSION": "vendor/uplot/VERSION",
}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
         ".css": "text/css; charset=utf-8"}
# The parameters each path takes, as the serve branch's routes table has them
# (serve/api.c); any other is a 400 naming it.
WINDOW = {"from", "to", "step", "tz"}
ROUTES = {
    "series": WINDOW | {"dim", "names"},
    "top": WINDOW | {"kind", "limit"},
    "distinct": WINDOW | {"dim", "names"},
    "dims": WINDOW | {"dim", "names"},
    "posts": WINDOW | {"dim", "limit", "names"},
    "alerts": {"limit"},
}
FLAGS = {"from": "--from", "to": "--to", "step": "--step", "tz": "--tz", "names": "--names",
         "limit": "--limit"}


def error(status, message, parameter=None):
    e = {"status": status, "message": message}
    if parameter:
        e["parameter"] = parameter
    return json.dumps({"error": e})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("standin: " + fmt % args + "\n")

    def send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page went on to another view

    def do_GET(self):
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if url.path in FILES:
            name = FILES[url.path]
            with open(os.path.join(WEB, name), "rb") as f:
                data = f.read()
            ctype = TYPES.get(os.path.splitext(name)[1], "text/plain; charset=utf-8")
            return self.send(200, data, ctype)
        if url.path == "/api/v1/stream":
            return self.stream()
        what = url.path[len("/api/v1/"):] if url.path.startswith("/api/v1/") else None
        if what not in ROUTES:
            return self.send(404, error(404, "no such path"))
        for k in params:
            if k not in ROUTES[what]:
                return self.send(400, error(400, "unknown parameter", k))
        if what == "alerts":
            n = int(params.get("limit", "1000"))
            entries = self.server.alerts[::-1][:n] + redis_alerts(self.server.redis_url, None, n)
            return self.send(200, json.dumps({"query": "alerts", "alerts": entries}))
        arg = params.get("kind" if what == "top" else "dim")
        if not arg:
            return self.send(400, error(400, "required", "kind" if what == "top" else "dim"))
        argv = [self.server.kzpulse, "query", what, arg, "--json"]
        for k, flag in FLAGS.items():
            if k in params:
                argv += [flag, params[k]]
        argv += self.server.source
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode == 0:
            return self.send(200, p.stdout)
        msg = [ln for ln in p.stderr.splitlines() if "could not be decoded" not in ln]
        code = 400 if p.returncode == 2 else 503
        return self.send(code, error(code, " ".join(msg).strip()))

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        last, n = None, 0
        seen = (redis_alerts(self.server.redis_url, None, 1) or [{"stream_id": "0-0"}])[0]["stream_id"]
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                argv = [self.server.kzpulse, "query", "series", "all", "--json", "--from", "-2m",
                        "--to", "now", "--step", "minute"] + self.server.source
                p = subprocess.run(argv, capture_output=True, text=True)
                ans = json.loads(p.stdout) if p.returncode == 0 else {}
                total = ans.get("total")
                if total != last:
                    n += 1
                    pts = ans.get("points") or [[None, 0]]
                    data = json.dumps({"minute": pts[-1][0], "total": pts[-1][1]})
                    ev = "event: minute\nid: %d\ndata: %s\n\n" % (n, data)
                    self.wfile.write(ev.encode("utf-8"))
                else:
                    self.wfile.write(b": keep-alive\n\n")
                for e in redis_alerts(self.server.redis_url, seen, 100):
                    seen = e["stream_id"]
                    ev = "event: alert\nid: %s\ndata: %s\n\n" % (seen, json.dumps(e))
                    self.wfile.write(ev.encode("utf-8"))
                self.wfile.flush()
                last = total
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            return


def redis_alerts(url, after, count):
    """Entries of the alert stream kzp:v2:alerts as the server gives them
    ({stream_id, id, event, record}): the newest `count`, newest first, or
    those after the entry id `after`, oldest first."""
    if not url:
        return []
    try:
        import redis  # Debian python3-redis
    except ImportError:
        return []
    r = redis.Redis.from_url(url, decode_responses=True)
    rows = r.xrange("kzp:v2:alerts", "(" + after, "+", count) if after else \
        r.xrevrange("kzp:v2:alerts", "+", "-", count)
    out = []
    for sid, f in rows:
        e = {"stream_id": sid}
        for k in ("id", "event"):
            if k in f:
                e[k] = f[k]
        if "record" in f:
            try:
                e["record"] = json.loads(f["record"])
            except ValueError:
                e["record"] = f["record"]
        out.append(e)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kzpulse", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--redis")
    ap.add_argument("--lexicons")
    ap.add_argument("--alerts", help="JSON lines of alert stream entries for /api/v1/alerts")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.kzpulse = a.kzpulse
    srv.verbose = a.verbose
    srv.redis_url = a.redis
    srv.alerts = []
    if a.alerts:
        with open(a.alerts, encoding="utf-8") as f:
            srv.alerts = [json.loads(line) for line in f if line.strip()]
    srv.source = (["--redis", a.redis] if a.redis else list(a.files)) + \
        (["--lexicons", a.lexicons] if a.lexicons else [])
    threading.current_thread().name = "standin"
    srv.serve_forever()


if __name__ == "__main__":
    main()
