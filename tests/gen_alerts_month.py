#!/usr/bin/env python3
"""gen_alerts_month.py -- posts for the alert tests, JSON lines on stdout.

  gen_alerts_month.py month           a month (4 weeks and a day, from
                                      2026-03-02 00:00 Almaty time, a Monday)
  gen_alerts_month.py live NOW_S      the 50 minutes before NOW_S (epoch s)
  gen_alerts_month.py burst NOW_S R [TAG]  40 calls by 40 people in region R at
                                      NOW_S (each with #TAG when given)

The month: ordinary talk in three regions (KZ-47 Mangystau, KZ-75 Almaty,
KZ-71 Astana) with a daily rhythm (a post every 10 minutes at night, 1-2 a
minute by day, more in the evening, Almaty time, UTC+5), and calls to action
in KZ-47 every 15 minutes from 08:00 to 22:00 and one at 03:00, each by its
own author.  Day 21 (the fourth Monday) is a holiday: a tenth of the usual.
The last day (day 28, a Monday) holds the decoys and the real burst:
  03:00-03:03 KZ-47  a night blip: 4 calls where 1 is usual;
  14:00-14:10 KZ-47  two accounts post 12 calls a minute (spam);
  19:30-19:50 KZ-47  a real burst: 30 calls a minute by new people.
The live variant: the same decoys and burst, compressed into the last 50
minutes (spam at -48, burst at -40 for 10 minutes), with ordinary talk and
a few calls until a minute before NOW_S, and no history (the evaluator's
short-history fallback).  Everything is deterministic (a fixed seed).
The sentences are the test's own.
"""
import json
import random
import sys

T0 = 1772391600  # 2026-03-02T00:00:00+05:00
DAY = 86400
HOLIDAY = 21
LAST = 28

ORDINARY = [
    "Бүгін ауа райы жақсы, балалармен саябаққа бардық.",
    "Кофе ішіп отырмын, жұмыс күні енді басталды.",
    "Автобус тағы кешікті, аялдамада жарты сағат тұрдық.",
    "Сегодня в городе тепло, море спокойное.",
    "Кто знает, где купить хороший хлеб недалеко от центра?",
    "Кеше кітапханада жаңа кітаптар көрдім, ұнады.",
    "Пробки на проспекте с утра, объезжайте через мост.",
    "Анам бүгін бауырсақ пісірді, үй толы қонақ.",
    "Футбол матчы кешке басталады, кім көреді?",
    "Вечером в парке концерт, приходите с детьми.",
]
CALLS = [
    "Ертең сағат 10:00-де алаңға шығамыз, бәріміз бірге болайық!",
    "Жаңаөзендіктер, бүгін кешке алаңға шығамыз, үндемей отырмайық!",
    "Все выходим на площадь завтра в 11 утра, не молчите!",
    "Бүгін сағат 18:00-де алаңға шығамыз, жалақы мәселесін бірге көтерейік!",
    "Завтра в 10 утра выходим к акимату, нас должны услышать!",
]
REGIONS = ["KZ-47", "KZ-75", "KZ-71"]
PLATFORMS = ["telegram", "vk", "instagram", "x"]


class Gen:
    def __init__(self):
        self.rnd = random.Random(20260302)
        self.seq = 0

    def post(self, ts, region, author, text, tags=()):
        self.seq += 1
        p = {
            "id": "gen:%d" % self.seq,
            "platform": PLATFORMS[self.seq % len(PLATFORMS)],
            "author": author,
            "ts": int(ts),
            "text": text + "".join(" #" + t for t in tags),
            "region": region,
        }
        sys.stdout.write(json.dumps(p, ensure_ascii=False) + "\n")

    def ordinary(self, ts, n):
        for i in range(n):
            reg = REGIONS[self.rnd.randrange(3)]
            who = "u%d" % self.rnd.randrange(5000)
            self.post(ts + self.rnd.randrange(60), reg, who, ORDINARY[self.rnd.randrange(len(ORDINARY))])

    def call(self, ts, author, tags=()):
        self.post(ts, "KZ-47", author, CALLS[self.seq % len(CALLS)], tags)


def per_minute(local_minute, holiday):
    """Ordinary posts in a minute of the local day (expected value)."""
    h = local_minute // 60
    rate = 0.1 if h < 7 else 1.2 if h < 18 else 2.0 if h < 23 else 0.4
    return rate * (0.1 if holiday else 1.0)


def month(g):
    for d in range(LAST + 1):
        day = T0 + d * DAY
        holiday = d == HOLIDAY
        for m in range(1440):
            lam = per_minute(m, holiday)
            n = int(lam) + (1 if g.rnd.random() < lam - int(lam) else 0)
            if n:
                g.ordinary(day + m * 60, n)
            usual = (m >= 8 * 60 and m < 22 * 60 and m % 15 == 0) or m == 3 * 60
            if usual and (not holiday or m % 60 == 0):
                g.call(day + m * 60 + 7, "c%d_%d" % (d, m))
        if d != LAST:
            continue
        for i in range(1, 4):  # the night blip: 1 -> 4 at 03:00
            g.call(day + 3 * 3600 + i * 50, "night%d" % i)
        for m in range(10):  # two accounts, 12 calls a minute
            for i in range(12):
                g.call(day + 14 * 3600 + m * 60 + i * 5, "spam_a" if i % 2 else "spam_b", ("алаңға",))
        for m in range(20):  # the real burst
            for i in range(30):
                g.call(day + 19 * 3600 + 30 * 60 + m * 60 + i * 2, "crowd%d_%d" % (m, i), ("Жаңаөзен",))


def live(g, now):
    start = now - 50 * 60
    for m in range(49):
        t = start + m * 60
        g.ordinary(t, 2)
        if m % 7 == 0:
            g.call(t + 11, "l%d" % m)
        if 2 <= m < 6:  # spam at -48 .. -45
            for i in range(12):
                g.call(t + i * 4, "spam_a" if i % 2 else "spam_b")
        if 10 <= m < 20:  # the burst at -40 .. -31
            for i in range(30):
                g.call(t + i * 2, "crowd%d_%d" % (m, i), ("Жаңаөзен",))


def burst(g, now, region, tags=()):
    for i in range(40):  # 40 people in the current second
        g.post(now, region, "now%d" % i, CALLS[i % len(CALLS)], tags)


def main():
    g = Gen()
    if len(sys.argv) >= 2 and sys.argv[1] == "month":
        month(g)
    elif len(sys.argv) == 3 and sys.argv[1] == "live":
        live(g, int(sys.argv[2]))
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "burst":
        g.seq = 900000  # ids apart from live's
        burst(g, int(sys.argv[2]), sys.argv[3], tuple(sys.argv[4:]))
    else:
        sys.exit("usage: gen_alerts_month.py month | live NOW_S | burst NOW_S REGION [HASHTAG]")


if __name__ == "__main__":
    main()
