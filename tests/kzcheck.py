#!/usr/bin/python3
"""kzcheck.py -- helpers for the streaming integration tests (tests/cli_run_faults.sh).

Run with Debian's /usr/bin/python3 (python3-confluent-kafka, python3-redis).

  topic BROKERS TOPIC N                  create TOPIC with N partitions, verify N
  ends BROKERS TOPIC                     print "partition high" per partition
  group-stable BROKERS GROUP N SECONDS   wait until GROUP is stable with N members,
                                         each holding an assignment
  wait-applied BROKERS TOPIC REDIS DB GROUP SECONDS
                                         wait until the group's offsets in Redis
                                         cover every message of TOPIC
  dump REDIS DB OUT                      canonical JSON of every counter, top-k
                                         score and HLL count (kzp:v2:h/top/authors)
  same DUMP_A DUMP_B WHAT                exact equality of two dumps
  compare REDIS DB REPLAY_JSON WHAT      Redis against a `kzpulse replay --json` report
  dlq BROKERS TOPIC DEAD_JSONL WHAT      <TOPIC>.dlq against replay's dead-letter file:
                                         one DLQ record per malformed message (distinct
                                         partition/offset), its reason, its original bytes

REDIS is a port on 127.0.0.1.  Exit 0 when the check holds, 1 otherwise; every
check prints "ok   ..." or "FAIL: ...".
"""
import base64
import collections
import json
import sys
import time


def kafka_ends(brokers, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer({"bootstrap.servers": brokers, "group.id": "kzcheck-ends"})
    md = c.list_topics(topic, timeout=20)
    parts = sorted(md.topics[topic].partitions)
    ends = {}
    for p in parts:
        lo, hi = c.get_watermark_offsets(TopicPartition(topic, p), timeout=20)
        ends[p] = (lo, hi)
    c.close()
    return ends


def cmd_topic(brokers, topic, n):
    from confluent_kafka.admin import AdminClient, NewTopic
    n = int(n)
    a = AdminClient({"bootstrap.servers": brokers})
    fs = a.create_topics([NewTopic(topic, num_partitions=n, replication_factor=1)])
    fs[topic].result(30)
    for _ in range(100):
        md = a.list_topics(topic, timeout=20)
        t = md.topics.get(topic)
        if t and not t.error and len(t.partitions) == n:
            print(f"ok   topic {topic} has {n} partitions")
            return 0
        time.sleep(0.1)
    print(f"FAIL: topic {topic}: partitions {len(t.partitions) if t else None}, want {n}")
    return 1


def cmd_ends(brokers, topic):
    for p, (lo, hi) in kafka_ends(brokers, topic).items():
        print(p, hi)
    return 0


def cmd_group_stable(brokers, group, n, seconds):
    from confluent_kafka.admin import AdminClient
    n, seconds = int(n), float(seconds)
    a = AdminClient({"bootstrap.servers": brokers})
    deadline, seen = time.time() + seconds, None
    while time.time() < deadline:
        gs = a.list_groups(group, timeout=10)
        g = gs[0] if gs else None
        # a member's assignment is the consumer protocol's bytes: more than the
        # empty one's header when it holds partitions
        if g and g.state == "Stable" and len(g.members) == n and \
                all(len(m.assignment or b"") > 10 for m in g.members):
            print(f"ok   group {group}: stable with {n} members, each assigned")
            return 0
        seen = (g.state, len(g.members)) if g else None
        time.sleep(0.2)
    print(f"FAIL: group {group}: not stable with {n} assigned members in {seconds:g} s ({seen})")
    return 1


def cmd_wait_applied(brokers, topic, port, db, group, seconds):
    import redis
    r = redis.Redis(port=int(port), db=int(db))
    ends = kafka_ends(brokers, topic)
    deadline = time.time() + float(seconds)
    while True:
        stored = {}
        try:
            got = r.hgetall("kzp:v2:offsets:" + group)
            stored = {k.decode(): int(v) for k, v in got.items()}
        except redis.exceptions.ConnectionError:
            pass
        behind = {p: hi - 1 - stored.get(f"{topic}/{p}", -1)
                  for p, (lo, hi) in ends.items() if hi > lo}
        if all(b <= 0 for b in behind.values()):
            print(f"ok   all of {topic} applied ({sum(hi for lo, hi in ends.values())} messages)")
            return 0
        if time.time() > deadline:
            print(f"FAIL: {topic}: not all applied after {seconds} s; behind by {behind}")
            return 1
        time.sleep(0.2)


def dump(port, db):
    import redis
    r = redis.Redis(port=int(port), db=int(db))
    out = {}
    for k in r.scan_iter("kzp:v2:*", count=1000):
        ks = k.decode()
        kind = ks.split(":")[2]
        if kind == "h" or kind == "m":
            out[ks] = {f.decode(): int(v) for f, v in r.hgetall(k).items()}
        elif kind == "top":
            out[ks] = {m.decode(): int(s) for m, s in r.zrange(k, 0, -1, withscores=True)}
        elif kind == "authors":
            out[ks] = r.pfcount(k)
    return out


def cmd_dump(port, db, path):
    d = dump(port, db)
    with open(path, "w") as f:
        json.dump(d, f, sort_keys=True)
    print(f"     dumped {len(d)} keys of db {db}")
    return 0


def cmd_same(a, b, what):
    da, db_ = json.load(open(a)), json.load(open(b))
    bad = []
    for k in sorted(set(da) | set(db_)):
        x, y = da.get(k), db_.get(k)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            for f in sorted(set(x) | set(y)):
                if x.get(f) != y.get(f):
                    bad.append(f"{k} {f}: got {y.get(f)}, want {x.get(f)}")
        else:
            bad.append(f"{k}: got {y}, want {x}")
    if bad:
        print(f"FAIL: {what}: {len(bad)} counters differ from the reference run, e.g.")
        for line in bad[:8]:
            print("        " + line)
        return 1
    nfields = sum(len(v) if isinstance(v, dict) else 1 for v in da.values())
    print(f"ok   {what}: all {len(da)} keys ({nfields} counters, scores, HLLs) equal the reference")
    return 0


def cmd_compare(port, db, rep_path, what):
    rep = json.load(open(rep_path))
    d = dump(port, db)
    hours, fields, authors = {}, collections.Counter(), []
    for k, v in d.items():
        parts = k.split(":")
        if parts[2] == "h":
            t = time.strftime("%Y-%m-%dT%H", time.gmtime(int(parts[3]) * 3600))
            hours[t] = v.get("all", 0)
            fields.update(v)
        elif parts[2] == "authors" and parts[4] == "all":
            authors.append(k)
    bad = 0

    def check(name, got, want):
        nonlocal bad
        ok = got == want
        bad += not ok
        print(("ok   " if ok else "FAIL: ") + f"{what}: {name}: " +
              (f"{got}" if ok and not isinstance(got, dict) else f"got {got}, want {want}"
               if not ok else f"{len(got)} values equal"))

    def by(prefix):
        return {f[len(prefix):]: n for f, n in fields.items() if f.startswith(prefix) and "|" not in f}

    check("posts counted", sum(hours.values()), rep["counted"])
    if rep.get("ts_arrival", 0) == 0:
        check("posts per hour", {h: n for h, n in hours.items() if n}, rep["posts_per_hour"])
    check("by platform", by("platform:"), rep["by_platform"])
    check("by language", by("lang:"), rep["by_language"])
    check("by region", by("region:"), rep["by_region"])
    check("by topic", by("topic:"), rep["by_topic"])
    check("by stance", by("stance:"), rep["by_stance"])
    check("by mobilization", by("mob:"), rep["by_mobilization"])
    if authors:
        import redis
        r = redis.Redis(port=int(port), db=int(db))
        check("distinct authors", r.pfcount(*authors), rep["distinct_authors"])
    tags = collections.Counter()
    for k, v in d.items():
        if k.endswith(":hashtag"):
            tags.update(v)
    want = {t["hashtag"]: t["count"] for t in rep["top_hashtags"]}
    check("top hashtags", {t: tags.get(t, 0) for t in want}, want)
    return 1 if bad else 0


def cmd_dlq(brokers, topic, dead_path, what):
    from confluent_kafka import Consumer, TopicPartition
    want = collections.Counter()
    for line in open(dead_path, encoding="utf-8"):
        d = json.loads(line)
        raw = base64.b64decode(d["raw_b64"]) if "raw_b64" in d else d["raw"].encode()
        want[(d["reason"], raw)] += 1
    total = sum(want.values())
    c = Consumer({"bootstrap.servers": brokers, "group.id": "kzcheck-dlq-" + topic,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    ends = kafka_ends(brokers, topic + ".dlq")
    c.assign([TopicPartition(topic + ".dlq", p, lo) for p, (lo, hi) in ends.items()])
    left = {p: hi for p, (lo, hi) in ends.items() if hi > lo}
    seen, got, dups, badhdr = {}, collections.Counter(), 0, 0
    deadline = time.time() + 60
    while left and time.time() < deadline:
        for m in c.consume(1000, 1.0):
            if m.error():
                continue
            if m.offset() >= left.get(m.partition(), 0) - 1:
                left.pop(m.partition(), None)
            hd = {k: v.decode() for k, v in (m.headers() or [])}
            if hd.get("kzp-topic") != topic:
                badhdr += 1
            key = (int(hd.get("kzp-partition", -1)), int(hd.get("kzp-offset", -1)))
            val = m.value() or b""
            if key in seen:
                dups += 1  # the DLQ is at-least-once: a crash may write one twice
                if seen[key] != (hd.get("kzp-reason"), val):
                    badhdr += 1
                continue
            seen[key] = (hd.get("kzp-reason"), val)
    c.close()
    # The value must be the message at kzp-partition/kzp-offset of the source topic.
    src = Consumer({"bootstrap.servers": brokers, "group.id": "kzcheck-src-" + topic,
                    "enable.auto.commit": False})
    mismatched = 0
    byp = collections.defaultdict(dict)
    for (p, o), v in seen.items():
        byp[p][o] = v
    for p, offs in byp.items():
        src.assign([TopicPartition(topic, p, min(offs))])
        need = set(offs)
        hi = max(offs)
        deadline = time.time() + 60
        while need and time.time() < deadline:
            for m in src.consume(1000, 1.0):
                if m.error():
                    continue
                if m.offset() in need:
                    need.discard(m.offset())
                    if (m.value() or b"") != offs[m.offset()][1]:
                        mismatched += 1
                if m.offset() >= hi:
                    need.clear()
        src.unassign()
        mismatched += len(need)
    src.close()
    for reason, val in seen.values():
        got[(reason, val)] += 1
    wantr = want
    bad = 0

    def check(name, ok, detail):
        nonlocal bad
        bad += not ok
        print(("ok   " if ok else "FAIL: ") + f"{what}: {name}: {detail}")

    check("dead letters in the DLQ (distinct partition/offset)", len(seen) == total,
          f"got {len(seen)}, want {total} ({dups} written twice)")
    rw = collections.Counter(r for r, _ in want.elements())
    rg = collections.Counter(r for r, _ in got.elements())
    check("by reason", rg == rw, f"got {dict(rg)}" + ("" if rg == rw else f", want {dict(rw)}"))
    check("each DLQ value is the source message at its headers' partition/offset",
          mismatched == 0 and badhdr == 0, f"{mismatched} mismatched, {badhdr} bad headers")
    check("same (reason, bytes) as replay's dead letters", got == wantr,
          f"{sum((got - wantr).values())} unexpected, {sum((wantr - got).values())} missing")
    return 1 if bad else 0


def main(argv):
    cmds = {"topic": cmd_topic, "ends": cmd_ends, "group-stable": cmd_group_stable,
            "wait-applied": cmd_wait_applied,
            "dump": cmd_dump, "same": cmd_same, "compare": cmd_compare, "dlq": cmd_dlq}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
