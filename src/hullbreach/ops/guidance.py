"""Isolation guidance of the live monitor: the crew's hatch operations move the isolation session on.

The monitor starts an :class:`~hullbreach.ops.engine.Isolation` session at the first leak alarm. From then
on :class:`Guide` follows the hatch configuration the crew actually sets up, from hatch events
(``hatch_close`` / ``hatch_open`` rows of an events file, ``POST /api/events``, or the ``events.csv`` that
``hullbreach simulate`` writes beside a replayed file):

1. an event becomes known to the guide when the telemetry's time reaches it (a replay reveals the events of
   its file as it goes; a live event is in the past already); it changes the configuration the crew set;
2. from the last hatch event on (plus :data:`SETTLE_S`) the samples are the telemetry of the step the
   crew set up; every :data:`CHECK_EVERY_S` of data time (at fixed multiples, so the outcome does not
   depend on how the stream was cut into batches) the guide gives that window to the session with the
   configuration actually set (``observe(..., closed_hatches=...)``);
3. once the session's sequential test decides (or the wait is covered), the step is committed, the session
   plans the next step (or ends: found / stop / undecided) and the guidance the pages show changes.

A hatch event before the alarm sets the configuration the session starts from. The guide keeps the
window's samples in memory only while a step is in progress (a step lasts minutes to hours).

Units: times [ns since the epoch, UTC] unless a name says ``_s`` [s]; values in the sensor's unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hullbreach.errors import HullbreachError
from hullbreach.ops import engine

#: The step's telemetry starts this long after the last hatch operation [s] (the isolation campaign's
#: step window starts one second after its last closure: hullbreach.campaign.runner).
SETTLE_S = 1.0
#: Data time between two readings of a step in progress [s] (the sequential test's fine checkpoints are 60 s
#: apart; reading every 2 min keeps a 10-min step's answer within 2 min of the decision).
CHECK_EVERY_S = 120.0
#: Event kinds that change the hatch configuration.
HATCH_KINDS = ("hatch_close", "hatch_open")
#: Event kinds the guide follows: hatch changes, and the crew's report that the leak is sealed.
GUIDE_KINDS = (*HATCH_KINDS, "leak_sealed")


def hatch_changes(events: pd.DataFrame | None) -> list[tuple[int, str, str]]:
    """``(t_ns, kind, hatch)`` of the hatch closures and openings (and ``leak_sealed``, hatch "") of an events
    table, in time order."""
    if events is None or len(events) == 0:
        return []
    sel = events[events["kind"].isin(GUIDE_KINDS)]
    t = pd.DatetimeIndex(sel["time"]).asi8
    if "hatch" in sel.columns:
        hatch = sel["hatch"].astype(str).tolist()
    else:  # a bare time, kind, detail table (hullbreach.sim's events)
        from hullbreach.telemetry.readers import parse_detail

        hatch = [parse_detail(k, "" if pd.isna(d) else str(d))["hatch"] for k, d in zip(sel["kind"], sel["detail"])]
    return sorted(zip((int(x) for x in t), sel["kind"].astype(str), hatch), key=lambda e: e[0])


class Guide:
    """The isolation session of one alarm and the hatch configuration the crew set (see the module docstring).

    Parameters
    ----------
    station : Station
    events : DataFrame, optional
        Known operations (``read_events`` columns); their hatch events are revealed as the data reaches them.
    crew_count : int
        Crew aboard (isolation session).
    seed : int
    """

    def __init__(self, station, events: pd.DataFrame | None = None, *, crew_count: int = 0, seed: int = 0):
        self.station = station
        self.crew_count = crew_count
        self.seed = seed
        self.closed = frozenset(station.closed_hatches())
        self._pending: list = hatch_changes(events)
        self.applied: list = []                 # (t_ns, kind, hatch) revealed so far
        self.isolation: engine.Isolation | None = None
        self.json: dict | None = None
        self.steps: list = []                   # committed steps as the pages show them
        self._alarm_zone = None
        self._t0_ns: int | None = None          # last hatch operation of the step in progress
        self._buf: list = []                    # (t, ch, v) since _t0_ns
        self._next_ns: int | None = None
        self._ended = False                      # sealed, or the alarm withdrawn without hatch changes
        self._changed = False                    # a hatch changed since the session started
        self.notes: list = []

    # --------------------------------------------------------------------------------------- events
    def add(self, events: pd.DataFrame | None) -> int:
        """Add hatch events (from ``POST /api/events``); returns how many hatch changes were added."""
        new = hatch_changes(events)
        self._pending = sorted(self._pending + new, key=lambda e: e[0])
        return len(new)

    def event_times(self, lo_ns: int, hi_ns: int) -> list[int]:
        """Times [ns] of the pending events in ``(lo_ns, hi_ns]`` (where the monitor cuts its runs)."""
        return [e[0] for e in self._pending if lo_ns < e[0] <= hi_ns]

    def reveal(self, upto_ns: int) -> None:
        """Take the events up to the data time ``upto_ns`` (before :meth:`on_state`: the detector ends its
        alarm at a hatch change, and the guide must know the crew did it)."""
        while self._pending and self._pending[0][0] <= upto_ns:
            t, kind, hatch = self._pending.pop(0)
            if kind == "leak_sealed":
                self.applied.append((t, kind, hatch))
                self._end("sealed", "the leak was reported sealed: reopen the hatches after equalizing pressure")
                continue
            closed = set(self.closed)
            (closed.add if kind == "hatch_close" else closed.discard)(hatch)
            self.applied.append((t, kind, hatch))
            if frozenset(closed) == self.closed:
                continue
            self.closed = frozenset(closed)
            self._changed = True
            if self.running:
                self._t0_ns = t
                self._buf = [(bt[m], bc[m], bv[m]) for bt, bc, bv in self._buf if (m := bt >= t).any()]
                self._next_ns = _next_multiple(t + int(SETTLE_S * 1e9), int(CHECK_EVERY_S * 1e9))

    # --------------------------------------------------------------------------------------- alarm
    @property
    def running(self) -> bool:
        """True while a session is guiding the crew (started, not finished, leak not sealed)."""
        return self.isolation is not None and not self.isolation.done and not self._ended

    def _end(self, status: str, advice: str) -> None:
        if self.isolation is None or self._ended:
            return
        self._ended = True
        self.json = {**(self.json or {}), "status": status, "next_step": None, "advice": advice}
        self._t0_ns, self._buf = None, []

    def on_state(self, state: dict, alarm: dict | None) -> None:
        """Follow the detector: start a session at the first leak alarm.

        The session then runs until it has its answer, until a ``leak_sealed`` event, or until the detector
        withdraws its alarm while no hatch was operated (a false alarm, or the leak stopped). A hatch change
        ends the detector's alarm too (it learns the new zones again, ~1 h on MS-09) and splits its zone:
        neither ends the session nor starts a new one."""
        if alarm is None:
            if self.running and not self._changed:
                self._end("no-alarm", "no active leak alarm any more (no hatch was operated): the detector "
                                      "withdrew it; keep watching the pressure")
            return
        if self.isolation is not None and not self._ended:
            return
        mdot = engine.leak_mass_flow_from_alarm(alarm)
        if mdot is None:
            return
        self.isolation = engine.Isolation(self.station, mdot, seed=self.seed, crew_count=self.crew_count,
                                          closed_hatches=self.closed)
        self._ended = self._changed = False
        self._alarm_zone = tuple(alarm.get("zone") or ())
        self.steps = []
        self._t0_ns, self._buf = None, []
        self.json = self._json()

    # --------------------------------------------------------------------------------------- samples
    def on_samples(self, t_ns: np.ndarray, ch: np.ndarray, val: np.ndarray, newest_ns: int) -> bool:
        """Take a batch (after the detector saw it and :meth:`reveal` / :meth:`on_state` ran); returns True
        when the guidance changed."""
        before = (self.closed, len(self.steps), self.json and self.json.get("status"), self._ended)
        if self._t0_ns is not None and len(t_ns):
            m = t_ns >= self._t0_ns
            if m.any():
                self._buf.append((t_ns[m], ch[m], val[m]))
        step = int(CHECK_EVERY_S * 1e9)
        while self.running and self._t0_ns is not None and self._next_ns is not None and self._next_ns <= newest_ns:
            end = self._next_ns
            self._next_ns += step
            if self._try_step(end):
                break
        if self.isolation is not None and not self._ended:
            self.json = self._json()
        return before != (self.closed, len(self.steps), self.json and self.json.get("status"), self._ended)

    def _try_step(self, end_ns: int) -> bool:
        lo = self._t0_ns + int(SETTLE_S * 1e9)
        parts = [(bt[m], bc[m], bv[m]) for bt, bc, bv in self._buf if (m := (bt >= lo) & (bt <= end_ns)).any()]
        if not parts:
            return False
        t = np.concatenate([p[0] for p in parts])
        raw = pd.DataFrame({"time": pd.to_datetime(t, unit="ns", utc=True),
                            "channel": np.concatenate([p[1] for p in parts]),
                            "value": np.concatenate([p[2] for p in parts])}).sort_values("time", kind="stable")
        pending = self.isolation.to_json().get("next_step") or {}
        try:
            out = self.isolation.observe(raw, closed_hatches=self.closed)
        except HullbreachError as exc:
            if "not done" not in str(exc):
                self.notes = [*self.notes[-9:], str(exc)]
            return False
        self.steps.append({"index": out.get("step"), "planned": pending.get("instructions"),
                           "closed_hatches": sorted(self.closed), "started": _iso(self._t0_ns),
                           "decided": _iso(lo + int(float(out.get("decision_s") or 0.0) * 1e9)),
                           "leaking_zone": out.get("leaking_zone"), "zone_probability": out.get("zone_probability")})
        self._t0_ns, self._buf, self._next_ns = None, [], None
        return True

    # --------------------------------------------------------------------------------------- output
    def _json(self) -> dict:
        j = self.isolation.to_json()
        j.update({"closed_hatches_now": sorted(self.closed), "steps": list(self.steps[-20:]),
                  "step_in_progress_since": _iso(self._t0_ns), "notes": list(self.notes)})
        return j


def _next_multiple(t_ns: int, step_ns: int) -> int:
    return -(-t_ns // step_ns) * step_ns


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return pd.Timestamp(ns, unit="ns", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
