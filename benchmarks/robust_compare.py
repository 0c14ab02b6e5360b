"""Old figures vs the realistic nuisance: the detection benchmark's scenarios (``benchmarks/detect_bench.py``:
iss-2018, 0.2 Hz, thermal cycles, 6 crew with O2 feeds, a repress, two sensor faults) run twice with the same
seeds — once with ``nuisance="none"`` (the simulator the published figures were made on) and once with the
realistic default of issue 16 (unmeasured bulk-gas offsets, thermometer lag and self-heating, pressure drift;
docs/simulator.md) — and hullbreach's false alarms and delays side by side.

Usage: ``python benchmarks/robust_compare.py [--quick] [--seeds N] [--nominal N]`` from the repository root
with ``PYTHONPATH=src:.`` (~3 min).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import detect_bench as DB  # noqa: E402

_ORIGINAL = DB.scenario


def _use(nuisance: str) -> None:
    """Worker initialiser: the benchmark's scenarios with the given nuisance preset."""
    DB.scenario = lambda rate, days: replace(_ORIGINAL(rate, days), nuisance=nuisance)


def _runs(nuisance, jobs):
    with ProcessPoolExecutor(2, initializer=_use, initargs=(nuisance,)) as ex:
        return list(ex.map(DB.run_one, jobs))


def _summary(runs):
    nom = [r for r in runs if r["rate"] == 0]
    out = {"nominal": (len(nom), sum(r["days"] for r in nom),
                       sum(1 for r in nom if r["ours"] is not None) + sum(r["other_alarms"] for r in nom))}
    for label in DB.RATES:
        rs = [r for r in runs if r["label"] == label]
        if not rs:
            continue
        early = sum(1 for r in rs if r["ours"] is not None and r["ours"] < r["onset"]) + sum(r["other_alarms"] > 0 for r in rs)
        d = np.array([(r["ours"] - r["onset"]) for r in rs if r["ours"] is not None and r["ours"] >= r["onset"]])
        out[label] = (len(rs), early, len(rs) - len(d), float(np.mean(d)) if len(d) else float("nan"))
    return out


def _fmt(s):
    if not np.isfinite(s):
        return "-"
    return f"{s / 3600:.2f} h" if s >= 3600 else f"{s / 60:.1f} min"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--nominal", type=int, default=6)
    a = ap.parse_args()
    seeds = 2 if a.quick else a.seeds
    nominal = 2 if a.quick else a.nominal
    jobs = [("nominal", 0.0, 100 + s, 1.5) for s in range(nominal)]
    for label in ("1 mmHg/day", "0.6 mmHg/h (MS-09)"):
        rate = DB.RATES[label]
        days = 1.5 if rate < 0.02 else 1.2 if rate < 0.1 else 0.9
        jobs += [(label, rate, s, days) for s in range(seeds)]
    t0 = time.perf_counter()
    old = _summary(_runs("none", jobs))
    new = _summary(_runs("realistic", jobs))
    print(f"# robust_compare: detect_bench scenarios, nuisance none vs realistic, same seeds "
          f"({time.perf_counter() - t0:.0f} s)")
    print("| case | runs | none: false alarms | none: missed | none: mean delay | realistic: false alarms | "
          "realistic: missed | realistic: mean delay |")
    print("|---|---|---|---|---|---|---|---|")
    n0, n1 = old["nominal"], new["nominal"]
    print(f"| leak-free ({n0[1]:.0f} days) | {n0[0]} | {n0[2]} | - | - | {n1[2]} | - | - |")
    for label in DB.RATES:
        if label in old:
            o, w = old[label], new[label]
            print(f"| {label} | {o[0]} | {o[1]} | {o[2]} | {_fmt(o[3])} | {w[1]} | {w[2]} | {_fmt(w[3])} |")
    print("false alarms: runs with any alarm before the onset or outside the leaking zone; "
          "leak-free: every alarm counts")


if __name__ == "__main__":
    main()
