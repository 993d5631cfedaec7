#!/usr/bin/env python3
"""Builds the labelled evaluation set of the sanctions matcher (eval_set.jsonl), deterministically.

Positives: every entry of the vendored OFAC SDN list (2025-11-19) with a DPRK programme (DPRK, DPRK2, DPRK3,
DPRK4, DPRK-NKSPEA, ...) and every NPWMD entry of North Korean nationality (Sim Hyon Sop's kind), each as:
the listed name, token order reversed, given names hyphenated and joined, a per-syllable romanisation
variant (from crates/redflag-watchlist/data/korean_romanisation.tsv), one typo, the legal form dropped or
changed (organisations), and each strong alias. Expected answer: that entry at rank 1.
Hard negatives: real, common Korean, Chinese, Japanese, Vietnamese and Italian names (popular-name
statistics), none of which is a listed name; expected answer: nothing above the threshold. A negative whose
normalised form equals a listed name is dropped and counted (such a query *should* match).

Usage: python3 bench/watchlist/make_eval_set.py  (from the repository root; needs `zstdcat`)
"""
import json, random, re, subprocess, sys, unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
rng = random.Random(20251119)

def load_entities(name):
    raw = subprocess.run(["zstdcat", str(ROOT / "data/sanctions" / name)], capture_output=True, check=True).stdout
    lines = raw.decode().splitlines()
    return [json.loads(l) for l in lines[1:] if l.strip()]

table = {}
for line in (ROOT / "crates/redflag-watchlist/data/korean_romanisation.tsv").read_text().splitlines():
    if not line.strip() or line.startswith("#"):
        continue
    h, spellings = line.split("\t")
    table.setdefault(h, []).extend(spellings.split())
spelling_to_hangul = {}
for h, ss in table.items():
    for s in ss:
        spelling_to_hangul.setdefault(s, set()).add(h)

def romanisation_variant(token):
    t = token.lower()
    hs = spelling_to_hangul.get(t)
    if not hs:
        return None
    alts = sorted({s for h in hs for s in table[h] if s != t and len(s) > 1})
    if not alts:
        return None
    alt = rng.choice(alts)
    return alt.capitalize() if token[:1].isupper() else alt

def fold(s):
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", s.lower().replace("'", "")).strip()

def typo(name):
    words = name.split()
    idx = max(range(len(words)), key=lambda i: len(words[i]))
    w = words[idx]
    if len(w) < 5:
        return None
    i = rng.randrange(1, len(w) - 1)
    c = w[i]
    repl = rng.choice([x for x in "aeiounrst" if x != c.lower()])
    words[idx] = w[:i] + repl + w[i + 1:]
    return " ".join(words)

LEGAL = re.compile(r"\b(co\.?,?\s*ltd\.?|company limited|co\.|ltd\.?|limited|llc|corporation|corp\.?|company|jsc)\s*$", re.I)

def variants(e):
    names = [n for n in e["names"] if n.get("strength") != "weak" and all(ord(c) < 0x2000 for c in n["full"])]
    primary = names[0]["full"] if names else e["names"][0]["full"]
    out = [("listed", primary)]
    words = primary.replace(",", " ").split()
    if e["kind"] == "person" and len(words) >= 2:
        out.append(("order", " ".join(words[1:] + words[:1])))
        if len(words) == 3:
            out.append(("hyphenated", f"{words[0]} {words[1]}-{words[2].lower()}"))
            out.append(("joined", f"{words[0]} {words[1]}{words[2].lower()}"))
        rom = [romanisation_variant(w) or w for w in words]
        if rom != words:
            out.append(("romanisation", " ".join(rom)))
    if e["kind"] != "person":
        stripped = LEGAL.sub("", primary).strip(" ,.")
        if stripped and stripped != primary:
            out.append(("legal_form_dropped", stripped))
    t = typo(primary)
    if t:
        out.append(("typo", t))
    for n in names[1:4]:
        out.append(("alias", n["full"]))
    seen, uniq = set(), []
    for k, q in out:
        if q not in seen:
            seen.add(q)
            uniq.append((k, q))
    return uniq

def is_target(e):
    progs = e.get("programs", [])
    if any(p.upper().startswith("DPRK") for p in progs):
        return True
    return "NPWMD" in progs and "KP" in e.get("nationalities", [])

sdn = load_entities("us-ofac-sdn-2025-11-19.jsonl.zst")
targets = [e for e in sdn if is_target(e) and e["kind"] in ("person", "organization")]
positives = []
for e in targets:
    for kind, q in variants(e):
        positives.append({"query": q, "expect": f"us-ofac-sdn:{e['id']}", "variant": kind, "kind": e["kind"]})

KOREAN_FAMILY = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh", "Seo",
                 "Shin", "Kwon", "Hwang", "Ahn", "Song", "Yoo", "Hong"]
KOREAN_GIVEN = ["Min-jun", "Seo-yeon", "Ji-hoon", "Ji-woo", "Ha-eun", "Do-yun", "Seo-jun", "Ye-jin", "Hyun-woo",
                "Soo-min", "Jae-won", "Eun-ji", "Ji-min", "Yu-na", "Dong-hyun", "Sung-min", "Hye-jin", "Jun-seo",
                "Ha-yoon", "Si-woo", "Ye-eun", "Jae-hyun", "Min-seo", "Tae-yang", "Na-yeon"]
CHINESE_FAMILY = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu"]
CHINESE_GIVEN = ["Wei", "Fang", "Na", "Xiuying", "Min", "Jing", "Qiang", "Lei", "Yang", "Yan"]
JAPANESE_FAMILY = ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato"]
JAPANESE_GIVEN = ["Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Riku", "Mei", "Hinata", "Sakura"]
VIETNAMESE_FAMILY = ["Nguyen", "Tran", "Le", "Pham", "Hoang", "Huynh", "Phan", "Vu", "Vo", "Dang"]
VIETNAMESE_GIVEN = ["Van An", "Thi Lan", "Minh Anh", "Van Hung", "Thi Huong", "Quoc Bao", "Thi Mai", "Duc Minh",
                    "Thanh Tung", "Ngoc Anh"]
ITALIAN_GIVEN = ["Maria", "Giuseppe", "Giovanni", "Anna", "Francesco", "Giulia", "Marco", "Sofia", "Luca", "Chiara"]
ITALIAN_FAMILY = ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco"]

candidates = []
candidates += [("korean", f"{f} {g}") for f in KOREAN_FAMILY for g in KOREAN_GIVEN]
candidates += [("chinese", f"{f} {g}") for f in CHINESE_FAMILY for g in CHINESE_GIVEN]
candidates += [("japanese", f"{g} {f}") for f in JAPANESE_FAMILY for g in JAPANESE_GIVEN]
candidates += [("vietnamese", f"{f} {g}") for f in VIETNAMESE_FAMILY for g in VIETNAMESE_GIVEN]
candidates += [("italian", f"{g} {f}") for f in ITALIAN_FAMILY for g in ITALIAN_GIVEN]

listed = set()
for e in sdn + load_entities("un-sc-consolidated-2026-02-27.jsonl.zst"):
    for n in e["names"]:
        f = fold(n["full"]).split()
        listed.add(" ".join(f))
        listed.add(" ".join(sorted(f)))
negatives, dropped = [], []
for origin, q in candidates:
    f = fold(q).split()
    if " ".join(f) in listed or " ".join(sorted(f)) in listed:
        dropped.append(q)
        continue
    negatives.append({"query": q, "expect": None, "variant": f"negative_{origin}", "kind": "person"})

with open(Path(__file__).with_name("eval_set.jsonl"), "w") as out:
    for row in positives + negatives:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"{len(targets)} target entries, {len(positives)} positives, {len(negatives)} negatives "
      f"({len(dropped)} dropped as listed names: {dropped})", file=sys.stderr)
