"""Hard constraints of hatch-closure isolation, and the time each hatch operation costs.

1. The crew always keeps a path to its escape vehicles: a crew waits only in a zone that holds an escape
   vehicle, and can only operate a hatch it can reach through open hatches from such a zone.
2. A hatch is never opened against a pressure difference: it swings into ``Hatch.opens_into`` and cannot
   be opened while that side's pressure is higher (Destiny hatch pressure interlock, docs/reference/figures.md).
   The difference is predicted at every moment the hatch may be opened (from the end of the operations
   before it to that plus a margin), from the measured pressures, the leak estimate and the known sinks
   (the crew's O2 use, each side at the end of its range that widens the difference). Where it may
   exceed the tolerance the crew first equalizes through the manual pressure equalization valve (MPEV),
   right before that opening and after the openings before it (:attr:`Transition.sequence`); the time
   this takes follows from orifice flow through the valve while the leak and the sinks keep draining the
   low side.
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
    plan_crew_o2 : bool
        Plan with the declared crew's O2 use as a known sink (0.5-1.5x BVAD): in the pressure difference
        at each opening, the equalization time and the reserve time
        (:attr:`hullbreach.isolate.plan.PlanState.sinks_kg_s`). Default False: on the iss-2025 campaign
        with three crew it cost 3 of 30 answers without valves and 1 with them, while equalizing each
        hatch right before it opens removed the one violation on its own (docs/benchmarks/isolate.md,
        sessions 4-5). The crewed zones' pressure over the wait counts it always (issue 16 session 9,
        :func:`hullbreach.isolate.plan.evaluate`).
    """

    close_s: float = 300.0
    open_s: float = 900.0
    open_cross_segment_s: float = 3600.0
    dp_tolerance_pa: float = 0.5 * PA_PER_MMHG
    assumed_valve_area_m2: float = 0.0
    evac_margin_pa: float = 10.0 * PA_PER_MMHG
    min_dwell_s: float = 300.0
    max_dwell_s: float = 86400.0
    plan_crew_o2: bool = False
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
    forbids it; ``equalize`` names hatches equalized through their valve first. ``sequence`` is the
    whole order, ``(action, hatch, seconds)`` with action ``equalize`` | ``open`` | ``close``: a hatch is
    equalized right before it is opened, after the openings before it (an opening changes the pressure
    of the zones it joins, so a valve opened earlier would equalize against a pressure that is about to
    change: issue 16 session 4, a hatch opened against 1.3 mmHg).
    """

    opens: tuple
    closes: tuple
    time_s: float
    feasible: bool = True
    reason: str = ""
    equalize: tuple = field(default_factory=tuple)
    equalize_s: float = 0.0
    sequence: tuple = field(default_factory=tuple)


def plan_transition(station: Station, closed_from, closed_to, pressures_pa: dict, rules: Rules = Rules(),
                    leak_by_module_kg_s: dict | None = None, zones_fn=None,
                    sink_by_module_kg_s: dict | None = None) -> Transition:
    """Hatch operations from ``closed_from`` to ``closed_to`` and whether the constraints allow them.

    Opening: hatches are opened nearest the crew first; each must touch a zone the crew can reach. The
    pressure difference across it (``opens_into`` side minus the other) is predicted at every moment it
    may be opened: from the end of the equalizations before it (the crew may open faster than
    ``Rules.open_s``) to the end of the operations before it plus ``Rules.open_check_margin_s``. Each
    side starts from its measured pressure (the side the hatch swings into at its highest module, the
    other at its lowest) and drifts with the expected leak and the known sinks, the side it swings into
    at the low end of the sinks' range and the other at the high end. If that difference may exceed the
    tolerance, the hatch is equalized through its valve right before it is opened (or the transition is
    infeasible). Closing: each hatch must touch a zone holding an escape vehicle in the configuration
    after the openings (the crew closes the far hatches first, then retreats).

    ``pressures_pa`` maps module id -> current pressure [Pa]; ``leak_by_module_kg_s`` (optional) the
    expected leak in each module [kg s^-1]; ``sink_by_module_kg_s`` (optional) module id -> ``(low,
    high)`` range of known losses that are not the leak [kg s^-1] (the crew's O2 use with its O2 feeds
    held: a crew of three lowers a sealed Soyuz by ~6 mmHg/h); ``zones_fn`` a memoized
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
    sinks = sink_by_module_kg_s or {}
    p = dict(pressures_pa)
    to_open = set(a - b)
    current = set(a)
    opens: list = []
    equalize: list = []
    seq: list = []
    eq_time = 0.0
    t_ops = 0.0  # time spent on openings and equalization so far [s]
    ev = set(station.escape_vehicles())

    def drift(z, end: int) -> float:
        """Expected pressure loss rate of a zone [Pa s^-1]: the leak plus the sinks at the low (``end`` 0)
        or high (1) end of their range."""
        q = sum(leak.get(m, 0.0) for m in z) + sum(sinks[m][end] for m in z if m in sinks)
        if q <= 0:
            return 0.0
        t_k = max(station.modules[m].temperature_k for m in z)
        return q * R_AIR * t_k / station.zone_volume_m3(z)

    def zone_pressure(z, high: bool) -> float:
        vals = [p.get(m, station.nominal_pressure_pa) for m in z]
        return max(vals) if high else min(vals)

    def zone_mean(z) -> float:
        vals = [p.get(m, station.nominal_pressure_pa) for m in z]
        if max(vals) == min(vals):
            return vals[0]
        return sum(v * station.modules[m].volume_m3 for v, m in zip(vals, z)) / station.zone_volume_m3(z)

    while to_open:
        reach = set().union(*[z for z in zones(frozenset(current)) if z & ev]) if ev else set(station.modules)
        ready = [h for h in sorted(to_open) if set(station.hatches[h].modules) & reach]
        if not ready:
            return Transition(tuple(opens), (), math.inf, False,
                              f"crew cannot reach hatch(es) {', '.join(sorted(to_open))} to open them")
        # nearest first; a hatch that cannot be opened yet (its far side higher, no valve) waits while
        # another ready one is opened: an opening can raise the near side's pressure (issue 16 session 6:
        # Zarya joined to the US segment before the lower Zvezda hatch, which swings into Zvezda)
        blocked = ""
        for h in ready:
            hatch = station.hatches[h]
            za = zone_of(hatch.modules[0], frozenset(current))
            zb = zone_of(hatch.modules[1], frozenset(current))
            into = hatch.opens_into or hatch.modules[1]
            z_into, z_other = (za, zb) if into in za else (zb, za)
            p_into = zone_pressure(z_into, high=True)
            p_other = zone_pressure(z_other, high=False)
            r_into, r_other = drift(z_into, 0), drift(z_other, 1)
            # the difference is linear in time: its largest value over the window of the opening is at an end
            dp = max((p_into - r_into * t) - (p_other - r_other * t)
                     for t in (eq_time, t_ops + rules.open_check_margin_s))
            t_eq = 0.0
            if dp > rules.dp_tolerance_pa:
                area = hatch.valve_area_m2 if hatch.valve_area_m2 > 0 else rules.assumed_valve_area_m2
                low_loss = sum(leak.get(m, 0.0) for m in z_other) + sum(sinks[m][1] for m in z_other if m in sinks)
                t_eq = equalization_time_s(dp, station.zone_volume_m3(z_into), station.zone_volume_m3(z_other), area,
                                           p_into, station.modules[into].temperature_k, low_loss, rules.dp_tolerance_pa)
                if not math.isfinite(t_eq):
                    blocked = blocked or (f"hatch {h} cannot be opened: {dp / PA_PER_MMHG:.1f} mmHg higher on the "
                                          f"{into} side and the valve cannot equalize it")
                    continue
            break
        else:
            return Transition(tuple(opens), (), math.inf, False, blocked)
        if t_eq > 0:
            equalize.append(h)
            seq.append(("equalize", h, t_eq))
            eq_time += t_eq
            t_ops += t_eq
        # merged zone: volume-weighted pressure
        merged = z_into | z_other
        vtot = station.zone_volume_m3(merged)
        pm = (zone_mean(z_into) * station.zone_volume_m3(z_into) + zone_mean(z_other) * station.zone_volume_m3(z_other)) / vtot
        for m in merged:
            p[m] = pm
        current.discard(h)
        to_open.discard(h)
        opens.append(h)
        seq.append(("open", h, rules.open_time_s(station, h)))
        t_ops += rules.open_time_s(station, h)
    closes = sorted(b - a)
    mid = frozenset(current)
    if closes:
        reach = set().union(*[z for z in zones(mid) if z & ev]) if ev else set(station.modules)
        bad = [h for h in closes if not set(station.hatches[h].modules) & reach]
        if bad:
            return Transition(tuple(opens), tuple(closes), math.inf, False,
                              f"crew cannot reach hatch(es) {', '.join(bad)} from a zone with an escape vehicle")
    seq += [("close", h, rules.close_s) for h in closes]
    t = sum(rules.open_time_s(station, h) for h in opens) + eq_time + rules.close_s * len(closes)
    return Transition(tuple(opens), tuple(closes), t, True, "", tuple(equalize), eq_time, tuple(seq))


def crew_pressure_ok(station: Station, closed, pressures_pa: dict, leak_weights: dict, mdot_high_kg_s: float,
                     dwell_s: float, rules: Rules = Rules(), min_weight: float = 1e-4, zones_fn=None,
                     sink_by_module_kg_s: dict | None = None) -> tuple[bool, str]:
    """Does every crewed zone stay above evacuation pressure + margin for ``dwell_s`` [s]?

    Worst case over the modules that may still leak (weight >= ``min_weight``) at ``mdot_high_kg_s``,
    plus the high end of the zone's known sinks (``sink_by_module_kg_s``: module -> ``(low, high)``
    [kg s^-1], the crew's O2 use), isothermal constant-rate drop dp = mdot R T dwell / V.
    """
    limit = crew_floor_pa(station, rules)
    for z, p0, rate in _crew_zone_drops(station, closed, pressures_pa, leak_weights, mdot_high_kg_s, min_weight,
                                        zones_fn, sink_by_module_kg_s):
        if p0 - rate * dwell_s < limit:
            return False, (f"crew zone {'+'.join(sorted(z))} would reach {(p0 - rate * dwell_s) / PA_PER_MMHG:.0f} mmHg, "
                           f"below {limit / PA_PER_MMHG:.0f} mmHg (evacuation + margin)")
    return True, ""


def crew_floor_pa(station: Station, rules: Rules = Rules()) -> float:
    """The crewed zones' pressure floor [Pa]: evacuation pressure + ``rules.evac_margin_pa``. A wait ends
    at once when a crewed zone's measured pressure reaches it (:class:`hullbreach.isolate.session.Step`)."""
    return station.evacuation_pressure_pa + rules.evac_margin_pa


def crew_safe_dwell_s(station: Station, closed, pressures_pa: dict, leak_weights: dict, mdot_high_kg_s: float,
                      rules: Rules = Rules(), min_weight: float = 1e-4, zones_fn=None,
                      sink_by_module_kg_s: dict | None = None, nominal_sinks: bool = False) -> float:
    """Longest wait [s] for which every crewed zone stays above evacuation pressure + margin (the same
    worst case as :func:`crew_pressure_ok`); ``inf`` when no crewed zone loses gas, 0 when one is already
    below. A test whose wait must end there is one a flight controller would run with a pressure floor:
    the crew ends the wait when the zone reaches it (issue 16 session 6: a leak in the crew's own Soyuz
    could not be confirmed because the longest wait, planned for the low end of the leak estimate, was
    longer than the sealed Soyuz's reserve at the high end). ``nominal_sinks``: the sinks at the middle of
    their ``(low, high)`` range (the crew's O2 use at the BVAD figure) instead of their high end, with
    ``mdot_high_kg_s`` then the expected leak: when the floor is expected, not the earliest it may come."""
    limit = crew_floor_pa(station, rules)
    out = math.inf
    for _z, p0, rate in _crew_zone_drops(station, closed, pressures_pa, leak_weights, mdot_high_kg_s, min_weight,
                                         zones_fn, sink_by_module_kg_s, nominal_sinks):
        if rate > 0:
            out = min(out, max(p0 - limit, 0.0) / rate)
        elif p0 < limit:
            out = 0.0
    return out


def _crew_zone_drops(station, closed, pressures_pa, leak_weights, mdot_high_kg_s, min_weight, zones_fn, sinks,
                     nominal_sinks: bool = False):
    """``[(zone, lowest pressure [Pa], worst pressure-loss rate [Pa s^-1])]`` of each crewed zone
    (:func:`crew_zones`): ``mdot_high_kg_s`` where the zone may hold the leak, plus its sinks' high end
    (``nominal_sinks``: the middle of their range)."""
    sinks = sinks or {}
    out = []
    for z in crew_zones(station, closed, zones_fn):
        w = sum(leak_weights.get(m, 0.0) for m in z)
        p0 = min(pressures_pa.get(m, station.nominal_pressure_pa) for m in z)
        sink = sum((0.5 * (sinks[m][0] + sinks[m][1]) if nominal_sinks else sinks[m][1]) for m in z if m in sinks)
        q = (mdot_high_kg_s if w >= min_weight else 0.0) + sink
        rate = 0.0
        if q > 0:
            t_k = max(station.modules[m].temperature_k for m in z)
            rate = q * R_AIR * t_k / station.zone_volume_m3(z)
        out.append((z, p0, rate))
    return out
