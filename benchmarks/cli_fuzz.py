"""Long CLI fuzz: >= 10,000 random ``hullbreach`` command lines (issue 15 §6), the generator of
``tests/cli/fuzzcases.py``; reports internal errors (goal: 0), exit codes, time and memory per command.

    PYTHONPATH=src python benchmarks/cli_fuzz.py [--n 10000] [--seed 0] [--workers 2] [--timeout-s 60]

Baseline in the same run: the same command lines on another source tree (``--baseline-src PATH``, e.g. a
checkout of 53ac87c), counting its internal errors, tracebacks and overtime runs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _draw(n: int, seed: int, files: dict) -> list[list[str]]:
    """``n`` command lines from the hypothesis strategy, reproducibly (``seed``)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from fuzzcases import command_lines, command_table

    table = command_table()
    out: list[list[str]] = []
    random.seed(seed)

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=("generate",))
    @given(data=st.data())
    def collect(data):
        out.append(data.draw(command_lines(table, files)))

    import hypothesis

    hypothesis.seed(seed)(collect)()
    return out[:n]


def _worker(args):
    src, chunk, timeout_s, tmp = args
    sys.path[:0] = [src, str(ROOT / "tests" / "cli")]
    os.environ["HULLBREACH_NO_PROGRESS"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(tmp)
    from fuzzcases import Overtime, check, invoke

    rows = []
    for argv in chunk:
        try:
            code, out, err, dt = invoke(argv, timeout_s)
            problem = check(argv, code, out, err)
        except Overtime:
            code, dt, problem, err = -1, timeout_s, "overtime", ""
        except BaseException as exc:  # noqa: BLE001  (a crash outside main(): count it, keep going)
            code, dt, problem, err = -2, 0.0, f"escaped {type(exc).__name__}", str(exc)
        rows.append({"argv": argv, "code": code, "seconds": dt, "problem": problem,
                     "err": err.strip().splitlines()[-1][:300] if problem and err.strip() else "",
                     "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})
    return rows


def run(src: str, lines: list[list[str]], workers: int, timeout_s: float, tmp: str) -> list[dict]:
    chunks = [lines[i::workers] for i in range(workers)]
    ctx = mp.get_context("spawn")
    with ctx.Pool(workers, maxtasksperchild=1) as pool:
        parts = pool.map(_worker, [(src, c, timeout_s, tmp) for c in chunks])
    return [r for p in parts for r in p]


def summary(rows: list[dict]) -> dict:
    by_cmd: dict[str, Counter] = defaultdict(Counter)
    slow: dict[str, float] = defaultdict(float)
    for r in rows:
        cmd = r["argv"][0] if r["argv"] else "(none)"
        by_cmd[cmd][r["code"]] += 1
        slow[cmd] = max(slow[cmd], r["seconds"])
    problems = Counter(r["problem"] for r in rows if r["problem"])
    return {"invocations": len(rows), "internal_errors": problems.get("internal error", 0),
            "problems": dict(problems), "exit_codes": dict(Counter(r["code"] for r in rows)),
            "by_command": {c: dict(v) for c, v in sorted(by_cmd.items())},
            "max_seconds_by_command": {c: round(v, 2) for c, v in sorted(slow.items())},
            "peak_rss_mib": round(max(r["rss_kib"] for r in rows) / 1024, 1),
            "examples": [{"argv": r["argv"], "problem": r["problem"], "err": r["err"]}
                         for r in rows if r["problem"]][:15]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout-s", type=float, default=60.0)
    ap.add_argument("--src", default=str(ROOT / "src"), help="the src/ tree to fuzz (default: this checkout's)")
    ap.add_argument("--baseline-src", default=None, help="another tree's src/ to run the same lines on")
    ap.add_argument("--baseline-n", type=int, default=1000, help="how many of the lines the baseline runs")
    ap.add_argument("--baseline-timeout-s", type=float, default=20.0)
    ap.add_argument("--json", default=None, help="write the full summary here")
    a = ap.parse_args()
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "cli")]
    from fuzzcases import make_files

    tmp = tempfile.mkdtemp(prefix="hullbreach-fuzz-")
    files = make_files(Path(tmp) / "files")
    t0 = time.perf_counter()
    lines = _draw(a.n, a.seed, files)
    print(f"drew {len(lines)} command lines in {time.perf_counter() - t0:.1f} s")
    result = {}
    for label, src in (("ours", a.src), ("baseline", a.baseline_src)):
        if src is None:
            continue
        t0 = time.perf_counter()
        if label == "baseline":
            rows = run(src, lines[:a.baseline_n], a.workers, a.baseline_timeout_s, tmp)
        else:
            rows = run(src, lines, a.workers, a.timeout_s, tmp)
        s = summary(rows)
        s["wall_s"] = round(time.perf_counter() - t0, 1)
        result[label] = s
        print(f"\n== {label} ({src}): {s['invocations']} invocations in {s['wall_s']} s, "
              f"internal errors {s['internal_errors']}, problems {s['problems'] or 'none'}")
        print(f"exit codes {s['exit_codes']}; peak RSS {s['peak_rss_mib']} MiB")
        for cmd, codes in s["by_command"].items():
            print(f"  {cmd:<12} {codes}  max {s['max_seconds_by_command'][cmd]} s")
        for ex in s["examples"][:8]:
            print(f"  ! {ex['problem']}: hullbreach {' '.join(ex['argv'])[:200]}\n      {ex['err'][:200]}")
    if "baseline" in result:
        o, b = result["ours"], result["baseline"]
        bad_b = sum(b["problems"].values())
        bad_o = sum(o["problems"].values())
        n_b = b["invocations"]
        print(f"\nproblems on the first {n_b} lines: baseline {bad_b} ({bad_b / n_b:.1%}); "
              f"ours {bad_o} over all {o['invocations']} lines")
    if a.json:
        Path(a.json).write_text(json.dumps(result, indent=1))
    return 0 if result["ours"]["internal_errors"] == 0 and not result["ours"]["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
