"""Hard constraints of hatch-closure isolation, and the time each hatch operation costs.

1. The crew always keeps a path to its escape vehicles: a crew waits only in a zone that holds an escape
   vehicle, and can only operate a hatch it can reach through open hatches from such a zone.
2. A hatch is never opened against a pressure difference: it swings into ``Hatch.opens_into`` and cannot
   be opened while that side's pressure is higher (Destiny hatch pressure interlock, docs/reference/figures.md).
   The crew first equalizes through the manual pressure equalization valve (MPEV); the time this takes
   follows from orifice flow through the valve while the leak keeps draining the low side.
3. No crewed zone falls below the evacuation pressure during a step (with a margin).
4. Each hatch operation costs time (:class:`Rules`).

Units: SI (Pa, s, m^3, kg s^-1).

References
----------
.. [1] NASA, *The International Space Station: Operating an Outpost*, ch. 19: leak response order (escape
   vehicle, Node 1 / RS split, hatch-by-hatch search); docs/reference/figures.md.
.. [2] TASS / Roscosmos, Aug 2020: reopening the RS-USOS hatches after an isolation took about one hour.
.. [3] Orifice flow (choked / subsonic): :func:`hullbreach.physics.orifice_mass_flow` (Anderson 2003 §5.4,
   ISO 6358-1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.physics import orifice_mass_flow
from hullbreach.station import Station


@dataclass(frozen=True)
class Rules:
    """Operational rules and hatch-operation times.

    Attributes
    ----------
    close_s : float
        Time to close one hatch [s]. Default 300 s (5 min): move to the hatch, stow cables and ducts
        through it (ISS hatches carry IMV ducts and jumpers that must be removed first), close and latch.
        Estimate; crews report a few minutes per hatch.
    open_s : float
        Time to reopen one hatch, including the leak check before opening [s]. Default 900 s (estimate).
    open_cross_segment_s : float
        Time to reopen a hatch between two segments (RS-USOS) [s]. Default 3600 s: "about one hour"
        for the RS-USOS hatches after the Aug 2020 isolation (TASS, [2]).
    dp_tolerance_pa : float
        Largest pressure difference a hatch may be opened against (opens_into side higher) [Pa].
        Default 0.5 mmHg (~120 N on a 53-inch hatch, derived from the 240 N/mmHg of docs/reference/figures.md).
    assumed_valve_area_m2 : float
        Effective area Cd*A of the equalization valve assumed when the station file models none
        (``valve_area_m2 = 0``) [m^2]. Default 0: advice asks only for valves the station file has (the
        simulator refuses a ``valve_open`` on a hatch without one, too). Give e.g. 2e-5 m^2 (about a 5 mm
        orifice; ISS hatches carry MPEVs) to plan with valves the file does not model.
    evac_margin_pa : float
        Margin above the evacuation pressure a crewed zone must keep at the end of a step [Pa]
        (default 10 mmHg, estimate).
    min_dwell_s : float
        Shortest wait after closing hatches [s]: lets the hatch-closing transients and the temperature
        smoothing settle (default 300 s, estimate).
    max_dwell_s : float
        Longest wait of one configuration [s] (default 24 h; the ISS waited a night to a weekend).
    open_check_margin_s : float
        The pressure difference across a hatch is predicted at the time it will be opened (the leak keeps
        draining its zone during the operations before it) plus this margin [s], so that a difference
        growing while the crew works is equalized too (default 600 s, estimate).
    """

    close_s: float = 300.0
    open_s: float = 900.0
    open_cross_segment_s: float = 3600.0
    dp_tolerance_pa: float = 0.5 * PA_PER_MMHG
    assumed_valve_area_m2: float = 0.0
    evac_margin_pa: float = 10.0 * PA_PER_MMHG
    min_dwell_s: float = 300.0
    max_dwell_s: float = 86400.0
    open_check_margin_s: float = 600.0

    def open_time_s(self, station: Station, hatch_id: str) -> float:
        """Time to reopen ``hatch_id`` [s] (cross-segment hatches cost more)."""
        h = station.hatches[hatch_id]
        segs = {station.modules[m].segment for m in h.modules}
        return self.open_cross_segment_s if {"usos", "rs"} <= segs else self.open_s


def crew_zones(station: Station, closed, zones_fn=None) -> list:
    """Zones (frozensets of module ids) holding an escape vehicle: where crews wait ([1]).

    ``zones_fn(closed)`` may replace :meth:`Station.zones` (a memoized version)."""
    ev = set(station.escape_vehicles())
    return [z for z in (zones_fn or station.zones)(closed) if z & ev]


def equalization_time_s(dp_pa: float, v_high_m3: float, v_low_m3: float, cd_area_m2: float, pressure_pa: float,
                        temperature_k: float, leak_low_kg_s: float = 0.0, tolerance_pa: float = 0.5 * PA_PER_MMHG,
                        max_s: float = 86400.0) -> float:
    """Time to bring a pressure difference across a closed hatch below ``tolerance_pa`` through its valve [s].

    Integrates d(dp)/dt = -q R T (1/V_hi + 1/V_lo) + leak R T / V_lo, q = orifice flow through the
    valve ([3]), isothermal. Returns ``inf`` when the leak on the low side holds the difference above
    the tolerance or the valve area is zero.
    """
    if dp_pa <= tolerance_pa:
        return 0.0
    if cd_area_m2 <= 0:
        return math.inf
    rt = R_AIR * temperature_k
    t = 0.0
    dp = dp_pa
    while dp > tolerance_pa:
        q = float(orifice_mass_flow(cd_area_m2, pressure_pa, temperature_k, pressure_pa - dp))
        rate = -q * rt * (1.0 / v_high_m3 + 1.0 / v_low_m3) + leak_low_kg_s * rt / v_low_m3
        if rate >= -1e-12:
            return math.inf
        dt = min(max(0.05 * dp / -rate, 0.05), 600.0)
        dp += rate * dt
        t += dt
        if t > max_s:
            return math.inf
    return t


@dataclass(frozen=True)
class Transition:
    """The hatch operations that take the station from one configuration to the next.

    ``opens`` and ``closes`` are in the order the crew performs them; ``time_s`` is the total time
    (operations plus equalization) [s]; ``feasible`` is False with ``reason`` when a hard constraint
    forbids it; ``equalize`` names hatches equalized through their valve first.
    """

    opens: tuple
    closes: tuple
    time_s: float
    feasible: bool = True
    reason: str = ""
    equalize: tuple = field(default_factory=tuple)
    equalize_s: float = 0.0


def plan_transition(station: Station, closed_from, closed_to, pressures_pa: dict, rules: Rules = Rules(),
                    leak_by_module_kg_s: dict | None = None, zones_fn=None) -> Transition:
    """Hatch operations from ``closed_from`` to ``closed_to`` and whether the constraints allow them.

    Opening: hatches are opened nearest the crew first; each must touch a zone the crew can reach, and if
    its ``opens_into`` side is higher by more than the tolerance it is equalized through its valve first
    (or the transition is infeasible). Closing: each hatch must touch a zone holding an escape vehicle in
    the configuration after the openings (the crew closes the far hatches first, then retreats).

    ``pressures_pa`` maps module id -> current pressure [Pa]; ``leak_by_module_kg_s`` (optional) the
    expected leak in each module, used for the equalization time; ``zones_fn`` a memoized
    :meth:`Station.zones`.
    """
    zones = zones_fn or station.zones

    def zone_of(m, closed):
        for z in zones(closed):
            if m in z:
                return z
        raise KeyError(m)

    a = frozenset(closed_from)
    b = frozenset(closed_to)
    for h in a | b:
        if h not in station.hatches:
            from hullbreach.errors import IsolationError

            raise IsolationError(f"unknown hatch {h!r} in station {station.name!r}",
                                 hint=f"known hatches: {', '.join(list(station.hatches)[:8])} ...")
    leak = leak_by_module_kg_s or {}
    p = dict(pressures_pa)
    to_open = set(a - b)
    current = set(a)
    opens: list = []
    equalize: list = []
    eq_time = 0.0
    t_ops = 0.0  # time spent on openings and equalization so far [s]
    ev = set(station.escape_vehicles())

    def drift(z) -> float:
        """Expected pressure loss rate of a zone from the leak [Pa s^-1]."""
        q = sum(leak.get(m, 0.0) for m in z)
        if q <= 0:
            return 0.0
        t_k = max(station.modules[m].temperature_k for m in z)
        return q * R_AIR * t_k / station.zone_volume_m3(z)

    while to_open:
        reach = set().union(*[z for z in zones(frozenset(current)) if z & ev]) if ev else set(station.modules)
        ready = [h for h in sorted(to_open) if set(station.hatches[h].modules) & reach]
        if not ready:
            return Transition(tuple(opens), (), math.inf, False,
                              f"crew cannot reach hatch(es) {', '.join(sorted(to_open))} to open them")
        h = ready[0]
        hatch = station.hatches[h]
        za = zone_of(hatch.modules[0], frozenset(current))
        zb = zone_of(hatch.modules[1], frozenset(current))
        into = hatch.opens_into or hatch.modules[1]
        z_into, z_other = (za, zb) if into in za else (zb, za)
        p_into = min(p.get(m, station.nominal_pressure_pa) for m in z_into)
        p_other = min(p.get(m, station.nominal_pressure_pa) for m in z_other)
        horizon = t_ops + rules.open_check_margin_s
        dp = (p_into - drift(z_into) * horizon) - (p_other - drift(z_other) * horizon)
        if dp > rules.dp_tolerance_pa:
            area = hatch.valve_area_m2 if hatch.valve_area_m2 > 0 else rules.assumed_valve_area_m2
            t_eq = equalization_time_s(dp, station.zone_volume_m3(z_into), station.zone_volume_m3(z_other), area,
                                       p_into, station.modules[into].temperature_k,
                                       sum(leak.get(m, 0.0) for m in z_other), rules.dp_tolerance_pa)
            if not math.isfinite(t_eq):
                return Transition(tuple(opens), (), math.inf, False,
                                  f"hatch {h} cannot be opened: {dp / PA_PER_MMHG:.1f} mmHg higher on the {into} side "
                                  "and the valve cannot equalize it")
            equalize.append(h)
            eq_time += t_eq
            t_ops += t_eq
        # merged zone: volume-weighted pressure
        merged = z_into | z_other
        vtot = station.zone_volume_m3(merged)
        pm = (p_into * station.zone_volume_m3(z_into) + p_other * station.zone_volume_m3(z_other)) / vtot
        for m in merged:
            p[m] = pm
        current.discard(h)
        to_open.discard(h)
        opens.append(h)
        t_ops += rules.open_time_s(station, h)
    closes = sorted(b - a)
    mid = frozenset(current)
    if closes:
        reach = set().union(*[z for z in zones(mid) if z & ev]) if ev else set(station.modules)
        bad = [h for h in closes if not set(station.hatches[h].modules) & reach]
        if bad:
            return Transition(tuple(opens), tuple(closes), math.inf, False,
                              f"crew cannot reach hatch(es) {', '.join(bad)} from a zone with an escape vehicle")
    t = sum(rules.open_time_s(station, h) for h in opens) + eq_time + rules.close_s * len(closes)
    return Transition(tuple(opens), tuple(closes), t, True, "", tuple(equalize), eq_time)


def crew_pressure_ok(station: Station, closed, pressures_pa: dict, leak_weights: dict, mdot_high_kg_s: float,
                     dwell_s: float, rules: Rules = Rules(), min_weight: float = 1e-4, zones_fn=None) -> tuple[bool, str]:
    """Does every crewed zone stay above evacuation pressure + margin for ``dwell_s`` [s]?

    Worst case over the modules that may still leak (weight >= ``min_weight``) at ``mdot_high_kg_s``,
    isothermal constant-rate drop dp = mdot R T dwell / V.
    """
    limit = station.evacuation_pressure_pa + rules.evac_margin_pa
    for z in crew_zones(station, closed, zones_fn):
        w = sum(leak_weights.get(m, 0.0) for m in z)
        p0 = min(pressures_pa.get(m, station.nominal_pressure_pa) for m in z)
        drop = 0.0
        if w >= min_weight:
            t_k = max(station.modules[m].temperature_k for m in z)
            drop = mdot_high_kg_s * R_AIR * t_k * dwell_s / station.zone_volume_m3(z)
        if p0 - drop < limit:
            return False, (f"crew zone {'+'.join(sorted(z))} would reach {(p0 - drop) / PA_PER_MMHG:.0f} mmHg, below "
                           f"{limit / PA_PER_MMHG:.0f} mmHg (evacuation + margin)")
    return True, ""
