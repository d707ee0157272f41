#!/usr/bin/env python3
"""serve_sse.py -- the alert stream through /api/v1/alerts and the event
stream /api/v1/stream of a `kzpulse serve --redis` (cli_serve.sh runs it).

    serve_sse.py BASE_URL REDIS_PORT DB KZPULSE BROKERS REDIS_URL

Writes alerts to the stream kzp:v2:alerts as the alert engine will (fields
id, event, record), then checks: /api/v1/alerts lists them newest first with
their records as JSON (hostile text kept as text); a client that reconnects
with Last-Event-ID gets the alerts after that entry and not the one before;
an alert written while it listens arrives within 5 s with its entry id as
the event id; a post written now through Kafka and `kzpulse run` makes a
minute event with the new total.  Prints one line per check passed.
"""
import http.client
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

base, rport, db, kz, brokers, rurl = sys.argv[1:7]
u = urllib.parse.urlparse(base)
KEY = "kzp:v2:alerts"


def redis(*args):
    out = subprocess.run(["redis-cli", "-p", rport, "-n", db] + list(args), check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def alert(n, text):
    record = {"rule": "spike-protest", "region": "KZ-47", "text": text, "n": n}
    return redis("XADD", KEY, "*", "id", "a%d" % n, "event", "fired",
                 "record", json.dumps(record, ensure_ascii=False))


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Stream:
    def __init__(self, last_id=None):
        self.c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        headers = {"Last-Event-ID": last_id} if last_id else {}
        self.c.request("GET", "/api/v1/stream", headers=headers)
        self.r = self.c.getresponse()
        if self.r.status != 200 or not self.r.getheader("Content-Type", "").startswith("text/event-stream"):
            fail("stream: HTTP %d %s" % (self.r.status, self.r.getheader("Content-Type")))

    def events(self, seconds):
        """Events (dicts of event, id, data) until `seconds` pass."""
        end = time.time() + seconds
        ev = {}
        while time.time() < end:
            self.c.sock.settimeout(max(0.1, end - time.time()))
            try:
                line = self.r.readline()
            except TimeoutError:
                break
            if not line:
                break
            line = line.decode("utf-8").rstrip("\n")
            if not line:
                if "event" in ev:
                    yield ev
                ev = {}
                continue
            if line.startswith(":"):
                continue
            k, _, v = line.partition(": ")
            ev[k] = v

    def close(self):
        self.c.close()


def burst(cmds, n, what):
    """XADD the commands through redis-cli; wait until the server's poller
    (100 entries a second) has read the last one.  The entry ids."""
    ids = subprocess.run(["redis-cli", "-p", rport, "-n", db], input=cmds, check=True,
                         capture_output=True, text=True).stdout.split()
    if len(ids) != n:
        fail("%s: %d entries written, not %d" % (what, len(ids), n))
    end = time.time() + 60
    while time.time() < end:
        probe = Stream()
        cur = next((ev["id"] for ev in probe.events(3) if ev["event"] == "minute"), None)
        probe.close()
        if cur == ids[-1]:
            return ids
        time.sleep(1)
    fail("%s: the server's poller did not reach its last entry" % what)


redis("DEL", KEY)
hostile = "Жиналайық! <script>alert('x')</script> \"тырнақша\" \\ соңы"
ids = [alert(1, "Ақтауда митинг"), alert(2, "Митинг в Жанаозене"), alert(3, hostile)]

with urllib.request.urlopen(base + "/api/v1/alerts?limit=2", timeout=10) as r:
    got = json.load(r)
listed = [a["stream_id"] for a in got["alerts"]]
if listed != [ids[2], ids[1]]:
    fail("/api/v1/alerts?limit=2: expected %s, got %s" % ([ids[2], ids[1]], listed))
if got["alerts"][0]["record"]["text"] != hostile or got["alerts"][0]["event"] != "fired":
    fail("/api/v1/alerts: the record did not come back as written: %r" % got["alerts"][0])
print("/api/v1/alerts lists the newest first, records as JSON, hostile text as text")

time.sleep(2.5)  # the stream's poller has seen all three
s = Stream(last_id=ids[0])
seen, minute = [], None
for ev in s.events(4):
    if ev["event"] == "alert":
        seen.append(ev["id"])
        data = json.loads(ev["data"])
        if data["stream_id"] != ev["id"]:
            fail("an alert event's id is not its entry id: %r" % ev)
    elif ev["event"] == "minute":
        minute = json.loads(ev["data"])
    if len(seen) >= 2 and minute is not None:
        break
if seen != ids[1:]:
    fail("resume after %s: expected alerts %s, got %s" % (ids[0], ids[1:], seen))
if minute is None or "total" not in minute or "+05:00" not in minute["minute"]:
    fail("no minute event at connect: %r" % minute)
print("Last-Event-ID %s resumes with the two alerts after it, and the current minute's total" % ids[0])

new = alert(4, "Жаңа ескерту")
t0 = time.time()
got = None
for ev in s.events(5):
    if ev["event"] == "alert":
        got = ev
        break
if not got or got["id"] != new:
    fail("an alert written while listening did not arrive within 5 s: %r" % got)
print("a new alert arrives in %.1f s with its entry id as the event id" % (time.time() - t0))

# A post written now goes Kafka -> run -> Redis; the stream says the new total.
start_total = minute["total"]
topic = "sse-%d" % int(time.time() * 1000)
with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as f:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    f.write(json.dumps({"id": "sse1", "platform": "telegram", "ts": now,
                        "text": "Бүгін алаңда жиын болады, бәріңіз келіңіздер"}, ensure_ascii=False) + "\n")
    f.flush()
    subprocess.run([kz, "produce", "-b", brokers, "-t", topic, f.name], check=True, capture_output=True)
    subprocess.run([kz, "run", "-b", brokers, "-t", topic, "-g", "g-" + topic, "--redis", rurl,
                    "--no-lexicons", "--until-eof", "--stats-interval", "0"], check=True,
                   capture_output=True, timeout=120)
t0 = time.time()
got = None
for ev in s.events(10):
    if ev["event"] == "minute" and json.loads(ev["data"])["total"] >= 1:
        got = json.loads(ev["data"])
        break
if not got:
    fail("no minute event with the new post within 10 s")
print("a post written now shows as a minute event (total %d) %.1f s after it reached Redis"
      % (got["total"], time.time() - t0))
s.close()

# A client resuming from an alert this server's poller has not read yet (it
# had it from elsewhere) does not get it again when the poller catches up.
last = alert(5, "Тағы бір ескерту")
s = Stream(last_id=last)
again = [ev["id"] for ev in s.events(3) if ev["event"] == "alert"]
if again:
    fail("resumed at %s, the client got %s again" % (last, again))
s.close()
print("a resumed client does not get the alert it named again")

# A resume over more alerts than one page (RESUME_PAGE, 100) and than the old
# cap of 1000: every one once, in order, then the minute's total with the
# newest alert as its id.
N = 1205
cmds = "".join("XADD %s * id 'b%d' event fired record '%s'\n" %
               (KEY, n, json.dumps({"rule": "spike-protest", "region": "KZ-47", "text": "burst-%d" % n,
                                    "n": n}, separators=(",", ":"))) for n in range(N))
out = burst(cmds, N, "the burst")
s = Stream(last_id=out[0])
seen, after = [], None
for ev in s.events(30):
    if ev["event"] == "alert":
        seen.append(ev["id"])
    elif ev["event"] == "minute" and len(seen) == N - 1:
        after = ev["id"]
        break
s.close()
if seen != out[1:]:
    dup = len(seen) - len(set(seen))
    fail("resume over %d alerts: got %d (%d twice), first %s last %s" %
         (N - 1, len(seen), dup, seen[:1], seen[-1:]))
if after != out[-1]:
    fail("after the backlog, no minute event with the newest alert's id (%r)" % after)
print("Last-Event-ID before a burst of %d alerts resumes with all %d, in order, once, then the minute"
      % (N, N - 1))

# A client that reads too slowly for the ring (SSE_RING, 256 events): it
# still gets every alert once, in order -- the ones the ring lost are read
# again from Redis.  A small receive buffer and records of 30 KB make the
# server's side fill while this client does not read.
M, pad = 500, "ж" * 15000
slow = socket.socket()
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.connect((u.hostname, u.port))
slow.sendall(b"GET /api/v1/stream HTTP/1.0\r\nHost: kzpulse\r\n\r\n")
time.sleep(1.5)
cmds = "".join("XADD %s * id 's%d' event fired record '%s'\n" %
               (KEY, n, json.dumps({"n": n, "text": pad}, ensure_ascii=False, separators=(",", ":")))
               for n in range(M))
out = burst(cmds, M, "the slow client's burst")
slow.settimeout(5)
data, got = b"", []
end = time.time() + 60
while time.time() < end and len(got) < M:
    try:
        chunk = slow.recv(1 << 16)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
    while b"\n\n" in data:
        block, data = data.split(b"\n\n", 1)
        lines = block.decode("utf-8", "replace").split("\n")
        if "event: alert" in lines:
            got += [ln[4:] for ln in lines if ln.startswith("id: ")]
slow.close()
if got != out:
    fail("a slow client got %d alerts of %d (%d twice; in order: %s)" %
         (len(got), M, len(got) - len(set(got)), got == sorted(got, key=lambda i: tuple(map(int, i.split("-"))))))
print("a client too slow for the ring still gets all %d alerts of a burst, in order, once" % M)

# At most 256 event-stream clients (SERVE_MAX_SSE): the next one gets 503.
time.sleep(1)  # the closed streams above are noticed as the ticker resumes them
held = [Stream() for _ in range(256)]
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("GET", "/api/v1/stream")
r = c.getresponse()
if r.status != 503 or r.getheader("Retry-After") is None:
    fail("the 257th event-stream client: HTTP %d, not 503 with Retry-After" % r.status)
c.close()
with urllib.request.urlopen(base + "/api/v1/distinct", timeout=10) as r:
    if r.status != 200:
        fail("the API with 256 event streams open: HTTP %d" % r.status)
for h in held:
    h.close()
print("256 event-stream clients are served (with the API still answering), the 257th gets 503")
