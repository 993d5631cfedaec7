"""Fits redflag's person-match threshold on FEBRL 1-4 by maximising F1 on a training split; reports the
held-out split.

Split: by entity. FEBRL record ids are `rec-<entity>-org` / `rec-<entity>-dup-<k>`; an entity goes to the
training half when sha1(dataset:entity) is even, else to the held-out half. A candidate pair counts in a
half when both records' entities are in it (pairs across the halves are dropped), so no true pair and no
record is seen by both halves. The threshold grid is every probability redflag reported on the training
pairs plus a fixed grid; ties go to the higher threshold (fewer false links).

Run: bash bench/linkage/run.sh fit   (makes the venv, builds the release example, ~1 minute)
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import BIN, cross_only, febrl_sets, norm  # noqa: E402


def entity(rec_id):
    parts = str(rec_id).split("-")
    return parts[1] if len(parts) > 1 else str(rec_id)


def half(dataset, rec_id):
    digest = hashlib.sha1(f"{dataset}:{entity(rec_id)}".encode()).digest()
    return "train" if digest[0] % 2 == 0 else "test"


def redflag_pairs(frames):
    df = pd.concat(frames)
    with tempfile.TemporaryDirectory() as tmp:
        src, out = os.path.join(tmp, "in.csv"), os.path.join(tmp, "out.csv")
        df.reset_index().rename(columns={"index": "rec_id"}).fillna("").to_csv(src, index=False)
        subprocess.run([BIN, "febrl", src, out], capture_output=True, text=True, check=True)
        pairs = pd.read_csv(out, dtype={"a": str, "b": str})
    return cross_only({norm(a, b): p for a, b, p in zip(pairs.a, pairs.b, pairs.probability)}, frames)


def prf(pred, truth, t):
    chosen = {p for p, v in pred.items() if v >= t}
    tp = len(chosen & truth)
    precision = tp / max(len(chosen), 1)
    recall = tp / max(len(truth), 1)
    return precision, recall, 2 * precision * recall / max(precision + recall, 1e-12)


def main():
    split = {"train": ({}, set()), "test": ({}, set())}
    for name, frames, truth in febrl_sets():
        pred = redflag_pairs(frames)
        for (a, b), p in pred.items():
            ha, hb = half(name, a), half(name, b)
            if ha == hb:
                split[ha][0][(name, a, b)] = p
        for a, b in truth:
            ha, hb = half(name, a), half(name, b)
            if ha == hb:
                split[ha][1].add((name, a, b))
    train_pred, train_truth = split["train"]
    test_pred, test_truth = split["test"]
    grid = sorted({round(v, 6) for v in train_pred.values()} | {x / 1000 for x in range(10, 1000, 5)})
    best = max(grid, key=lambda t: (round(prf(train_pred, train_truth, t)[2], 6), t))
    report = {
        "train_pairs_true": len(train_truth),
        "test_pairs_true": len(test_truth),
        "fitted_person_threshold": best,
        "train": dict(zip(["precision", "recall", "f1"], [round(x, 4) for x in prf(train_pred, train_truth, best)])),
        "test_at_fitted": dict(zip(["precision", "recall", "f1"], [round(x, 4) for x in prf(test_pred, test_truth, best)])),
        "test_at_0.9": dict(zip(["precision", "recall", "f1"], [round(x, 4) for x in prf(test_pred, test_truth, 0.9)])),
        "test_at_0.5": dict(zip(["precision", "recall", "f1"], [round(x, 4) for x in prf(test_pred, test_truth, 0.5)])),
        "test_at_0.95": dict(zip(["precision", "recall", "f1"], [round(x, 4) for x in prf(test_pred, test_truth, 0.95)])),
    }
    # The F1 curve on the training half, for the docs.
    curve = {t: round(prf(train_pred, train_truth, t)[2], 4) for t in [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99]}
    report["train_f1_curve"] = curve
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
