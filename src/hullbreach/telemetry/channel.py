"""The checks on one channel's samples: order, duplicates, impossible values, spikes, stuck sensor, gaps.

:func:`check_channel` takes one channel's times [ns], values (in the sensor's unit) and input rows and
returns a :class:`ChannelResult` (accepted samples in SI [Pa, K], quarantined rows with their reason codes
from :mod:`hullbreach.telemetry.reasons`, the channel's verdict and its gaps). The long-table checks
(:mod:`hullbreach.telemetry.checks`), the wide-table path and the stream call it per channel. The robust
helpers (:func:`median5`, :func:`median5_at`, :func:`block_medians`, :func:`min_step`) are public for them and
for the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hullbreach.telemetry.config import CheckConfig
from hullbreach.telemetry.reasons import CONFLICT, DUPLICATE, FROZEN, IMPOSSIBLE, OK, SPIKE
from hullbreach.units import PLAUSIBLE_SI, guess_unit, to_si


def median5(x: np.ndarray) -> np.ndarray:
    """Running median over 5 samples (reflected at the ends), by a sorting network (no Python loop)."""
    n = len(x)
    if n < 3:
        return x.copy()
    p = np.pad(x, 2, mode="reflect") if n >= 3 else np.pad(x, 2, mode="edge")
    a, b, c, d, e = (p[i:i + n] for i in range(5))
    lo1, hi1 = np.minimum(a, b), np.maximum(a, b)
    lo2, hi2 = np.minimum(c, d), np.maximum(c, d)
    # The smaller of the pair minima and the larger of the pair maxima cannot be the median.
    j = np.maximum(lo1, lo2)
    k = np.minimum(hi1, hi2)
    return np.maximum(np.minimum(j, k), np.minimum(np.maximum(j, k), e))


def block_medians(a: np.ndarray, block: int, sub: int = 128) -> np.ndarray:
    """Median of ``a`` over blocks of ``block`` samples (the last partial block joins the one before),
    estimated from ``sub`` evenly spaced values per block (relative standard error about 11 %)."""
    n = len(a)
    nb = max(1, n // block)
    if nb == 1:
        return np.array([float(np.median(a))]) if n else np.array([0.0])
    head = a[: nb * block].reshape(nb, block)
    step = max(1, block // sub)
    med = np.median(head[:, ::step], axis=1)
    if n > nb * block:
        med[-1] = np.median(a[(nb - 1) * block:][::step])
    return med


def median5_at(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 5-sample running median of ``x`` (reflected at the ends) at indices ``at`` only."""
    n = len(x)
    j = at[:, None] + np.arange(-2, 3)[None, :]
    j = np.abs(j)                                  # reflect at the start
    j = np.where(j > n - 1, 2 * (n - 1) - j, j)    # reflect at the end
    return np.median(x[j], axis=1)


def min_step(v: np.ndarray, head: int = 65536) -> float:
    """Smallest non-zero difference between consecutive values (the data's own resolution), 0 if none.

    Looks at the first ``head`` samples only (the resolution does not change along a record).
    """
    if len(v) < 2:
        return 0.0
    d = np.abs(np.diff(v[:head]))
    d = d[d > 0]
    return float(d.min()) if len(d) else 0.0


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _unit_slip(value: float, reference: float, sensor) -> str | None:
    """A unit under which ``value`` reads as ``reference`` (both in the sensor's unit), or None."""
    ref_si = to_si(float(reference), sensor.unit)
    cands = ["K", "degC", "degF"] if sensor.quantity == "temperature" else ["psi", "kPa", "mmHg", "Pa", "mbar", "bar"]
    for u in cands:
        if u.lower() == sensor.unit.lower():
            continue
        v_si = to_si(float(value), u)
        tol = 5.0 if sensor.quantity == "temperature" else 0.03 * abs(ref_si)
        if abs(v_si - ref_si) <= tol:
            return u
    return None


@dataclass
class ChannelResult:
    t: np.ndarray          # accepted times, sorted [ns]
    si: np.ndarray         # accepted values [SI]
    rows: np.ndarray       # accepted input rows
    q_rows: np.ndarray     # quarantined input rows
    q_codes: np.ndarray    # their reason codes
    details: dict          # row -> reason text (for rows needing a specific one)
    ooo_rows: np.ndarray   # rows that were out of order (accepted or not)
    trusted: bool
    reason: str
    notes: list
    gaps: list             # (start_ns, end_ns)
    median_dt_s: float
    n_accepted: int = -1   # set when t/si/rows were released after use (wide fast path); -1: len(rows)


def check_channel(t, v, rows, sensor, cfg: CheckConfig, module_kind: str = "",
                   increasing: bool = False, compact: bool = True) -> ChannelResult:
    """Checks on one channel's samples (file order in, time order out). ``v`` in the sensor's unit.

    ``increasing=True`` tells that ``t`` strictly increases (wide files, checked once for all channels):
    the out-of-order and duplicate checks are skipped, as they would find nothing.
    ``compact=False`` leaves ``rows`` and ``si`` of the result uncompacted (every input sample, in time
    order; the quarantined ones are ``q_rows``) and sets ``n_accepted``: saves two copies when the caller
    scatters the samples anyway.
    """
    n = len(t)
    notes: list[str] = []
    details: dict[int, str] = {}
    trusted, reason = True, ""
    # ---- out of order (file order): later sample earlier than some previous one.
    ooo_rows = np.empty(0, np.int64)
    if n > 1 and not increasing:
        prevmax = np.maximum.accumulate(t)[:-1]
        ooo = t[1:] < prevmax
        if ooo.any():
            ooo_rows = rows[1:][ooo]
            order = np.argsort(t, kind="stable")
            t, v, rows = t[order], v[order], rows[order]
    code = np.zeros(n, np.int8)
    # ---- duplicates / conflicts / frozen clock.
    if n > 1 and not increasing:
        same = t[1:] == t[:-1]
        if same.any():
            start = np.ones(n, bool)
            start[1:] = ~same
            gid = np.cumsum(start) - 1
            in_grp = np.zeros(n, bool)
            in_grp[1:] |= same
            in_grp[:-1] |= same
            di = np.flatnonzero(in_grp)
            o = np.lexsort((rows[di], v[di], gid[di]))
            dd = di[o]
            exact = np.zeros(len(dd), bool)
            exact[1:] = (gid[dd][1:] == gid[dd][:-1]) & (v[dd][1:] == v[dd][:-1])
            # Remember which row each copy duplicates (the first row of its run of equal values).
            first_of = dd.copy()
            run_start = np.flatnonzero(~exact)
            run_id = np.cumsum(~exact) - 1
            first_of = dd[run_start][run_id]
            code[dd[exact]] = DUPLICATE
            for r, f in zip(rows[dd[exact]], rows[first_of[exact]]):
                details[int(r)] = f"@dup:{int(f)}"
            ndist = np.bincount(gid[dd[~exact]], minlength=int(gid[-1]) + 1)[gid]
            live = in_grp & (code == OK)
            code[live & (ndist >= cfg.frozen_clock_min)] = FROZEN
            code[live & (ndist >= 2) & (ndist < cfg.frozen_clock_min)] = CONFLICT
            for i in np.flatnonzero(live & (ndist >= 2)):
                details[int(rows[i])] = f"@n:{int(ndist[i])}"
    ok = code == OK
    # ---- impossible values for the unit.
    si = np.asarray(to_si(v, sensor.unit), dtype=float)
    lo, hi = PLAUSIBLE_SI.get(sensor.quantity, (-np.inf, np.inf))
    if len(si) and lo <= si.min() and si.max() <= hi:  # two reductions instead of four passes and masks
        impossible = np.zeros(n, bool)
    else:
        impossible = ok & ((si < lo) | (si > hi))
    for i in np.flatnonzero(impossible)[:10000]:
        g = guess_unit(float(v[i]), sensor.quantity, sensor.unit)
        details[int(rows[i])] = (f"value {_fmt(v[i])} {sensor.unit} ({_fmt(si[i])} SI) is impossible for "
                                 f"{sensor.quantity}" + (f": probably {g}" if g else ""))
    if impossible.any():
        code[impossible] = IMPOSSIBLE
        ok &= ~impossible
    all_ok = bool(ok.all())
    if ok.any() and sensor.quantity == "pressure" and module_kind != "airlock":
        vo = v if all_ok else v[ok]
        med = float(np.median(vo[:: max(1, len(vo) // 4096)]))  # a subsample is plenty for a unit check
        med_si = float(to_si(med, sensor.unit))
        if not (0.3 * hi < med_si <= hi):
            g = guess_unit(med, sensor.quantity, sensor.unit)
            if g is not None:
                # The whole channel reads like another unit: every sample that reads right in it is wrong.
                wrong = ok & (np.asarray(to_si(v, g)) > 0.3 * hi) & (np.asarray(to_si(v, g)) <= hi)
                msg = (f"values (median {_fmt(med)} {sensor.unit} = {_fmt(med_si)} Pa) are impossible for cabin "
                       f"{sensor.quantity} in {sensor.unit}: probably {g}")
                for r in rows[wrong]:
                    details[int(r)] = msg
                code[wrong] = IMPOSSIBLE
                ok &= ~wrong
                all_ok = bool(ok.all())
                trusted, reason = False, f"unit: {msg}"
    # ---- spikes (robust, on the remaining samples).
    idx = None if all_ok else np.flatnonzero(ok)  # None: every sample (identity)
    if (n if idx is None else len(idx)) >= 5:
        x = v if idx is None else v[idx]
        floor = max(sensor.noise_std, sensor.resolution, min_step(x), 1e-12 * max(1.0, abs(float(x[len(x) // 2]))))
        d = np.subtract(x[1:], x[:-1])
        np.abs(d, out=d)
        # Robust noise scale per block: 1.4826 x median |first difference| / sqrt(2), floored by the sensor.
        block = cfg.spike_block
        scale_b = np.maximum(block_medians(d, block) * (1.4826 / math.sqrt(2.0)), floor)
        thr_b = cfg.spike_k * scale_b
        # Screen: a sample farther than the limit from its 5-sample median differs by more than the limit
        # from at least one immediate neighbour (3 of its 4 neighbours lie beyond the median). So only
        # samples with a large step on either side need the median.
        # (sample i has a large step when d[i-1] or d[i] exceeds the smallest limit; no n-sized step array)
        big = np.flatnonzero(d > thr_b.min())
        cand = np.union1d(big, big + 1) if len(big) else big
        if len(cand):
            med_c = median5_at(x, cand)
            res_c = np.abs(x[cand] - med_c)
            thr_c = thr_b[np.minimum(cand // block, len(thr_b) - 1)]
            hit = res_c > thr_c
            for j, m_, r_, th in zip(cand[hit][:10000], med_c[hit], res_c[hit], thr_c[hit]):
                i = j if idx is None else idx[j]
                g = _unit_slip(x[j], m_, sensor)
                if g is not None:
                    code[i] = IMPOSSIBLE
                    details[int(rows[i])] = (f"value {_fmt(x[j])} {sensor.unit} is impossible beside its neighbours "
                                             f"(median {_fmt(m_)} {sensor.unit}): probably {g}")
                else:
                    code[i] = SPIKE
                    details[int(rows[i])] = (f"spike: {_fmt(x[j])} {sensor.unit} is {_fmt(r_)} {sensor.unit} from "
                                             f"the local median {_fmt(m_)} (limit {_fmt(th)})")
            sp_i = cand[hit] if idx is None else idx[cand[hit]]
            if len(sp_i):
                code[sp_i] = np.where(code[sp_i] == OK, SPIKE, code[sp_i])
                ok = code == OK
                all_ok = bool(ok.all())
    if all_ok:
        at, av, arows, asi = t, v, rows, si
    elif compact:
        at, av, arows, asi = t[ok], v[ok], rows[ok], si[ok]
    else:
        at, av, arows, asi = t[ok], v[ok], rows, si
    # ---- stuck sensor (samples kept, channel untrusted).
    if trusted and len(av) >= cfg.stuck_min_samples:
        res_ = max(sensor.resolution, min_step(av))
        sigma = sensor.noise_std
        if sigma <= 0:
            notes.append("noise_std not given: stuck-sensor check skipped")
        elif res_ > 0 and sigma < res_:
            # a quantized sensor (resolution above its noise) repeats one reading for as long as the signal
            # moves less than one step: repeats are no evidence of a stuck sensor (the zone vote of the detector
            # still compares the channel with the others)
            notes.append("noise below the resolution: repeated readings are expected while the signal moves less "
                         "than one step; stuck-sensor check skipped")
        else:
            p_same = min(0.9, res_ / (2.0 * math.sqrt(math.pi) * sigma)) if res_ > 0 else 0.0
            n_min = cfg.stuck_min_samples
            if p_same > 0:
                n_min = max(n_min, 1 + math.ceil(math.log(cfg.stuck_false_alarm) / math.log(p_same)))
            eq = av[1:] == av[:-1]
            if eq.any():
                # Runs of equal consecutive values: lengths in samples.
                edges = np.diff(np.concatenate(([0], eq.astype(np.int8), [0])))
                starts = np.flatnonzero(edges == 1)
                ends = np.flatnonzero(edges == -1)  # run covers samples starts..ends (inclusive)
                length = ends - starts + 1
                sel = np.flatnonzero(length >= n_min)
                n_min = max(n_min, own_run_limit(eq, length[sel], cfg.stuck_false_alarm))
                # durations only of the runs long enough in samples (few): same verdict, less memory
                sel = np.flatnonzero(length >= n_min)
                dur_sel = (at[ends[sel]] - at[starts[sel]]) / 1e9
                bad = dur_sel >= cfg.stuck_min_duration_s
                if bad.any():
                    kk = int(np.argmax(np.where(bad, dur_sel, -1.0)))
                    k, dur_k = int(sel[kk]), dur_sel[kk]
                    s0, s1 = pd.Timestamp(int(at[starts[k]]), tz="UTC"), pd.Timestamp(int(at[ends[k]]), tz="UTC")
                    trusted = False
                    reason = (f"stuck at {_fmt(av[starts[k]])} {sensor.unit} for {_fmt(dur_k)} s "
                              f"({int(length[k])} samples, {s0.isoformat()} to {s1.isoformat()}); with noise "
                              f"{_fmt(sigma)} {sensor.unit} it should change "
                              f"({int(bad.sum())} stuck run(s), longest shown)")
    # ---- gaps.
    gaps: list = []
    median_dt = float("nan")
    if len(at) >= 3:
        dt = np.diff(at)
        median_dt = float(np.median(dt[:: max(1, len(dt) // 8192)])) / 1e9
        thr = max(cfg.gap_factor * median_dt, cfg.gap_min_s)
        g = np.flatnonzero(dt > thr * 1e9)
        gaps = list(zip(at[g], at[g + 1]))
    q = np.flatnonzero(~ok) if not all_ok else np.empty(0, np.int64)
    return ChannelResult(t=at, si=asi, rows=arows, q_rows=rows[q], q_codes=code[q], details=details,
                          ooo_rows=ooo_rows, trusted=trusted, reason=reason, notes=notes, gaps=gaps,
                          median_dt_s=median_dt, n_accepted=-1 if compact else int(len(at)))


def own_run_limit(eq: np.ndarray, candidate_lengths: np.ndarray, false_alarm: float) -> int:
    """Shortest run [samples] called stuck by the channel's OWN repeat rate (0: the declared rule alone).

    The declared noise sigma gives the chance that two readings repeat, p = r / (2 sqrt(pi) sigma). A sensor
    quieter than declared, or a quantized signal that moves slowly (a cabin thermometer at 0.1 degC in a
    controlled module), repeats far more often, and its healthy runs outgrow the declared limit (issue 16,
    quantization; on the fifth generator, tests/generators/fifthgen.py, runs of 20-70 readings called "stuck").
    The repeat rate is measured on the channel's pairs OUTSIDE the candidate runs, so a stuck stretch cannot vouch
    for itself. Its noise, read back through the same formula, sigma = r / (2 sqrt(pi) p): below half a step
    (p > 1/sqrt(pi)) the channel is quantized and repeats say nothing (no run is called stuck, as for a channel
    declared below its resolution; the detector's zone vote still compares it with the others); otherwise a run
    must be unlikely at that rate too, p^(N-1) < ``false_alarm``. Needs >= 50 such pairs.
    """
    n_pairs = len(eq) - int((candidate_lengths - 1).sum())
    if n_pairs < 50:
        return 0
    p_own = (int(eq.sum()) - int((candidate_lengths - 1).sum())) / n_pairs
    if p_own <= 0.0:
        return 0
    if p_own > 1.0 / math.sqrt(math.pi):
        return len(eq) + 2
    return 1 + math.ceil(math.log(false_alarm) / math.log(p_own))

