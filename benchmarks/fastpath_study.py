"""Design study (not product code): a pressure-based fast path for fast leaks, on the scenarios of
``detect_bench.py``.

The 60 s detector watches the N2 mass and decides at the ends of 60 s bins, so a 1 mmHg/min leak is seen after
2-3 min, 2.45x the continuous information bound of its track (docs/benchmarks/detect-delay.md §4). This
script measures what a simple fast path on a more precise signal would achieve, before anyone builds it:

* signal: the total air mass of the main zone in 10 s sub-bins: consensus of its 22 pressure gauges (median
  after per-channel offsets from the first hour), times the previous minute's ``sum V_i / T_i`` over ``R``;
* statistic: the least-squares slope over the last M = 3, 6, 12 sub-bins against an allowance of
  0.1 mmHg/min (far above crew O2 use and thermal drifts), ``z = (-slope - allow) / se``, the noise from
  robust second differences over the previous hour; the largest z over M;
* known operations (the repress) and the hour after their start are left out.

Output: for thresholds from the Gaussian one (0.1 false alarm a year over three windows, Bonferroni) up to
twice it, the mean delay for 1 mmHg/min (19 seeds, 0.2 Hz, as the benchmark) and the number of leak-free runs
(24 x 1.5 days) that cross it, against the bounds of docs/benchmarks/detect-delay.md.

Usage: ``python benchmarks/fastpath_study.py`` (about 1 minute on 2 cores).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy.stats import norm

import detect_bench as b
from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.units import to_si

SUB = 10.0  # sub-bin [s]
MS = (3, 6, 12)  # slope windows [sub-bins]
ALLOW_MMHG_MIN = 0.1  # allowance of the fast path [mmHg/min]
NOISE_SUB = 360  # noise history [sub-bins] (1 h)
FAR_PER_YEAR = 0.1


def _means(t, ch, v, st, channels, width, n):
    """Per channel, the mean of its SI samples in bins of ``width`` seconds (NaN where none)."""
    out = np.full((len(channels), n), np.nan)
    for i, c in enumerate(channels):
        sel = ch == c
        j = (t[sel] // width).astype(int)
        keep = j < n
        x = np.asarray(to_si(v[sel], st.sensors[c].unit), dtype=float)[keep]
        s = np.bincount(j[keep], weights=x, minlength=n)
        k = np.bincount(j[keep], minlength=n)
        out[i] = np.where(k > 0, s / np.maximum(k, 1), np.nan)
    return out


def track(seed: int, rate: float, days: float):
    """Sub-bin air mass of the main zone [kg], sub-bins left out, allowance [kg per sub-bin], onset [s]."""
    from hullbreach.sim import simulate
    st = b._station()
    sc = b.scenario(rate, days)
    r = simulate(st, sc, seed=seed)
    raw = r.telemetry
    zone = max(st.zones(), key=st.zone_volume_m3)
    t0 = pd.Timestamp(sc.start).timestamp()
    t = raw["time"].astype("int64").to_numpy() / 1e9 - t0
    ch = raw["channel"].astype(str).to_numpy()
    v = raw["value"].to_numpy(float)
    n_sub, n_min = int(math.ceil(days * 86400 / SUB)), int(math.ceil(days * 86400 / 60))
    P = _means(t, ch, v, st, [s.id for s in st.sensors_in(zone, "pressure")], SUB, n_sub)
    h1 = int(3600 / SUB)
    off = np.nanmedian(P[:, :h1] - np.nanmedian(P[:, :h1], axis=0)[None, :], axis=1)
    p = np.nanmedian(P - off[:, None], axis=0)
    tch = [s.id for s in st.sensors_in(zone, "temperature")]
    T = _means(t, ch, v, st, tch, 60.0, n_min)
    inv = np.zeros(n_min)
    for i, c in enumerate(tch):
        inv += st.modules[st.sensors[c].module].volume_m3 / pd.Series(T[i]).ffill().bfill().to_numpy()
    prev_min = np.maximum((np.arange(n_sub) * SUB // 60).astype(int) - 1, 0)
    m = p * inv[prev_min] / R_AIR
    excl = np.zeros(n_sub, bool)
    for _, e in r.events.iterrows():
        te = pd.Timestamp(e["time"]).timestamp() - t0
        excl[int(te // SUB): int((te + 3600) // SUB) + 1] = True
    allow = ALLOW_MMHG_MIN * PA_PER_MMHG / 60 * SUB * st.zone_volume_m3(zone) / (R_AIR * 295.15)
    return m, excl, allow, (b.ONSET_H * 3600 if rate else None)


def statistic(m: np.ndarray, excl: np.ndarray, allow: float) -> np.ndarray:
    """The fast path's z per sub-bin (-inf where it cannot be computed)."""
    n = len(m)
    d2 = np.full(n, np.nan)
    d2[2:] = (m[2:] - 2 * m[1:-1] + m[:-2]) ** 2
    d2[excl] = np.nan
    sig = np.full(n, np.nan)
    for j0 in range(NOISE_SUB, n, 60):  # causal: the previous hour, updated every 10 min
        w = d2[j0 - NOISE_SUB: j0]
        w = w[np.isfinite(w)]
        if len(w) > 100:
            sig[j0: j0 + 60] = math.sqrt(np.median(w) / 0.4549 / 6)  # median of chi2(1) = 0.4549
    z = np.full(n, -np.inf)
    for M in MS:
        u = np.arange(M) - (M - 1) / 2
        sxx = float(np.sum(u * u))
        slope = sliding_window_view(m, M) @ u / sxx
        zz = (-slope - allow) / (sig[M - 1:] / math.sqrt(sxx))
        zz[sliding_window_view(excl, M).any(axis=1) | ~np.isfinite(zz)] = -np.inf
        z[M - 1:] = np.maximum(z[M - 1:], zz)
    return z


def one(args):
    seed, rate, days = args
    m, excl, allow, onset = track(seed, rate, days)
    return rate, statistic(m, excl, allow), onset


def main() -> None:
    t_start = time.perf_counter()
    jobs = [(s, 60.0, 0.9) for s in range(19)] + [(100 + s, 0.0, 1.5) for s in range(24)]
    with ProcessPoolExecutor(2) as ex:
        res = list(ex.map(one, jobs))
    nominal = [float(np.max(z)) for rate, z, _ in res if rate == 0]
    gauss = float(norm.isf(FAR_PER_YEAR / (365.25 * 86400 / SUB) / len(MS)))
    print(f"largest z on each of the 24 leak-free runs (36 days): {np.round(sorted(nominal), 2).tolist()}")
    print()
    print("| threshold | 1 mmHg/min mean delay | max | missed | leak-free runs crossing | mean / continuous N2-track bound (1.08 min) |")
    print("|---|---|---|---|---|---|")
    for thr in (gauss, 8.0, 10.0, 2 * gauss):
        d = []
        for rate, z, onset in res:
            if rate:
                j = np.nonzero(z > thr)[0]
                d.append((j[0] + 1) * SUB - onset if len(j) else np.nan)
        d = np.array(d)
        label = f"{thr:.2f}" + (" (Gaussian, 0.1/yr)" if thr == gauss else "")
        print(f"| {label} | {np.nanmean(d) / 60:.2f} min | {np.nanmax(d):.0f} s | {int(np.sum(~np.isfinite(d)))} | "
              f"{sum(1 for x in nominal if x > thr)} | {np.nanmean(d) / 60 / 1.08:.2f} |")
    print(f"\nstudy wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
