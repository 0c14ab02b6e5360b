"""The one place where the monitor service touches the detector and the isolation session.

Everything in :mod:`hullbreach.ops` reaches :class:`hullbreach.detect.stream.StreamingDetector` and
:class:`hullbreach.isolate.session.IsolationSession` through this module, and reads the detector's answer as
the JSON of ``hullbreach detect --json`` (``DetectionResult.to_json()``), so that a change of those APIs is
an edit here only. Per-zone ``state`` keys (learning / nominal / alarm / unmonitored), when the detector
gives them, are passed through untouched.

Units: SI (kg s^-1, Pa, s) unless a name says otherwise.
"""

from __future__ import annotations

import pandas as pd

from hullbreach.errors import HullbreachError


class Detector:
    """Streaming detector behind the monitor: feed raw batches (sensor units), read the JSON answer."""

    def __init__(self, station, events: pd.DataFrame | None = None, *, seed: int = 0):
        from hullbreach.detect.stream import StreamingDetector

        self._det = StreamingDetector(station, events, seed=seed)
        self.station = self._det.station
        self._json: dict | None = None

    def update(self, raw: pd.DataFrame) -> dict:
        """Feed one batch (``time`` datetime64[ns, UTC], ``channel``, ``value`` in the sensor's unit); return
        the current answer as ``hullbreach detect --json`` gives it."""
        res = self._det.update(raw)
        self._json = res.to_json()
        return self._json

    def add_events(self, events: pd.DataFrame) -> None:
        """Known operations that arrived live (raises DetectionError when their time was already analysed)."""
        self._det.add_events(events)

    def state(self) -> dict:
        """The last answer (an empty nominal answer before any data)."""
        if self._json is None:
            self._json = self._det.result().to_json()
        return self._json


class Isolation:
    """A guided isolation session started by the monitor when the detector raises a leak alarm."""

    def __init__(self, station, leak_mass_flow_kg_s: float, *, seed: int = 0, crew_count: int = 0, closed_hatches=None):
        from hullbreach.isolate.session import IsolationSession

        self._s = IsolationSession(station, float(leak_mass_flow_kg_s), seed=seed, crew_count=crew_count,
                                   closed_hatches=closed_hatches)
        self.leak_mass_flow_kg_s = float(leak_mass_flow_kg_s)

    def to_json(self) -> dict:
        """``{"status", "advice", "posterior" (top modules), "next_step" (or None), "steps_done"}``."""
        s = self._s
        step = None
        if not s.done:
            try:
                st = s.next_step()
                step = {**st.to_json(), "instructions": st.instructions()}
            except HullbreachError:
                step = None
        res = s.result
        post = sorted(((k, float(v)) for k, v in s.posterior.items()), key=lambda kv: -kv[1])[:8]
        alert = (step or {}).get("alert") or getattr(res, "alert", "") or ""  # hb-isolate's Step/Result.alert, when there
        return {"status": res.status, "advice": res.advice, "module": res.module, "probability": float(res.probability),
                "alert": alert,
                "posterior": [{"hypothesis": k, "probability": v} for k, v in post],
                "next_step": step, "steps_done": len(s.history), "leak_mass_flow_kg_s": self.leak_mass_flow_kg_s,
                "elapsed_s": float(res.elapsed_s)}

    def observe(self, raw: pd.DataFrame, closed_hatches=None) -> dict:
        """Give the telemetry of the pending step (raw long table, sensor units); return the step's outcome."""
        return self._s.observe(raw, closed_hatches=closed_hatches).to_json()

    def step_window(self, t0_s: float) -> tuple[float, float]:
        """Telemetry window [UNIX s] of the pending step when its hatch operations begin at ``t0_s``."""
        from hullbreach.isolate.session import step_window

        return step_window(t0_s, self._s.next_step())

    @property
    def done(self) -> bool:
        """True once the session has its answer."""
        return self._s.done


def leak_mass_flow_from_alarm(alarm: dict) -> float | None:
    """Leak mass flow [kg s^-1] of an alarm of the detector's JSON, None when missing: the estimate at the
    alarm (``at_alarm``; the same however the stream was cut into batches, so that a rebuild after a restart
    starts the same isolation session), else the current one."""
    v = (((alarm.get("at_alarm") or {}).get("leak_mass_flow_kg_s") or {}).get("estimate")
         or (alarm.get("leak_mass_flow_kg_s") or {}).get("estimate"))
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if v > 0 else None
