"""Detector start-ups on the real station file with the second, independent generator (issue 16).

Leak-free records (``free``) or records with a hole opening in Destiny (``leak``) of the independent generator
(``tests/generators/independent.py``, its own physics and nuisance) on ``iss-2025``, at 10 s cadence, each fed to
``hullbreach.detect`` from its first sample: a detector start-up per record. Prints one line per seed (the alarms:
kind, zone, time, track) and a summary; with ``--baseline SRC`` the same records through another version's
``src/`` (a ``git archive`` snapshot) in the same run, side by side.

    PYTHONPATH=src:. python benchmarks/detect_startup.py free --hours 10 --seeds 12 36 ou_common_sigma_k=0.1 self_heating_k=0.6
    PYTHONPATH=src:. python benchmarks/detect_startup.py leak --hours 8 --seeds 0 4 --start-h 0.5 --area-m2 1.1e-6

A logger gap (``--gap START END`` [h]: every sample in between removed, as a telemetry loss of signal) followed by
the thermometers' power-on re-warming (``--rewarm-k K``: ``K x U(0.5, 1.5) x (1 - exp(-(t - END) / 30 min))`` added
to each thermometer from the gap's end, its own draw per thermometer; the session-8 worst case, robust.md):

    PYTHONPATH=src:. python benchmarks/detect_startup.py free --hours 12 --seeds 0 6 --gap 3 5 --rewarm-k 0.6
    PYTHONPATH=src:. python benchmarks/detect_startup.py leak --hours 12 --seeds 0 3 --gap 3 5 --rewarm-k 0.6 --start-h 4

Any ``key=value`` is a ``GenConfig`` field (floats). Records used in docs/benchmarks/robust.md (sessions 7-8):
defaults seeds 0-11 and 200-223; the envelope's corner (``ou_common_sigma_k=0.1 self_heating_k=0.6``) seeds 12-35
and 100-147; ``ou_common_sigma_k=0.1`` seeds 40-63; ``self_heating_k=0.6`` seeds 64-87.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
T0 = 1735689600.0  # the generator's start, 2025-01-01 00:00 UTC [s]


def run(mode: str, hours: float, seeds: range, kw: dict, start_h: float, area_m2: float, gap_h=None,
        rewarm_k: float = 0.0) -> list:
    """One row per seed: the alarms as (kind, zone's first module, hours after start [h], track); with ``gap_h``
    the record has a logger gap and the thermometers re-warm after it (``tests.generators.independent.logger_gap``)."""
    sys.path[:0] = [str(ROOT)]
    from hullbreach.detect.detector import detect
    from hullbreach.station import load_station
    from tests.generators import independent as ig

    st = load_station("iss-2025")
    rows = []
    for s in seeds:
        leaks = [ig.Leak("destiny", area_m2, start_h * 3600.0)] if mode == "leak" else []
        rec = ig.generate(st, hours * 3600.0, ig.GenConfig(cadence_s=10.0, **kw), seed=s, leaks=leaks)
        if gap_h is None:
            frame = rec.frame()
        else:
            from hullbreach.telemetry import check_samples
            raw = ig.logger_gap(rec, gap_h[0] * 3600.0, gap_h[1] * 3600.0, rewarm_k, seed=10_000 + s)
            frame = check_samples(raw, st, source="<independent generator>")
        res = detect(st, frame, rec.events, keep_series=False)
        rows.append([s, [(a.kind, a.zone[0], round((a.time_s - T0) / 3600.0, 2), a.track) for a in res.alarms]])
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("free", "leak"))
    ap.add_argument("gen", nargs="*", help="GenConfig fields as key=value")
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--seeds", type=int, nargs=2, default=(0, 12), metavar=("FIRST", "END"))
    ap.add_argument("--start-h", type=float, default=5.0, help="leak onset [h after start] (leak mode)")
    ap.add_argument("--area-m2", type=float, default=1.1e-6, help="hole area [m^2] (leak mode; 1.1e-6: the MS-09 rate)")
    ap.add_argument("--gap", type=float, nargs=2, default=None, metavar=("START_H", "END_H"),
                    help="remove every sample between these hours (a logger gap)")
    ap.add_argument("--rewarm-k", type=float, default=0.0, help="thermometers' re-warming after the gap [K] (x U(0.5, 1.5))")
    ap.add_argument("--baseline", default=None, help="a folder holding another version's src/")
    ap.add_argument("--rows-json", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_intermixed_args()  # key=value after the options too, as the usage above writes them
    kw = {k: float(v) for k, v in (g.split("=", 1) for g in a.gen)}
    rows = run(a.mode, a.hours, range(*a.seeds), kw, a.start_h, a.area_m2, a.gap, a.rewarm_k)
    if a.rows_json:
        print(json.dumps(rows))
        return
    base = None
    if a.baseline:
        env = dict(os.environ, PYTHONPATH=f"{Path(a.baseline).resolve() / 'src'}{os.pathsep}{ROOT}")
        argv = [a.mode, *a.gen, "--hours", str(a.hours), "--seeds", *map(str, a.seeds), "--start-h", str(a.start_h),
                "--area-m2", str(a.area_m2), "--rewarm-k", str(a.rewarm_k), "--rows-json"]
        if a.gap:
            argv += ["--gap", *map(str, a.gap)]
        out = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True, text=True, check=True)
        base = dict((r[0], r[1]) for r in json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'seed':>5} | hullbreach (this tree)" + (" | baseline" if base is not None else ""))
    for s, al in rows:
        print(f"{s:>5} | {al}" + (f" | {base[s]}" if base is not None else ""), flush=True)
    n = sum(1 for _, al in rows if al)
    what = "with an alarm" if a.mode == "free" else "with an alarm (onset at %.2f h)" % a.start_h
    line = f"records {what}: {n} of {len(rows)}"
    if base is not None:
        line += f"; baseline {sum(1 for v in base.values() if v)} of {len(base)}"
    print(line)


if __name__ == "__main__":
    main()
