"""Benchmark: 10^6-sample Monte Carlo of a penetration probability (target: under 1 s on this machine).

Ours: ``penetration.expected_penetrations_mc`` (vectorised numpy) on the Soyuz MS-09 orbital module
(17 m^2, baseline MLI + 1.9 mm AMG6, 84 days, 2018 environment). Baseline, same run: the same model
evaluated one sample at a time in a plain Python loop (timed on 2*10^4 samples, scaled to 10^6), and the
quadrature answer for accuracy. Run: ``python benchmarks/cause_mc.py``.
"""

from __future__ import annotations

import math
import os
import platform
import time

import numpy as np

from hullbreach.cause import ballistic, flux, penetration

N = 1_000_000
N_LOOP = 20_000
REPEAT = 3


def main() -> None:
    wall = ballistic.SoyuzOrbitalModuleWall()
    exp = penetration.Exposure(area_m2=17.0, duration_s=84 * 86400.0, year=2018.5, altitude_m=408e3)
    flux._meteoroid_scale()  # warm the cache (one-off)
    rows = []
    for pop in penetration.POPULATIONS:
        penetration.expected_penetrations_mc(wall, exp, pop, n=1000, seed=0)  # warm-up
        t_mc = math.inf
        for _ in range(REPEAT):  # best of REPEAT, as timeit does: the machine is shared
            t0 = time.perf_counter()
            mc = penetration.expected_penetrations_mc(wall, exp, pop, n=N, seed=1)
            t_mc = min(t_mc, time.perf_counter() - t0)
        t0 = time.perf_counter()
        q = penetration.expected_penetrations_analytic(wall, exp, pop)
        t_q = time.perf_counter() - t0
        # plain-loop baseline: same sampling and model, one sample at a time
        rng = np.random.default_rng(2)
        v = (flux.meteoroid_speed_sample_m_s if pop == "meteoroid" else flux.debris_speed_sample_m_s)(rng, N_LOOP)
        th = flux.impact_angle_sample_rad(rng, N_LOOP)
        t0 = time.perf_counter()
        acc = 0.0
        for vi, ti in zip(v.tolist(), th.tolist()):
            acc += float(penetration._flux_above(pop, wall, exp, vi, ti))
        t_loop = (time.perf_counter() - t0) * N / N_LOOP
        z = (mc.expected_number - q.expected_number) / mc.std_error
        rows.append((pop, t_mc, t_loop, t_q, mc.expected_number, mc.std_error, q.expected_number, z))

    print("# cause_mc: 10^6-sample Monte Carlo of the MS-09 orbital-module penetration probability")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# best of {REPEAT} runs; 1-min load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    print("| population | ours: vectorised MC 1e6 [s] | baseline: Python loop 1e6 (scaled) [s] | speed-up | quadrature [s] "
          "| N (MC) | std err | N (quadrature) | (MC - quad)/se | under 1 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for pop, t_mc, t_loop, t_q, n_mc, se, n_q, z in rows:
        print(f"| {pop} | {t_mc:.3f} | {t_loop:.1f} | {t_loop / t_mc:.0f}x | {t_q:.3f} | {n_mc:.5e} | {se:.2e} | "
              f"{n_q:.5e} | {z:+.2f} | {'yes' if t_mc < 1.0 else 'NO'} |")
    t_all = sum(r[1] for r in rows)
    p = -math.expm1(-sum(r[4] for r in rows))
    print(f"\nboth populations, 2 x 10^6 samples: {t_all:.3f} s; P(penetration) = {p:.4%}")


if __name__ == "__main__":
    main()
