"""Driver of bench/connectors/longrun.sh (reads its settings from the environment; see that script)."""
import json
import os
import re
import statistics
import subprocess
import sys
import time

BIN, DIR = os.environ["BIN"], os.environ["DIR"]
BEFORE = os.environ.get("BEFORE") or None
REPS = int(os.environ["REPS"])
HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = {
    "okta_ndjson": ("okta", "Okta System Log NDJSON", 500_000),
    "okta_array": ("okta", "Okta API JSON array", 500_000),
    "entra_graph": ("entra", "Entra Graph signIns page", 500_000),
    "entra-monitor_ndjson": ("entra", "Azure Monitor NDJSON", 500_000),
    "entra-monitor_records": ("entra", 'Azure Monitor {"records":[…]}', 500_000),
    "osquery_ndjson": ("osquery", "osquery NDJSON", 1_000_000),
}


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def cpu_ticks():
    """(all ticks, steal ticks) of the machine, from /proc/stat."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f[:8]), f[7]


def ensure(gen, framing, n):
    path = os.path.join(DIR, f"{gen}_{framing}_{n}.json")
    if not os.path.exists(path):
        subprocess.run([BIN, "gen", gen, framing, str(n), path + ".tmp"], check=True, stdout=subprocess.DEVNULL)
        os.rename(path + ".tmp", path)
    return path


def instructions(kind, path):
    out = os.path.join(DIR, "callgrind.out")
    run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", BIN, "read", kind, path],
                         check=True, capture_output=True, text=True)
    events = json.loads(run.stdout)["events"]
    ann = subprocess.run(["callgrind_annotate", "--auto=no", out], check=True, capture_output=True, text=True).stdout
    total = sha = 0
    for line in ann.splitlines():
        m = re.match(r"\s*([\d,]+)\s", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line and not total:
            total = ir
        elif "sha2::" in line and "=>" not in line:
            sha += ir
    os.remove(out)
    return round(total / events), round((total - sha) / events)


def main():
    os.makedirs(DIR, exist_ok=True)
    print(f"machine: {os.cpu_count()} cores, {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}, "
          f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}, python {sys.version.split()[0]}, bin {BIN}")
    rows = []
    for fmt in os.environ["FORMATS"].split():
        kind, label, target = LABELS[fmt]
        gen, framing = fmt.split("_")
        osq = kind == "osquery"
        n = int(os.environ["N_OSQUERY" if osq else "N_SIGNIN"])
        passes = int(os.environ["PASSES_OSQUERY" if osq else "PASSES_SIGNIN"])
        path = ensure(gen, framing, n)
        rates, loads, steals, secs, before = [], [], [], [], []
        for rep in range(REPS):
            # with BEFORE set, an older build reads the same file in the same round, first or second in
            # turn, so both meet the same load
            order = [BIN] if not BEFORE else ([BEFORE, BIN] if rep % 2 == 0 else [BIN, BEFORE])
            for binary in order:
                l0, (t0, s0) = load(), cpu_ticks()
                r = json.loads(subprocess.run([binary, "read", kind, path, str(passes)], check=True,
                                              capture_output=True, text=True).stdout)
                t1, s1 = cpu_ticks()
                assert r["rejects"] == 0 and r["events"] == n * passes, r
                steal = 100.0 * (s1 - s0) / max(1, t1 - t0)
                name = "before" if binary == BEFORE else "after" if BEFORE else ""
                print(f"  {fmt} {name}: {r['events']:,} records, thread CPU {r['thread_cpu_seconds']:.2f} s "
                      f"(process user {r['process_user_seconds']} s + sys {r['process_sys_seconds']} s), "
                      f"wall {r['seconds']:.2f} s, {r['events_per_cpu_second']:,} /s/core, load {l0}, "
                      f"steal {steal:.1f} %", flush=True)
                if binary == BEFORE:
                    before.append(r["events_per_cpu_second"])
                    continue
                rates.append(r["events_per_cpu_second"])
                secs.append(r["thread_cpu_seconds"])
                loads.append(l0.split()[0])
                steals.append(steal)
        ir = ir_nosha = None
        if os.environ["CALLGRIND"] == "1":
            ir, ir_nosha = instructions(kind, ensure(gen, framing, 20_000))
        py = None
        if os.environ["PYTHON"] == "1":
            p = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "reference.py"), kind, path],
                                          check=True, capture_output=True, text=True).stdout)
            assert p["events"] == n, p
            py = p["events_per_cpu_second"]
        med = statistics.median(rates)
        row = dict(format=fmt, label=label, records=n * passes, reps=REPS, cpu_seconds=secs, rates=rates,
                   min=min(rates), median=med, max=max(rates), loads=loads, steal=steals, target=target,
                   met_every_run=min(rates) >= target, headroom_min=min(rates) / target - 1,
                   instructions_per_record=ir, instructions_without_sha=ir_nosha, python=py,
                   ratio=(med / py if py else None), before=before,
                   before_median=statistics.median(before) if before else None,
                   paired_speedups=[round(a / b, 3) for a, b in zip(rates, before)])
        rows.append(row)
        print(json.dumps(row), flush=True)
    if BEFORE:
        print()
        print("| format | before: min / median / max | after: min / median / max | speed-up of medians "
              "| speed-up per round (min–max) |")
        print("|---|---:|---:|---:|---:|")
        for r in rows:
            sp = r["paired_speedups"]
            print(f"| {r['label']} | {min(r['before']):,} / {r['before_median']:,.0f} / {max(r['before']):,} "
                  f"| {r['min']:,} / {r['median']:,.0f} / {r['max']:,} | {r['median'] / r['before_median']:.2f}x "
                  f"| {min(sp):.2f}x–{max(sp):.2f}x |")
    print()
    print("| format | records/run | CPU s/run (median) | events/s/core min / median / max | vs target (min) "
          "| instr/record (w/o SHA) | Python ev/s/core | ratio | load at start |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ir = f"{r['instructions_per_record']:,} ({r['instructions_without_sha']:,})" if r["instructions_per_record"] else "—"
        py = f"{r['python']:,}" if r["python"] else "—"
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] else "—"
        print(f"| {r['label']} | {r['records']:,} | {statistics.median(r['cpu_seconds']):.2f} "
              f"| {r['min']:,} / {r['median']:,.0f} / {r['max']:,} "
              f"| {r['headroom_min']:+.1%} {'met every run' if r['met_every_run'] else 'NOT met every run'} "
              f"| {ir} | {py} | {ratio} | {' '.join(r['loads'])} |")


if __name__ == "__main__":
    main()
