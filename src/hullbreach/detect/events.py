"""Known operations from the events file, and the pressure zones they make over time (docs/design.md §3.2).

:func:`parse_events` reads ``time, kind, detail`` rows into :class:`KnownEvent` (hatch, module, gas mass);
:func:`zone_periods` turns the station topology and the hatch/valve events into the zones (sets of modules
sharing gas) of each period, in time bins; :func:`gas_moved_to_neighbour` recognises the operation the events
often leave out, an equalization through a closed hatch's valve, from the two zones' air masses (mass conserved
across the hatch).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hullbreach.detect.binning import DEFAULT_BIN_S, time_ns
from hullbreach.errors import DetectionError
from hullbreach.station import Station

#: Event kinds that change which modules share gas.
_TOPOLOGY_KINDS = {"hatch_open", "hatch_close", "valve_open", "valve_close"}


@dataclass(frozen=True)
class KnownEvent:
    """One known operation from an events file.

    Attributes
    ----------
    time_s : float
        UNIX time [s].
    kind : str
        Event kind (docs/design.md §3.2).
    detail : str
        Detail text as written.
    hatch : str | None
        Hatch id for hatch and valve events.
    module : str | None
        Module named in the detail (repress target, airlock), if any.
    mass_kg : float | None
        Gas mass named in the detail [kg] (``repress``), if any.
    """

    time_s: float
    kind: str
    detail: str = ""
    hatch: str | None = None
    module: str | None = None
    mass_kg: float | None = None


_NUM_KG = re.compile(r"([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*kg\b|kg\s*[=:]\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)"
                     r"|mass_kg\s*[=:]\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)")


def parse_events(events: pd.DataFrame | None, station: Station) -> tuple[KnownEvent, ...]:
    """Known operations from an events table ``time, kind, detail`` (docs/design.md §3.2), sorted by time.

    The detail is read leniently: a hatch id (or two module ids) for hatch and valve events; a module id and
    a mass such as ``2.5 kg`` or ``kg=2.5`` for ``repress``. A hatch event naming no known hatch raises
    :class:`DetectionError`, since the zones after it would be wrong.
    """
    if events is None or len(events) == 0:
        return ()
    for col in ("time", "kind"):
        if col not in events.columns:
            raise DetectionError(f"events table has no {col!r} column", hint="events need columns time,kind,detail")
    t_s = time_ns(pd.to_datetime(events["time"], utc=True)) / 1e9
    details = events["detail"].fillna("").astype(str).to_numpy() if "detail" in events.columns else [""] * len(events)
    def col(name):
        if name in events.columns:
            return events[name].to_numpy()
        return [None] * len(events)

    out = []
    for t, kind, det, p_hatch, p_module, p_kg in zip(t_s, events["kind"].astype(str).to_numpy(), details,
                                                     col("hatch"), col("module"), col("kg")):
        kind = kind.strip().lower()
        tokens = [tok for tok in re.split(r"[\s,;=:()\[\]{}\"']+", det) if tok]
        hatch = p_hatch if isinstance(p_hatch, str) and p_hatch in station.hatches else None
        module = p_module if isinstance(p_module, str) and p_module in station.modules else None
        module = module or next((tok for tok in tokens if tok in station.modules), None)
        if kind in _TOPOLOGY_KINDS and hatch is None:
            hatch = next((tok for tok in tokens if tok in station.hatches), None)
            if hatch is None and det.strip() in station.hatches:
                hatch = det.strip()
            if hatch is None:
                mods = [tok for tok in tokens if tok in station.modules]
                h = station.hatch_between(mods[0], mods[1]) if len(mods) >= 2 else None
                hatch = h.id if h is not None else None
            if hatch is None:
                raise DetectionError(f"event {kind} at {pd.Timestamp(t, unit='s', tz='UTC').isoformat()} names no "
                                     f"hatch of station {station.name!r}: {det!r}",
                                     hint="write the hatch id from the station file in the detail column")
        mass = float(p_kg) if isinstance(p_kg, (int, float)) and math.isfinite(p_kg) else None
        m = _NUM_KG.search(det) if mass is None else None
        if m:
            mass = float(next(g for g in m.groups() if g is not None))
        elif mass is None and kind == "repress":
            try:
                mass = float(det)
            except ValueError:
                mass = None
        out.append(KnownEvent(float(t), kind, det, hatch, module, mass))
    out.sort(key=lambda e: e.time_s)
    return tuple(out)


# ---------------------------------------------------------------------------------------------- zones
@dataclass(frozen=True)
class ZonePeriod:
    """Zones valid from bin ``k_start`` (inclusive) to ``k_end`` (exclusive; ``None`` = open)."""

    k_start: int
    k_end: int | None
    zones: tuple  # tuple of tuple[str, ...] (sorted module ids)


def zone_periods(station: Station, events: tuple[KnownEvent, ...], bin_s: float = DEFAULT_BIN_S) -> list[ZonePeriod]:
    """Zone structure over time: a new period starts at the bin of each hatch or valve event.

    A closed hatch with its equalization valve open connects the two zones, like an open hatch (the
    valve equalizes them within minutes).
    """
    closed = set(station.closed_hatches())
    valve_open: set[str] = set()
    periods: list[ZonePeriod] = []

    def zones_now() -> tuple:
        eff = closed - valve_open
        return tuple(tuple(sorted(z)) for z in station.zones(closed=eff))

    current = zones_now()
    k_cur = -(2 ** 62)
    for ev in events:
        if ev.kind not in _TOPOLOGY_KINDS or ev.hatch is None:
            continue
        if ev.kind == "hatch_close":
            closed.add(ev.hatch)
        elif ev.kind == "hatch_open":
            closed.discard(ev.hatch)
        elif ev.kind == "valve_open":
            valve_open.add(ev.hatch)
        elif ev.kind == "valve_close":
            valve_open.discard(ev.hatch)
        new = zones_now()
        if new != current:
            k = int(math.floor(ev.time_s / bin_s))
            if k > k_cur:
                periods.append(ZonePeriod(k_cur, k, current))
                k_cur = k
            current = new
    periods.append(ZonePeriod(k_cur, None, current))
    return periods


# ------------------------------------------------------------------------------- gas moved between zones
#: Bins before an alarm's fit span that give each zone's own trend (the line the change is measured from) [bins].
TRANSFER_PRE_BINS = 30
#: The neighbour's gain must be this many standard errors above zero to count as gas received [-]; the two zones'
#: summed loss must stay below this many standard errors for the move to explain the alarm [-].
TRANSFER_Z = 3.0


def _hinge_change(y: np.ndarray, ok: np.ndarray, a: int) -> tuple:
    """Change of slope of ``y`` at index ``a`` (least squares on ``[1, u, (u - a)_+]`` over the ``ok`` bins) and its
    standard error from the residual scatter [unit of ``y`` per bin]; NaN with fewer than 6 bins on either side."""
    u = np.arange(len(y), dtype=float)
    good = ok & np.isfinite(y)
    if good[:a].sum() < 6 or good[a:].sum() < 6:
        return math.nan, math.nan
    X = np.column_stack([np.ones(len(y)), u - a, np.maximum(u - a, 0.0)])[good]
    coef, rss, rank, _ = np.linalg.lstsq(X, y[good], rcond=None)
    if rank < 3 or len(X) <= 3:
        return math.nan, math.nan
    res = y[good] - X @ coef
    s2 = float(res @ res) / (len(X) - 3)
    cov = s2 * np.linalg.inv(X.T @ X)
    return float(coef[2]), math.sqrt(max(float(cov[2, 2]), 0.0))


def _hatch_joining(station: Station, za: tuple, zb: tuple):
    """A hatch with one module in zone ``za`` and the other in zone ``zb`` (``None`` if the zones do not touch)."""
    sa, sb = set(za), set(zb)
    for h in station.hatches.values():
        a, b = h.modules
        if (a in sa and b in sb) or (a in sb and b in sa):
            return h
    return None


def gas_moved_to_neighbour(det, al, dets: list, station: Station, bin_s: float) -> str:
    """Why the alarm ``al`` of the zone detector ``det`` is gas moved into a neighbouring zone rather than a leak
    ("" when it is not), with data up to the alarm's bin only (a live monitor decides as batch does).

    A crew equalizes a closed module through the hatch valve (ISS: the manual pressure equalization valve, MPEV)
    before opening the hatch, often without logging the valve: the higher zone's gas flows into the lower one.
    Mass is conserved across the closed hatch, so the test is the one that separates this from a leak: since the
    alarm's onset the zone lost air mass (its slope changed, :func:`_hinge_change` on the air mass, SI kg per bin)
    while a zone that touches it through a closed hatch, and was at a lower pressure at the onset, gained air mass
    (its slope rose by more than :data:`TRANSFER_Z` standard errors), the amount lost is one the neighbour's mass
    resolves (more than :data:`TRANSFER_Z` of those standard errors: a small zone's slow leak beside a large,
    noisy zone is never explained by it), and the two zones' summed air mass changed by nothing significant
    (within ``TRANSFER_Z`` standard errors either way: the neighbour gained what the zone lost). A leak in a
    sealed module moves it toward a lower neighbour too, but gas leaving to space adds nothing to the neighbour:
    its alarm stands, with no delay. The pressures must show it too: the neighbour's rose, the gap between the
    two zones closed (slope changes beyond :data:`TRANSFER_Z` standard errors) and ``V p`` summed over the two
    zones changed by less than that (the moved gas's isothermal mass), which an air mass carried by a thermometer
    does not do (fifth generator quad seed 100: the main zone's air mass fell 0.58 kg/h in F2's exercise
    cool-down while the sealed lab's rose 0.43 kg/h, summed -0.14 +- 0.05 kg/h, 1.3 h before the lab's valve
    opened; the lab's true mass rose ~0.1 kg/h and its pressure 0.35 mmHg/h, the main zone's fell ~2 mmHg/h).
    A leak during an equalization stands as soon as the summed loss is significant. Each zone's trend over
    :data:`TRANSFER_PRE_BINS` bins before the fit span is its own (crew O2 use, an O2 feed) and is not counted.
    Mass is conserved across the hatch whatever the path (valve or hatch ajar), so no valve area is needed: the
    station files declare few valves (the quad outpost none on lab-node), while every ISS hatch has an MPEV."""
    n = int(al.n_alarm)
    a = det._fit_start(al.tau, n)
    i0 = max(a - TRANSFER_PRE_BINS, 0)
    k0, k_n = det.k_first + i0, det.k_first + n
    m_det = np.asarray(det.mass.v[i0: n + 1], dtype=float)
    ok_det = np.asarray(det.real.v[i0: n + 1], dtype=bool)
    p_det = float(np.nanmedian(np.asarray(det.p.v[i0: a + 1], dtype=float)))
    for o in dets:
        if o is det or o.y.n == 0:
            continue
        j0, j1 = k0 - o.k_first, k_n - o.k_first
        if j0 < 0 or j1 >= o.y.n:
            continue
        h = _hatch_joining(station, det.zone, o.zone)
        if h is None or not p_det > float(np.nanmedian(np.asarray(o.p.v[j0: j0 + a - i0 + 1], dtype=float))):
            continue
        m_o = np.asarray(o.mass.v[j0: j1 + 1], dtype=float)
        ok = ok_det & np.asarray(o.real.v[j0: j1 + 1], dtype=bool)
        gain, se_gain = _hinge_change(m_o, ok, a - i0)
        if not (gain > TRANSFER_Z * se_gain):
            continue
        loss, _ = _hinge_change(m_det, ok, a - i0)
        both, se_both = _hinge_change(m_det + m_o, ok, a - i0)
        if not (-loss > TRANSFER_Z * se_gain and abs(both) < TRANSFER_Z * se_both):
            continue
        # gas that moved moves the pressures: the neighbour's rose and the gap between the zones closed (an air
        # mass carried only by a thermometer, the zone's or the neighbour's, does neither)
        p_o = np.asarray(o.p.v[j0: j1 + 1], dtype=float)
        rise, se_rise = _hinge_change(p_o, ok, a - i0)
        p_det_span = np.asarray(det.p.v[i0: n + 1], dtype=float)
        gap, se_gap = _hinge_change(p_det_span - p_o, ok, a - i0)
        # and balance at the zones' volumes: sum V p is the moved gas's isothermal mass times R T [Pa m^3]
        pv, se_pv = _hinge_change(det.volume_m3 * p_det_span + o.volume_m3 * p_o, ok, a - i0)
        if not (rise > TRANSFER_Z * se_rise and -gap > TRANSFER_Z * se_gap and abs(pv) < TRANSFER_Z * se_pv):
            continue
        when = pd.Timestamp((det.k_first + a) * bin_s, unit="s", tz="UTC").strftime("%H:%M")
        return (f"equalizing? since {when} the zone's air mass fell {-loss * 3600.0 / bin_s:.2f} kg/h faster while "
                f"{'-'.join(o.zone)} across the closed hatch {h.id} gained {gain * 3600.0 / bin_s:.2f} kg/h more; the "
                f"sum moved {both * 3600.0 / bin_s:+.2f} +- {se_both * 3600.0 / bin_s:.2f} kg/h: gas through the "
                f"hatch's equalization valve, not a leak (held while it lasts)")
    return ""
