"""Long CLI fuzz: >= 10,000 random ``hullbreach`` command lines (issue 15 §6), the generator of
``tests/cli/fuzzcases.py``; reports internal errors (goal: 0), exit codes, time and memory per command.

    PYTHONPATH=src python benchmarks/cli_fuzz.py [--n 10000] [--seed 0] [--workers 2] [--timeout-s 60]
        [--max-minutes M] [--out DIR] [--baseline-src OTHER/src --baseline-n 500]

Each worker draws its own batches (hypothesis, seeded) and writes one JSON line per invocation, so a run cut
short by ``--max-minutes`` still reports what it ran (``--summarize DIR`` re-reads them). Baseline in the
same run: the first ``--baseline-n`` of our command lines replayed on another source tree (e.g. an export
of 53ac87c), counting its internal errors, tracebacks and overtime runs.
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
    import hypothesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from fuzzcases import command_lines, command_table

    table = command_table()
    out: list[list[str]] = []

    @settings(max_examples=n, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=("generate",))
    @given(data=st.data())
    def collect(data):
        out.append(data.draw(command_lines(table, files)))

    hypothesis.seed(seed)(collect)()
    return out[:n]


def _worker(args):
    """Draw and run batches of command lines until ``n`` are done or ``stop_at`` (epoch s) passes; one JSON
    line per invocation in ``jsonl`` (flushed, so a run cut short still counts)."""
    src, wid, n, seed, stop_at, timeout_s, tmp, jsonl, replay = args
    sys.path[:0] = [src, str(ROOT / "tests" / "cli")]
    os.environ["HULLBREACH_NO_PROGRESS"] = "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.chdir(tmp)
    from fuzzcases import Overtime, check, invoke, make_files

    files = make_files(Path(tmp) / f"files-{wid}")
    # Warm-up, untimed: numba compiles the detector's kernels and matplotlib loads on first use (a minute
    # under heavy load); an alarm that interrupts a compilation leaves numba unusable in this process.
    invoke(["detect", "demo", files["demo_tm.csv"], "--plot", str(Path(tmp) / f"warm-{wid}.png")], 1800.0)
    invoke(["detect", "iss-2018", files["tm.csv"], "--events", files["events.csv"], "--strict"], 1800.0)
    done, batch = 0, 0
    with open(jsonl, "a", encoding="utf-8") as fh:
        while done < n and time.time() < stop_at:
            if replay is not None:
                lines = replay[done:done + 50]
                lines = [[a.replace("{FILES}", str(Path(tmp) / f"files-{wid}")) for a in argv] for argv in lines]
            else:
                lines = _draw(min(50, n - done), seed * 1_000_003 + wid * 10_007 + batch, files)
            if not lines:
                break
            batch += 1
            for argv in lines:
                if time.time() >= stop_at or done >= n:
                    break
                try:
                    code, out, err, dt = invoke(argv, timeout_s)
                    problem = check(argv, code, out, err)
                except Overtime:
                    code, dt, problem, err = -1, timeout_s, "overtime", ""
                    stop_at = 0.0  # the interrupted call may have left the process half-initialised: stop here
                except BaseException as exc:  # noqa: BLE001  (a crash outside main(): count it, keep going)
                    code, dt, problem, err = -2, 0.0, f"escaped {type(exc).__name__}", str(exc)
                generic = [a.replace(str(Path(tmp) / f"files-{wid}"), "{FILES}") for a in argv]
                fh.write(json.dumps({"argv": generic, "code": code, "seconds": round(dt, 4), "problem": problem,
                                     "err": err.strip().splitlines()[-1][:300] if problem and err.strip() else "",
                                     "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}) + "\n")
                fh.flush()
                done += 1
    return done


def run(src: str, n: int, workers: int, seed: int, stop_at: float, timeout_s: float, tmp: str, prefix: str,
        replay: list | None = None) -> list[dict]:
    ctx = mp.get_context("spawn")
    paths = [f"{prefix}-{w}.jsonl" for w in range(workers)]
    for p in paths:
        Path(p).unlink(missing_ok=True)
    per = [n // workers + (1 if w < n % workers else 0) for w in range(workers)]
    jobs = [(src, w, per[w], seed, stop_at, timeout_s, tmp, paths[w],
             None if replay is None else replay[w::workers]) for w in range(workers)]
    with ctx.Pool(workers) as pool:
        pool.map(_worker, jobs)
    return read_rows(paths)


def read_rows(paths) -> list[dict]:
    rows = []
    for p in paths:
        if Path(p).exists():
            rows += [json.loads(line) for line in Path(p).read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


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


def report(label: str, src: str, rows: list[dict], wall_s: float) -> dict:
    s = summary(rows)
    s["wall_s"] = round(wall_s, 1)
    print(f"\n== {label} ({src}): {s['invocations']} invocations in {s['wall_s']} s, "
          f"internal errors {s['internal_errors']}, problems {s['problems'] or 'none'}")
    print(f"exit codes {s['exit_codes']}; peak RSS {s['peak_rss_mib']} MiB")
    for cmd, codes in s["by_command"].items():
        print(f"  {cmd:<12} {codes}  max {s['max_seconds_by_command'][cmd]} s")
    for ex in s["examples"][:8]:
        print(f"  ! {ex['problem']}: hullbreach {' '.join(ex['argv'])[:200]}\n      {ex['err'][:200]}")
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout-s", type=float, default=60.0)
    ap.add_argument("--max-minutes", type=float, default=600.0, help="stop drawing new lines after this long")
    ap.add_argument("--src", default=str(ROOT / "src"), help="the src/ tree to fuzz (default: this checkout's)")
    ap.add_argument("--out", default=None, help="folder for the JSON lines and summary (default: a temp folder)")
    ap.add_argument("--baseline-src", default=None, help="another tree's src/ to replay the first lines on")
    ap.add_argument("--baseline-n", type=int, default=500, help="how many of our lines the baseline replays")
    ap.add_argument("--baseline-timeout-s", type=float, default=20.0)
    ap.add_argument("--summarize", default=None, help="only summarize the JSON lines in this folder")
    a = ap.parse_args()
    sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "cli")]
    if a.summarize:
        rows = read_rows(sorted(str(p) for p in Path(a.summarize).glob("ours-*.jsonl")))
        report("ours", a.summarize, rows, 0.0)
        base = read_rows(sorted(str(p) for p in Path(a.summarize).glob("baseline-*.jsonl")))
        if base:
            report("baseline", a.summarize, base, 0.0)
        return 0
    tmp = tempfile.mkdtemp(prefix="hullbreach-fuzz-")
    out = Path(a.out or tmp)
    out.mkdir(parents=True, exist_ok=True)
    stop_at = time.time() + a.max_minutes * 60
    t0 = time.perf_counter()
    rows = run(a.src, a.n, a.workers, a.seed, stop_at, a.timeout_s, tmp, str(out / "ours"))
    result = {"ours": report("ours", a.src, rows, time.perf_counter() - t0)}
    if a.baseline_src:
        replay = [r["argv"] for r in rows[:a.baseline_n]]
        t0 = time.perf_counter()
        base = run(a.baseline_src, len(replay), a.workers, a.seed, time.time() + 3600, a.baseline_timeout_s, tmp,
                   str(out / "baseline"), replay=replay)
        result["baseline"] = report("baseline", a.baseline_src, base, time.perf_counter() - t0)
        o, b = result["ours"], result["baseline"]
        n_b = b["invocations"]
        same = {json.dumps(r["argv"]) for r in base}
        ours_same = sum(1 for r in rows if r["problem"] and json.dumps(r["argv"]) in same)
        print(f"\nproblems on the same {n_b} command lines: baseline {sum(b['problems'].values())}, ours {ours_same}")
    (out / "summary.json").write_text(json.dumps(result, indent=1))
    print(f"\nJSON lines and summary in {out}")
    return 0 if result["ours"]["internal_errors"] == 0 and not result["ours"]["problems"] else 1


if __name__ == "__main__":
    sys.exit(main())
