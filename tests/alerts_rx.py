#!/usr/bin/env python3
"""alerts_rx.py -- a webhook receiver for the delivery tests, and their helpers.

  alerts_rx.py serve --port P --log FILE [--fail N [--status C]] [--delay S]
      Listen on 127.0.0.1:P and answer every POST: C (default 500) to the
      first N, then 200, each after S seconds.  Every request is checked the Standard
      Webhooks way, written here from the convention and not from kzpulse:
      the secret is "whsec_" + base64 of the key (from $KZPULSE_WEBHOOK_SECRET);
      the signed content is webhook-id "." webhook-timestamp "." body; the
      signature is "v1," + base64(HMAC-SHA256(key, content)), and the header
      may hold several, space-separated.  One JSON line per request is logged
      (flushed) before the answer: webhook-id, whether the signature and the
      timestamp are valid, the status answered, the record's id and region,
      and the wall-clock time the request arrived (epoch seconds).
  alerts_rx.py record ALERT_ID STATE [REGION [LAST [FIRST]]]
      Print an alert record of the shape kzpulse writes (alerts/record.c);
      LAST and FIRST are its minutes, in minutes from now (default -10 and
      LAST - 4).
  alerts_rx.py check LOG IDS_FILE [JSONL]
      Compare the webhook-ids answered 200 with the ids of IDS_FILE (one a
      line, in publication order): the same set, in the same order of first
      arrival, every signature valid.  With JSONL, compare the records' ids
      in that file with the alert ids of IDS_FILE instead, one for one.
      Prints what differs; exit 0 or 1.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import sys
import time


def verify(key, msg_id, ts, body, header):
    content = msg_id.encode() + b"." + ts.encode() + b"." + body
    want = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    for part in header.split():
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, want):
            return True
    return False


def serve(args):
    port = int(args[args.index("--port") + 1])
    log_path = args[args.index("--log") + 1]
    fail = int(args[args.index("--fail") + 1]) if "--fail" in args else 0
    fail_status = int(args[args.index("--status") + 1]) if "--status" in args else 500
    delay = float(args[args.index("--delay") + 1]) if "--delay" in args else 0.0
    secret = os.environ["KZPULSE_WEBHOOK_SECRET"].strip()
    key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret)
    log = open(log_path, "a", encoding="utf-8")
    seen = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            arrived = time.time()
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n)
            msg_id = self.headers.get("webhook-id", "")
            ts = self.headers.get("webhook-timestamp", "")
            sig = self.headers.get("webhook-signature", "")
            seen["n"] += 1
            status = fail_status if seen["n"] <= fail else 200
            try:
                fresh = abs(time.time() - int(ts)) <= 300
            except ValueError:
                fresh = False
            try:
                rec = json.loads(body)
            except ValueError:
                rec = None
            if not isinstance(rec, dict):
                rec = {}
            record_id, region = rec.get("id"), rec.get("region")
            entry = {"webhook_id": msg_id, "valid": verify(key, msg_id, ts, body, sig) and fresh,
                     "status": status, "record_id": record_id,
                     "event": self.headers.get("kzpulse-event"),
                     "type": self.headers.get("Content-Type"), "region": region,
                     "arrived": round(arrived, 6)}
            log.write(json.dumps(entry) + "\n")
            log.flush()
            time.sleep(delay)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def record(args):
    alert_id, state = args[0], args[1]
    region = args[2] if len(args) > 2 else "KZ-47"
    now = int(time.time()) // 60
    last = int(args[3]) if len(args) > 3 else -10
    first = int(args[4]) if len(args) > 4 else last - 4
    minute = (now + last) * 60
    t = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
    rec = {"id": alert_id, "rule": "mob_call_region", "kind": "call", "state": state,
           "severity": "critical", "first_minute": t((now + first) * 60), "last_minute": t(minute),
           "region": region, "region_name": "Маңғыстау облысы",
           "dimension": "mob:call|region:" + region.lower(), "count": 57, "authors": 31,
           "expected": 4.25, "probability": 1.5e-12,
           "evidence": {"samples": [{"id": "tg:1", "platform": "telegram", "author": "u1",
                                     "text": "Ертең алаңға шығайық", "ts": t(minute)}],
                        "top_terms": [{"member": "алаң", "count": 40}],
                        "top_hashtags": [{"member": "жаңаөзен", "count": 22}]}}
    print(json.dumps(rec, ensure_ascii=False, separators=(",", ":")))


def check(args):
    entries = [json.loads(l) for l in open(args[0], encoding="utf-8") if l.strip()]
    want = [l.strip() for l in open(args[1], encoding="utf-8") if l.strip()]
    bad = [e for e in entries if not e["valid"]]
    got = []
    for e in entries:
        if e["status"] == 200 and e["webhook_id"] not in got:
            got.append(e["webhook_id"])
    ok = True
    if bad:
        print("invalid signatures: %d of %d requests" % (len(bad), len(entries)))
        ok = False
    if len(args) > 2:  # the ids of a JSON-lines file instead of a log
        got = [json.loads(l)["id"] for l in open(args[2], encoding="utf-8") if l.strip()]
        want = [w.split("_")[1] for w in want]
    if got != want:
        print("delivered (first arrivals):\n  " + "\n  ".join(got))
        print("published:\n  " + "\n  ".join(want))
        ok = False
    dups = sum(1 for e in entries if e["status"] == 200) - len(got)
    print("%d requests, %d delivered ids, %d duplicates answered 200" % (len(entries), len(got), dups))
    return 0 if ok else 1


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "serve":
        serve(sys.argv[2:])
    elif cmd == "record":
        record(sys.argv[2:])
    elif cmd == "check":
        sys.exit(check(sys.argv[2:]))
    else:
        sys.exit("usage: alerts_rx.py serve|record|check ...")
