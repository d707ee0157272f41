#!/usr/bin/python3
"""peer.py -- the streaming job as a researcher would write it in an afternoon.

The baseline bench/stream.sh compares `kzpulse run` with: consume a Kafka
topic (confluent-kafka), match the lexicon entries of lexicons/*.tsv with
regular expressions (word, stem*, "phrase"; case-folded), count per hour by
the same kinds of dimension (all, platform, language, region, topic, stance,
mobilization, topic x region / stance / platform), top hashtags and distinct
authors (PFADD), and write with pipelined HINCRBY / ZINCRBY / PFADD every
--flush-ms or --flush-posts to keys under "peer:" (not kzp:), together with
the partitions' last offsets (peer:offsets:{group}, for the latency probe).
At-least-once (Kafka commit after the Redis write), no dead-letter topic,
no language identification beyond the post's own "lang" field.

Debian's /usr/bin/python3 with python3-confluent-kafka and python3-redis.

  peer.py --brokers B --topic T --group G --redis-port P [--db N] [--until-eof]
"""
import argparse
import glob
import json
import os
import re
import signal
import sys
import time
from datetime import datetime

import redis
from confluent_kafka import Consumer, KafkaError


def load_lexicons(d):
    """category -> one compiled alternation over its patterns."""
    pats = {}
    for path in sorted(glob.glob(os.path.join(d, "*.tsv"))):
        gaz = os.path.basename(path) == "gazetteer.tsv"  # region codes; towns count for theirs
        parent = {}
        for line in open(path, encoding="utf-8"):
            if not line.strip() or line.startswith("#"):
                continue
            f = line.rstrip("\n").split("\t")
            if gaz:
                if f[0] == "town" and len(f) > 2:
                    parent[f[1]] = f[2]
                if f[0] != "match" or len(f) < 3:
                    continue
                f = ["region/" + parent.get(f[1], f[1]).lower(), f[2]]
            if len(f) < 2:
                continue
            cat, p = f[0], f[1].strip()
            if p.startswith('"') and p.endswith('"'):
                words = p[1:-1].split()
                rx = r"[\s\-.]+".join(re.escape(w) for w in words) + r"(?!\w)"
            elif p.endswith("*"):
                rx = re.escape(p[:-1]) + r"\w*"
            else:
                rx = re.escape(p) + r"(?!\w)"
            pats.setdefault(cat, []).append(rx)
    return {c: re.compile(r"(?<!\w)(?:" + "|".join(v) + ")", re.IGNORECASE) for c, v in pats.items()}


def parse_ts(v):
    if isinstance(v, (int, float)):
        return v / 1000.0 if v > 1e11 else float(v)
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


HASHTAG = re.compile(r"#(\w+)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--redis-port", type=int, default=6379)
    ap.add_argument("--db", type=int, default=0)
    ap.add_argument("--lexicons", default=os.path.join(os.path.dirname(__file__), "..", "..", "lexicons"))
    ap.add_argument("--flush-ms", type=int, default=500)
    ap.add_argument("--flush-posts", type=int, default=10000)
    ap.add_argument("--until-eof", action="store_true")
    a = ap.parse_args()

    lex = load_lexicons(a.lexicons)
    topics = {c.split("/", 1)[1]: rx for c, rx in lex.items() if c.startswith("topic/")}
    stances = {c.split("/", 1)[1]: rx for c, rx in lex.items() if c.startswith("stance/")}
    regions = {c.split("/", 1)[1]: rx for c, rx in lex.items() if c.startswith("region/")}
    cta = lex.get("cue/call_to_action")

    r = redis.Redis(port=a.redis_port, db=a.db)
    c = Consumer({"bootstrap.servers": a.brokers, "group.id": a.group,
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": a.until_eof})
    c.subscribe([a.topic])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))

    counts, tops, authors, last = {}, {}, {}, {}
    pending, posts, eof = 0, 0, set()
    t_flush = time.monotonic()

    def flush():
        nonlocal pending, t_flush
        p = r.pipeline(transaction=True)
        for (k, f), n in counts.items():
            p.hincrby(k, f, n)
        for (k, m), n in tops.items():
            p.zincrby(k, n, m)
        for k, s in authors.items():
            p.pfadd(k, *s)
        if last:
            p.hset(f"peer:offsets:{a.group}", mapping={f"{a.topic}/{pp}": o for pp, o in last.items()})
        p.execute()
        c.commit(asynchronous=True)
        counts.clear(); tops.clear(); authors.clear(); last.clear()
        pending = 0
        t_flush = time.monotonic()

    while not stop:
        msgs = c.consume(1000, 0.05)
        for m in msgs:
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                continue
            eof.discard(m.partition())
            last[m.partition()] = m.offset()
            try:
                post = json.loads(m.value())
                text = post["text"]
                if not isinstance(text, str) or not text.strip():
                    continue
            except (ValueError, KeyError, TypeError):
                continue
            ts = parse_ts(post.get("ts")) or time.time()
            hk = f"peer:h:{int(ts // 3600)}"
            dims = ["all"]
            plat = str(post.get("platform") or "").lower()
            if plat:
                dims.append("platform:" + plat)
            if post.get("lang"):
                dims.append("lang:" + str(post["lang"]).lower())
            region = str(post.get("region") or "").lower()
            if not region:
                region = next((n for n, rx in regions.items() if rx.search(text)), "")
            if region:
                dims.append("region:" + region)
            ts_ = [n for n, rx in topics.items() if rx.search(text)]
            st = [n for n, rx in stances.items() if rx.search(text)]
            stance = st[0] if len(st) == 1 else ""
            for t in ts_:
                dims.append("topic:" + t)
                if region:
                    dims.append(f"topic:{t}|region:{region}")
                if stance:
                    dims.append(f"topic:{t}|stance:{stance}")
                if plat:
                    dims.append(f"topic:{t}|platform:{plat}")
            if stance:
                dims.append("stance:" + stance)
            if cta and cta.search(text):
                dims.append("mob:call")
            for d in dims:
                counts[(hk, d)] = counts.get((hk, d), 0) + 1
            for tag in set(t.lower() for t in HASHTAG.findall(text)):
                k = (f"peer:top:{int(ts // 3600)}:hashtag", tag)
                tops[k] = tops.get(k, 0) + 1
            if post.get("author"):
                authors.setdefault(f"peer:authors:{int(ts // 3600)}:all", set()).add(str(post["author"]))
            pending += 1
            posts += 1
        if pending >= a.flush_posts or (last and (time.monotonic() - t_flush) * 1000 >= a.flush_ms):
            flush()
        if a.until_eof and c.assignment() and len(eof) >= len(c.assignment()) and not last:
            break
    if last or pending:
        flush()
    c.close()
    print(f"peer: {posts} posts", file=sys.stderr)


if __name__ == "__main__":
    main()
