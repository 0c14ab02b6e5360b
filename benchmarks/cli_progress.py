"""Cost of the progress bars (issue 15 §5): the same work without a callback (baseline), with the no-op
callback the CLI passes when stderr is not a terminal, and with a live rich bar drawn to a terminal
(in memory). CPU time of this process, interleaved rounds (the machine is shared).

    PYTHONPATH=src python benchmarks/cli_progress.py [--repeat 3]

Work: ``simulate`` of the built-in MS-09 scenario on iss-2018; ``plan_sensors`` of 12 sensors on a 1.2 x 0.8 m
wall; ``run_cases`` of 2 isolation cases in this process. Prints the median time of each and the ratio to
the baseline.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from contextlib import contextmanager


@contextmanager
def _terminal_bars():
    """Make the CLI's stderr console believe it is a terminal, drawing into memory."""
    from hullbreach.cli import common, progress

    saved = progress.err_console
    progress.err_console = common.Console(file=io.StringIO(), force_terminal=True, width=100, markup=False,
                                          emoji=False, highlight=False)
    try:
        yield
    finally:
        progress.err_console = saved


def _times(fns, repeat):
    """Median CPU time [s] of each function, run interleaved (``repeat`` rounds) so that a shared machine's
    load falls on all of them alike."""
    out = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.process_time()
            fn()
            out[i].append(time.process_time() - t0)
    return [statistics.median(v) for v in out]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    from hullbreach.campaign import build_cases, run_cases
    from hullbreach.cli.progress import progress_bar
    from hullbreach.locate.placement import plan_sensors
    from hullbreach.locate.wall import load_wall
    from hullbreach.sim import ms09_scenario, simulate
    from hullbreach.station import load_station

    st = load_station("iss-2018")
    sc = ms09_scenario()
    import tempfile
    from pathlib import Path

    wp = Path(tempfile.mkdtemp()) / "wall.toml"
    wp.write_text('name = "p"\nthickness_m = 0.002\nwidth_m = 1.2\nheight_m = 0.8\nmaterial = "al-6061"\n')
    wall = load_wall(wp)
    cases = build_cases("demo", 1, "ms09-0.6mmHg/h", seed=0)

    work = {
        "simulate MS-09 (iss-2018)": (lambda cb: simulate(st, sc, seed=0, progress=cb), sc.duration_s),
        "plan_sensors 12 on 1.2 x 0.8 m": (lambda cb: plan_sensors(wall, 12, progress=cb), 12),
        "run_cases 2 (1 process)": (lambda cb: run_cases(cases, workers=1, progress=cb), len(cases)),
    }
    print(f"median CPU time of {a.repeat} interleaved rounds")
    print(f"{'work':<34} {'baseline s':>10} {'no-op s':>9} {'bar s':>8} {'no-op/base':>10} {'bar/base':>9}")
    for name, (fn, total) in work.items():
        def base():
            fn(None)

        def noop():
            with progress_bar(name, total=total, enabled=False) as cb:
                fn(cb)

        def bar():
            with _terminal_bars(), progress_bar(name, total=total) as cb:
                fn(cb)

        fn(None)  # warm-up (imports, JIT)
        t_base, t_noop, t_bar = _times([base, noop, bar], a.repeat)
        print(f"{name:<34} {t_base:10.3f} {t_noop:9.3f} {t_bar:8.3f} {t_noop / t_base:10.3f} {t_bar / t_base:9.3f}")


    # The bar's own cost while it is shown: CPU of 5 s of waiting, with the callback every 10 ms.
    def idle(seconds, bar):
        t0, w0 = time.process_time(), time.perf_counter()
        if bar:
            with _terminal_bars(), progress_bar("idle", total=100) as cb:
                while time.perf_counter() - w0 < seconds:
                    cb((time.perf_counter() - w0) / seconds * 100, 100)
                    time.sleep(0.01)
        else:
            while time.perf_counter() - w0 < seconds:
                time.sleep(0.01)
        return time.process_time() - t0

    a_, b_ = idle(5.0, False), idle(5.0, True)
    print(f"bar shown for 5 s (callback every 10 ms): CPU {b_:.3f} s vs {a_:.3f} s without, "
          f"{(b_ - a_) / 5 * 100:.2f} % of one core")


if __name__ == "__main__":
    main()
