"""The live leak monitor: archive every batch, run the detector on it, publish raw and derived channels.

:class:`Monitor` is the service's core without HTTP: :meth:`Monitor.ingest` stores a batch durably
(:mod:`hullbreach.ops.archive`), feeds it to the streaming detector (through :mod:`hullbreach.ops.engine`),
derives the channels the dashboard and the crew display show, and returns the update to broadcast. After a
restart :meth:`Monitor.rebuild` replays the archived batches through a fresh detector, the same batches in
the same order, so that the detector's answer equals that of an uninterrupted run (tested).

Derived channels (names carry their unit; see docs/operations.md for the full dictionary):

- ``zone.<first module>.air_mass_kg``, ``zone.<first module>.pressure_mmhg``, ``zone.<...>.state``
  (0 learning, 1 nominal, 2 alarm, 3 unmonitored), one per pressure zone of the detector's answer;
- ``cabin.dpdt_mmhg_per_h`` (with ``_low``/``_high``), ``cabin.dtdp_s_per_mmhg``: the cabin pressure trend
  by least squares over the last orbit of the cabin channel (orbital cycle fitted out), and its inverse
  (Pettit 2017 asked for seconds per mmHg);
- ``reserve_time_s`` (with ``_low``/``_high``): of the active leak alarm (detector estimate, 95 %);
- ``detector.status`` (0 nominal, 1 leak); ``isolation.probability`` of the most likely module.

Units: SI inside; mmHg / hours only in the names that say so.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_HOUR
from hullbreach.ops import engine
from hullbreach.ops.archive import Ack, Storage
from hullbreach.ops.guidance import Guide

#: Largest forward jump in data time the detector bridges [s]; a longer one starts a new detector.
MAX_GAP_S = 7 * 86400.0
#: Numeric code of each per-zone detector state (derived channel ``zone.<m>.state``).
STATE_CODES = {"learning": 0, "nominal": 1, "alarm": 2, "unmonitored": 3}


@dataclass(frozen=True)
class Trend:
    """Least-squares trend of the cabin pressure over a window.

    ``rate_pa_s`` [Pa s^-1] with its 95 % interval ``(low, high)`` (Student t on the slope's standard error;
    it ignores the autocorrelation of the thermal cycle, so read it as a lower bound of the uncertainty),
    ``span_s`` [s] and ``n`` samples used. None fields when fewer than 3 samples.
    """

    rate_pa_s: float | None
    low_pa_s: float | None
    high_pa_s: float | None
    span_s: float
    n: int

    def dtdp_s_per_mmhg(self) -> float | None:
        """Seconds per mmHg of pressure loss (Pettit's figure): None unless the pressure is falling with 95 %."""
        if self.rate_pa_s is None or self.high_pa_s is None or self.high_pa_s >= 0:
            return None
        return PA_PER_MMHG / -self.rate_pa_s

    def to_json(self) -> dict:
        """JSON with the rate in mmHg/h and dt/dP in s/mmHg."""
        k = SECONDS_PER_HOUR / PA_PER_MMHG
        f = (lambda x: None if x is None else x * k)
        return {"dpdt_mmhg_per_h": {"estimate": f(self.rate_pa_s), "low": f(self.low_pa_s), "high": f(self.high_pa_s)},
                "dtdp_s_per_mmhg": self.dtdp_s_per_mmhg(), "span_s": self.span_s, "samples": self.n}


#: ISS orbital period [s] (~92.6 min, NASA ISS facts and figures): the cabin air temperature, hence the
#: pressure, follows it by a fraction of a kelvin (hullbreach.sim.thermal [1]).
ORBITAL_PERIOD_S = 92.6 * 60.0


def pressure_trend(t_s: np.ndarray, p_pa: np.ndarray, period_s: float | None = ORBITAL_PERIOD_S) -> Trend:
    """Least-squares slope of pressure [Pa] against time [s] with its 95 % interval (see :class:`Trend`).

    When the samples span at least 0.9 ``period_s`` [s], a sine and cosine at that period are fitted too, so
    that the orbital temperature cycle (~1 mmHg peak to peak on the ISS, ~3 mmHg/h of slope at its
    steepest) does not pass for a leak or hide one.
    """
    t_s = np.asarray(t_s, dtype=float)
    p_pa = np.asarray(p_pa, dtype=float)
    ok = np.isfinite(t_s) & np.isfinite(p_pa)
    t_s, p_pa = t_s[ok], p_pa[ok]
    n = len(t_s)
    span = float(t_s.max() - t_s.min()) if n else 0.0
    if n < 3 or span <= 0:
        return Trend(None, None, None, span, n)
    tc = t_s - t_s.mean()
    cols = [np.ones(n), tc]
    if period_s and span >= 0.9 * period_s and n >= 8:
        w = 2.0 * np.pi / period_s
        cols += [np.sin(w * tc), np.cos(w * tc)]
    a = np.column_stack(cols)
    coef, _res, rank, _sv = np.linalg.lstsq(a, p_pa, rcond=None)
    dof = n - a.shape[1]
    if rank < a.shape[1] or dof < 1:
        return Trend(None, None, None, span, n)
    resid = p_pa - a @ coef
    cov = np.linalg.pinv(a.T @ a) * float(resid @ resid) / dof
    slope, se = float(coef[1]), math.sqrt(max(float(cov[1, 1]), 0.0))
    q = float(stats.t.ppf(0.975, dof))
    return Trend(slope, slope - q * se, slope + q * se, span, n)


def zone_key(zone) -> str:
    """The name of a zone in derived channels: its first module id."""
    return str(zone[0]) if zone else "none"


def zone_state(zone_json: dict, alarms: list) -> str:
    """Per-zone detector state: the detector's own ``state`` key when present, else alarm / learning / nominal."""
    if zone_json.get("state"):
        return str(zone_json["state"])
    zone = set(zone_json.get("zone") or ())
    if any(a.get("active") and set(a.get("zone") or ()) & zone for a in alarms):
        return "alarm"
    return "learning" if int(zone_json.get("bins") or 0) < 30 else "nominal"


def active_alarm(state: dict) -> dict | None:
    """The newest active leak alarm of a detector answer (None when there is none)."""
    act = [a for a in state.get("alarms") or () if a.get("active")]
    return act[-1] if act else None


def derive(state: dict, trend: Trend, t_ns: int, isolation: dict | None) -> list[tuple[str, int, float | None]]:
    """Derived samples ``(channel, t_ns, value)`` at time ``t_ns`` from the detector's answer, the cabin trend
    and the isolation session (see the module docstring for the names and units)."""
    out: list = []
    alarms = list(state.get("alarms") or ())
    for z in state.get("zones") or ():
        key = zone_key(z.get("zone"))
        out.append((f"zone.{key}.air_mass_kg", t_ns, z.get("mass_kg")))
        p = z.get("pressure_pa")
        out.append((f"zone.{key}.pressure_mmhg", t_ns, None if p is None else p / PA_PER_MMHG))
        out.append((f"zone.{key}.state", t_ns, float(STATE_CODES.get(zone_state(z, alarms), 3))))
    tj = trend.to_json()
    for k in ("estimate", "low", "high"):
        out.append(("cabin.dpdt_mmhg_per_h" + ("" if k == "estimate" else f"_{k}"), t_ns, tj["dpdt_mmhg_per_h"][k]))
    out.append(("cabin.dtdp_s_per_mmhg", t_ns, tj["dtdp_s_per_mmhg"]))
    a = active_alarm(state)
    r = (a or {}).get("reserve_time_s") or {}
    for k in ("estimate", "low", "high"):
        v = r.get(k)
        out.append(("reserve_time_s" + ("" if k == "estimate" else f"_{k}"), t_ns,
                    v if isinstance(v, (int, float)) and math.isfinite(v) else None))
    out.append(("detector.status", t_ns, 1.0 if state.get("status") == "leak" else 0.0))
    if isolation is not None:
        out.append(("isolation.probability", t_ns, isolation.get("probability")))
    return out


class Monitor:
    """Archive + detector + derived channels for one station (thread-safe; see the module docstring).

    Parameters
    ----------
    station : Station or str
    archive : Storage
    events : DataFrame, optional
        Known operations (``time, kind, detail``).
    cabin_channel : str, optional
        Pressure channel of the crew display and the trend (default: the first pressure sensor of the
        station's largest zone).
    trend_window_s : float
        Window of the cabin pressure trend [s] (default one ISS orbit, see :func:`pressure_trend`).
    crew_count : int
        Crew aboard, for the isolation session's crewed zones.
    """

    def __init__(self, station, archive: Storage, *, events: pd.DataFrame | None = None, cabin_channel: str | None = None,
                 trend_window_s: float = ORBITAL_PERIOD_S, crew_count: int = 0, seed: int = 0):
        self.detector = engine.Detector(station, events, seed=seed)
        self.station = self.detector.station
        self.events = events
        self.archive = archive
        self.seed = seed
        self.crew_count = crew_count
        self.known = set(self.station.sensors)
        self.cabin_channel = cabin_channel or _default_cabin(self.station)
        self.trend_window_s = float(trend_window_s)
        self._cabin = _Window()
        self._lock = threading.RLock()          # detector state
        self._store_lock = threading.Lock()     # archive order == queue order
        self._cv = threading.Condition()
        self._queue: list = []
        self._busy = False
        self._stopping = False
        self._worker: threading.Thread | None = None
        self.sink: Callable[[dict], None] = lambda update: None
        self.guide = Guide(self.station, events, crew_count=crew_count, seed=seed)
        self._last_alarm: dict | None = None
        self._state_cache: dict | None = None
        self.derived_now: dict = {}
        self._derived_key = None
        self.trend = Trend(None, None, None, 0.0, 0)
        self.last_sample_ns: int | None = None
        self.feed: dict = {"source": "none", "stale": False}
        self.n_samples = 0
        self.n_batches = 0
        self.restarts: list = []

    # ------------------------------------------------------------------------------------------ input
    def ingest(self, t_ns: np.ndarray, channels: np.ndarray, values: np.ndarray, key: str | None = None) -> Ack | None:
        """Store one batch durably, publish its raw samples, queue it for the detector; return the archive's
        :class:`~hullbreach.ops.archive.Ack` (None for an empty batch).

        Returns only once the archive committed the batch (the acknowledgement of ``POST /api/ingest``). A
        batch whose ``key`` was stored before is a retry: nothing is stored or analysed again, and the answer
        says so (``Ack.replay``). The
        detector runs in a worker thread that takes every batch queued meanwhile as one (its work per call
        has a fixed part, so a busy monitor analyses larger batches and keeps up); :meth:`drain` waits for it.
        """
        t_ns = np.asarray(t_ns, dtype=np.int64)
        channels = np.asarray(channels, dtype=object)
        values = np.asarray(values, dtype=float)
        if len(t_ns) == 0:
            return None
        with self._store_lock:
            b = self.archive.append(t_ns, channels, values, key=key)
            if b.replay:
                return b
            with self._cv:
                self._queue.append((t_ns, channels, values))
                self._cv.notify()
        self.sink({"type": "samples", "samples": _by_channel(t_ns, channels, values)})
        return b

    def add_events(self, events: pd.DataFrame) -> dict:
        """Known operations that arrived live (``POST /api/events``; ``read_events`` columns).

        They are stored in the archive first (a restart replays them at the same place in the stream), then
        queued behind the batches already queued: the detector takes them (when their time is not analysed
        yet) and the isolation guide follows the hatch changes once the telemetry reaches their time."""
        if events is None or len(events) == 0:
            return {"accepted": 0}
        with self._store_lock:
            self.archive.put_events(events)
            with self._cv:
                self._queue.append(("events", events))
                self._cv.notify()
        return {"accepted": int(len(events))}

    def start(self) -> None:
        """Start the detector worker thread (the service does; tests may call :meth:`analyse_pending` instead)."""
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="hullbreach-detector", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        """Stop the worker after the batches queued so far."""
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        if self._worker is not None:
            self._worker.join(timeout=30)

    def _work(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._stopping:
                    self._cv.wait()
                if not self._queue and self._stopping:
                    return
            self.analyse_pending()

    def analyse_pending(self) -> dict:
        """Run the detector on every queued batch, publish the derived update and return it.

        Consecutive batches are merged into one detector call only while they stay in time order (each one
        starts at or after the newest sample before it): then the answer is the one batch-by-batch feeding
        gives, whatever the grouping, and a rebuild (:meth:`rebuild`, same rule) equals the live run."""
        with self._cv:
            items, self._queue = self._queue, []
            self._busy = True
        try:
            if not items:
                return {}
            upd: dict = {}
            with self._lock:
                for seg in _segments(items):
                    if isinstance(seg, pd.DataFrame):
                        self._take_events(seg)
                        continue
                    for t, c, v in ordered_runs(seg):
                        u = self._analyse(t, c, v, publish=True)
                        upd = u or upd
                self._state_cache = self._snapshot()
            if upd:
                self.sink(upd)
            return upd
        finally:
            with self._cv:
                self._busy = False
                self._cv.notify_all()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every queued batch was analysed (True) or ``timeout`` [s] passed (False)."""
        end = time.monotonic() + timeout
        with self._cv:
            while self._queue or self._busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    def _analyse(self, t_ns: np.ndarray, ch: np.ndarray, val: np.ndarray, publish: bool) -> dict:
        """Analyse one in-order run, cut at the times of the crew's pending events: the guide must see the
        detector's answer just before each hatch change (a change ends the alarm; a run merged across it
        would hide an alarm that started the isolation session). The detector's answer does not depend
        on the cuts (batching-invariant), so a rebuild, cut the same way, gives the same guidance."""
        cuts = self.guide.event_times(int(t_ns[0]), int(t_ns[-1])) if len(t_ns) > 1 else []
        if not cuts or not bool(np.all(np.diff(t_ns) >= 0)):
            return self._analyse_one(t_ns, ch, val, publish)
        idx = sorted({int(i) for i in np.searchsorted(t_ns, cuts, side="left")} - {0, len(t_ns)})
        out: dict = {}
        for lo, hi in zip([0, *idx], [*idx, len(t_ns)]):
            out = self._analyse_one(t_ns[lo:hi], ch[lo:hi], val[lo:hi], publish) or out
        return out

    def _analyse_one(self, t_ns: np.ndarray, ch: np.ndarray, val: np.ndarray, publish: bool) -> dict:
        self.n_samples += len(t_ns)
        self.n_batches += 1
        state = self._detect(t_ns, ch, val) if len(t_ns) else self.detector.state()
        sel = ch == self.cabin_channel
        if sel.any():
            from hullbreach.units import to_si

            unit = self.station.sensors[self.cabin_channel].unit
            tc, pc = t_ns[sel], np.asarray(to_si(val[sel], unit), dtype=float)
            self._cabin.add(tc, pc, self.last_sample_ns - int(self.trend_window_s * 1e9))
        if self.last_sample_ns is not None:
            self.guide.reveal(self.last_sample_ns)
        a = active_alarm(state)
        self._last_alarm = a or self._last_alarm
        self.guide.on_state(state, a)
        if len(t_ns):
            self.guide.on_samples(t_ns, ch, val, self.last_sample_ns)
        if not publish:
            return {}
        g = self.guide.json or {}
        key = (state.get("end_time"), len(state.get("alarms") or ()), g.get("steps_done"), g.get("status"),
               tuple(g.get("closed_hatches_now") or ()))
        if len(t_ns) and key == self._derived_key:
            return {}  # no detector bin completed: nothing new to derive (one derived sample per bin)
        self._derived_key = key
        tc, pc = self._cabin.thinned(TREND_MAX_POINTS)
        self.trend = pressure_trend(tc / 1e9, pc)
        t_now = self.last_sample_ns or 0
        rows = derive(state, self.trend, t_now, self.guide.json)
        if len(t_ns):
            self.archive.put_derived(rows)
        self.derived_now = {c: v for c, _, v in rows}
        samples: dict = {}
        for c, _, v in rows:
            samples.setdefault(c, []).append([t_now // 1_000_000, v])
        return {"type": "derived", "samples": samples, "state": self.summary()}

    def _detect(self, t_ns: np.ndarray, ch: np.ndarray, val: np.ndarray) -> dict:
        """Feed the detector; a jump forward in time of more than :data:`MAX_GAP_S` starts a new detector
        from the samples after the jump (the old one would fill every bin of the gap: years of 60 s bins)."""
        newest = self.last_sample_ns if self.last_sample_ns is not None else int(t_ns[0])
        run_max = np.maximum.accumulate(np.concatenate([[newest], t_ns]))[:-1]  # newest before each sample
        gap_ns = int(MAX_GAP_S * 1e9)
        cuts = np.flatnonzero(t_ns - run_max > gap_ns)   # in arrival order: the same for any batching
        state = None
        for lo, hi in zip([0, *cuts.tolist()], [*cuts.tolist(), len(t_ns)]):
            if hi <= lo:
                continue
            if lo in cuts:
                gap_d = (t_ns[lo] - run_max[lo]) / 86400e9
                self.detector = engine.Detector(self.station, self.events, seed=self.seed)  # live events included
                self._cabin.clear()
                self.restarts.append(f"detector restarted at {_iso_ns(int(t_ns[lo]))} after a {gap_d:.1f}-day gap in the data")
            raw = pd.DataFrame({"time": pd.to_datetime(t_ns[lo:hi], unit="ns", utc=True), "channel": ch[lo:hi],
                                "value": val[lo:hi]})
            state = self.detector.update(raw)
            self.last_sample_ns = int(max(int(t_ns[lo:hi].max()), self.last_sample_ns or 0))
        return state

    def _take_events(self, events: pd.DataFrame) -> None:
        """Give live events to the detector (when their time is not analysed yet) and to the guide."""
        from hullbreach.errors import DetectionError

        self.events = events if self.events is None else pd.concat([self.events, events], ignore_index=True)
        try:
            self.detector.add_events(events)
        except DetectionError as exc:
            self.restarts.append(f"events at {events['time'].min()} reached the detector after their time "
                                 f"was analysed ({exc}); the isolation guidance still follows them")
        self.guide.add(events)

    def observe_step(self, start_s: float, closed_hatches=None) -> dict:
        """The crew set up the pending isolation step at ``start_s`` [UNIX s]: read its window from the archive
        and give it to the session; return the step's outcome (raises when the window is not covered yet)."""
        with self._lock:
            iso = self.guide.isolation
            if iso is None:
                from hullbreach.errors import IsolationError

                raise IsolationError("no isolation session is running", hint="a session starts with the first leak alarm")
            lo, hi = iso.step_window(float(start_s))
            frames = [self.archive.frame(c, int(lo * 1e9), int(hi * 1e9)) for c in sorted(self.known)]
            raw = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else None
            if raw is None:
                from hullbreach.errors import IsolationError

                raise IsolationError("no archived telemetry in the step's window yet", hint="wait for the telemetry")
            out = iso.observe(raw, closed_hatches=closed_hatches)
            self.guide.json = self.guide._json()
            return out

    def rebuild(self, chunk: int = 200_000) -> int:
        """Replay every archived batch through the detector (no re-storing), merged as :meth:`analyse_pending`
        merges them (in-order runs, at most ``chunk`` samples); return the number of samples replayed."""
        n = 0
        with self._lock:
            pend: list = []
            size = 0

            def flush(pend):
                for t, c, v in ordered_runs(pend):
                    self._analyse(t, c, v, publish=False)

            for b in self.archive.batches(with_events=True):
                if isinstance(b, pd.DataFrame):  # live events, at the place they came in the stream
                    flush(pend)
                    n, pend, size = n + size, [], 0
                    self._take_events(b)
                    continue
                pend.append((b.t_ns, b.channel, b.value))
                size += len(b.t_ns)
                if size >= chunk:
                    flush(pend)
                    n, pend, size = n + size, [], 0
            flush(pend)
            n += size
            self._analyse(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object), np.zeros(0), publish=True)
        return n

    # ------------------------------------------------------------------------------------------ output
    def state(self) -> dict:
        """The detector's answer (``hullbreach detect --json`` shape) plus ``derived``, ``isolation``, ``feed``."""
        if not self._lock.acquire(timeout=0.5):
            # the worker is analysing a backlog (a fast replay): answer the last state rather than wait
            return {**(self._state_cache or {}), "analysis_busy": True}
        try:
            self._state_cache = self._snapshot()
            return self._state_cache
        finally:
            self._lock.release()

    def _snapshot(self) -> dict:
        """:meth:`state` (the caller holds the lock)."""
        return {**self.detector.state(), "derived": dict(self.derived_now), "isolation": self.guide.json,
                "feed": dict(self.feed), "cabin_channel": self.cabin_channel,
                "trend": self.trend.to_json(), "last_sample_time": _iso_ns(self.last_sample_ns),
                "samples_archived": self.n_samples, "detector_restarts": list(self.restarts[-10:])}

    def summary(self) -> dict:
        """The small state every realtime update carries (status, reserve, trend, isolation, feed)."""
        st = self.detector.state()
        a = active_alarm(st)
        held = False
        if a is None and self.guide.running and self._last_alarm is not None:
            a, held = self._last_alarm, True  # a hatch change ended the alarm: the detector learns the new zones
        return {"status": st.get("status"), "alarm": a and {**{k: a.get(k) for k in
                                                          ("zone", "time", "onset_time", "reserve_time_s",
                                                           "pressure_rate_pa_s", "effective_hole_diameter_m")},
                                                          "held": held},
                "trend": self.trend.to_json(), "isolation": self.guide.json, "feed": dict(self.feed),
                "last_sample_time": _iso_ns(self.last_sample_ns), "wall_time": time.time(),
                "zones": [{"zone": z.get("zone"), "state": zone_state(z, list(st.get("alarms") or ())),
                           "pressure_mmhg": (z.get("pressure_pa") or 0) / PA_PER_MMHG} for z in st.get("zones") or ()]}

    def dictionary(self) -> list[dict]:
        """Every channel the dashboard can show: raw sensors (unit from the station) and derived channels."""
        raw = [{"key": c, "name": c, "unit": s.unit, "kind": "raw", "quantity": s.quantity,
                "module": getattr(s, "module", None)} for c, s in self.station.sensors.items()]
        names = sorted({c for c, _, _ in derive({"zones": [{"zone": z} for z in self._zones()]}, self.trend, 0,
                                                 {"probability": 0})})
        der = [{"key": c, "name": c, "unit": _unit_of(c), "kind": "derived"} for c in names]
        return raw + der

    def _zones(self) -> list:
        zs = [z.get("zone") for z in self.detector.state().get("zones") or ()]
        return zs or [sorted(z, key=list(self.station.modules).index) for z in self.station.zones()]


def _segments(items) -> list:
    """Queue items cut at live events: lists of ``(t, c, v)`` batches and, between them, the events tables."""
    out: list = []
    cur: list = []
    for it in items:
        if isinstance(it[0], str) and it[0] == "events":
            if cur:
                out.append(cur)
                cur = []
            out.append(it[1])
        else:
            cur.append(it)
    if cur:
        out.append(cur)
    return out


def ordered_runs(batches) -> list:
    """Merge consecutive ``(t_ns, channel, value)`` batches while each is in time order and starts at or after
    the newest sample before it; a batch that goes back in time (or is unordered inside) starts a new run.
    Feeding the runs equals feeding the batches one by one (the detector is batching-invariant on in-order
    data, tests/ops/test_monitor.py)."""
    runs: list = []
    cur: list = []
    newest = None
    for t, c, v in batches:
        if not len(t):
            continue
        inorder = bool(np.all(np.diff(t) >= 0))
        if cur and (not inorder or newest is None or t[0] < newest):
            runs.append(cur)
            cur = []
        cur.append((t, c, v))
        newest = int(t.max()) if inorder else None
    if cur:
        runs.append(cur)
    return [(np.concatenate([b[0] for b in r]), np.concatenate([b[1] for b in r]), np.concatenate([b[2] for b in r]))
            for r in runs]


class _Window:
    """The cabin pressure samples of the trend window as numpy chunks (times [ns], pressures [Pa]).

    A deque of Python tuples cost one object per sample and one full conversion per update: at a high ingest
    rate (an orbit of a 10 Hz channel is 56,000 samples) it was the monitor's largest cost and grew as the
    window filled (issue 12, the ingest rate falling over a run)."""

    def __init__(self):
        self.t: list = []
        self.p: list = []
        self.n = 0
        self._compact_at = 4096

    def add(self, t_ns: np.ndarray, p: np.ndarray, horizon_ns: int) -> None:
        self.t.append(np.asarray(t_ns, dtype=np.int64))
        self.p.append(np.asarray(p, dtype=float))
        self.n += len(t_ns)
        if self.n >= self._compact_at or len(self.t) > 256:
            t, p = np.concatenate(self.t), np.concatenate(self.p)
            keep = t >= horizon_ns
            self.t, self.p = [t[keep]], [p[keep]]
            self.n = int(keep.sum())
            self._compact_at = max(4096, 2 * self.n)
        self.horizon_ns = horizon_ns

    def clear(self) -> None:
        self.t, self.p, self.n = [], [], 0

    def thinned(self, max_points: int) -> tuple[np.ndarray, np.ndarray]:
        """The window's samples (after the horizon), every k-th one so that at most ``max_points`` remain."""
        if not self.t:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        t, p = np.concatenate(self.t), np.concatenate(self.p)
        keep = t >= self.horizon_ns
        t, p = t[keep], p[keep]
        k = max(1, -(-len(t) // max_points))
        return t[::k], p[::k]


#: Largest number of cabin samples the trend fits (every k-th sample of the window beyond it: the slope's
#: interval widens by sqrt(k) at most; an orbit of a 1 Hz channel is 5,556 samples).
TREND_MAX_POINTS = 6000


def _by_channel(t_ns: np.ndarray, ch: np.ndarray, val: np.ndarray) -> dict:
    """``{channel: [[t_ms, value], ...]}`` of a batch, each channel's samples in time order."""
    out: dict = {}
    codes, cats = pd.factorize(ch)
    order = np.lexsort((t_ns, codes))
    codes, tms, vv = codes[order], (t_ns[order] // 1_000_000).tolist(), val[order].tolist()
    cuts = np.flatnonzero(np.diff(codes)) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(codes)]
    for s0, e0 in zip(starts, ends):
        if e0 > s0:
            out[str(cats[codes[s0]])] = [[a, b] for a, b in zip(tms[s0:e0], vv[s0:e0])]
    return out


def _unit_of(name: str) -> str:
    for suf, unit in (("_s_per_mmhg", "s/mmHg"), ("_mmhg_per_h", "mmHg/h"), ("_kg", "kg"), ("_mmhg", "mmHg"),
                      ("_s", "s")):
        if name.split("_low")[0].split("_high")[0].endswith(suf):
            return unit
    return ""


def _default_cabin(station) -> str:
    zone = max(station.zones(), key=station.zone_volume_m3)
    chans = [s.id for s in station.sensors_in(zone, "pressure")]
    if not chans:
        chans = [c for c, s in station.sensors.items() if s.quantity == "pressure"]
    return chans[0]


def _iso_ns(ns: int | None) -> str | None:
    if ns is None:
        return None
    return pd.Timestamp(ns, unit="ns", tz="UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")
