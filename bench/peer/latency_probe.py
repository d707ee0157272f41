#!/usr/bin/python3
"""latency_probe.py -- append-to-visible latency of a Kafka -> Redis job.

  latency_probe.py BROKERS TOPIC REDIS_PORT DB OFFSETS_KEY TOTAL [TIMEOUT_S]

Both jobs write, atomically with their counters, the last offset of every
partition they applied (kzpulse: kzp:v2:offsets:{group}, in the same Lua
script; the peer: peer:offsets:{group}, in the same MULTI).  So when the probe
sees a partition's stored offset move from a to b at wall-clock time T, the
counts of messages a+1..b became visible to readers at T.  The probe polls
the hash every 2 ms (so visibility is measured to ~2 ms plus a Redis round
trip) until TOTAL messages are covered, then reads the topic back and takes,
for every message, T - its Kafka timestamp.  The topic must be created with
message.timestamp.type=LogAppendTime, so the timestamp is the broker's append
time; producer, broker, job and probe share this machine's clock.  Prints
p50, p90, p99, max in ms and the count as one JSON line.
"""
import bisect
import json
import sys
import time

import redis
from confluent_kafka import Consumer, TopicPartition


def main():
    brokers, topic, port, db, key, total = sys.argv[1:7]
    timeout = float(sys.argv[7]) if len(sys.argv) > 7 else 600
    total = int(total)
    r = redis.Redis(port=int(port), db=int(db))
    seen = {}      # partition -> last stored offset
    events = {}    # partition -> list of (offset, wall ms) when it became visible
    deadline = time.time() + timeout
    covered = 0
    while covered < total and time.time() < deadline:
        h = r.hgetall(key)
        t = time.time() * 1000.0
        for f, v in h.items():
            f = f.decode()
            if not f.startswith(topic + "/"):
                continue
            p, o = int(f.rsplit("/", 1)[1]), int(v)
            if o > seen.get(p, -1):
                seen[p] = o
                events.setdefault(p, []).append((o, t))
        covered = sum(o + 1 for o in seen.values())
        time.sleep(0.002)
    c = Consumer({"bootstrap.servers": brokers, "group.id": "latency-probe",
                  "enable.auto.commit": False})
    lat = []
    for p, ev in events.items():
        offs = [o for o, _ in ev]
        c.assign([TopicPartition(topic, p, 0)])
        last = offs[-1]
        done = False
        while not done:
            for m in c.consume(10000, 2.0):
                if m.error():
                    continue
                i = bisect.bisect_left(offs, m.offset())
                if i < len(ev):
                    lat.append(ev[i][1] - m.timestamp()[1])
                if m.offset() >= last:
                    done = True
        c.unassign()
    c.close()
    lat.sort()
    q = lambda x: round(lat[min(len(lat) - 1, int(x * len(lat)))], 1) if lat else None
    print(json.dumps({"messages": len(lat), "covered": covered, "p50_ms": q(0.50), "p90_ms": q(0.90),
                      "p99_ms": q(0.99), "max_ms": round(lat[-1], 1) if lat else None}))


if __name__ == "__main__":
    main()
