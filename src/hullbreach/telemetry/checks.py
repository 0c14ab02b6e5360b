"""Data checks on raw telemetry: nothing is lost, nothing is hidden.

:func:`check_samples` takes a raw long table (``time, channel, value``; value in the sensor's unit, as in
the files) and returns a :class:`~hullbreach.telemetry.frame.TelemetryFrame`: accepted samples in SI, and
every other input sample in ``quarantined`` with the reason and where it came from (``file:line``).
Every input row ends up in exactly one of the two tables (an exact duplicate's copy is quarantined as
``duplicate``), so ``len(data) + len(quarantined) == len(raw)`` always holds.

What is checked, and what happens (lenient = default; strict = raise :class:`TelemetryError` at the first
problem, naming file, line, channel and what to do):

=====================  ==============================================  ==================================
check                  lenient                                         strict
=====================  ==============================================  ==================================
unknown channel        quarantine (``unknown_channel``), channel       error
                       reported untrusted
unreadable time        quarantine (``bad_time``)                       error
time without a zone    read as UTC, **accepted**, counted              error
                       (``naive_time``) and warned
missing value (NaN)    quarantine (``missing``)                        error
infinite value         quarantine (``infinite``)                       error
unreadable value       quarantine (``bad_value``)                      error
exact duplicate        keep the first, quarantine the copy             error
                       (``duplicate``)
conflicting duplicate  quarantine all samples of that time and         error
(same time, other      channel (``conflict``)
value)
frozen clock           >= ``frozen_clock_min`` different values of one error
                       channel stamped with one time: quarantine all
                       (``frozen_clock``)
out of order           sorted, **accepted**, counted (``out_of_order``) error
impossible for unit    outside the physical range of the quantity, or  error
                       a value that reads right in another unit
                       ("probably psi"): quarantine (``impossible``);
                       a whole channel in the wrong unit is also
                       reported untrusted
spike                  robust median-of-5 / block MAD test:            error
                       quarantine (``spike``)
stuck sensor           value identical for longer than the declared    same as lenient (a sensor
                       noise and resolution allow: samples **kept**,   verdict, not a file error)
                       channel reported untrusted
gap                    reported per channel and in ``gaps``; never an  same as lenient
                       error
=====================  ==============================================  ==================================

Everything is vectorised (numpy/pandas); the only Python loops are over channels and over quarantined
rows when their reasons are written.

Shared with the other telemetry modules under public names (the wide-table path, the readers, the
stream): :func:`run_checks` (all checks of a long table), :func:`check_channel` (one channel),
:func:`quarantine_table`, :func:`summarise`, :data:`HINTS`, the reason codes and :data:`REASON_NAMES`;
parsing helpers come from :mod:`hullbreach.telemetry.parse`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.frame import (
    ChannelReport,
    TelemetryFrame,
    empty_gaps,
    empty_quarantine,
)
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig  # noqa: F401 (re-exported)
from hullbreach.telemetry.parse import (  # noqa: F401 (re-exported for the stream: parse_times, parse_values, ...)
    NAT_NS,
    channel_codes,
    format_ns,
    parse_times,
    parse_values,
    unix_to_ns,
    utc_times,
)
from hullbreach.units import PLAUSIBLE_SI, guess_unit, to_si

# Reason codes (int8). 0 = accepted.
OK = 0
READER = 1
UNKNOWN = 2
BAD_TIME = 3
MISSING = 4
INFINITE = 5
BAD_VALUE = 6
DUPLICATE = 7
CONFLICT = 8
FROZEN = 9
IMPOSSIBLE = 10
SPIKE = 11
LATE = 12

#: Short names of the reasons, used as keys of ``TelemetryFrame.counts``.
REASON_NAMES = {READER: "malformed", UNKNOWN: "unknown_channel", BAD_TIME: "bad_time", MISSING: "missing",
                INFINITE: "infinite", BAD_VALUE: "bad_value", DUPLICATE: "duplicate", CONFLICT: "conflict",
                FROZEN: "frozen_clock", IMPOSSIBLE: "impossible", SPIKE: "spike", LATE: "late"}

#: Reader-supplied reasons starting with these words are counted under the matching check.
_READER_PREFIX = (("unreadable time", BAD_TIME), ("unreadable value", BAD_VALUE), ("late", LATE))

HINTS = {
    READER: "fix the row so it has the columns of the header",
    UNKNOWN: "add a [[sensor]] with this id to the station file, or drop the channel; lenient mode "
             "quarantines its samples",
    BAD_TIME: "write times as ISO 8601 with a zone (2018-08-29T23:00:00Z) or as UNIX seconds",
    "naive": "add a zone (Z or +00:00) to the times; lenient mode reads zone-less times as UTC and counts them",
    MISSING: "remove the row or fill in the value; lenient mode quarantines it",
    INFINITE: "remove the row; lenient mode quarantines it",
    BAD_VALUE: "write the value as a plain number in the sensor's unit",
    DUPLICATE: "remove the repeated row; lenient mode keeps one copy",
    CONFLICT: "two different values cannot share one time: check the recorder; lenient mode quarantines both",
    FROZEN: "the recorder's clock stopped: check it; lenient mode quarantines these samples",
    "ooo": "sort the file by time; lenient mode sorts it and counts the samples",
    IMPOSSIBLE: "check the sensor's unit in the station file or convert the data; lenient mode quarantines it",
    SPIKE: "check the sensor; lenient mode quarantines the spike",
    LATE: "the sample arrived later than the reorder window allows; widen reorder_window_s if this is normal",
}


# ------------------------------------------------------------------------------------------ per channel
def _median5(x: np.ndarray) -> np.ndarray:
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


def _block_medians(a: np.ndarray, block: int, sub: int = 128) -> np.ndarray:
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


def _median5_at(x: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 5-sample running median of ``x`` (reflected at the ends) at indices ``at`` only."""
    n = len(x)
    j = at[:, None] + np.arange(-2, 3)[None, :]
    j = np.abs(j)                                  # reflect at the start
    j = np.where(j > n - 1, 2 * (n - 1) - j, j)    # reflect at the end
    return np.median(x[j], axis=1)


def _min_step(v: np.ndarray, head: int = 65536) -> float:
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
class _ChannelResult:
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
                   increasing: bool = False, compact: bool = True) -> _ChannelResult:
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
        floor = max(sensor.noise_std, sensor.resolution, _min_step(x), 1e-12 * max(1.0, abs(float(x[len(x) // 2]))))
        d = np.subtract(x[1:], x[:-1])
        np.abs(d, out=d)
        # Robust noise scale per block: 1.4826 x median |first difference| / sqrt(2), floored by the sensor.
        block = cfg.spike_block
        scale_b = np.maximum(_block_medians(d, block) * (1.4826 / math.sqrt(2.0)), floor)
        thr_b = cfg.spike_k * scale_b
        # Screen: a sample farther than the limit from its 5-sample median differs by more than the limit
        # from at least one immediate neighbour (3 of its 4 neighbours lie beyond the median). So only
        # samples with a large step on either side need the median.
        # (sample i has a large step when d[i-1] or d[i] exceeds the smallest limit; no n-sized step array)
        big = np.flatnonzero(d > thr_b.min())
        cand = np.union1d(big, big + 1) if len(big) else big
        if len(cand):
            med_c = _median5_at(x, cand)
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
        res_ = max(sensor.resolution, _min_step(av))
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
                n_min = max(n_min, _own_run_limit(eq, length[sel], cfg.stuck_false_alarm))
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
    return _ChannelResult(t=at, si=asi, rows=arows, q_rows=rows[q], q_codes=code[q], details=details,
                          ooo_rows=ooo_rows, trusted=trusted, reason=reason, notes=notes, gaps=gaps,
                          median_dt_s=median_dt, n_accepted=-1 if compact else int(len(at)))


def _own_run_limit(eq: np.ndarray, candidate_lengths: np.ndarray, false_alarm: float) -> int:
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


def run_checks(raw: pd.DataFrame, station, cfg: CheckConfig, source: str, lines, files, line_label: str):
    """All checks; returns a namespace with per-row codes, parsed columns, per-channel results and helpers."""
    raw = raw.reset_index(drop=True)
    n = len(raw)
    lines_arr = np.arange(1, n + 1, dtype=np.int64) if lines is None else np.asarray(lines, dtype=np.int64)
    code = np.zeros(n, np.int8)
    details: dict[int, str] = {}
    if "reason" in raw.columns:
        rr = raw["reason"]
        has = rr.notna().to_numpy(dtype=bool) & (rr.astype("str").str.len() > 0).to_numpy(dtype=bool, na_value=False)
        for i in np.flatnonzero(has):
            text = str(rr.iloc[i])
            details[int(i)] = text
            code[i] = next((c for pre, c in _READER_PREFIX if text.startswith(pre)), READER)

    # ---- channels
    sensor_ids = sorted(station.sensors)
    ccode = channel_codes(raw["channel"], sensor_ids)
    unknown = (ccode < 0) & (code == OK)
    code[unknown] = UNKNOWN
    # ---- times
    t_ns, bad_time, naive = parse_times(raw["time"], cfg)
    bt = bad_time & (code == OK)
    code[bt] = BAD_TIME
    # ---- values
    v, missing, infinite, unreadable = parse_values(raw["value"])
    for c, m in ((MISSING, missing), (INFINITE, infinite), (BAD_VALUE, unreadable)):
        code[m & (code == OK)] = c
    if "naive_time" in raw.columns:
        naive |= raw["naive_time"].fillna(False).to_numpy(dtype=bool)
    naive &= code == OK

    # ---- per channel
    cand = np.flatnonzero(code == OK)
    cc = ccode[cand]
    per = np.bincount(cc, minlength=len(sensor_ids)) if len(cc) else np.zeros(len(sensor_ids), np.int64)
    ks = np.flatnonzero(per)
    cuts = np.flatnonzero(cc[1:] != cc[:-1]) + 1 if len(cc) > 1 else np.empty(0, np.int64)
    if len(cuts) + 1 == len(ks) or len(cc) < 2:
        # channel-major input (wide files): one contiguous run per channel, no search
        bounds = np.r_[0, cuts, len(cc)]
        groups = {int(cc[bounds[i]]): cand[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1) if bounds[i] < len(cc)}
    elif len(ks) <= 32:
        groups = {k: cand[cc == k] for k in ks}
    else:
        o = np.argsort(cc, kind="stable")
        bounds = np.r_[0, np.cumsum(per[ks])]
        groups = {k: cand[o[bounds[i]:bounds[i + 1]]] for i, k in enumerate(ks)}
    results: dict[str, _ChannelResult] = {}
    ooo_all = []
    for k, rws in groups.items():
        sid = sensor_ids[int(k)]
        sensor = station.sensors[sid]
        mod = station.modules.get(sensor.module)
        res = check_channel(t_ns[rws], v[rws], rws, sensor, cfg, getattr(mod, "kind", "") or "")
        results[sid] = res
        code[res.q_rows] = res.q_codes
        details.update(res.details)
        ooo_all.append(res.ooo_rows)
    ooo_rows = np.concatenate(ooo_all) if ooo_all else np.empty(0, np.int64)
    # Out of order is counted among accepted samples; the others are counted under their own reason.
    ooo_rows = ooo_rows[code[ooo_rows] == OK]

    def where(i: int) -> str:
        f = source if files is None else str(files[i])
        return f"{f}:{line_label}{int(lines_arr[i])}"

    def reason_text(i: int, c: int) -> str:
        d = details.get(i, "")
        ch = raw["channel"].iloc[i]
        if c == UNKNOWN:
            return f"unknown channel {ch!r}: not a sensor of station {station.name!r}"
        if c in (BAD_TIME, BAD_VALUE, LATE, READER) and d:
            return d
        if c == BAD_TIME:
            txt = str(raw["time"].iloc[i])
            hint = ""
            try:
                x = float(txt)
                if 1e11 < abs(x) < 1e14:
                    hint = " (looks like milliseconds; UNIX times are in seconds)"
            except ValueError:
                pass
            return f"unreadable time {txt!r}{hint}"
        if c == MISSING:
            return "missing value (NaN or empty)"
        if c == INFINITE:
            return f"infinite value {raw['value'].iloc[i]!r}"
        if c == BAD_VALUE:
            return f"unreadable value {str(raw['value'].iloc[i])!r}"
        if c == DUPLICATE:
            first = int(d.split(":")[1]) if d.startswith("@dup:") else -1
            return f"duplicate of {where(first)}" if first >= 0 else "duplicate"
        if c == CONFLICT:
            nn = d.split(":")[1] if d.startswith("@n:") else "2"
            return f"conflicting duplicate: {nn} different values at {format_ns(t_ns[i])}"
        if c == FROZEN:
            nn = d.split(":")[1] if d.startswith("@n:") else "?"
            return f"frozen clock: {nn} different values stamped {format_ns(t_ns[i])}"
        return d or REASON_NAMES.get(c, "rejected")

    return SimpleNamespace(raw=raw, n=n, lines_arr=lines_arr, code=code, details=details, ccode=ccode,
                           sensor_ids=sensor_ids, t_ns=t_ns, v=v, naive=naive, results=results, ooo_rows=ooo_rows,
                           where=where, reason_text=reason_text, source=source, files=files, line_label=line_label)


def quarantine_table(ck, q_idx: np.ndarray) -> pd.DataFrame:
    """Quarantine rows ``q_idx`` of a checked table as a quarantine DataFrame (in the given order)."""
    if not len(q_idx):
        return empty_quarantine()
    code, lines_arr, t_ns, v, raw = ck.code, ck.lines_arr, ck.t_ns, ck.v, ck.raw
    files, source, line_label = ck.files, ck.source, ck.line_label
    qc = code[q_idx]
    reasons = [ck.reason_text(int(i), int(c)) for i, c in zip(q_idx, qc)]
    if files is None:
        srcs = (source + ":" + line_label) + pd.Series(lines_arr[q_idx]).astype(str)
    else:
        srcs = pd.Series(np.asarray(files)[q_idx]).astype(str) + ":" + line_label + \
            pd.Series(lines_arr[q_idx]).astype(str)
    qt = t_ns[q_idx]
    quarantined = pd.DataFrame({
        "time": pd.Series(pd.to_datetime(qt, unit="ns", utc=True)).where(qt != NAT_NS),
        "channel": pd.Series(raw["channel"].iloc[q_idx].astype(object).to_numpy(), dtype=object),
        "value": v[q_idx],
        "reason": pd.Series(reasons, dtype=object),
        "source": pd.Series(srcs.to_numpy(dtype=object), dtype=object),
    })
    quarantined["time"] = quarantined["time"].astype("datetime64[ns, UTC]")
    return quarantined


# ------------------------------------------------------------------------------------------ main entry
def check_samples(raw: pd.DataFrame, station, *, strict: bool = False, source: str = "<data>",
                  lines=None, files=None, line_label: str = "", config: CheckConfig | None = None,
                  lines_are_times: bool = False) -> TelemetryFrame:
    """Check raw telemetry and convert the accepted samples to SI.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns ``time`` (ISO 8601 text, UNIX seconds [s], or datetime64), ``channel`` (sensor id) and
        ``value`` (number or text, in the sensor's unit from the station file). Optional columns:
        ``reason`` (text) marks rows a reader already found malformed (they are quarantined as they are);
        ``naive_time`` (bool) marks times that were written without a zone (readers of wide files parse
        the time once and pass datetimes).
    station : hullbreach.station.Station
        Gives each channel's module, quantity, unit, noise_std and resolution.
    strict : bool
        Raise :class:`~hullbreach.errors.TelemetryError` at the first problem (lowest line) instead of
        quarantining; the message names file, line, channel and what to do.
    source : str
        File name used in messages and in the quarantine's ``source`` column.
    lines : array of int, optional
        1-based line (or row) number of each raw row in its file; default: the row number + 1.
    files : array of str, optional
        File of each raw row when the rows come from several files (ISS Live folders); default ``source``.
    line_label : str
        Written before the number in locations, e.g. ``"row "`` for Parquet (``data.parquet:row 12``).
    config : CheckConfig, optional
        Thresholds; default :data:`DEFAULT_CONFIG`.
    lines_are_times : bool
        Set by readers of wide files whose time column strictly increases: each line holds one time, so
        the output order is (line, channel) and needs no sort.

    Returns
    -------
    TelemetryFrame
        ``data`` (time UTC, channel as a categorical of sensor ids, value in SI [Pa, K]) sorted by time then
        channel; ``quarantined`` (raw value in the sensor's unit, reason, ``file:line``) in file order;
        per-channel :class:`ChannelReport`; ``counts``; ``warnings``; ``gaps``.
    """
    cfg = config or DEFAULT_CONFIG
    for col in ("time", "channel", "value"):
        if col not in raw.columns:
            raise TelemetryError(f"telemetry table has no column {col!r} (columns: {', '.join(map(str, raw.columns))})",
                                 source=source, hint="a long table needs the columns time, channel, value")
    ck = run_checks(raw, station, cfg, source, lines, files, line_label)
    raw, n, lines_arr, code, naive, ooo_rows = ck.raw, ck.n, ck.lines_arr, ck.code, ck.naive, ck.ooo_rows
    t_ns, ccode, sensor_ids, results, where, reason_text = ck.t_ns, ck.ccode, ck.sensor_ids, ck.results, ck.where, \
        ck.reason_text
    q_idx = np.flatnonzero(code != OK)
    if len(q_idx) and lines is not None:
        q_idx = q_idx[np.lexsort((q_idx, lines_arr[q_idx]))]  # file order (wide files are read column by column)

    # ---- strict: raise at the first problem (lowest line)
    if strict:
        probs = []
        if len(q_idx):
            probs.append((q_idx, "q"))
        if naive.any():
            probs.append((np.flatnonzero(naive), "naive"))
        if len(ooo_rows):
            probs.append((ooo_rows, "ooo"))
        if probs:
            allrows = np.concatenate([p[0] for p in probs])
            total = len(np.unique(allrows))
            first = int(allrows[np.argmin(lines_arr[allrows] * (n + 1) + allrows)])
            ch = raw["channel"].iloc[first]
            if code[first] != OK:
                msg, hint = reason_text(first, int(code[first])), HINTS.get(int(code[first]))
            elif naive[first]:
                msg, hint = f"time {str(raw['time'].iloc[first])!r} has no time zone", HINTS["naive"]
            else:
                msg, hint = f"time {format_ns(t_ns[first])} is earlier than a previous sample of this channel", HINTS["ooo"]
            more = f"; {total - 1} more problem(s) in this file" if total > 1 else ""
            raise TelemetryError(f"channel {ch}: {msg}{more}", hint=hint, source=where(first))

    # ---- quarantine table (file order)
    quarantined = quarantine_table(ck, q_idx)

    # ---- accepted data, sorted by time then channel
    present = sorted(results)
    data = _assemble(results, present, ck, lines_are_times)

    # ---- reports, counts, warnings
    n_naive = int(naive.sum())
    naive_by_ch = np.bincount(ccode[naive], minlength=len(sensor_ids)) if n_naive else None
    qch = raw["channel"].iloc[q_idx].astype("str") if len(q_idx) else pd.Series([], dtype=object)
    channels, counts, warnings, gaps = summarise(
        results, present, station, q_codes=code[q_idx],
        q_channel_counts=list(qch.value_counts().items()) if len(q_idx) else [],
        naive_counts={sid: int(naive_by_ch[sensor_ids.index(sid)]) for sid in present} if n_naive else {},
        n_naive=n_naive, naive_where=where(int(np.flatnonzero(naive)[0])) if n_naive else "",
        ooo_counts={sid: int(np.count_nonzero(code[results[sid].ooo_rows] == OK)) for sid in present},
        n_ooo=int(len(ooo_rows)),
        ooo_where=where(int(ooo_rows[np.argmin(lines_arr[ooo_rows])])) if len(ooo_rows) else "")
    return TelemetryFrame(data=data, quarantined=quarantined, channels=channels, source=source,
                          counts=counts, warnings=tuple(warnings), gaps=gaps)


def summarise(results: dict, present: list[str], station, *, q_codes: np.ndarray, q_channel_counts: list,
               naive_counts: dict, n_naive: int, naive_where: str, ooo_counts: dict, n_ooo: int, ooo_where: str):
    """Channel reports, counts, warnings and the gap table from per-channel results.

    ``q_codes`` are the reason codes of all quarantined samples; ``q_channel_counts`` lists
    ``(channel, number quarantined)`` (most first); ``naive_counts`` / ``ooo_counts`` give per channel the
    accepted-candidate samples with zone-less times / out of order; ``*_where`` locate the first of each.
    Returns ``(channels, counts, warnings, gaps)``.
    """
    counts: dict[str, int] = {}
    if len(q_codes):
        cs, ns_ = np.unique(q_codes, return_counts=True)
        counts.update({REASON_NAMES[int(c)]: int(m) for c, m in zip(cs, ns_)})
    if n_naive:
        counts["naive_time"] = n_naive
    if n_ooo:
        counts["out_of_order"] = n_ooo
    channels: dict[str, ChannelReport] = {}
    gap_rows = []
    for sid in present:
        r = results[sid]
        for s0, s1 in r.gaps:
            gap_rows.append((sid, s0, s1, (s1 - s0) / 1e9))
        channels[sid] = ChannelReport(
            channel=sid, accepted=int(len(r.rows)) if r.n_accepted < 0 else r.n_accepted,
            quarantined=int(len(r.q_rows)), trusted=r.trusted,
            reason=r.reason, out_of_order=ooo_counts.get(sid, 0),
            naive_times=naive_counts.get(sid, 0),
            gaps=len(r.gaps), max_gap_s=float(max((g[3] for g in gap_rows if g[0] == sid), default=0.0)),
            median_dt_s=r.median_dt_s, notes=tuple(r.notes))
    # Channels with no accepted candidates at all (all rows bad before the channel pass), and unknown ones.
    for name, m in q_channel_counts:
        if name in channels:
            continue
        known = name in station.sensors
        channels[name] = ChannelReport(
            channel=name, accepted=0, quarantined=int(m), trusted=False,
            reason="no usable sample" if known else f"not a sensor of station {station.name!r}", declared=known)
    # quarantined counts for channels that have a report but lost rows before the channel pass
    for name, m in q_channel_counts:
        rep = channels[name]
        if rep.quarantined != int(m):
            channels[name] = _replace(rep, quarantined=int(m))
    stuck = [c for c, r in channels.items() if not r.trusted and r.reason.startswith("stuck")]
    if stuck:
        counts["stuck_channels"] = len(stuck)
    gaps = (pd.DataFrame(gap_rows, columns=["channel", "start", "end", "duration_s"]) if gap_rows else empty_gaps())
    if gap_rows:
        gaps["start"] = pd.to_datetime(gaps["start"].to_numpy(np.int64), unit="ns", utc=True)
        gaps["end"] = pd.to_datetime(gaps["end"].to_numpy(np.int64), unit="ns", utc=True)
        counts["gaps"] = len(gap_rows)
    warnings = []
    if n_naive:
        warnings.append(f"{n_naive} time(s) had no zone and were read as UTC (first at {naive_where})")
    if n_ooo:
        warnings.append(f"{n_ooo} sample(s) were out of time order and were sorted (first at {ooo_where})")
    for c in stuck:
        warnings.append(f"channel {c} {channels[c].reason}")
    for c, r in channels.items():
        if not r.trusted and r.reason.startswith("unit"):
            warnings.append(f"channel {c}: {r.reason}")
    return channels, counts, warnings, gaps


def _replace(rep: ChannelReport, **kw) -> ChannelReport:
    from dataclasses import replace
    return replace(rep, **kw)


def _assemble(results: dict, present: list[str], ck=None, lines_are_times: bool = False) -> pd.DataFrame:
    """Accepted samples of every channel, sorted by time then channel.

    Avoids a full sort where it can: input already in (time, channel) order (long files) is kept in input
    order; wide files with increasing times are laid out as a (line x channel) grid; otherwise a stable
    argsort on a combined (time, channel) key merges the per-channel runs.
    """
    if not present:
        return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]"),
                             "channel": pd.Categorical([], categories=[]),
                             "value": pd.Series([], dtype=float)})
    nch = len(present)
    if ck is not None and lines_are_times:
        # Wide input: one time per line, lines in time order. Lay the samples out as (channel x line),
        # then read the grid line by line: (time, channel) order with no sort.
        ln_all = ck.lines_arr
        l0 = int(ln_all.min()) if len(ln_all) else 0
        nl = int(ln_all.max()) - l0 + 1 if len(ln_all) else 0
        grid_v = np.empty((nch, nl))
        grid_m = np.zeros((nch, nl), bool)
        grid_t = np.zeros(nl, np.int64)
        for j, sid in enumerate(present):
            r = results[sid]
            pos = ln_all[r.rows] - l0
            if len(pos) == nl:  # every line has a sample of this channel (pos is 0..nl-1 in order)
                grid_v[j] = r.si
                grid_m[j] = True
                grid_t[:] = r.t
            else:
                grid_v[j, pos] = r.si
                grid_m[j, pos] = True
                grid_t[pos] = r.t
        m = np.ascontiguousarray(grid_m.T).ravel()
        idx = np.flatnonzero(m)
        vals = np.ascontiguousarray(grid_v.T).ravel()[idx]
        line_i, chan_i = np.divmod(idx, nch)
        return _frame(grid_t[line_i], chan_i.astype(np.int32), vals, present)
    if ck is not None:
        sid_index = {sid: i for i, sid in enumerate(ck.sensor_ids)}
        remap = np.full(len(ck.sensor_ids), -1, dtype=np.int32)
        for j, sid in enumerate(present):
            remap[sid_index[sid]] = j
        acc = np.zeros(ck.n, bool)
        si_row = np.empty(ck.n)
        for r in results.values():
            acc[r.rows] = True
            si_row[r.rows] = r.si
        rows = np.flatnonzero(acc)
        t = ck.t_ns[rows]
        c = remap[ck.ccode[rows]]
        if len(rows) < 2 or bool(np.all((t[1:] > t[:-1]) | ((t[1:] == t[:-1]) & (c[1:] > c[:-1])))):
            return _frame(t, c, si_row[rows], present)
    ts = [results[c].t for c in present]
    vs = [results[c].si for c in present]
    lens = [len(t) for t in ts]
    t_all = np.concatenate(ts)
    v_all = np.concatenate(vs)
    c_all = np.repeat(np.arange(nch, dtype=np.int32), lens)
    if len(t_all):
        t0, t1 = int(t_all.min()), int(t_all.max())
        if (t1 - t0) < (2**62) // max(nch, 1):
            order = np.argsort((t_all - t0) * nch + c_all, kind="stable")
        else:
            order = np.lexsort((c_all, t_all))
    else:
        order = np.empty(0, np.int64)
    return _frame(t_all[order], c_all[order], v_all[order], present)


def _frame(t: np.ndarray, codes: np.ndarray, values: np.ndarray, present: list[str]) -> pd.DataFrame:
    return pd.DataFrame({
        "time": utc_times(t),
        "channel": pd.Categorical.from_codes(codes, categories=present),
        "value": values,
    }, copy=False)

