"""Named isolation policies: the hullbreach planner and the ISS procedure, with one signature
``policy(station, state, rules=..., crew_abs_std_kg_s=...) -> TestDesign | None``.

References
----------
.. [1] NASA, *The International Space Station: Operating an Outpost*, ch. 19 (ECLSS), p. 349, and
   S. Cristoforetti, training logbook 30 Sep 2013 (docs/reference/figures.md): reserve time, then the crew checks
   its escape vehicle (sheltering in the module holding its Soyuz with the hatch closed), then splits the
   station at Node 1 / the Russian transfer compartment, then closes hatches one by one (binary search).
"""

from __future__ import annotations

from hullbreach.isolate.constraints import Rules
from hullbreach.isolate.plan import (PlanState, TestDesign, _access_opens, evaluate, module_side, plan_next,
                                     vehicle_groups, zone_weights)
from hullbreach.station import Station


def _first_feasible(station, state, rules, crew_abs_std_kg_s, new: frozenset, keep_options) -> TestDesign | None:
    for keep in keep_options:
        d = evaluate(station, state, frozenset(keep) | new, rules, crew_abs_std_kg_s)
        if d is not None:
            return d
    return None


def iss_procedure(station: Station, state: PlanState, rules: Rules = Rules(), crew_abs_std_kg_s: float = 0.0) -> TestDesign | None:
    """The ISS leak-isolation procedure as a policy ([1]).

    1. Escape vehicles first: close the hatches between each escape vehicle (with its orbital module)
       and the station; the crews wait inside.
    2. Split the station at Node 1 / the Russian segment (close the hatches between ``usos`` and ``rs``).
    3. Binary search: close the one hatch that splits the suspected zone most evenly by prior weight.
    Every step waits for the same sequential test as the hullbreach planner (a fair comparison of the
    order of configurations, not of the test).
    """
    w = state.weights
    likely = {m for m, x in w.items() if x >= 0.01}  # stages look at modules that still matter
    closed = frozenset(state.closed)
    acc = _access_opens(station, closed, w, rules)
    keeps = [closed, closed - acc, closed & station.closed_hatches()]
    # 1. escape vehicles
    groups = [(g, b) for g, b in vehicle_groups(station) if g & likely]
    outside = likely - set().union(*[g for g, _ in groups]) if groups else likely
    if groups and outside:
        new = frozenset().union(*[b for _, b in groups])
        d = _first_feasible(station, state, rules, crew_abs_std_kg_s, new, keeps)
        if d is not None:
            return d
    # 2. segment split
    side = module_side(station)
    sides = {side[m] for m in likely}
    if {"usos", "rs"} <= sides:
        new = frozenset(h.id for h in station.hatches.values()
                        if {station.modules[m].segment for m in h.modules} == {"usos", "rs"})
        d = _first_feasible(station, state, rules, crew_abs_std_kg_s, new, keeps)
        if d is not None:
            return d
    # 3. halving within the most likely zone
    best = None
    for keep in keeps:
        zones = station.zones(keep)
        wz = zone_weights(zones, w)
        zc = zones[int(wz.argmax())]
        for h in station.hatches.values():
            if h.id in keep or not set(h.modules) <= zc:
                continue
            parts = station.zones(keep | {h.id})
            pw = zone_weights(parts, w)
            pw = pw[pw > 0]
            if pw.size < 2:
                continue
            balance = abs(pw.max() / pw.sum() - 0.5)
            d = evaluate(station, state, keep | {h.id}, rules, crew_abs_std_kg_s)
            if d is None:
                continue
            key = (round(balance, 6), d.expected_time_s)
            if best is None or key < best[0]:
                best = (key, d)
        if best is not None:
            return best[1]
    # the candidates may already be split by the current configuration (undecided test): watch again
    return evaluate(station, state, closed, rules, crew_abs_std_kg_s)


def hullbreach_policy(station: Station, state: PlanState, rules: Rules = Rules(), crew_abs_std_kg_s: float = 0.0) -> TestDesign | None:
    """The hullbreach planner: most expected information per hour among feasible configurations."""
    return plan_next(station, state, rules, crew_abs_std_kg_s)


POLICIES = {"hullbreach": hullbreach_policy, "iss": iss_procedure}


def get_policy(name: str):
    """Policy function by name (``hullbreach`` or ``iss``)."""
    from hullbreach.errors import IsolationError

    try:
        return POLICIES[name]
    except KeyError:
        raise IsolationError(f"unknown isolation policy {name!r}", hint=f"use one of {', '.join(POLICIES)}") from None
