"""Streaming data checks: feed batches of raw samples as they arrive, get the newly accepted samples.

:class:`TelemetryStream` runs the same checks as :func:`~hullbreach.telemetry.checks.check_samples` across
batch boundaries. It keeps, per channel, a context of recently accepted samples (at least
``context_samples`` and at least ``context_s`` seconds, and the whole reorder window), so that duplicates,
out-of-order samples, spikes and stuck sensors are judged as in a batch file:

* **Spikes** need neighbours on both sides (median of 5): the last two samples of each channel are held
  back (``n_pending``) until later samples arrive, then decided; :meth:`TelemetryStream.flush` decides
  them at the end of the data. Acceptance therefore lags by two samples per channel.
* **Out of order**: a sample older than the channel's newest accepted sample is accepted (and counted as
  ``out_of_order``) when it is at most ``reorder_window_s`` older; otherwise it is quarantined as ``late``.
* **Duplicates**: an exact copy of an accepted sample is quarantined as ``duplicate``; a different value at
  the time of an accepted sample is quarantined as ``conflict`` (the accepted one stays accepted: nothing
  accepted is ever taken back).
* **Stuck sensors** are judged on the context window: :meth:`TelemetryStream.frame` and every returned
  frame carry the current verdict per channel; a channel that moves again becomes trusted again, with a
  note of the stuck episode.

Lenient mode never raises on a bad batch (a batch without the needed columns is quarantined row by row).
Strict mode raises :class:`~hullbreach.errors.TelemetryError` naming the batch, row and channel, and leaves
the stream's state as it was before that batch.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.checks import quarantine_table, run_checks
from hullbreach.telemetry.config import DEFAULT_CONFIG, CheckConfig
from hullbreach.telemetry.parse import NAT_NS, format_ns, parse_times, parse_values
from hullbreach.telemetry.frame import ChannelReport, TelemetryFrame, empty_gaps, empty_quarantine
from hullbreach.telemetry.reasons import HINTS, IMPOSSIBLE, OK, REASON_NAMES, SPIKE

_HOLD = 2  # samples held back per channel for the two-sided spike test


def _empty_norm() -> pd.DataFrame:
    return pd.DataFrame({"t": pd.Series([], dtype=np.int64), "channel": pd.Series([], dtype=object),
                         "value": pd.Series([], dtype=float), "reason": pd.Series([], dtype=object),
                         "naive_time": pd.Series([], dtype=bool), "file": pd.Series([], dtype=object),
                         "line": pd.Series([], dtype=np.int64), "text_time": pd.Series([], dtype=object)})


class TelemetryStream:
    """Checks raw telemetry batch by batch (see the module docstring).

    Parameters
    ----------
    station : Station or str
        Station model (or built-in name / TOML path).
    strict : bool
        Raise on the first problem of a batch instead of quarantining.
    reorder_window_s : float
        How late a sample may arrive and still be accepted [s].
    context_samples, context_s : int, float
        Accepted samples kept per channel as context [samples], [s].
    config : CheckConfig, optional
        Check thresholds (same as batch).
    source : str
        Name used in locations (``<stream> batch 3:row 5``).
    retain : bool
        Keep every accepted and quarantined sample for :meth:`frame` (default). A stream that runs for
        months (the monitor service's detector) passes False: memory then stays bounded by the context,
        and :meth:`frame` gives the counts and channel reports with no samples.
    """

    def __init__(self, station, strict: bool = False, *, reorder_window_s: float = 60.0,
                 context_samples: int = 256, context_s: float = 180.0, config: CheckConfig | None = None,
                 source: str = "<stream>", retain: bool = True):
        from hullbreach.station import Station, load_station
        self.station = station if isinstance(station, Station) else load_station(station)
        self.strict = strict
        self.reorder_window_ns = int(round(reorder_window_s * 1e9))
        self.context_samples = int(context_samples)
        self.context_ns = int(round(max(context_s, reorder_window_s) * 1e9))
        self.config = config or DEFAULT_CONFIG
        self.source = source
        self.retain = bool(retain)
        self._batch = 0
        self._ctx = _empty_norm()          # accepted samples kept as context (raw unit values)
        self._pending = _empty_norm()      # samples waiting for right-hand neighbours
        self._last: dict[str, int] = {}    # newest accepted time per channel [ns]
        self._data: list[pd.DataFrame] = []
        self._quar: list[pd.DataFrame] = []
        self._counts: Counter = Counter()
        self._warnings: list[str] = []
        self._acc: Counter = Counter()
        self._qn: Counter = Counter()
        self._ooo: Counter = Counter()
        self._naive: Counter = Counter()
        self._verdict: dict[str, tuple[bool, str]] = {}
        self._notes: dict[str, list[str]] = {}
        self._n_in = 0
        self._trim_at = 0

    # ------------------------------------------------------------------------------------------ public
    @property
    def n_pending(self) -> int:
        """Samples received but not decided yet (the last two of each channel)."""
        return int(len(self._pending))

    @property
    def n_received(self) -> int:
        """Samples pushed so far."""
        return self._n_in

    def push(self, raw: pd.DataFrame) -> TelemetryFrame:
        """Check a batch (``time, channel, value`` in sensor units); return the samples accepted now (SI).

        Accepted samples may include held-back samples of earlier batches; quarantined samples of this
        call are in the returned frame's ``quarantined``. Every pushed sample is eventually accepted or
        quarantined (after :meth:`flush`).
        """
        self._batch += 1
        new = self._normalise(raw)
        return self._step(new, final=False)

    def flush(self) -> TelemetryFrame:
        """Decide the held-back samples (end of data); returns what was accepted now."""
        return self._step(_empty_norm(), final=True)

    def frame(self) -> TelemetryFrame:
        """All samples accepted so far (SI, sorted by time then channel) and everything quarantined (no
        samples, only counts and reports, when the stream does not ``retain`` them)."""
        if self._data:
            d = pd.concat([x.assign(channel=x["channel"].astype(object)) for x in self._data], ignore_index=True)
            d = d.sort_values(["time", "channel"], kind="stable").reset_index(drop=True)
            d["channel"] = pd.Categorical(d["channel"], categories=sorted(d["channel"].unique()))
        else:
            d = _empty_data()
        q = pd.concat(self._quar, ignore_index=True) if self._quar else empty_quarantine()
        return TelemetryFrame(data=d, quarantined=q, channels=self._reports(), source=self.source,
                              counts=dict(self._counts), warnings=tuple(self._warnings), gaps=empty_gaps())

    # -------------------------------------------------------------------------------------- internals
    def _normalise(self, raw) -> pd.DataFrame:
        """Parse a batch into the internal table; problems a batch can carry are written as reasons."""
        label = f"{self.source} batch {self._batch}"
        if not isinstance(raw, pd.DataFrame):
            raw = pd.DataFrame(raw)
        raw = raw.reset_index(drop=True)
        n = len(raw)
        self._n_in += n
        missing = [c for c in ("time", "channel", "value") if c not in raw.columns]
        reason = np.full(n, None, dtype=object)
        if missing:
            if self.strict:
                self._n_in -= n
                raise TelemetryError(f"batch lacks column(s) {', '.join(missing)}", source=label,
                                     hint="push a table with the columns time, channel, value")
            reason[:] = f"malformed batch: no column {', '.join(missing)}"
        t_col = raw["time"] if "time" in raw.columns else pd.Series([None] * n, dtype=object)
        v_col = raw["value"] if "value" in raw.columns else pd.Series([np.nan] * n, dtype=float)
        c_col = raw["channel"] if "channel" in raw.columns else pd.Series([""] * n, dtype=object)
        ns, bad, naive = parse_times(t_col, self.config)
        v, _miss, _inf, unread = parse_values(v_col)
        # the text of a time or value is kept only where a message needs it (unreadable, naive): a
        # per-sample stringification cost ~30 % of a streaming update (issue 12)
        tt = np.full(n, None, dtype=object)
        need_t = np.flatnonzero(bad | naive)
        if len(need_t):
            tt[need_t] = t_col.iloc[need_t].astype("str").to_numpy(dtype=object)
        for i in np.flatnonzero(bad & pd.isna(reason)):
            reason[i] = f"unreadable time {tt[i]!r}"
        for i in np.flatnonzero(unread & pd.isna(reason)):
            reason[i] = f"unreadable value {str(v_col.iloc[i])!r}"
        codes, names = _channel_codes(c_col)
        ch = names[codes]
        # Late samples: older than the reorder window allows.
        last = np.array([self._last.get(c, NAT_NS) for c in names], dtype=np.int64)[codes] if n else np.empty(0, np.int64)
        late = (~bad) & (last != NAT_NS) & (ns < last - self.reorder_window_ns) & pd.isna(reason)
        for i in np.flatnonzero(late):
            reason[i] = (f"late: {(last[i] - ns[i]) / 1e9:.6g} s older than the newest accepted sample, beyond the "
                         f"reorder window ({self.reorder_window_ns / 1e9:g} s)")
        return pd.DataFrame({"t": np.where(bad, NAT_NS, ns).astype(np.int64), "channel": pd.Series(ch, dtype=object),
                             "value": v, "reason": pd.Series(reason, dtype=object),
                             "naive_time": naive & ~bad, "file": pd.Series(np.full(n, label, dtype=object), dtype=object),
                             "line": np.arange(1, n + 1, dtype=np.int64), "text_time": pd.Series(tt, dtype=object)})

    def _step(self, new: pd.DataFrame, final: bool) -> TelemetryFrame:
        ctx, pend = self._ctx, self._pending
        nc, npd = len(ctx), len(pend)
        comb = pd.concat([ctx, pend, new], ignore_index=True) if (nc + npd) else new
        if len(comb) == 0:
            return TelemetryFrame(data=_empty_data(), channels=self._reports(), source=self.source)
        # unreadable times stay NaT in the table handed to the checks (their reason carries the text)
        table = pd.DataFrame({
            "time": pd.to_datetime(comb["t"].to_numpy(np.int64), unit="ns", utc=True),
            "channel": comb["channel"].to_numpy(dtype=object), "value": comb["value"].to_numpy(dtype=float),
            "reason": comb["reason"].to_numpy(dtype=object), "naive_time": comb["naive_time"].to_numpy(dtype=bool)})
        ck = run_checks(table, self.station, self.config, self.source, comb["line"].to_numpy(np.int64),
                         comb["file"].to_numpy(dtype=object), "row ")
        code = ck.code.copy()
        idx = np.arange(len(comb))
        is_new = idx >= nc                                 # pending + this batch: to be decided
        # Hold back the last samples of each channel (two-sided spike test) unless this is the end.
        hold = np.zeros(len(comb), bool)
        if not final:
            cand = is_new & np.isin(code, (OK, SPIKE, IMPOSSIBLE))
            ci = np.flatnonzero(cand)
            if len(ci):
                t = comb["t"].to_numpy(np.int64)[ci]
                chn = comb["channel"].to_numpy(dtype=object)[ci]
                order = np.lexsort((t, chn))
                chs = chn[order]
                # rank from the end within each channel
                last_of = np.r_[chs[1:] != chs[:-1], True]
                grp_end = np.flatnonzero(last_of)
                pos = np.arange(len(order))
                end_for = grp_end[np.searchsorted(grp_end, pos)]
                from_end = end_for - pos
                hold[ci[order[from_end < _HOLD]]] = True
        decide = is_new & ~hold
        acc = decide & (code == OK)
        quar = decide & (code != OK)
        # Strict: refuse the batch (state unchanged) at its first problem among decided or new rows.
        if self.strict:
            newrows = idx >= nc + npd
            bad = np.flatnonzero((quar | (ck.naive & newrows)) & (idx >= nc))
            ooo = np.intersect1d(ck.ooo_rows, np.flatnonzero(is_new))
            probs = np.union1d(bad, ooo)
            if len(probs):
                i = int(probs[0])
                if code[i] != OK:
                    msg, hint = ck.reason_text(i, int(code[i])), HINTS.get(int(code[i]))
                elif ck.naive[i]:
                    msg, hint = f"time {comb['text_time'].iloc[i]!r} has no time zone", HINTS["naive"]
                else:
                    msg, hint = f"time {format_ns(int(comb['t'].iloc[i]))} is earlier than a previous sample", HINTS["ooo"]
                self._n_in -= len(new)
                raise TelemetryError(f"channel {comb['channel'].iloc[i]}: {msg}", hint=hint,
                                     source=f"{comb['file'].iloc[i]}:row {int(comb['line'].iloc[i])}")
        # ---- accepted now: SI values from the per-channel results
        rows_l, t_l, si_l, ch_l = [], [], [], []
        for sid, r in ck.results.items():
            m = acc[r.rows]
            if m.any():
                rows_l.append(r.rows[m])
                t_l.append(r.t[m])
                si_l.append(r.si[m])
                ch_l.append(np.full(int(m.sum()), sid, dtype=object))
        if rows_l:
            rows_a, t_a, si_a, ch_a = (np.concatenate(x) for x in (rows_l, t_l, si_l, ch_l))
            o = np.lexsort((ch_a, t_a))
            rows_a, t_a, si_a, ch_a = rows_a[o], t_a[o], si_a[o], ch_a[o]
            cats = sorted(set(ch_a))
            data = pd.DataFrame({"time": pd.to_datetime(t_a, unit="ns", utc=True),
                                 "channel": pd.Categorical(ch_a, categories=cats), "value": si_a})
        else:
            rows_a = np.empty(0, np.int64)
            data = _empty_data()
        q_idx = np.flatnonzero(quar)
        q_idx = q_idx[np.lexsort((comb["line"].to_numpy()[q_idx], comb["file"].to_numpy(dtype=object)[q_idx]))] \
            if len(q_idx) else q_idx
        quarantined = quarantine_table(ck, q_idx)
        # ---- counts for this step
        counts: Counter = Counter()
        for c in code[q_idx]:
            counts[REASON_NAMES[int(c)]] += 1
        acc_rows = np.flatnonzero(acc)
        ooo_acc = np.intersect1d(ck.ooo_rows, acc_rows)
        if len(ooo_acc):
            counts["out_of_order"] += len(ooo_acc)
        naive_acc = acc & ck.naive
        if naive_acc.any():
            counts["naive_time"] += int(naive_acc.sum())
        warnings = []
        if naive_acc.any():
            warnings.append(f"{int(naive_acc.sum())} time(s) had no zone and were read as UTC")
        if len(ooo_acc):
            warnings.append(f"{len(ooo_acc)} sample(s) arrived out of order within the reorder window and were accepted")
        # ---- per-channel bookkeeping
        chan = comb["channel"].to_numpy(dtype=object)
        for c, k in Counter(chan[acc_rows]).items():
            self._acc[c] += k
        for c, k in Counter(chan[q_idx]).items():
            self._qn[c] += k
        for c, k in Counter(chan[ooo_acc]).items():
            self._ooo[c] += k
        for c, k in Counter(chan[np.flatnonzero(naive_acc)]).items():
            self._naive[c] += k
        for sid, r in ck.results.items():
            if not (is_new[r.rows].any() or is_new[r.q_rows].any()):
                continue
            prev = self._verdict.get(sid, (True, ""))
            if prev[0] is False and r.trusted and prev[1].startswith("stuck"):
                self._notes.setdefault(sid, []).append(f"was {prev[1]}")
            if not r.trusted and (prev[0] or prev[1] != r.reason):
                warnings.append(f"channel {sid} {r.reason}")
            self._verdict[sid] = (r.trusted, r.reason)
        # ---- new state
        t_all = comb["t"].to_numpy(np.int64)
        acc_tab = comb.iloc[acc_rows]
        ctx_new = pd.concat([ctx, acc_tab], ignore_index=True) if nc else acc_tab.reset_index(drop=True)
        if len(ctx_new) > self._trim_at:  # trimming is amortised: only when the context doubled
            ctx_new = self._trim(ctx_new)
            self._trim_at = 2 * len(ctx_new) + 256
        self._ctx = ctx_new
        self._pending = comb.iloc[np.flatnonzero(hold)].reset_index(drop=True)
        if len(acc_rows):
            s = pd.Series(t_all[acc_rows]).groupby(chan[acc_rows]).max()
            for c, t in s.items():
                self._last[c] = max(self._last.get(c, NAT_NS), int(t))
        self._counts.update(counts)
        if self.retain:
            self._warnings.extend(warnings)
        elif warnings:
            self._warnings = [*self._warnings[-99:], *warnings[-100:]]
        if len(data) and self.retain:
            self._data.append(data)
        if len(quarantined) and self.retain:
            self._quar.append(quarantined)
        return TelemetryFrame(data=data, quarantined=quarantined, channels=self._reports(), source=self.source,
                              counts=dict(counts), warnings=tuple(warnings), gaps=empty_gaps())

    def _trim(self, ctx: pd.DataFrame) -> pd.DataFrame:
        """Keep per channel the newest ``context_samples`` samples and everything within ``context_s``."""
        if len(ctx) == 0:
            return _empty_norm()
        ctx = ctx.sort_values(["channel", "t"], kind="stable")
        newest = ctx.groupby("channel", sort=False)["t"].transform("max").to_numpy(np.int64)
        rank = ctx.groupby("channel", sort=False).cumcount(ascending=False).to_numpy()
        keep = (rank < self.context_samples) | (ctx["t"].to_numpy(np.int64) >= newest - self.context_ns)
        out = ctx[keep].sort_values("t", kind="stable").reset_index(drop=True)
        out["reason"] = None
        out["naive_time"] = False
        return out

    def _reports(self) -> dict:
        out = {}
        for c in sorted(set(self._acc) | set(self._qn) | set(self._verdict)):
            trusted, reason = self._verdict.get(c, (True, ""))
            if c not in self.station.sensors:
                trusted, reason = False, f"not a sensor of station {self.station.name!r}"
            out[c] = ChannelReport(channel=c, accepted=int(self._acc[c]), quarantined=int(self._qn[c]),
                                   trusted=trusted, reason=reason, out_of_order=int(self._ooo[c]),
                                   naive_times=int(self._naive[c]), notes=tuple(self._notes.get(c, ())),
                                   declared=c in self.station.sensors)
        return out


def _channel_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Channel names of a batch as ``(codes, names)`` with ``names[codes]`` the name of each sample as a
    string ("" for a missing one): one conversion per distinct channel, not per sample."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    names = np.array([str(u) for u in uniq] + [""], dtype=object)
    return np.where(codes < 0, len(names) - 1, codes), names


def _empty_data() -> pd.DataFrame:
    return pd.DataFrame({"time": pd.Series([], dtype="datetime64[ns, UTC]"),
                         "channel": pd.Categorical([], categories=[]), "value": pd.Series([], dtype=float)})


__all__ = ["TelemetryStream"]
