"""Benchmark: in-module leak localization, hullbreach (dispersion-compensated SRP) vs GCC-PHAT/SRP-PHAT.

Cases (issue 5):
  plate-8 / plate-16   bare 1 m x 1 m plate, 2 mm Al 6061, 8 or 16 sensors, per-sensor SNR 0 dB:
                       goal mean error < 5 mm
  stiffened            2 m x 3 m Al 2219 wall, 3 mm, 2 ring frames + 2 stringers, 16 sensors, two rack noise
                       sources (each ~7.5 dB more total power than the leak), SNR 0 dB: goal p95 error < 0.5 m
  stiffened-loud       same with racks ~17 dB above the leak (an extra, harsher row)
  stiffened-loud-known same, with the rack positions given to both localizers ([[equipment]])
  timing               one localization, 16 sensors, 0.5 s at 1 MHz: goal < 2 s

Every recording is simulated on a wall whose thickness and Young's modulus differ from the nominal
values the localizer is given (thickness x (1 + N(0, 2 %)), E x (1 + N(0, 2 %))), so the localizer
never sees the exact model that made the data.

Usage: python benchmarks/locate_bench.py [--n 200] [--duration-ms 50] [--workers 2] [--cases plate-8,...]
       [--md docs/benchmarks/locate.md]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
import zlib
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from hullbreach.locate.lamb import Material, material
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import equipment, leak, perimeter_sensors, simulate
from hullbreach.locate.wall import Stiffener, Wall


def plate_wall() -> Wall:
    return Wall(0.002, 1.0, 1.0, material("al-6061"), name="bare plate 1x1 m, 2 mm Al 6061")


def stiffened_wall() -> Wall:
    st = (Stiffener("x", 1.0, 0.6, "frame"), Stiffener("x", 2.0, 0.6, "frame"),
          Stiffener("y", 0.67, 0.6, "stringer"), Stiffener("y", 1.33, 0.6, "stringer"))
    return Wall(0.003, 2.0, 3.0, material("al-2219"), st, name="stiffened wall 2x3 m, 3 mm Al 2219")


def perturbed(wall: Wall, rng: np.random.Generator) -> Wall:
    m = wall.material
    mat = Material(m.name + "-as-built", m.youngs_modulus_pa * (1 + 0.02 * rng.standard_normal()), m.poisson_ratio,
                   m.density_kg_m3, "perturbed")
    return dataclasses.replace(wall, thickness_m=wall.thickness_m * (1 + 0.02 * rng.standard_normal()), material=mat)


def one(args) -> dict:
    case, i, duration_s = args
    rng = np.random.default_rng([zlib.crc32(case.encode()), i])
    if case.startswith("plate"):
        wall = plate_wall()
        n = int(case.split("-")[1])
        sensors = perimeter_sensors(wall, n, 0.05)
        src = rng.uniform(0.05, 0.95, 2)
        sources = [leak(src)]
    else:
        wall = stiffened_wall()
        sensors = perimeter_sensors(wall, 16, 0.1)
        src = rng.uniform([0.05, 0.05], [1.95, 2.95])
        amp = 10.0 if case == "stiffened" else 30.0  # stiffened-loud, stiffened-loud-known
        racks = [rng.uniform([0.05, 0.05], [1.95, 2.95]) for _ in range(2)]
        sources = [leak(src)] + [equipment(r, amp) for r in racks]
    sim_wall = perturbed(wall, rng)
    rec = simulate(sim_wall, sensors, sources, duration_s=duration_s, snr_db=0.0, seed=rng)
    out = {"case": case, "i": i}
    known = [s.position_m for s in sources[1:]] if case.endswith("-known") else []
    for method in ("dispersive", "gcc-phat"):
        t0 = time.perf_counter()
        res = locate(wall, rec, method=method, seed=i, equipment_m=known)
        out[method] = {
            # "no source" (issue 13) counts as a miss of infinite error, never as a hit
            "err_m": float(np.hypot(*(np.array(res.position_m) - src))) if res.position_m is not None else float("inf"),
            "r95_m": res.uncertainty_radius_m if res.uncertainty_radius_m is not None else 0.0,
            "n_candidates": len(res.candidates),
            "s": time.perf_counter() - t0,
        }
    return out


def _locate_at(commit: str):
    """locate() of ``commit``: its localize.py, sources.py and (when it has them) its SRP engine srp.py and
    compiled loops _srp_jit.py, loaded from git, so a baseline runs its own code whatever this tree changed
    (the other modules, wall.py, lamb.py, signals.py, calibrate.py, are this tree's)."""
    import subprocess

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from locate_mismatch import REPO, _load

    def has(path):
        return subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{commit}:{path}"]).returncode == 0

    _load(f"hb_sources_{commit}", commit, "src/hullbreach/locate/sources.py")
    swap = [("from hullbreach.locate import sources as srcs", f"import hb_sources_{commit} as srcs")]
    if has("src/hullbreach/locate/srp.py"):
        _load(f"hb_srp_jit_{commit}", commit, "src/hullbreach/locate/_srp_jit.py")
        _load(f"hb_srp_{commit}", commit, "src/hullbreach/locate/srp.py",
              (("from hullbreach.locate import _srp_jit", f"import hb_srp_jit_{commit} as _srp_jit"),))
        swap.append(("from hullbreach.locate import srp", f"import hb_srp_{commit} as srp"))
    return _load(f"hb_locate_{commit}", commit, "src/hullbreach/locate/localize.py", tuple(swap)).locate


def _answer(res, like=None) -> str:
    """Everything a localization says except its run time (to compare two localizers bit for bit). With
    ``like`` (another localization), only the JSON keys both say: a key added later (the candidates'
    ``equipment`` since session 6) is not a different answer."""
    j = res.to_json()
    j.pop("elapsed_s")
    if like is not None:
        o = like.to_json()
        j = {k: v for k, v in j.items() if k in o}
        if j.get("candidates") and o.get("candidates"):
            j["candidates"] = [{k: v for k, v in c.items() if k in o["candidates"][0]} for c in j["candidates"]]
    return repr(j) + res.image.tobytes().hex()


def timing(n_runs: int = 10, baselines=("a8bc68b",)) -> dict:
    """CPU and wall time of one localization (16 sensors, 0.5 s at 1 MHz) for this tree, its GCC-PHAT
    baseline and the localizers of the commits ``baselines`` (a8bc68b: merged main before session 4's
    speed work; 29a401b: before session 3's), interleaved in the same process so a loaded machine slows
    them alike; the ratio baseline / ours is the speed-up. Also says whether each baseline's answer (every
    field but the run time, and the coarse map) is bit for bit ours."""
    import subprocess

    wall = stiffened_wall()
    sensors = perimeter_sensors(wall, 16, 0.1)
    rec = simulate(wall, sensors, [leak((0.7, 1.9))], duration_s=0.5, snr_db=0.0, seed=1)
    fns = {"dispersive": lambda: locate(wall, rec), "gcc-phat": lambda: locate(wall, rec, method="gcc-phat")}
    for c in baselines:
        fns[c] = (lambda fn: lambda: fn(wall, rec))(_locate_at(c))
    first = {k: fn() for k, fn in fns.items()}  # (also warms the dispersion cache and the compiled loops)
    # each answer in the keys it shares with ours (and ours in the keys it shares with each baseline)
    answers = {k: (_answer(r, first["dispersive"]), _answer(first["dispersive"], r)) for k, r in first.items()}
    ts = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    sys_s = {k: [] for k in fns}  # kernel CPU (mostly clearing freshly mapped pages) and minor page faults
    faults = {k: [] for k in fns}
    for _ in range(n_runs):
        for k, fn in fns.items():
            r0 = resource.getrusage(resource.RUSAGE_SELF)
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            ts[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
            r1 = resource.getrusage(resource.RUSAGE_SELF)
            sys_s[k].append(r1.ru_stime - r0.ru_stime)
            faults[k].append(r1.ru_minflt - r0.ru_minflt)
    up = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    res = {k: {"median_s": float(np.median(ts[k])), "max_s": float(np.max(ts[k])), "min_s": float(np.min(ts[k])),
               "cpu_median_s": float(np.median(cpu[k])), "sys_median_s": float(np.median(sys_s[k])),
               "minor_faults_median": float(np.median(faults[k])), "load": os.getloadavg()[0]} for k in fns}
    for k in fns:
        print(f"timing {k}: wall median {res[k]['median_s']:.2f} s (min {res[k]['min_s']:.2f}, max {res[k]['max_s']:.2f}), "
              f"CPU median {res[k]['cpu_median_s']:.2f} s (of which kernel {res[k]['sys_median_s']:.2f} s; "
              f"{res[k]['minor_faults_median']:.0f} minor page faults)")
    for c in baselines:
        res[c]["ratio_wall"] = res[c]["median_s"] / res["dispersive"]["median_s"]
        res[c]["ratio_cpu"] = res[c]["cpu_median_s"] / res["dispersive"]["cpu_median_s"]
        res[c]["same_answer"] = answers[c][0] == answers[c][1]
        print(f"ratio {c}/ours: wall {res[c]['ratio_wall']:.2f}, CPU {res[c]['ratio_cpu']:.2f}; "
              f"answer bit-identical to ours: {'yes' if res[c]['same_answer'] else 'NO'}")
    print(up)
    res["uptime"], res["n_runs"], res["baselines"] = up, n_runs, list(baselines)
    return res


def same_answers(baseline: str = "a8bc68b", n_sweep: int = 4) -> dict:
    """Ours vs the localizer of ``baseline`` on the timing recording and on the first ``n_sweep``
    recordings of ``locate_mismatch.py --cases sweep`` (its seeds): status, number of candidates, and the
    largest differences of the reported position, its 95 % radius and any candidate's position / radius
    [m] (a speed change must not move the answers beyond the fine grid step)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import locate_mismatch as lm
    from hullbreach.locate.signals import Recording

    base = _locate_at(baseline)
    wall = stiffened_wall()
    sensors = perimeter_sensors(wall, 16, 0.1)
    recs = [("timing", wall, simulate(wall, sensors, [leak((0.7, 1.9))], duration_s=0.5, snr_db=0.0, seed=1))]
    for i in range(n_sweep):
        rng = np.random.default_rng([i, len("sweep"), ord("s")])  # locate_mismatch.run_one's seed of sweep #i
        mwall = lm.declared_wall()
        c = lm.gen.draw_case(rng, loud=False, worst=False, equipment_kind=None)
        syn = lm.gen.run_case(c, lm.gen.perimeter(16, mwall.width_m, mwall.height_m), duration_s=0.1, seed=rng)
        recs.append((f"sweep #{i}", mwall, Recording(syn.fs_hz, syn.declared_sensors_m, syn.signals)))
    rows = []
    for name, w, rec in recs:
        a, b = locate(w, rec), base(w, rec)
        row = dict(rec=name, status=(a.status, b.status), n_candidates=(len(a.candidates), len(b.candidates)),
                   bit_identical=_answer(a, b) == _answer(b, a))
        if a.position_m is not None and b.position_m is not None:
            row["d_position_m"] = float(np.hypot(*np.subtract(a.position_m, b.position_m)))
            row["d_radius_m"] = abs(a.uncertainty_radius_m - b.uncertainty_radius_m)
            row["radius_m"] = (a.uncertainty_radius_m, b.uncertainty_radius_m)
        pairs = list(zip(a.candidates, b.candidates))
        if pairs:
            row["d_candidate_position_m"] = max(float(np.hypot(*np.subtract(x.position_m, y.position_m))) for x, y in pairs)
            row["d_candidate_radius_m"] = max(abs(x.uncertainty_radius_m - y.uncertainty_radius_m) for x, y in pairs)
            row["d_probability"] = max(abs(x.probability - y.probability) for x, y in pairs)
        rows.append(row)
        print(f"same-answers {name}: " + ", ".join(f"{k} {v}" for k, v in row.items() if k != "rec"), flush=True)
    return {"baseline": baseline, "rows": rows}


def summarise(rows: list[dict], case: str) -> dict:
    rr = [r for r in rows if r["case"] == case]
    s = {"n": len(rr)}
    for m in ("dispersive", "gcc-phat"):
        e = np.array([r[m]["err_m"] for r in rr])
        r95 = np.array([r[m]["r95_m"] for r in rr])
        s[m] = {
            "mean_mm": 1e3 * e.mean(), "median_mm": 1e3 * np.median(e), "p95_mm": 1e3 * np.quantile(e, 0.95),
            "max_mm": 1e3 * e.max(), "coverage": float(np.mean(e <= r95)), "within_50mm": float(np.mean(e < 0.05)),
            "mean_s": float(np.mean([r[m]["s"] for r in rr])),
        }
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--duration-ms", type=float, default=50.0)
    ap.add_argument("--duration-stiffened-ms", type=float, default=100.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cases", default="plate-8,plate-16,stiffened,stiffened-loud,timing")
    ap.add_argument("--n-loud", type=int, default=100)
    ap.add_argument("--json", default=None, help="also write the raw summary to this JSON file")
    ap.add_argument("--timing-runs", type=int, default=10)
    ap.add_argument("--timing-baselines", default="a8bc68b",
                    help="commits whose localizer is timed beside ours, comma-separated (e.g. a8bc68b,29a401b)")
    ap.add_argument("--same-n", type=int, default=4,
                    help="case 'same': this many sweep recordings of locate_mismatch.py compared with the first baseline")
    ap.add_argument("--merge", nargs="*", help="only print the table merged from these result JSON files")
    args = ap.parse_args(argv)
    if args.merge:
        merged = {"cases": {}}
        for path in args.merge:
            with open(path) as fh:
                r = json.load(fh)
            merged["cases"].update(r["cases"])
            if "timing" in r:
                merged["timing"] = r["timing"]
        print(table(merged))
        return 0
    cases = args.cases.split(",")
    jobs = []
    for c in cases:
        if c in ("timing", "same"):
            continue
        n = args.n_loud if c.startswith("stiffened-loud") else args.n
        d = (args.duration_stiffened_ms if c.startswith("stiffened") else args.duration_ms) / 1e3
        jobs += [(c, i, d) for i in range(n)]
    t0 = time.time()
    rows = []
    if jobs:
        with ProcessPoolExecutor(args.workers) as ex:
            for k, r in enumerate(ex.map(one, jobs, chunksize=4)):
                rows.append(r)
                if (k + 1) % 50 == 0:
                    print(f"  {k + 1}/{len(jobs)} done, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    result = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "args": vars(args),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
              "cases": {c: summarise(rows, c) for c in cases if c not in ("timing", "same")}}
    if "same" in cases:
        result["same"] = same_answers(args.timing_baselines.split(",")[0], args.same_n)
    if "timing" in cases:
        result["timing"] = timing(args.timing_runs, tuple(c for c in args.timing_baselines.split(",") if c))
    result["wall_clock_s"] = time.time() - t0
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)
    print(table(result))
    return 0


def table(result: dict) -> str:
    goals = {"plate-8": ("mean_mm", 5.0), "plate-16": ("mean_mm", 5.0), "stiffened": ("p95_mm", 500.0),
             "stiffened-loud": ("p95_mm", 500.0), "stiffened-loud-known": ("p95_mm", 500.0)}
    lines = ["| case | n | metric | hullbreach | GCC-PHAT baseline | ratio base/ours | goal | met |",
             "|---|---|---|---|---|---|---|---|"]
    for c, s in result["cases"].items():
        key, goal = goals[c]
        o, b = s["dispersive"], s["gcc-phat"]
        for k, label in (("mean_mm", "mean error [mm]"), ("median_mm", "median error [mm]"),
                         ("p95_mm", "95th pct error [mm]"), ("max_mm", "max error [mm]")):
            g = f"< {goal:g} mm" if k == key else ""
            met = ("yes" if o[k] < goal else "**no**") if k == key else ""
            lines.append(f"| {c} | {s['n']} | {label} | {o[k]:.2f} | {b[k]:.2f} | {b[k] / max(o[k], 1e-9):.1f} | {g} | {met} |")
        lines.append(f"| {c} | {s['n']} | error <= reported 95 % radius | {o['coverage']:.0%} | {b['coverage']:.0%} | | 95 % | |")
        lines.append(f"| {c} | {s['n']} | mean time per localization [s] | {o['mean_s']:.2f} | {b['mean_s']:.2f} | | | |")
    if "timing" in result:
        t = result["timing"]
        o, b = t["dispersive"], t["gcc-phat"]
        cpu = f"; CPU {o['cpu_median_s']:.2f}" if "cpu_median_s" in o else ""
        cpub = f"; CPU {b['cpu_median_s']:.2f}" if "cpu_median_s" in b else ""
        n = t.get("n_runs", 10)
        lines.append(f"| timing (16 sensors, 0.5 s at 1 MHz) | {n} | median / max wall time [s] | {o['median_s']:.2f} / "
                     f"{o['max_s']:.2f}{cpu} | {b['median_s']:.2f} / {b['max_s']:.2f}{cpub} | | < 2 s | "
                     f"{'yes' if o['max_s'] < 2 else '**no**'} |")
        for c in t.get("baselines", []):
            m = t[c]
            lines.append(f"| timing, the {c} localizer in the same run | {n} | median wall / CPU [s] | "
                         f"{o['median_s']:.2f} / {o['cpu_median_s']:.2f} | {c} {m['median_s']:.2f} / {m['cpu_median_s']:.2f} | "
                         f"{m['ratio_wall']:.2f} / {m['ratio_cpu']:.2f} ({c}/ours; same answer: "
                         f"{'yes' if m['same_answer'] else '**no**'}) | | |")
        if "uptime" in t:
            lines.append(f"| `uptime` at the end | | {t['uptime']} | | | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
