#!/usr/bin/env python3
"""kk_conflation.py -- how well the Kazakh stemmer conflates word forms.

Usage: bench/kk_conflation.py [--build DIR] [--part tune|held|all] [-v]
                              [TSV (default tests/data/kk-roots.tsv)]

The gold file pairs each form with its hand-annotated root (and a part,
"tune" or "held").  Forms are grouped twice: by gold root and by the stem
DIR/bench/kk_stems gives them.  Two views of the agreement:
  - purity: every stem group is credited with its most common gold root;
    purity = credited forms / all forms (1.0 when no stem mixes two roots);
    recall (inverse purity): every gold group is credited with its largest
    stem group; recall = credited / all (1.0 when each root's forms share
    one stem); F = 2PR / (P + R);
  - pairwise: over the pairs of forms, precision = pairs that share a stem
    and a root / pairs that share a stem; recall = pairs that share both /
    pairs that share a root.
Only the forms of the chosen part are grouped (default: both parts, reported
separately).  With -v the split roots and the mixed stems are listed.  A
benchmark: it reports and never fails.
"""
import argparse
import collections
import os
import subprocess
import sys


def load(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            form, root, cls, part = line.rstrip("\n").split("\t")
            rows.append((form, root, cls, part))
    return rows


def stems_of(build, forms):
    exe = os.path.join(build, "bench", "kk_stems")
    out = subprocess.run([exe], input="".join(f + "\n" for f in forms), capture_output=True,
                         text=True, check=True).stdout
    res = {}
    for line in out.splitlines():
        form, _, stem = line.partition("\t")
        res[form] = stem or "\0" + form  # no stem: a group of its own
    return res


def measure(pairs):
    """pairs: list of (gold root, stem). Returns a dict of figures."""
    n = len(pairs)
    by_stem = collections.defaultdict(collections.Counter)
    by_root = collections.defaultdict(collections.Counter)
    for root, stem in pairs:
        by_stem[stem][root] += 1
        by_root[root][stem] += 1
    purity = sum(max(c.values()) for c in by_stem.values()) / n
    recall = sum(max(c.values()) for c in by_root.values()) / n
    f = 2 * purity * recall / (purity + recall) if purity + recall else 0.0

    def pairs_in(groups):
        return sum(v * (v - 1) // 2 for c in groups.values() for v in c.values())

    def pairs_total(groups):
        return sum(s * (s - 1) // 2 for s in (sum(c.values()) for c in groups.values()))

    both = pairs_in(by_stem)
    same_stem = pairs_total(by_stem)
    same_root = pairs_total(by_root)
    pp = both / same_stem if same_stem else 1.0
    pr = both / same_root if same_root else 1.0
    pf = 2 * pp * pr / (pp + pr) if pp + pr else 0.0
    return dict(n=n, roots=len(by_root), stems=len(by_stem), purity=purity, recall=recall, f=f,
                pair_p=pp, pair_r=pr, pair_f=pf, by_stem=by_stem, by_root=by_root)


def report(name, m, verbose):
    print(f"{name:10s} forms={m['n']:5d} roots={m['roots']:4d} stems={m['stems']:4d}  "
          f"F={m['f']:.3f} purity={m['purity']:.3f} recall={m['recall']:.3f}  "
          f"pairwise F={m['pair_f']:.3f} P={m['pair_p']:.3f} R={m['pair_r']:.3f}")
    if verbose:
        for root, c in sorted(m["by_root"].items()):
            if len(c) > 1:
                print("  split", root, dict(c))
        for stem, c in sorted(m["by_stem"].items()):
            if len(c) > 1:
                print("  mixed", stem, dict(c))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("tsv", nargs="?", default=os.path.join(here, "..", "tests", "data", "kk-roots.tsv"))
    ap.add_argument("--build", default=os.path.join(here, "..", "build-rel"))
    ap.add_argument("--part", choices=["tune", "held", "all"], default=None)
    ap.add_argument("--class", dest="cls", default=None, help="only forms of this class (v n a x)")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    rows = load(a.tsv)
    if a.cls:
        rows = [r for r in rows if r[2] in a.cls]
    stems = stems_of(a.build, [r[0] for r in rows])
    parts = [a.part] if a.part else ["tune", "held", "all"]
    for part in parts:
        sel = [r for r in rows if part == "all" or r[3] == part]
        if sel:
            report(part, measure([(r[1], stems[r[0]]) for r in sel]), a.v)


if __name__ == "__main__":
    sys.exit(main())
