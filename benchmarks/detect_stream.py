"""Streaming detection latency: :meth:`StreamingDetector.update` on iss-2018 telemetry at 1 Hz.

The issue's goal is "a streaming update under 1 ms". One batch is one second of telemetry (58 samples);
every 60th batch completes a time bin and runs the detector on it (air mass of every zone, each zone's GLR
test, and the rebuilt result with its intervals). The record is the benchmark scenario of
``detect_bench.py`` (thermal cycles, crew, a repress at 5 h, a drifting and a stuck gauge) at 1 Hz, with the
MS-09 rate (0.6 mmHg/h) starting at 14 h, so an 18 h run includes the alarm and its estimates.

Measured, per update (wall ``perf_counter`` and thread CPU time):

* every update, and the bin-step updates alone (those that completed a bin), mean / median / p99 / max;
* the bin step split into the air-mass tracker, the zone detectors' feed (``feed`` or ``feed_scalars``) and the
  result rebuild
  (a second run with timers around those calls);
* two baselines: (a) the same streaming update with the samples binned by a pandas ``groupby`` instead of
  the compiled pass over the batch; (b) a naive monitor that re-runs the batch :func:`~hullbreach.detect.detector.detect`
  on all the data so far whenever a bin completes (timed at a few points of the record);
* full (generation 2) garbage collections that landed inside an update.

Garbage collection: CPython's full collection walks every container object of the process; its first
run after start-up (and any later one) lands in whichever update happens to allocate at that moment. It is
not detector work, but it is latency. The monitor process should ``gc.collect(); gc.freeze()`` once set up
(Python docs, ``gc.freeze``): that is the default here; ``--gc default`` shows what happens without it.

Usage: ``python benchmarks/detect_stream.py [--hours 18] [--gc freeze|default] [--quick]``
(about 3 minutes on 2 cores; ``--quick``: 6 h, no baselines).
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import pandas as pd

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.detect import detector as det_mod
from hullbreach.detect.stream import StreamingDetector
from hullbreach.physics import choked_mass_flow
from hullbreach.sim import (
    Crew,
    Leak,
    Repress,
    Scenario,
    SensorFault,
    ThermalProfile,
    simulate,
)
from hullbreach.station import load_station
from hullbreach.telemetry.frame import ChannelReport, TelemetryFrame
from hullbreach.units import to_si

#: Leak onset [h] and rate [mmHg/h] (the MS-09 rate), as in ``detect_bench.py``.
ONSET_H = 14.0
RATE_MMHG_H = 0.6


class GroupbyStreamingDetector(StreamingDetector):
    """Baseline (a): the same streaming update, its batch added to the bins and the fast path's sub-bins with
    NumPy masks and ``pandas.DataFrame.groupby`` (what one writes with pandas) instead of the compiled pass."""

    def _add(self, t_ns, codes, lut, value, si) -> bool:
        rows = lut[codes]
        k = t_ns // self.bin_ns
        if (rows < 0).any() or not np.isfinite(value).all() or (k < self._k_open).any():
            return False
        if not si:
            value = value * self._scale[rows] + self._offset[rows]
        k_hi = int(k.max())
        self._reserve(k_hi)
        self._groupby_add(self._sums, self._counts, rows * self._sums.shape[1] + (k - self._k_open), value)
        p = self._pslot[rows] >= 0 if self._fast else np.zeros(len(rows), dtype=bool)
        if p.any():
            j = t_ns[p] // self.sub_ns
            if self._j_open is None:
                self._j_open = int(j.min())
            self._j_newest = int(j.max()) if self._j_newest is None else max(self._j_newest, int(j.max()))
            self._reserve_sub(self._j_open, int(j.max()))
            keep = j >= self._j_open  # sub-bins already handed over: left out of the fast path only
            self._groupby_add(self._ssums, self._scounts,
                              self._pslot[rows[p]][keep] * self._ssums.shape[1] + (j[keep] - self._j_open), value[p][keep])
        self._complete(k_hi)
        return True

    @staticmethod
    def _groupby_add(sums: np.ndarray, counts: np.ndarray, flat: np.ndarray, value: np.ndarray) -> None:
        g = pd.DataFrame({"f": flat, "v": value}).groupby("f")["v"].agg(["sum", "count"])
        idx = g.index.to_numpy()
        sums.ravel()[idx] += g["sum"].to_numpy()
        counts.ravel()[idx] += g["count"].to_numpy()


class _GcWatch:
    """Durations of full (generation 2) collections, and the update they landed in."""

    def __init__(self):
        self.events: list[tuple[int, float]] = []
        self.update = -1
        self._t0 = 0.0

    def __call__(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.events.append((self.update, time.perf_counter() - self._t0))


def scenario(st, hours: float) -> Scenario:
    """The scenario of ``detect_bench.py`` at 1 Hz: thermal cycles, six crew, a 5 kg repress at 5 h, a drifting
    and a stuck gauge, and a leak of the MS-09 rate in Destiny from 14 h (sized for the largest zone)."""
    z = max(st.zones(), key=st.zone_volume_m3)
    mdot = RATE_MMHG_H * PA_PER_MMHG / 3600 * st.zone_volume_m3(z) / (R_AIR * 295.15)
    area = mdot / float(choked_mass_flow(1.0, st.nominal_pressure_pa, 295.15))
    leaks = (Leak(module="destiny", onset_s=ONSET_H * 3600, effective_area_m2=area),) if hours * 3600 > ONSET_H * 3600 else ()
    represses = (Repress(time_s=5 * 3600, module="zvezda", mass_kg=5.0, duration_s=1800),) if hours > 5.5 else ()
    return Scenario(start="2024-03-01T00:00:00Z", duration_s=hours * 3600, sample_rate_hz=1.0, leaks=leaks,
                    thermal=(ThermalProfile(orbital_amplitude_k=0.3, daily_amplitude_k=0.5, hvac_noise_k=0.05),),
                    crew=Crew(count=6, module="zvezda"), represses=represses,
                    sensor_faults=(SensorFault(sensor="node2.pressure", kind="drift", start_s=3600, magnitude=2.0),
                                   SensorFault(sensor="zarya.pressure", kind="stuck", start_s=7200)))


def _record(hours: float, seed: int = 1):
    st = load_station("iss-2018")
    r = simulate(st, scenario(st, hours), seed=seed)
    raw = r.telemetry
    t = raw["time"].astype("int64").to_numpy() // 1_000_000_000
    starts = np.concatenate([[0], np.flatnonzero(np.diff(t)) + 1, [len(raw)]])
    return st, raw, r.events, starts


def stream(st, raw, events, starts, *, cls=StreamingDetector, freeze=True, n_max=None):
    """Feed one batch per second; per-update wall and CPU times and which updates completed a bin."""
    sd = cls(st, events, checks=False)
    n = len(starts) - 1 if n_max is None else min(n_max, len(starts) - 1)
    wall, cpu, binstep = np.empty(n), np.empty(n), np.zeros(n, dtype=bool)
    watch = _GcWatch()
    if freeze:
        gc.collect()
        gc.freeze()
    gc.callbacks.append(watch)
    res = None
    try:
        for k in range(n):
            b = raw.iloc[starts[k]: starts[k + 1]]  # handed over by the feed: made outside the timer
            k_before = sd.engine.k_next
            watch.update = k
            t0, c0 = time.perf_counter(), time.thread_time()
            res = sd.update(b)
            cpu[k], wall[k] = time.thread_time() - c0, time.perf_counter() - t0
            binstep[k] = sd.engine.k_next != k_before
            watch.update = -1
    finally:
        gc.callbacks.remove(watch)
        if freeze:
            gc.unfreeze()
    return wall, cpu, binstep, res, [e for e in watch.events if e[0] >= 0]


def breakdown(st, raw, events, starts, n_max=None):
    """Per bin step: time in the air-mass tracker, in the zone detectors' feed, in the result rebuild."""
    sd = StreamingDetector(st, events, checks=False)
    acc = {"tracker": 0.0, "feed": 0.0, "result": 0.0}
    out = {k: [] for k in acc}
    tr_process, tr_one = sd.engine.tracker.process, sd.engine.tracker.process_one
    eng_result = sd.engine.result
    feed, feed_scalars = det_mod.ZoneDetector.feed, det_mod.ZoneDetector.feed_scalars
    depth = {k: 0 for k in acc}

    def timed(name, f):
        def g(*a, **kw):
            depth[name] += 1
            t0 = time.thread_time()
            try:
                return f(*a, **kw)
            finally:
                depth[name] -= 1
                if depth[name] == 0:  # the outermost call only (feed calls feed_scalars)
                    acc[name] += time.thread_time() - t0
        return g

    # the streaming step's scalar path (process_one, feed_scalars) and the ZoneMass path (process, feed)
    sd.engine.tracker.process = timed("tracker", tr_process)
    sd.engine.tracker.process_one = timed("tracker", tr_one)
    sd.engine.result = timed("result", eng_result)
    det_mod.ZoneDetector.feed = timed("feed", feed)
    det_mod.ZoneDetector.feed_scalars = timed("feed", feed_scalars)
    gc.collect()
    gc.freeze()
    try:
        n = len(starts) - 1 if n_max is None else min(n_max, len(starts) - 1)
        for k in range(n):
            b = raw.iloc[starts[k]: starts[k + 1]]
            k_before = sd.engine.k_next
            for key in acc:
                acc[key] = 0.0
            sd.update(b)
            if sd.engine.k_next != k_before:
                for key, v in acc.items():
                    out[key].append(v)
    finally:
        det_mod.ZoneDetector.feed, det_mod.ZoneDetector.feed_scalars = feed, feed_scalars
        gc.unfreeze()
    return {k: np.array(v[1:]) for k, v in out.items()}  # the first bin builds the zone states


def _frame(raw: pd.DataFrame, st) -> TelemetryFrame:
    """Unit conversion only (what ``checks=False`` streams), as a batch frame."""
    vals = np.empty(len(raw))
    for ch, idx in raw.groupby("channel", observed=True).indices.items():
        vals[idx] = to_si(raw["value"].to_numpy()[idx], st.sensors[ch].unit)
    data = pd.DataFrame({"time": raw["time"].to_numpy(), "channel": raw["channel"].to_numpy(), "value": vals})
    data["time"] = pd.to_datetime(data["time"], utc=True)
    reports = {c: ChannelReport(c, int(n), 0) for c, n in raw["channel"].value_counts().items() if n}
    return TelemetryFrame(data=data, channels=reports, source="<benchmark>")


def naive(st, raw, events, starts, hours_at):
    """Baseline (b): batch detect() on all the data so far, at a few points of the record [s per call]."""
    out = []
    for h in hours_at:
        k = min(int(h * 3600), len(starts) - 1)
        fr = _frame(raw.iloc[: starts[k]], st)
        t0, c0 = time.perf_counter(), time.process_time()
        res = det_mod.detect(st, fr, events, keep_series=False)
        out.append((h, time.perf_counter() - t0, time.process_time() - c0, res.status))
    return out


def _row(name, a):
    a = np.asarray(a) * 1e3
    return f"| {name} | {a.mean():.3f} | {np.median(a):.3f} | {np.percentile(a, 99):.3f} | {a.max():.3f} | {len(a)} |"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hours", type=float, default=18.0)
    ap.add_argument("--gc", choices=("freeze", "default"), default="freeze")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    hours = 6.0 if a.quick else a.hours
    t_start = time.perf_counter()
    st, raw, events, starts = _record(hours)
    print(f"record: iss-2018, {hours:g} h at 1 Hz, {len(raw)} samples, {len(starts) - 1} batches of "
          f"{starts[1] - starts[0]} samples; gc: {a.gc}")
    wall, cpu, binstep, res, gcs = stream(st, raw, events, starts, freeze=a.gc == "freeze")
    alarms = [(x.kind, pd.Timestamp(x.time_s, unit="s", tz="UTC").isoformat()) for x in res.alarms]
    print(f"status {res.status}, alarms {alarms}")
    print()
    print("| per update [ms] | mean | median | p99 | max | n |")
    print("|---|---|---|---|---|---|")
    print(_row("all updates, wall", wall))
    print(_row("all updates, thread CPU", cpu))
    print(_row("updates without a bin step, wall", wall[~binstep]))
    print(_row("bin-step updates, wall", wall[binstep]))
    print(_row("bin-step updates, thread CPU", cpu[binstep]))
    if res.alarms:
        # the hours in which the operator needs the answers most: a leak alarm is active and every bin step
        # rebuilds its estimates (Monte Carlo intervals)
        k_alarm = int(round(min(x.time_s for x in res.alarms) - pd.Timestamp(raw["time"].iloc[0]).timestamp()))
        print(_row(f"all updates while the alarm is active ({(len(wall) - k_alarm) / 3600:.1f} h), wall", wall[k_alarm:]))
        print(_row("bin-step updates while the alarm is active, wall", wall[k_alarm:][binstep[k_alarm:]]))
    bd = breakdown(st, raw, events, starts)
    for key, label in (("tracker", "air-mass tracker (all zones)"), ("feed", "zone detectors' feed (all zones)"),
                       ("result", "result rebuild (estimates)")):
        print(_row(f"bin step: {label}, thread CPU", bd[key]))
    print()
    if gcs:
        print(f"full GC collections inside an update: {len(gcs)}, longest {max(d for _, d in gcs) * 1e3:.1f} ms "
              f"(updates {[k for k, _ in gcs][:5]})")
    else:
        print("full GC collections inside an update: 0")
    slow = np.argsort(wall)[-5:][::-1]
    print("slowest updates [ms]:", [(int(i), round(wall[i] * 1e3, 2), "bin" if binstep[i] else "") for i in slow])
    if not a.quick:
        n_gb = min(len(starts) - 1, 2 * 3600)
        gw, _gcpu, gbin, _gres, _ = stream(st, raw, events, starts, cls=GroupbyStreamingDetector,
                                         freeze=a.gc == "freeze", n_max=n_gb)
        print()
        print("| baseline | per update mean [ms] | per bin-step update mean [ms] | ratio to hullbreach (mean update) |")
        print("|---|---|---|---|")
        print(f"| (a) pandas groupby binning, first {n_gb // 3600} h | {gw.mean() * 1e3:.3f} | "
              f"{gw[gbin].mean() * 1e3:.3f} | {gw.mean() / wall[:n_gb].mean():.1f}x |")
        step = wall[binstep].mean()
        for h, w, c, status in naive(st, raw, events, starts, (1.0, hours / 3, hours)):
            print(f"| (b) batch detect() on the first {h:g} h, at every bin step | {w * 1e3 / 60:.3f} (amortised over "
                  f"60 updates) | {w * 1e3:.1f} ({c * 1e3:.0f} CPU) | {w / step:.0f}x per bin step |")
    print(f"\nbenchmark wall time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
