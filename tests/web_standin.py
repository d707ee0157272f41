#!/usr/bin/env python3
"""web_standin.py -- a stand-in for `kzpulse serve`, for developing the page only.

TEMPORARY: until `kzpulse serve` (issue 17, items 1-3) is merged, this serves
the dashboard's files from web/ and answers the JSON API v1 by running
`kzpulse query --json` for each request, so the page and its browser test
(tests/web_dashboard.py) have the contract to work against.  The browser test
uses the real server as soon as `kzpulse serve` exists; this file is then to be
deleted.  It is not a product: no limits, no token, no TLS; loopback only.

    web_standin.py --kzpulse BIN --port P (--redis URL | FILE...) [--lexicons DIR]

  /  /index.html  /assets/...       the files of web/ (the table of web/meson.build)
  /api/v1/series|top|distinct|dims|posts?dim=&from=&to=&step=&tz=&names=&limit=
                                    `kzpulse query --json` with the same parameters;
                                    its exit 2 is HTTP 400 {"error": its message}
  /api/v1/alerts                    {"alerts": []} (no evaluator runs yet)
  /api/v1/stream                    server-sent events: "minute" with the current
                                    minute's total of all posts whenever it changes
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
QUERIES = {"series", "top", "distinct", "dims", "posts"}
FLAGS = {"from": "--from", "to": "--to", "step": "--step", "tz": "--tz", "names": "--names",
         "limit": "--limit"}


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
        if url.path == "/api/v1/alerts":
            return self.send(200, json.dumps({"alerts": []}))
        if url.path == "/api/v1/stream":
            return self.stream()
        what = url.path[len("/api/v1/"):] if url.path.startswith("/api/v1/") else None
        if what not in QUERIES:
            return self.send(404, json.dumps({"error": "no such path"}))
        argv = [self.server.kzpulse, "query", what, params.get("dim", "all"), "--json"]
        for k, flag in FLAGS.items():
            if k in params:
                argv += [flag, params[k]]
        argv += self.server.source
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode == 0:
            return self.send(200, p.stdout)
        msg = [ln for ln in p.stderr.splitlines() if "could not be decoded" not in ln]
        return self.send(400 if p.returncode == 2 else 503,
                         json.dumps({"error": " ".join(msg).strip()}))

    def stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        last, n = None, 0
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while True:
                argv = [self.server.kzpulse, "query", "series", "all", "--json", "--from", "-2m",
                        "--to", "now", "--step", "minute"] + self.server.source
                p = subprocess.run(argv, capture_output=True, text=True)
                total = json.loads(p.stdout).get("total") if p.returncode == 0 else None
                if total != last:
                    n += 1
                    ev = "id: %d\nevent: minute\ndata: %s\n\n" % (n, json.dumps({"total": total}))
                    self.wfile.write(ev.encode("utf-8"))
                else:
                    self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                last = total
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            return


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kzpulse", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--redis")
    ap.add_argument("--lexicons")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.kzpulse = a.kzpulse
    srv.verbose = a.verbose
    srv.source = (["--redis", a.redis] if a.redis else list(a.files)) + \
        (["--lexicons", a.lexicons] if a.lexicons else [])
    threading.current_thread().name = "standin"
    srv.serve_forever()


if __name__ == "__main__":
    main()
