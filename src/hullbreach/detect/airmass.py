"""Air mass per pressure zone from telemetry: robust zone pressure, gas temperature, ppN2 mass.

Leak detection works in air mass, m = p V / (R T), because temperature alone moves ISS pressure by about
2.6 mmHg per K (docs/reference/figures.md); this is the mass-point method of containment leak-rate testing [1]. ISS
ground control also tracks the ppN2 trend, since O2 varies with metabolism and feeds while N2 does not [2];
the N2 mass ``ppN2 V / (R_N2 T)`` is computed alongside whenever the zone has a ppN2 channel.

How a zone's numbers are made, per time bin (default 60 s, aligned on multiples of the bin since the UNIX
epoch, so that batch and streaming see the same bins):

* **zones over time**: the station topology with the hatch states of the station file, changed by
  ``hatch_open``/``hatch_close`` (and ``valve_open``/``valve_close``, which connect two zones) in the
  events file (docs/design.md §3.2).
* **pressure**: mean of each pressure channel in the bin, then the **median over the zone's trusted pressure
  channels** after removing each channel's offset from the consensus (learned at its first bin in the zone
  period). A channel that departs from the consensus by more than ``max(abs tol, 6 x its noise)`` is a
  **sensor fault** from that bin on: reported with a reason and left out, instead of moving the zone
  pressure (a dead or drifting gauge must not raise a leak alarm). Needs three or more channels to vote.
* **temperature**: the ideal-gas mass of a zone is ``p / R * sum_i V_i / T_i``; modules without a trusted
  temperature channel use the zone's consensus temperature (or the module's nominal temperature).
* **gas constant**: from the partial pressures (ppO2, ppN2, ppCO2; the rest counted as water vapour) of the
  zone's first bin that has them, then held for the zone period (the ppO2 analysers are too noisy, 0.5 mmHg,
  to recompute R every minute without adding noise to the mass); dry air otherwise.
* **known operations** (every event kind of docs/design.md §3.2): the bins around an event are marked
  ``excluded`` so that the detector bridges the step instead of calling it a leak (a repress adds gas, an
  airlock cycle removes some, a hatch opening mixes zones). A zone whose pressure is below
  ``vented_fraction`` of the station's nominal pressure is marked ``vented`` (a depressed airlock).

Everything here is vectorised over bins; per-sample work is one ``numpy.bincount``. A chunk of a single
bin (streaming: one bin a minute) takes a scalar path (:meth:`AirMassTracker.process_one`) that does the same
arithmetic in the same order on Python floats, so its numbers are bit for bit those of the chunk path
(tested on random inputs) at a tenth of the cost.

References
----------
.. [1] ANSI/ANS-56.8-2020, *Containment System Leakage Testing Requirements*, mass-point method.
.. [2] NASA NTRS 20050217416 (SAE 2004-01-2597): ISS leak tracking on the ppN2 trend (docs/reference/figures.md).
.. [3] Ideal gas law and Dalton's law: :mod:`hullbreach.physics.gas`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from hullbreach.constants import MOLAR_MASS_KG_MOL, PA_PER_MMHG, R_AIR, R_UNIVERSAL
from hullbreach.detect.binning import DEFAULT_BIN_S, bin_channels, bin_frame, time_ns  # noqa: F401 (re-exported)
from hullbreach.detect.dropouts import N2_OFFSET_TAU_S, hold_last, ppn2_bin
from hullbreach.detect.events import KnownEvent, ZonePeriod, parse_events, zone_periods  # noqa: F401 (re-exported)
from hullbreach.detect.restart import ThermometerRestarts
from hullbreach.detect.vote import Consensus, first_offset, median_list, nanmedian0
from hullbreach.errors import DetectionError
from hullbreach.physics.gas import mixture_gas_constant
from hullbreach.station import Station
from hullbreach.units import to_si

#: Specific gas constant of N2 [J kg^-1 K^-1] = R_u / M_N2 (CODATA, CIAAW; see constants).
R_N2 = R_UNIVERSAL / MOLAR_MASS_KG_MOL["n2"]
#: Minimum time a known operation keeps the mass out of the test, by kind [s] (estimates): an airlock
#: repress draws cabin air for ~15 min (Quest crewlock, sim defaults); a docking opens a vestibule.
#: Slow gas additions are followed until the mass stops rising (:mod:`hullbreach.detect.detector`).
SETTLE_S = {"airlock_repress": 1800.0, "airlock_depress": 600.0, "vehicle_dock": 1800.0,
            "vehicle_undock": 1800.0}
#: A pressure channel further than this from the zone consensus is a sensor fault [Pa] (0.3 mmHg).
PRESSURE_FAULT_TOL_PA = 0.3 * PA_PER_MMHG
#: A temperature channel further than this from the zone consensus (after its offset) is a fault [K].
TEMPERATURE_FAULT_TOL_K = 1.5
#: Time constant of a thermometer's tracked offset from the zone consensus [s] (1 h). Modules have their own
#: orbital (92.6 min) and daily swings, ~0.3 and 0.5 K each on the ISS (docs/reference/figures.md), so a
#: thermometer's departure from the other modules' median moves by up to ~1.5 K in a day while it still
#: represents its module. Its offset follows that departure with this time constant: the daily swing is
#: tracked (a 1.5 K daily departure leaves ~0.4 K against the offset), the orbital one is not (it stays
#: inside the tolerance), and a thermometer's step of more than the tolerance in minutes is still a fault.
TEMPERATURE_OFFSET_TAU_S = 3600.0
#: Bins of each zone's temperature history kept for the cross-checks at an alarm (2 days at 60 s).
HISTORY_BINS = 2880


# ---------------------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class ZoneMass:
    """Air mass of one zone over one zone period, on the common time grid (SI).

    Attributes
    ----------
    zone : tuple[str, ...]
        Module ids (sorted).
    volume_m3 : float
        Zone volume [m^3].
    k : ndarray of int
        Bin indices (bin k covers ``[k bin_s, (k+1) bin_s)`` UNIX seconds).
    t_s : ndarray
        Bin centre times, UNIX [s].
    pressure_pa, temperature_k : ndarray
        Robust zone pressure [Pa] and effective gas temperature ``V / sum(V_i/T_i)`` [K].
    r_specific : float
        Gas constant of the zone's mixture [J kg^-1 K^-1].
    mass_kg : ndarray
        Air mass [kg] (NaN where the zone had no pressure data).
    n2_mass_kg : ndarray | None
        N2 mass from ppN2 [kg], when the zone has a ppN2 channel.
    excluded : ndarray of bool
        Bins touched by a known operation (the detector bridges them).
    vented : ndarray of bool
        Bins where the zone is below ``vented_fraction`` of nominal pressure (not monitored).
    pressure_sensors : tuple[str, ...]
        Pressure channels that voted.
    sensor_change : ndarray of bool, optional
        Bins where a channel of the zone was judged faulty and left out (the noise of the zone's numbers
        may change there: a module's own temperature swings are no longer measured).
    restart : ndarray of bool, optional
        Bins where a thermometer of the zone warms after a logger gap (:mod:`hullbreach.detect.restart`): its
        readings are withheld, and the detector bridges these bins keeping the pressure's step.
    """

    zone: tuple
    volume_m3: float
    k: np.ndarray
    t_s: np.ndarray
    pressure_pa: np.ndarray
    temperature_k: np.ndarray
    r_specific: float
    mass_kg: np.ndarray
    n2_mass_kg: np.ndarray | None
    excluded: np.ndarray
    vented: np.ndarray
    pressure_sensors: tuple = ()
    sensor_change: np.ndarray | None = None
    restart: np.ndarray | None = None


@dataclass(frozen=True)
class SensorFault:
    """A channel judged faulty: by the data checks or by disagreeing with its zone."""

    sensor: str
    reason: str
    time_s: float | None = None

    def to_json(self) -> dict:
        """``{"sensor", "reason"}`` (plus ``time`` when known, ISO 8601 UTC)."""
        out = {"sensor": self.sensor, "reason": self.reason}
        if self.time_s is not None:
            out["time"] = iso(self.time_s)
        return out


def iso(t_s: float) -> str:
    """ISO 8601 UTC string of a UNIX time [s] (``...Z``, second resolution)."""
    return pd.Timestamp(t_s, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------------ tracker
class BinScalars(NamedTuple):
    """One zone's numbers for one bin as Python scalars (the streaming step's :class:`ZoneMass`): zone pressure
    [Pa], effective temperature [K], air mass [kg], N2 mass [kg] (None: no ppN2 channel), gas constant
    [J kg^-1 K^-1], and the bin's flags (known operation, vented, a channel left out, a thermometer warming after
    a logger gap)."""

    p: float
    t_eff: float
    mass: float
    n2: float | None
    r: float
    excluded: bool
    vented: bool
    change: bool
    restart: bool = False


@dataclass
class _ZoneState:
    zone: tuple
    volume_m3: float
    p_sensors: tuple
    p_vote: Consensus
    t_vote: Consensus
    t_modules: tuple  # module of each temperature channel
    module_vols: np.ndarray
    module_tnom: np.ndarray
    modules: tuple
    pp_rows: dict  # quantity -> channel row indices
    r_specific: float | None = None
    # index arrays of the single-bin path (:meth:`AirMassTracker._zone_bin_scalars`), built once per zone
    prow: np.ndarray | None = None  # row of each pressure channel
    trow: np.ndarray | None = None  # row of each temperature channel
    t_single: np.ndarray | None = None  # per module: its temperature channel if it has exactly one, else -1
    t_multi: tuple = ()  # (module index, channel indices) of modules with several temperature channels
    t_none: np.ndarray | None = None  # modules without a temperature channel
    inv_t_nominal: float = 0.0  # sum V_i / T_nominal_i [m^3/K] (zones without temperature channels)
    pp_idx: tuple = ()  # (quantity, row index array) of the partial pressures present
    #: False until the zone's first bin outside a known operation: the pressure vote's offsets and flags until
    #: then are provisional (learned afresh there, :meth:`Consensus.relearn`; no fault is reported from them)
    settled: bool = False
    #: the zone's last temperature consensus [K] (NaN: none yet): a bin without any thermometer sample keeps it
    t_last: float = math.nan
    #: per ppN2 analyser, its offset from the analysers' median [Pa] (learned on bins where every one reports) and
    #: how many such bins taught it (:func:`~hullbreach.detect.dropouts.ppn2_bin`)
    n2_off: list = field(default_factory=list)
    n2_seen: int = 0
    n2_track: float = 0.0  # fraction of its departure by which an analyser's offset moves each bin [-]
    #: the temperature channels' restarts after logger gaps (built in ``__post_init__``) and their swings
    restarts: ThermometerRestarts | None = None
    bin_s: float = DEFAULT_BIN_S
    restart_swings: tuple | None = None

    def __post_init__(self) -> None:
        self.prow = np.zeros(0, dtype=np.int64) if self.prow is None else self.prow
        self.trow = np.zeros(0, dtype=np.int64) if self.trow is None else self.trow
        idx: dict[str, list[int]] = {}
        for j, m in enumerate(self.t_modules):
            idx.setdefault(m, []).append(j)
        single = np.full(len(self.modules), -1, dtype=np.int64)
        multi = []
        for i, m in enumerate(self.modules):
            js = idx.get(m, [])
            if len(js) == 1:
                single[i] = js[0]
            elif js:
                multi.append((i, js))
        self.t_single = single
        self.t_multi = tuple(multi)
        self.t_none = np.array([i for i, m in enumerate(self.modules) if m not in idx], dtype=np.int64)
        self.inv_t_nominal = float(np.sum(self.module_vols / self.module_tnom))
        self.pp_idx = tuple((q, np.asarray(rows, dtype=np.int64)) for q, rows in self.pp_rows.items() if rows)
        # the same as Python lists (the single-bin path works on Python floats)
        self.prow_l, self.trow_l = self.prow.tolist(), self.trow.tolist()
        self.t_single_l = self.t_single.tolist()
        self.vols_l, self.tnom_l = self.module_vols.tolist(), self.module_tnom.tolist()
        self.pp_idx_l = tuple((q, rows.tolist()) for q, rows in self.pp_idx)
        self.n2_rows_l = dict(self.pp_idx_l).get("ppn2")  # rows of the ppN2 channels (None: no ppN2)
        if self.restarts is None:
            self.restarts = ThermometerRestarts(len(self.trow), self.bin_s, self.restart_swings)


class AirMassTracker:
    """Turns per-bin channel means into per-zone air mass, bin after bin (batch = one big chunk).

    Parameters
    ----------
    station : Station
    events : tuple of KnownEvent
    bin_s : float
        Bin length [s].
    untrusted : dict[str, str]
        Channels the data checks judged faulty, with the reason; they never vote.
    settle_s : float
        Bins within ``settle_s`` after a known operation (and the bin before it) are ``excluded`` [s].
    vented_fraction : float
        A zone below this fraction of the station's nominal pressure is not monitored [-].
    swings : tuple, optional
        Unmeasured gas temperature swings ``((amplitude [K], period [s]), ...)``: a zone pressure that changed across
        a logger gap by more than they explain makes no thermometer restart there (:mod:`hullbreach.detect.restart`).
    """

    def __init__(self, station: Station, events: tuple = (), *, bin_s: float = DEFAULT_BIN_S,
                 untrusted: dict | None = None, settle_s: float = 600.0, vented_fraction: float = 0.5,
                 swings: tuple | None = None):
        self.swings = swings
        self.station = station
        self.bin_s = float(bin_s)
        self.events = tuple(events)
        self.untrusted = dict(untrusted or {})
        self.settle_s = float(settle_s)
        self.vented_fraction = float(vented_fraction)
        self.channels = list(station.sensors)
        self.row = {c: i for i, c in enumerate(self.channels)}
        self.periods = zone_periods(station, self.events, self.bin_s)
        #: one-bin chunks (streaming) take :meth:`process_one`, which gives exactly the chunk path's numbers
        self.single_bin_path = True
        self._states: dict[tuple, _ZoneState] = {}
        self._period_index = -1
        self.faults: dict[str, SensorFault] = {c: SensorFault(c, r) for c, r in self.untrusted.items()}
        #: per gauge, its latest equalization: (module, bin, departure before, after [Pa], how many)
        self._ops: dict[str, tuple] = {}
        #: per module set: bins, effective temperature [K] and the consensus temperature [K] (every module at the
        #: zone consensus plus its thermometer's first offset) of the last :data:`HISTORY_BINS` bins it was a zone
        self._t_hist: dict[tuple, tuple] = {}
        # excluded-bin ranges from known events, per module set (None = every zone)
        self._excl = []
        for ev in self.events:
            settle = max(self.settle_s, SETTLE_S.get(ev.kind, 0.0))
            k0 = int(math.floor(ev.time_s / self.bin_s)) - 1
            k1 = int(math.floor((ev.time_s + settle) / self.bin_s)) + 1
            self._excl.append((k0, k1, ev))
        # an airlock between its depress and its repress is not monitored (it is meant to be empty)
        self._unmon = []
        open_: dict[str, float] = {}
        for ev in self.events:
            if ev.kind == "airlock_depress" and ev.module:
                open_[ev.module] = ev.time_s
            elif ev.kind == "airlock_repress" and ev.module and ev.module in open_:
                t0 = open_.pop(ev.module)
                k1 = int(math.floor((ev.time_s + max(self.settle_s, SETTLE_S["airlock_repress"])) / self.bin_s)) + 1
                self._unmon.append((int(math.floor(t0 / self.bin_s)) - 1, k1, ev.module))
        for mod, t0 in open_.items():
            self._unmon.append((int(math.floor(t0 / self.bin_s)) - 1, 2 ** 62, mod))

    # -- helpers
    def _period_at(self, k: int) -> int:
        for i, p in enumerate(self.periods):
            if p.k_start <= k and (p.k_end is None or k < p.k_end):
                return i
        return len(self.periods) - 1

    def _state(self, zone: tuple) -> _ZoneState:
        st = self._states.get(zone)
        if st is not None:
            return st
        sens = self.station.sensors
        p_s = tuple(s.id for s in self.station.sensors_in(zone, "pressure") if s.id not in self.untrusted)
        t_s = tuple(s.id for s in self.station.sensors_in(zone, "temperature") if s.id not in self.untrusted)
        p_noise = np.array([to_si(max(sens[c].noise_std, 1e-9), sens[c].unit) for c in p_s])
        t_noise = np.array([max(sens[c].noise_std, 1e-9) for c in t_s])  # K and degC steps are equal
        mods = tuple(zone)
        pp = {q: [self.row[s.id] for s in self.station.sensors_in(zone, q) if s.id not in self.untrusted]
              for q in ("ppo2", "ppn2", "ppco2", "pph2o")}
        st = _ZoneState(zone=zone, volume_m3=self.station.zone_volume_m3(zone), p_sensors=p_s,
                        p_vote=Consensus(p_s, p_noise, PRESSURE_FAULT_TOL_PA,
                                         step_bins=int(math.ceil(self.settle_s / self.bin_s)) + 1),
                        t_vote=Consensus(t_s, t_noise, TEMPERATURE_FAULT_TOL_K,
                                          track=-math.expm1(-self.bin_s / TEMPERATURE_OFFSET_TAU_S)),
                        t_modules=tuple(sens[c].module for c in t_s),
                        module_vols=np.array([self.station.modules[m].volume_m3 for m in mods]),
                        module_tnom=np.array([self.station.modules[m].temperature_k for m in mods]),
                        modules=mods, pp_rows=pp, n2_track=-math.expm1(-self.bin_s / N2_OFFSET_TAU_S),
                        prow=np.array([self.row[c] for c in p_s], dtype=np.int64),
                        trow=np.array([self.row[c] for c in t_s], dtype=np.int64), bin_s=self.bin_s,
                        restart_swings=self.swings)
        self._states[zone] = st
        return st

    def _unmonitored(self, zone: tuple, ks: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ks), dtype=bool)
        for k0, k1, mod in self._unmon:
            if mod in zone:
                out |= (ks >= k0) & (ks <= k1)
        return out

    def _excluded(self, zone: tuple, ks: np.ndarray) -> np.ndarray:
        out = np.zeros(len(ks), dtype=bool)
        for k0, k1, _ev in self._excl:
            if k1 < ks[0] or k0 > ks[-1]:
                continue
            out |= (ks >= k0) & (ks <= k1)
        return out

    # -- main step
    def process(self, k0: int, sums: np.ndarray, counts: np.ndarray) -> list[ZoneMass]:
        """Air mass per zone for bins ``k0 .. k0+n-1`` given per-channel sums and counts (rows = station
        sensor order). Bins must be given in increasing order across calls."""
        n = sums.shape[1]
        if n == 0:
            return []
        if n == 1 and self.single_bin_path:
            return [self.zone_mass_of(st, k0, b) for st, b in self.process_one(k0, sums[:, 0], counts[:, 0])]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)
        ks_all = np.arange(k0, k0 + n)
        out = []
        for pi, per in enumerate(self.periods):
            lo = max(k0, per.k_start)
            hi = k0 + n if per.k_end is None else min(k0 + n, per.k_end)
            if hi <= lo:
                continue
            if pi != self._period_index:
                # a new zone structure: zones whose module set changed start afresh
                keep = set(per.zones)
                self._states = {z: s for z, s in self._states.items() if z in keep}
                self._period_index = pi
            sl = slice(lo - k0, hi - k0)
            ks = ks_all[sl]
            for zone in per.zones:
                zm = self._zone_chunk(self._state(zone), means[:, sl], counts[:, sl], ks)
                if zm is not None:
                    out.append(zm)
        return out

    def _note_faults(self, vote: Consensus, pressure: bool) -> None:
        """Report the channels a vote left out (first time only, in channel order), and the equalizations the
        pressure vote saw (:meth:`operation_notes`)."""
        for i, fk in enumerate(vote.flag_k.tolist()):
            if not math.isfinite(fk):
                continue
            c = vote.sensors[i]
            if c in self.faults:
                continue
            if pressure:
                reason = ("disagrees with the other pressure sensors of its zone by more than "
                          f"{PRESSURE_FAULT_TOL_PA / PA_PER_MMHG:.1f} mmHg (drift, offset jump or dead gauge); "
                          "left out of the zone pressure")
            else:
                reason = (f"temperature disagrees with its zone by more than {TEMPERATURE_FAULT_TOL_K:.1f} K; "
                          "module follows the zone consensus from its last trusted value")
            self.faults[c] = SensorFault(c, reason, (fk + 0.5) * self.bin_s)
        if pressure and len(vote.equalizations) > vote.eq_noted:
            self._note_equalizations(vote)

    def _keep_flags(self, st: _ZoneState) -> tuple:
        """Pressure channels of the zone judged faulty by the data checks (their flags outlive a relearn)."""
        return tuple(i for i, c in enumerate(st.p_sensors) if c in self.untrusted)

    def _note_equalizations(self, vote: Consensus) -> None:
        """Turn the pressure vote's new equalizations into notes, and say in a gauge's fault that it came back."""
        new = vote.equalizations[vote.eq_noted:]
        vote.eq_noted = len(vote.equalizations)
        for i, k, before, after, bridged in new:
            c = vote.sensors[i]
            last = self._ops.get(c)
            if last is not None and k - last[1] <= vote.step_bins:
                continue  # the same equalization seen in its next bin
            mod = self.station.sensors[c].module if c in self.station.sensors else "?"
            self._ops[c] = (mod, k, before, after, (last[4] + 1) if last else 1, bridged)
            f = self.faults.get(c)
            if f is not None and "came back" not in f.reason:
                self.faults = dict(self.faults)  # a new dict: the result's sorted copy is rebuilt
                self.faults[c] = SensorFault(c, f.reason + "; it came back to the zone pressure with an equalization "
                                             "step: probably its module sealed off by a hatch closure the events "
                                             "file does not log, not a faulty gauge", f.time_s)

    def operation_notes(self) -> list:
        """Equalizations the pressure gauges showed (unlogged hatch operations?), one note per gauge (text)."""
        out = []
        for c, (mod, k, before, after, n, bridged) in sorted(self._ops.items()):
            head = (f"unlogged hatch operation? {c} ({mod}) was out of its zone's pressure vote by "
                    f"{before / PA_PER_MMHG:+.2f} mmHg and came back to {after / PA_PER_MMHG:+.2f} mmHg within a "
                    f"minute at {iso((k + 0.5) * self.bin_s)} ({n} time(s)): {mod} was probably sealed off and reopened")
            out.append(head + ("; the zone's pressure step was bridged as a hatch opening (log hatch operations in the "
                               "events file)" if bridged else
                               "; gas was removed from or added to it while sealed (more than a sealed module's gas "
                               "does by itself: an unlogged airlock cycle or repress?), so the zone's step is counted"))
        return out

    def _gas_constant(self, st: _ZoneState, pp: dict, p: float) -> None:
        """Fix the zone's gas constant from the partial pressures ``pp`` (quantity -> value [Pa]) and the
        zone pressure ``p`` [Pa] of its first bin that has ppO2, ppN2 and p (Dalton's law, [3])."""
        o2, n2 = pp["ppo2"], pp["ppn2"]
        co2 = pp.get("ppco2", 0.0)
        co2 = 0.0 if not np.isfinite(co2) else co2
        rest = max(p - o2 - n2 - co2, 0.0)
        h2o = pp.get("pph2o", np.nan)
        h2o = rest if not np.isfinite(h2o) else h2o
        try:
            st.r_specific = float(mixture_gas_constant(o2, n2, co2, h2o))
        except Exception:  # noqa: BLE001 - implausible partials: keep dry air
            st.r_specific = R_AIR

    def _zone_chunk(self, st: _ZoneState, means, counts, ks) -> ZoneMass | None:
        if not st.p_sensors:
            return None
        prow = st.prow
        known_op = self._excluded(st.zone, ks)
        if st.settled:
            p = st.p_vote.run(means[prow], counts[prow], ks)
            stepped = st.p_vote.step_mask
        else:
            # the vote's offsets are provisional until the operation that formed the zone has settled
            j = int(np.argmax(~known_op)) if (~known_op).any() else len(ks)
            parts, steps = [], []
            for lo, hi in ((0, j), (j, len(ks))):
                if hi <= lo:
                    continue
                if lo == j:
                    st.p_vote.relearn(self._keep_flags(st))
                    st.settled = True
                parts.append(st.p_vote.run(means[prow, lo:hi], counts[prow, lo:hi], ks[lo:hi]))
                steps.append(st.p_vote.step_mask if st.p_vote.step_mask is not None else np.zeros(hi - lo, dtype=bool))
            p, stepped = np.concatenate(parts), np.concatenate(steps)
        if stepped is None:
            stepped = np.zeros(len(ks), dtype=bool)
        if st.settled:
            self._note_faults(st.p_vote, True)
        # temperature: per module (mean of its trusted channels), else zone consensus, else nominal
        n = len(ks)
        inv_t = np.zeros(n)
        inv_c = np.zeros(n)  # the same with every module at the consensus plus its first offset
        # no sample of any thermometer in the bin (not: all flagged): the temperature held, the masses unknown
        t_gap = np.zeros(n, dtype=bool)
        restart = np.zeros(n, dtype=bool)
        if st.t_vote.sensors:
            trow = st.trow
            # thermometers restarting after a logger gap: withheld while they warm, then continued (restart.py)
            cols = means[trow].T.tolist()
            for i, (k, pk) in enumerate(zip(ks.tolist(), p.tolist())):
                restart[i] = st.restarts.step(cols[i], k, pk)
            xt = np.array(cols, dtype=float).reshape(n, len(trow)).T
            t_raw = st.t_vote.run(xt, np.where(np.isfinite(xt), counts[trow], 0.0), ks)
            t_cons = hold_last(st, t_raw)
            t_gap = ~np.isfinite(t_raw) & np.isfinite(t_cons) & ~np.isfinite(xt).any(axis=0)
            self._note_faults(st.t_vote, False)
            ok = np.isfinite(xt) & (ks[None, :] < st.t_vote.flag_k[:, None])
            for i, m in enumerate(st.modules):
                rows = [j for j, mm in enumerate(st.t_modules) if mm == m]
                if rows:
                    vals = np.where(ok[rows], xt[rows], np.nan)
                    cnt = ok[rows].sum(axis=0)
                    tm = np.where(cnt > 0, np.nansum(np.nan_to_num(vals, nan=0.0), axis=0) / np.maximum(cnt, 1), np.nan)
                    offs = [st.t_vote.fallback_offset(j, ks) for j in rows]
                    fallback = t_cons + (offs[0] if len(rows) == 1 else np.mean(np.array(offs), axis=0))
                    tm = np.where(np.isfinite(tm), tm, fallback)
                    tc = t_cons + first_offset(st.t_vote, rows)
                else:
                    tm = tc = t_cons
                tm = np.where(np.isfinite(tm), tm, st.module_tnom[i])
                inv_t += st.module_vols[i] / tm
                inv_c += st.module_vols[i] / np.where(np.isfinite(tc), tc, st.module_tnom[i])
        else:
            inv_t += st.inv_t_nominal
            inv_c += st.inv_t_nominal
        t_eff = st.volume_m3 / inv_t
        self._note_history(st.zone, ks.tolist(), t_eff.tolist(), (st.volume_m3 / inv_c).tolist())
        # gas constant from partials, fixed at the zone's first bin that has them
        pp = {q: nanmedian0(means[rows]) for q, rows in st.pp_idx}
        if st.r_specific is None:
            if "ppo2" in pp and "ppn2" in pp:
                ok = np.isfinite(pp["ppo2"]) & np.isfinite(pp["ppn2"]) & np.isfinite(p)
                if ok.any():
                    j = int(np.argmax(ok))
                    self._gas_constant(st, {q: v[j] for q, v in pp.items()}, p[j])
            else:
                st.r_specific = R_AIR
        r = st.r_specific if st.r_specific is not None else R_AIR
        mass = np.where(t_gap, np.nan, p * inv_t / r)
        n2m = None
        if "ppn2" in pp:
            rows = dict(st.pp_idx)["ppn2"]
            ppn2 = pp["ppn2"] if len(rows) == 1 else np.array([ppn2_bin(st, col) for col in means[rows].T.tolist()])
            n2m = np.where(t_gap, np.nan, ppn2 * inv_t / R_N2)
        vented = (np.isfinite(p) & (p < self.vented_fraction * self.station.nominal_pressure_pa)) | self._unmonitored(st.zone, ks)
        change = np.zeros(len(ks), dtype=bool)
        fks = np.concatenate([st.p_vote.flag_k, st.t_vote.flag_k])
        fks = fks[np.isfinite(fks) & (fks >= ks[0]) & (fks <= ks[-1])]
        change[(fks - ks[0]).astype(np.int64)] = True
        return ZoneMass(zone=st.zone, volume_m3=st.volume_m3, k=ks.copy(), t_s=(ks + 0.5) * self.bin_s,
                        pressure_pa=p, temperature_k=t_eff, r_specific=float(r), mass_kg=mass, n2_mass_kg=n2m,
                        excluded=known_op | stepped, vented=vented, pressure_sensors=st.p_sensors,
                        sensor_change=change, restart=restart)

    def _zone_bin_scalars(self, st: _ZoneState, m1: list, c1: list, k: int, excluded: bool) -> BinScalars:
        """:meth:`_zone_chunk` for one bin as Python scalars (``m1``, ``c1``: lists of the channel means and
        counts of bin ``k``, station sensor order; ``excluded``: the bin is
        inside a known operation).

        The same arithmetic in the same order as the chunk path, on Python floats over the zone's channels
        and modules (``tests/detect/test_airmass.py`` checks that both paths agree exactly on random
        inputs): the per-module NumPy loop, the 2-D temporaries and ``nan_to_num``/``nanmedian`` on tiny
        arrays made a one-bin chunk cost about 1 ms per zone. Used once a bin by
        :class:`~hullbreach.detect.stream.StreamingDetector`.
        """
        isfin = math.isfinite
        if not st.settled and not excluded:
            st.p_vote.relearn(self._keep_flags(st))  # the operation that formed the zone has settled
            st.settled = True
        p = st.p_vote.run_one([m1[r] for r in st.prow_l], [c1[r] for r in st.prow_l], k)
        if st.settled:
            self._note_faults(st.p_vote, True)
        excluded = excluded or st.p_vote.step_now  # an equalization the gauges show (an unlogged hatch opening)
        t_gap = False
        restart = False
        if st.t_vote.sensors:
            xt = [m1[r] for r in st.trow_l]
            restart = st.restarts.step(xt, k, p)
            t_cons = st.t_vote.run_one(xt, [c1[r] if v == v else 0.0 for r, v in zip(st.trow_l, xt)], k)
            if isfin(t_cons):
                st.t_last = t_cons
            else:  # no thermometer sample in the bin: the temperature held, the mass unknown (dropouts.hold_last)
                t_cons = st.t_last
                t_gap = isfin(t_cons) and not any(isfin(v) for v in xt)
            self._note_faults(st.t_vote, False)
            tflag = st.t_vote.flag_k.tolist()
            ok = [isfin(v) and k < f for v, f in zip(xt, tflag)]
            offs = [st.t_vote.fallback_offset(j, k) for j in range(len(xt))]
            inv_t = 0.0  # summed over modules in order, as the chunk path's loop
            multi = dict(st.t_multi)
            for i, (j, vol, tnom) in enumerate(zip(st.t_single_l, st.vols_l, st.tnom_l)):
                if j >= 0:
                    # one channel: its value when trusted, else the zone consensus plus its offset
                    tm = xt[j] if ok[j] else t_cons + offs[j]
                elif i in multi:
                    rows = multi[i]
                    okr = np.array([ok[q] for q in rows])
                    vals = np.where(okr, np.array([xt[q] for q in rows]), np.nan)[:, None]
                    cnt = okr.sum(axis=0)
                    tm = float(np.where(cnt > 0, np.nansum(np.nan_to_num(vals, nan=0.0), axis=0) / np.maximum(cnt, 1),
                                        np.nan)[0])
                    if not isfin(tm):
                        tm = t_cons + float(np.mean(np.array(offs)[rows])) if len(rows) > 1 else t_cons + offs[rows[0]]
                else:
                    tm = t_cons
                if not isfin(tm):
                    tm = tnom
                inv_t += vol / tm
            self._note_history(st.zone, [k], [st.volume_m3 / inv_t], [self._consensus_t(st, t_cons)])
        else:
            inv_t = 0.0 + st.inv_t_nominal
            self._note_history(st.zone, [k], [st.volume_m3 / inv_t], [st.volume_m3 / inv_t])
        change = float(k) in st.p_vote.flag_k.tolist() or float(k) in st.t_vote.flag_k.tolist()
        return self._zone_bin_out(st, m1, k, p, inv_t, change, excluded, t_gap, restart)

    def _consensus_t(self, st: _ZoneState, t_cons: float) -> float:
        """The zone's effective temperature [K] with every module at the consensus ``t_cons`` [K] plus its
        thermometer's first offset (the chunk path's ``inv_c``, one bin)."""
        inv_c = 0.0
        for i, (vol, tnom) in enumerate(zip(st.vols_l, st.tnom_l)):
            rows = [j for j, m in enumerate(st.t_modules) if m == st.modules[i]]
            tc = t_cons + float(first_offset(st.t_vote, rows)) if rows else t_cons
            inv_c += vol / (tc if math.isfinite(tc) else tnom)
        return st.volume_m3 / inv_c

    def _note_history(self, zone: tuple, ks: list, t_eff: list, t_ce: list) -> None:
        """Append bins to the zone's temperature history (:meth:`temperature_history`)."""
        h = self._t_hist.setdefault(zone, ([], [], []))
        for lst, v in zip(h, (ks, t_eff, t_ce)):
            lst.extend(v)
            if len(lst) > 2 * HISTORY_BINS:
                del lst[:len(lst) - HISTORY_BINS]

    def temperature_history(self, zone: tuple, k0: int, k1: int) -> tuple:
        """The zone's effective temperature and consensus temperature [K] at bins ``k0 .. k1`` (NaN where the
        history has no bin): see :func:`hullbreach.detect.crosscheck.thermometer_carried`."""
        out = np.full((2, k1 - k0 + 1), np.nan)
        h = self._t_hist.get(zone)
        if h is None:
            return out[0], out[1]
        ks = np.asarray(h[0], dtype=np.int64)
        sel = (ks >= k0) & (ks <= k1)
        out[0, ks[sel] - k0] = np.asarray(h[1])[sel]
        out[1, ks[sel] - k0] = np.asarray(h[2])[sel]
        return out[0], out[1]

    def _zone_bin_out(self, st: _ZoneState, m1: list, k: int, p: float, inv_t: float, change: bool,
                      excluded: bool, t_gap: bool = False, restart: bool = False) -> BinScalars:
        """The rest of :meth:`_zone_bin_scalars` once the zone pressure ``p`` [Pa] and ``sum V_i / T_i``
        [m^3/K] are known: gas constant, masses (NaN when ``t_gap``: no thermometer sample in the bin), flags."""
        isfin = math.isfinite
        t_eff = st.volume_m3 / inv_t
        if st.r_specific is None:
            # one channel: median_list([v]) is v when finite, else NaN (0.5 (v + v) == v exactly)
            pp = {q: ((m1[rows[0]] if isfin(m1[rows[0]]) else math.nan) if len(rows) == 1 else
                      median_list([m1[r] for r in rows])) for q, rows in st.pp_idx_l}
            if "ppo2" in pp and "ppn2" in pp:
                if isfin(pp["ppo2"]) and isfin(pp["ppn2"]) and isfin(p):
                    self._gas_constant(st, pp, p)
            else:
                st.r_specific = R_AIR
        r = st.r_specific if st.r_specific is not None else R_AIR
        mass = math.nan if t_gap else p * inv_t / r
        rows = st.n2_rows_l
        n2 = None
        if rows is not None:
            ppn2 = (m1[rows[0]] if isfin(m1[rows[0]]) else math.nan) if len(rows) == 1 else \
                ppn2_bin(st, [m1[q] for q in rows])
            n2 = math.nan if t_gap else ppn2 * inv_t / R_N2
        vented = (isfin(p) and p < self.vented_fraction * self.station.nominal_pressure_pa) or (
            bool(self._unmon) and any(k0 <= k <= k1 for k0, k1, mod in self._unmon if mod in st.zone))
        return BinScalars(p, t_eff, mass, n2, float(r), bool(excluded), bool(vented), bool(change), bool(restart))

    def zone_mass_of(self, st: _ZoneState, k: int, b: BinScalars) -> ZoneMass:
        """The one-bin :class:`ZoneMass` of bin ``k`` from its scalars (the chunk path's numbers exactly)."""
        # one array of floats and one of flags, each series a one-element view of them (cheaper than seven
        # arrays; t_s = (k + 0.5) bin_s as the chunk path's (ks + 0.5) * bin_s)
        f = np.array([b.p, b.t_eff, b.mass, math.nan if b.n2 is None else b.n2, (k + 0.5) * self.bin_s])
        fl = np.array([b.excluded, b.vented, b.change, b.restart])
        return ZoneMass(zone=st.zone, volume_m3=st.volume_m3, k=np.array([k]), t_s=f[4:5], pressure_pa=f[0:1],
                        temperature_k=f[1:2], r_specific=b.r, mass_kg=f[2:3],
                        n2_mass_kg=None if b.n2 is None else f[3:4], excluded=fl[0:1], vented=fl[1:2],
                        pressure_sensors=st.p_sensors, sensor_change=fl[2:3], restart=fl[3:4])

    def process_one(self, k: int, sums: np.ndarray, counts: np.ndarray) -> list:
        """:meth:`process` of the single bin ``k`` (per-channel sums [SI] and counts, station sensor order) as
        scalars: ``[(zone state, BinScalars)]`` for every zone with pressure channels (the numbers of the chunk
        path, tested; no :class:`ZoneMass` arrays: the streaming step)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            m1a = np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)
        m1, c1 = m1a.tolist(), np.asarray(counts, dtype=float).tolist()
        excluded = any(k0 <= k <= k2 for k0, k2, _ev in self._excl)  # the same for every zone
        out = []
        for pi, per in enumerate(self.periods):
            if not (per.k_start <= k and (per.k_end is None or k < per.k_end)):
                continue
            if pi != self._period_index:
                keep = set(per.zones)
                self._states = {z: s for z, s in self._states.items() if z in keep}
                self._period_index = pi
            for zone in per.zones:
                st = self._state(zone)
                if st.p_sensors:
                    out.append((st, self._zone_bin_scalars(st, m1, c1, k, excluded)))
        return out


def concat_zone_masses(parts: list[ZoneMass]) -> list[ZoneMass]:
    """Join consecutive chunks of the same zone (same module set, contiguous bins) into one series each."""
    out: list[ZoneMass] = []
    open_: dict[tuple, list[ZoneMass]] = {}
    order: list[tuple] = []
    for zm in parts:
        lst = open_.get(zm.zone)
        if lst and lst[-1].k[-1] + 1 == zm.k[0]:
            lst.append(zm)
        else:
            if lst:
                order.append((zm.zone, tuple(lst)))
            open_[zm.zone] = [zm]
    for z, lst in open_.items():
        order.append((z, tuple(lst)))
    for z, lst in order:
        if len(lst) == 1:
            out.append(lst[0])
            continue
        n2 = None if lst[0].n2_mass_kg is None else np.concatenate([x.n2_mass_kg for x in lst])
        out.append(ZoneMass(zone=z, volume_m3=lst[0].volume_m3, k=np.concatenate([x.k for x in lst]),
                            t_s=np.concatenate([x.t_s for x in lst]),
                            pressure_pa=np.concatenate([x.pressure_pa for x in lst]),
                            temperature_k=np.concatenate([x.temperature_k for x in lst]),
                            r_specific=lst[-1].r_specific, mass_kg=np.concatenate([x.mass_kg for x in lst]),
                            n2_mass_kg=n2, excluded=np.concatenate([x.excluded for x in lst]),
                            vented=np.concatenate([x.vented for x in lst]), pressure_sensors=lst[0].pressure_sensors,
                            sensor_change=np.concatenate([x.sensor_change if x.sensor_change is not None
                                                          else np.zeros(len(x.k), dtype=bool) for x in lst]),
                            restart=np.concatenate([x.restart if x.restart is not None
                                                    else np.zeros(len(x.k), dtype=bool) for x in lst])))
    out.sort(key=lambda zm: (int(zm.k[0]), zm.zone))
    return out


@dataclass(frozen=True)
class AirMass:
    """Air mass of every zone over the whole record, with the sensor faults found on the way."""

    bin_s: float
    zones: tuple  # tuple[ZoneMass, ...]
    sensor_faults: tuple = field(default_factory=tuple)


def air_mass(station: Station, frame, events: pd.DataFrame | None = None, *, bin_s: float = DEFAULT_BIN_S,
             settle_s: float = 600.0) -> AirMass:
    """Air mass per zone over time from a :class:`~hullbreach.telemetry.frame.TelemetryFrame` (batch).

    Parameters
    ----------
    station : Station
    frame : TelemetryFrame
        Checked telemetry (SI); channels the checks did not trust are left out and reported.
    events : DataFrame, optional
        Known operations ``time, kind, detail`` (docs/design.md §3.2).
    bin_s : float
        Time bin [s].
    settle_s : float
        Time after a known operation during which the mass is not compared [s].

    Returns
    -------
    AirMass
        One :class:`ZoneMass` per zone and zone period; all bins that are complete (every bin but the one
        holding the last sample).
    """
    untrusted = {r.channel: r.reason or "judged faulty by the data checks" for r in frame.faults()}
    tracker = AirMassTracker(station, parse_events(events, station), bin_s=bin_s, untrusted=untrusted,
                             settle_s=settle_s)
    if frame.n_accepted == 0:
        raise DetectionError("no accepted telemetry samples", hint="check the file and the quarantine counts")
    k0, sums, counts = bin_frame(frame, tracker.channels, bin_s)
    n = sums.shape[1] - 1  # the last bin is still open
    parts = tracker.process(k0, sums[:, :n], counts[:, :n])
    return AirMass(bin_s, tuple(concat_zone_masses(parts)), tuple(tracker.faults.values()))
