"""Results of the leak detector: alarms, per-zone status and the whole detection result (JSON contract of
the Detection issue: ``status``, ``alarms``, ``sensor_faults``, ``quarantined_samples``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hullbreach.detect.airmass import iso
from hullbreach.detect.estimate import LeakEstimate
from hullbreach.uncertain import Interval

# ----------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Alarm:
    """One leak (or growing-leak) alert in one zone.

    Attributes
    ----------
    kind : str
        ``leak`` or ``growing_leak``.
    zone : tuple[str, ...]
        Module ids of the zone.
    time_s : float
        Alarm time, UNIX [s] (end of the bin that crossed the threshold).
    onset_s : Interval
        Onset time, UNIX [s], with its likelihood-ratio 95 % interval.
    statistic, threshold : float
        LLR at the alarm and the threshold.
    track : str
        ``n2`` or ``air``.
    estimate : LeakEstimate
        Mass flow, pressure rate, effective hole, reserve time with 95 % intervals (from the post-onset fit).
    active : bool
        False once the leak was sealed (``leak_sealed`` event) or the zone changed.
    end_s : float | None
        End of the fit span when the alarm is no longer active [s].
    fit_span_s : float
        Length of data after the onset [s].
    estimate_at_alarm : LeakEstimate | None
        The same numbers from the data up to the alarm only (what an operator saw then).
    """

    kind: str
    zone: tuple
    time_s: float
    onset_s: Interval
    statistic: float
    threshold: float
    track: str
    estimate: LeakEstimate
    active: bool = True
    end_s: float | None = None
    fit_span_s: float = 0.0
    estimate_at_alarm: LeakEstimate | None = None

    def to_json(self) -> dict:
        """The alarm as in docs/design.md §3.3 (intervals as objects, times ISO 8601 UTC)."""
        e = self.estimate
        return {
            "kind": self.kind,
            "time": iso(self.time_s),
            "onset_time": iso(self.onset_s.estimate),
            "onset_time_interval": {"estimate": iso(self.onset_s.estimate), "low": iso(self.onset_s.low),
                                    "high": iso(self.onset_s.high)},
            "zone": list(self.zone),
            "track": self.track,
            "leak_mass_flow_kg_s": e.leak_mass_flow_kg_s.to_json(),
            "pressure_rate_pa_s": e.pressure_rate_pa_s.to_json(),
            "effective_hole_diameter_m": e.effective_hole_diameter_m.to_json(),
            "reserve_time_s": e.reserve_time_s.to_json(),
            "reserve_model": e.reserve_model,
            "pressure_pa": e.pressure_pa,
            "volume_m3": e.volume_m3,
            "statistic": self.statistic,
            "threshold": self.threshold,
            "active": self.active,
            "end_time": iso(self.end_s) if self.end_s is not None else None,
            "fit_span_s": self.fit_span_s,
            "at_alarm": None if self.estimate_at_alarm is None else {
                k: self.estimate_at_alarm.to_json()[k] for k in
                ("leak_mass_flow_kg_s", "pressure_rate_pa_s", "effective_hole_diameter_m", "reserve_time_s",
                 "pressure_pa")},
        }


#: Per-zone states: the slow noise is not measured yet (the prior holds), monitored, an active leak alarm, no
#: verdict possible (no trusted pressure channel, or the track's channels absent from the data).
ZONE_STATES = ("learning", "nominal", "alarm", "unmonitored")


@dataclass(frozen=True)
class ZoneStatus:
    """Where one zone stands now.

    Attributes
    ----------
    zone, track, volume_m3 : tuple, str, float
        Module ids, the detector's track (``n2``, ``air``, or ``none`` when unmonitored) and volume [m^3].
    pressure_pa, temperature_k, mass_kg : float
        Latest zone pressure [Pa], mean gas temperature [K], air mass [kg] (NaN when unmonitored).
    statistic : float
        Latest detection statistic [-] (NaN when unmonitored).
    background_rate_kg_s : float
        Loss rate of the air mass over the window [kg/s].
    sigma_kg : float
        White-noise standard deviation of the track per bin [kg].
    bins : int
        Bins seen by the zone's detector.
    vented : bool
        Below half the nominal pressure or between an airlock's depress and repress.
    state : str
        One of :data:`ZONE_STATES`.
    min_detectable_mass_flow_kg_s, min_detectable_pressure_rate_pa_s : float
        Smallest constant air loss [kg/s] (and its pressure rate [Pa/s]) present over the test window that the
        test would alarm on now, with the noise model in use (NaN when unmonitored or not yet testable).
    reason : str
        Why the zone is unmonitored, or what the thermometer suspicion is ("" otherwise).
    thermometer_suspicion : bool
        The track fell beyond the threshold but the pressure itself did not: a change carried by temperature.
    """

    zone: tuple
    track: str
    volume_m3: float
    pressure_pa: float
    temperature_k: float
    mass_kg: float
    statistic: float
    background_rate_kg_s: float
    sigma_kg: float
    bins: int
    vented: bool = False
    state: str = "nominal"
    min_detectable_mass_flow_kg_s: float = float("nan")
    min_detectable_pressure_rate_pa_s: float = float("nan")
    reason: str = ""
    thermometer_suspicion: bool = False

    def to_json(self) -> dict:
        """JSON dict (NaN as null)."""
        out = {}
        for k, v in self.__dict__.items():
            if isinstance(v, tuple):
                v = list(v)
            elif isinstance(v, float) and v != v:
                v = None
            out[k] = v
        return out


@dataclass(frozen=True)
class DetectionResult:
    """What the detector says about a record (batch) or about everything seen so far (streaming)."""

    station: str
    status: str
    alarms: tuple
    sensor_faults: tuple
    quarantined_samples: int
    trusted_channels: tuple
    zones: tuple
    threshold: float
    far_per_year: float
    start_s: float | None
    end_s: float | None
    bin_s: float
    notes: tuple = ()
    series: tuple = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict:
        """JSON contract of ``hullbreach detect --json`` (issue 3 item 6)."""
        return {
            "status": self.status,
            "station": self.station,
            "alarms": [a.to_json() for a in self.alarms],
            "sensor_faults": [f.to_json() for f in self.sensor_faults],
            "quarantined_samples": int(self.quarantined_samples),
            "trusted_channels": list(self.trusted_channels),
            "zones": [z.to_json() for z in self.zones],
            "monitored_zones": sum(1 for z in self.zones if z.state != "unmonitored"),
            "unmonitored_zones": sum(1 for z in self.zones if z.state == "unmonitored"),
            "threshold_llr": self.threshold,
            "far_per_year": self.far_per_year,
            "start_time": iso(self.start_s) if self.start_s is not None else None,
            "end_time": iso(self.end_s) if self.end_s is not None else None,
            "bin_s": self.bin_s,
            "notes": list(self.notes),
        }
