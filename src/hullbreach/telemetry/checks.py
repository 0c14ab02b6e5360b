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
:func:`quarantine_table`, :func:`summarise`; the per-channel checks live in :mod:`hullbreach.telemetry.channel`,
the reason codes, :data:`REASON_NAMES` and :data:`HINTS` in :mod:`hullbreach.telemetry.reasons` (re-exported
here), parsing helpers in :mod:`hullbreach.telemetry.parse`.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.channel import ChannelResult, check_channel  # noqa: F401 (re-exported)
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig  # noqa: F401 (re-exported)
from hullbreach.telemetry.frame import (
    ChannelReport,
    TelemetryFrame,
    empty_gaps,
    empty_quarantine,
)
from hullbreach.telemetry.parse import (  # noqa: F401 (re-exported for the stream: parse_times, parse_values, ...)
    NAT_NS,
    channel_codes,
    format_ns,
    parse_times,
    parse_values,
    unix_to_ns,
    utc_times,
)
from hullbreach.telemetry.reasons import (  # noqa: F401 (re-exported: the stream and the wide path use them)
    BAD_TIME,
    BAD_VALUE,
    CONFLICT,
    DUPLICATE,
    FROZEN,
    HINTS,
    IMPOSSIBLE,
    INFINITE,
    LATE,
    MISSING,
    OK,
    READER,
    READER_PREFIX,
    REASON_NAMES,
    SPIKE,
    UNKNOWN,
)


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
            code[i] = next((c for pre, c in READER_PREFIX if text.startswith(pre)), READER)

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
    results: dict[str, ChannelResult] = {}
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

