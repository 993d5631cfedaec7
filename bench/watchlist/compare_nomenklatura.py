#!/usr/bin/env python3
"""Side by side, in one run: redflag-watchlist vs the OpenSanctions matcher (nomenklatura logic-v1, which
yente uses) on the same queries and the same lists (the vendored OFAC SDN + UN lists).

Creates bench/.venv-watchlist with nomenklatura from PyPI, converts the vendored lists to FollowTheMoney
entities, and for a fixed sample of the labelled set (bench/watchlist/eval_set.jsonl) measures on one core:
queries per second and recall at rank 1 / false hits, for both. nomenklatura has no index of its own (yente
uses Elasticsearch), so it is given a word-level inverted index over the same names to pick candidates,
and scores each candidate with logic-v1; its threshold is yente's default 0.7.

Usage (repository root): python3 bench/watchlist/compare_nomenklatura.py [sample_size]
"""
import json, os, random, re, subprocess, sys, time, unicodedata
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / "bench/.venv-watchlist"
if Path(sys.prefix).resolve() != VENV.resolve():
    if not (VENV / "bin/python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin/pip"), "install", "-q", "nomenklatura"], check=True)
    os.execv(str(VENV / "bin/python"), [str(VENV / "bin/python"), __file__] + sys.argv[1:])

from followthemoney import model  # noqa: E402
from nomenklatura.matching import get_algorithm  # noqa: E402
from nomenklatura.matching.types import ScoringConfig  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 600
rows = [json.loads(l) for l in (ROOT / "bench/watchlist/eval_set.jsonl").read_text().splitlines() if l.strip()]
rng = random.Random(7)
pos = [r for r in rows if r["expect"]]
neg = [r for r in rows if not r["expect"]]
sample = rng.sample(pos, N // 2) + rng.sample(neg, N // 2)
out_dir = ROOT / "bench/out"
out_dir.mkdir(exist_ok=True)
sample_path = out_dir / "watchlist_sample.jsonl"
sample_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in sample))

def load(name):
    raw = subprocess.run(["zstdcat", str(ROOT / "data/sanctions" / name)], capture_output=True, check=True).stdout
    return [json.loads(l) for l in raw.decode().splitlines()[1:] if l.strip()]

SCHEMA = {"person": "Person", "organization": "Organization", "vessel": "Vessel", "aircraft": "Airplane"}
entities, words = {}, defaultdict(set)
def fold(s):
    s = unicodedata.normalize("NFKD", s)
    return re.sub(r"[^a-z0-9]+", " ", "".join(c for c in s if not unicodedata.combining(c)).lower()).split()

t0 = time.perf_counter()
for list_id, fname in [("us-ofac-sdn", "us-ofac-sdn-2025-11-19.jsonl.zst"), ("un-sc-consolidated", "un-sc-consolidated-2026-02-27.jsonl.zst")]:
    for e in load(fname):
        p = model.make_entity(SCHEMA.get(e["kind"], "LegalEntity"))
        key = f"{list_id}:{e['id']}"
        p.id = key.replace(":", "-").replace(".", "-")
        names = [n["full"] for n in e["names"]]
        p.add("name", names[:1])
        if len(names) > 1:
            p.add("alias", names[1:])
        if p.schema.is_a("Person"):
            p.add("birthDate", [d["earliest"] for d in e.get("birth_dates", []) if d["earliest"] == d["latest"]], quiet=True)
            p.add("nationality", e.get("nationalities", []), quiet=True)
        entities[key] = p
        for n in names:
            for w in fold(n):
                words[w].add(key)
build = time.perf_counter() - t0

algo = get_algorithm("logic-v1")
config = ScoringConfig.defaults()
THRESHOLD = 0.7

def nk_screen(q):
    qp = model.make_entity("Person" if q.get("kind") == "person" else "LegalEntity")
    qp.id = "query"
    qp.add("name", q["query"])
    cands = set()
    for w in fold(q["query"]):
        cands |= words.get(w, set())
    scored = []
    for key in cands:
        r = algo.compare(qp, entities[key], config)
        scored.append((r.score, key))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [s for s in scored if s[0] >= THRESHOLD]

t0 = time.perf_counter()
nk = [nk_screen(q) for q in sample]
nk_secs = time.perf_counter() - t0

def tally(results):
    p1 = pn = nf = 0
    for q, hits in zip(sample, results):
        if q["expect"]:
            pn += 1
            ofac = [h for h in hits if h[1].startswith("us-ofac-sdn:")]
            if ofac and any(s == ofac[0][0] and k == q["expect"] for s, k in ofac):
                p1 += 1
        elif hits:
            nf += 1
    return p1, pn, nf

p1, pn, nf = tally(nk)
nk_qps = len(sample) / nk_secs

# redflag on the same sample, same machine, same run
def cargo(example, *args):
    return subprocess.run(["cargo", "run", "-q", "-p", "redflag-watchlist", "--release", "--example", example, "--", *args],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout
rf_eval = cargo("evaluate", str(sample_path))
rf_lat = cargo("latency", str(sample_path))
m = re.search(r"(\d+) queries/s on one core", rf_lat)
rf_qps = float(m.group(1)) if m else float("nan")
pos_line = next(l for l in rf_eval.splitlines() if l.startswith("| **all positives**"))
neg_line = next(l for l in rf_eval.splitlines() if l.startswith("| **all negatives**"))

print(f"sample: {len(sample)} queries ({pn} positives, {len(sample) - pn} negatives), lists OFAC SDN 2025-11-19 + UN 2026-02-27 ({len(entities)} entities)")
print(f"nomenklatura {__import__('nomenklatura').__version__} logic-v1 (threshold {THRESHOLD}): list conversion + word index {build:.1f} s; "
      f"{nk_qps:.1f} queries/s on one core; positives at rank 1: {p1}/{pn} ({100 * p1 / pn:.1f} %); negatives above threshold: {nf}/{len(sample) - pn} ({100 * nf / (len(sample) - pn):.1f} %)")
print(f"redflag-watchlist (threshold 0.80): {rf_qps:.0f} queries/s on one core")
print("  " + pos_line)
print("  " + neg_line)
print(rf_lat)
print(f"throughput ratio redflag / nomenklatura: {rf_qps / nk_qps:.0f}x")
