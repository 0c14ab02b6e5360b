"""The crew aboard during an isolation: its O2 use, the warnings said first, where it can go.

Pure functions of the station, the crew's places (module id -> people), the hatches closed now, the
modules' pressures and the leak probabilities per module; :class:`hullbreach.isolate.session.IsolationSession`
calls them.

* :func:`crew_alert`: the warning said first when the leak is likely in an escape vehicle's group or in
  the crew's own zone (issue 16: the MS-09 crew needed to know first whether its own Soyuz leaked).
* :func:`other_escape_vehicle`: another escape vehicle the crew can go to now, through hatches the
  constraints let it open (:func:`~hullbreach.isolate.constraints.plan_transition`).
* :func:`shelter` and :func:`stop_plan`: where the crew goes when the search stops, and the advice.

Units: SI (kg s^-1, Pa, s).
"""

from __future__ import annotations

from hullbreach.isolate.constraints import Rules, crew_zones, plan_transition
from hullbreach.isolate.plan import vehicle_groups
from hullbreach.station import Station

#: Crew O2 use [kg s^-1 per person]: 0.84 kg/day (NASA BVAD, NASA/TP-2015-218570). With the CO2 scrubbed
#: and O2 feeds held during the search, this is a loss of gas from the zone where the crew waits.
CREW_O2_KG_S_PER_PERSON = 0.84 / 86400.0
#: Relative uncertainty of the crew's O2 use [-] (activity level; estimate).
CREW_O2_REL_STD = 0.25
#: The hatch openings and the crewed zones' pressure are planned with the crew's O2 use anywhere within
#: this many standard deviations of its mean [-] (2: 0.5-1.5 times the BVAD figure).
CREW_O2_PLAN_SDS = 2.0
#: Residual floor on a crewed zone's total-pressure trend [kg s^-1] (metabolic water, feeds; estimate).
CREW_ABS_STD_KG_S = 1.0e-6
#: Probability that the leak is in the crew's zone or in an escape vehicle from which the crew is warned
#: first [-]: a false warning costs a hatch check, a missed one the crew's shelter (estimate).
CREW_ALERT_PROB = 0.2
#: The crew's-own-zone warning is given only when that zone is at most this share of the station's volume
#: [-]: at the start (all hatches open) every leak is "in the crew's zone", which tells nothing.
CREW_ZONE_ALERT_VOLUME_FRACTION = 0.5


def crew_sinks(crew: dict, rules: Rules, always: bool = False) -> dict:
    """The crew's O2 use per module as a ``(low, high)`` range [kg s^-1] (:data:`CREW_O2_PLAN_SDS`), for
    the planner and the reserve time when ``rules.plan_crew_o2`` is set or ``always`` (else empty)."""
    if not (rules.plan_crew_o2 or always):
        return {}
    k = CREW_O2_PLAN_SDS * CREW_O2_REL_STD
    return {m: (max(1.0 - k, 0.0) * n * CREW_O2_KG_S_PER_PERSON, (1.0 + k) * n * CREW_O2_KG_S_PER_PERSON)
            for m, n in crew.items() if n > 0}


def crew_vehicle_groups(station: Station, crew: dict) -> list:
    """The escape-vehicle groups holding declared crew, each with its boundary hatches:
    ``[(modules, hatches)]`` (:func:`~hullbreach.isolate.plan.vehicle_groups`)."""
    return [(g, b) for g, b in vehicle_groups(station) if g & set(crew)]


def crew_alert(station: Station, crew: dict, closed: frozenset, w: dict, pressures_pa: dict, rules: Rules) -> str:
    """The warning said first when the leak is likely in the crew's zone or in an escape vehicle ("" if
    not). ``w``: probability that each module leaks [-] (alone or with another)."""
    lines = []
    crewed = set(crew)
    for group, _b in vehicle_groups(station):
        p = sum(w.get(m, 0.0) for m in group)
        if p >= CREW_ALERT_PROB and not group & crewed:
            ev = sorted(set(group) & set(station.escape_vehicles()))
            # the vehicle's group holds modules that are not the escape vehicle (MS-09: the orbital module
            # leaked, the descent module is the escape vehicle): say the whole group, not "in the vehicle"
            lines.append(f"LEAK LIKELY IN ESCAPE VEHICLE {'/'.join(ev)} OR THE MODULES ATTACHED TO IT "
                         f"({', '.join(sorted(group))}: {p:.0%}): do not shelter in {'/'.join(ev)}; "
                         "check its hatches and its pressure first.")
    if crewed:
        zone = set().union(*[z for z in station.zones(closed) if z & crewed])
        p = sum(w.get(m, 0.0) for m in zone)
        v_all = station.zone_volume_m3(station.modules)
        # a crew zone that is most of the station says nothing yet (every leak is "in it")
        if p >= CREW_ALERT_PROB and station.zone_volume_m3(zone) <= CREW_ZONE_ALERT_VOLUME_FRACTION * v_all:
            lines.append(own_zone_alert(station, crew, closed, frozenset(zone), p, w, pressures_pa, rules))
        else:
            lines += [own_vehicle_alert(station, g, closed, frozenset(zone), w) for g, _b in crew_vehicle_groups(station, crew)
                      if sum(w.get(m, 0.0) for m in g) >= CREW_ALERT_PROB]
    return " ".join(lines)


def own_vehicle_alert(station: Station, group: frozenset, closed: frozenset, zone: frozenset, w: dict) -> str:
    """The warning said first when the leak is likely in the crew's own escape-vehicle group (a Soyuz
    orbital + descent module) while the crew's zone does not say it (the crew sealed in its descent
    module, the orbital module apart; or every hatch open). ``w``: probability that each module leaks [-].

    The MS-09 answer: a leak in a module attached to the vehicle, not in the vehicle itself, is sealed
    off by the hatch between them (the Soyuz orbital/descent module hatch) and the vehicle stays the
    crew's way home; a leak that may be in the vehicle itself is said as such. Only open hatches are
    named to close, closed ones to keep closed."""
    evs = set(station.escape_vehicles()) & set(group)
    ev = "/".join(sorted(evs))
    p_g = sum(w.get(m, 0.0) for m in group)
    p_ev = sum(w.get(m, 0.0) for m in evs)
    head = (f"LEAK LIKELY IN YOUR OWN ESCAPE VEHICLE {ev} OR THE MODULES ATTACHED TO IT ({', '.join(sorted(group))}: "
            f"{p_g:.0%}; {ev} itself {p_ev:.0%}):")
    if p_ev >= CREW_ALERT_PROB:
        return f"{head} do not rely on {ev} until its own pressure is checked."
    attached = sorted(group - evs)
    seal = sorted({h.id for m in attached for o, h in station.neighbours(m) if o in evs})
    keep = [h for h in seal if h in closed]
    shut = [h for h in seal if h not in closed]
    how = "; ".join(([f"keep hatch {', '.join(keep)} closed"] if keep else [])
                    + ([f"close hatch {', '.join(shut)}"] if shut else []))
    where = "where you are" if evs & zone else "your way home"
    return (f"{head} most likely {', '.join(attached)}, not {ev} ({where}): {how} so that {ev} is sealed "
            "from it (as on MS-09).")


def own_zone_alert(station: Station, crew: dict, closed: frozenset, zone: frozenset, p: float, w: dict,
                   pressures_pa: dict, rules: Rules) -> str:
    """The warning for a leak likely in the crew's own zone, with advice the crew can carry out.

    Said first (issue 16; the MS-09 crew needed to know first whether its own Soyuz leaked): the chance
    that the leak is in the crew's own escape vehicle group; then where to go: another escape vehicle
    the crew can reach now (:func:`other_escape_vehicle`); else that none can be reached, with the open
    hatches that seal the crew's vehicle group so its own pressure can be watched. Only closed hatches are
    named to open and only open hatches to close. ``p`` is the probability of the zone, ``w`` the module
    marginals."""
    evs = set(station.escape_vehicles())
    own_groups = crew_vehicle_groups(station, crew)
    own = [g for g, _b in own_groups]
    own_all = frozenset().union(*own) if own else frozenset(crew)
    out = [f"LEAK LIKELY IN THE CREW'S OWN ZONE ({', '.join(sorted(zone))}, {p:.0%}):"]
    for g in own:
        pg = sum(w.get(m, 0.0) for m in g)
        if pg >= CREW_ALERT_PROB:
            out.append(f"{pg:.0%} that it is in your own escape vehicle {'/'.join(sorted(g & evs))} or the "
                       f"modules attached to it ({', '.join(sorted(g))}): do not rely on it until checked;")
    other = other_escape_vehicle(station, closed, zone, own_all, w, pressures_pa, rules)
    if other is not None:
        _pf, ev, path = other
        out.append(f"{_go(ev, path)}." if path else f"move to {ev}, in your zone.")
    else:
        seal = sorted(frozenset().union(*[b for _g, b in own_groups]) - set(closed))
        ev = "/".join(sorted(own_all & evs)) or "your escape vehicle"
        out.append(f"no other escape vehicle can be reached now; be ready to leave in {ev}"
                   + (f"; close hatch{'es' if len(seal) > 1 else ''} {', '.join(seal)} to watch its own "
                      "pressure (a fall faster than your O2 use means the leak is in it)." if seal else "."))
    return " ".join(out)


#: Most closed hatches the crew is asked to open on its way to another escape vehicle [-].
MAX_PATH_HATCHES = 4


def other_escape_vehicle(station: Station, closed: frozenset, zone: frozenset, own: frozenset, w: dict,
                         pressures_pa: dict, rules: Rules) -> tuple | None:
    """Another escape vehicle the crew in ``zone`` can go to now: ``(leak probability of its side,
    vehicle, hatches to open)``, the least likely to leak first (then the shortest way), or None.

    Candidates are escape vehicles outside ``own`` (the crew's vehicle group) in ``zone`` itself (no hatch
    to open) or behind up to :data:`MAX_PATH_HATCHES` closed hatches, the fewest on the way, that the
    constraints let the crew open now in some order (:func:`plan_transition` from ``pressures_pa``:
    reachable, each hatch equalized through its valve or not against a pressure difference). "Its side" is
    what the opened hatches join to the crew's zone."""
    evs = set(station.escape_vehicles())
    options = []
    for ev in sorted((zone & evs) - own):
        options.append((sum(w.get(m, 0.0) for m in station.zone_of(ev, closed) - zone), 0, ev, ()))
    zones = station.zones(closed)
    zi = {m: i for i, z in enumerate(zones) for m in z}
    start = {zi[m] for m in zone}
    paths = {i: () for i in start}  # fewest closed hatches from the crew's zone to each zone
    frontier = sorted(start)
    while frontier:
        nxt = []
        for i in frontier:
            if len(paths[i]) >= MAX_PATH_HATCHES:
                continue
            for h in sorted(closed):
                a, b = (zi[m] for m in station.hatches[h].modules)
                if i in (a, b) and a != b:
                    j = b if a == i else a
                    if j not in paths:
                        paths[j] = paths[i] + (h,)
                        nxt.append(j)
        frontier = nxt
    for j, path in sorted(paths.items(), key=lambda kv: (len(kv[1]), kv[1])):
        cand = sorted((zones[j] & evs) - own)
        if not path or not cand:
            continue
        if plan_transition(station, closed, closed - set(path), pressures_pa, rules).feasible:
            side = station.zone_of(cand[0], closed - set(path)) - zone
            options.append((sum(w.get(m, 0.0) for m in side), len(path), cand[0], path))
    if not options:
        return None
    p, _n, ev, path = min(options)
    return p, ev, path


def _go(ev: str, path: tuple, verb: str = "move") -> str:
    """``open hatch(es) ... and <verb> to <ev>`` (the hatches in the crew's order of reaching them)."""
    if not path:
        return f"{verb} to {ev}"
    return f"open hatch{'es' if len(path) > 1 else ''} {', '.join(path)} and {verb} to {ev}"


def shelter(station: Station, crew: dict, closed: frozenset, w: dict) -> tuple:
    """Where the crew goes when the search stops: ``(modules, hatches_to_close, leak_probability)``.

    Candidates are each escape vehicle alone and with its vehicle group (a Soyuz descent module with or
    without its orbital module), reachable from the crew's zone(s) through open hatches. The one least
    likely to hold the leak wins (ties: the larger). Only hatches open now are named."""
    reach_zones = crew_zones(station, closed)
    if crew:
        reach_zones = [z for z in reach_zones if z & set(crew)] or reach_zones
    reach = set().union(*reach_zones) if reach_zones else set(station.modules)
    evs = set(station.escape_vehicles())
    options = []
    for group, _b in vehicle_groups(station):
        for ev in sorted(group & evs):
            for sh in (frozenset(group), frozenset({ev})):
                if sh <= reach and sh not in options:
                    options.append(sh)
    if not options:
        return frozenset(), (), 1.0

    def key(sh):
        p = sum(w.get(m, 0.0) for m in sh)
        return (round(p, 2), -station.zone_volume_m3(sh))

    sh = min(options, key=key)
    hatches = sorted({h.id for m in sh for o, h in station.neighbours(m) if o not in sh} - set(closed))
    return sh, tuple(hatches), float(sum(w.get(m, 0.0) for m in sh))


def stop_plan(station: Station, crew: dict, closed: frozenset, w: dict, pressures_pa: dict, rules: Rules, why: str,
              mod: str, p: float) -> tuple:
    """The advice when the search stops (``why``), the most likely module ``mod`` at ``p``: ``(advice,
    hatches_to_close, crew_zone or None)``. The crew shelters with an escape vehicle on its side
    (:func:`shelter`); when that shelter may hold the leak (the crew's own vehicle) it goes to another
    escape vehicle it can reach (:func:`other_escape_vehicle`) if that one is less likely to leak.
    ``w``: the planning weights (probability that each module leaks) [-]."""
    sh, hatches, p_sh = shelter(station, crew, closed, w)
    evs = sorted(set(sh) & set(station.escape_vehicles()))
    if not sh:
        return f"stop the search: {why}; no escape vehicle is reachable: most likely {mod} ({p:.0%})", (), None
    if crew and p_sh >= CREW_ALERT_PROB:
        # the shelter within reach may hold the leak (the crew's own vehicle): another escape vehicle
        # behind a hatch the crew can open, if it is less likely to leak (issue 16: advice that can be
        # carried out, an escape vehicle on the crew's side)
        zone = frozenset().union(*[z for z in station.zones(closed) if z & set(crew)])
        own = frozenset().union(*[g for g, _b in crew_vehicle_groups(station, crew)])
        other = other_escape_vehicle(station, closed, zone, own, w, pressures_pa, rules)
        if other is not None and other[0] < p_sh:
            p_far, ev, path = other
            go = _go(ev, path, "go")
            advice = (f"stop the search: {why}. Crew: {go} and be ready to leave in it; the leak is most "
                      f"likely in {mod} ({p:.0%}); {p_sh:.0%} that it is in {', '.join(sorted(sh))}, "
                      f"{p_far:.0%} on the {ev} side")
            return advice, (), None
    where = ", ".join(sorted(sh))
    act = (f"close hatch{'es' if len(hatches) > 1 else ''} {', '.join(hatches)} behind you" if hatches
           else "its hatches are already closed")
    advice = (f"stop the search: {why}. Crew: go to {where} ({act}) and be ready to leave in {'/'.join(evs)}; "
              f"the leak is most likely in {mod} ({p:.0%}), {'outside' if mod not in sh else 'INSIDE'} the shelter "
              f"({1 - p_sh:.0%} that it is outside)")
    return advice, hatches, sh


def own_vehicle_found_advice(station: Station, crew: dict, closed: frozenset, module: str, w: dict,
                             pressures_pa: dict, rules: Rules) -> str:
    """The close-off advice when the leak is found in the crew's own escape-vehicle group ("" when
    ``module`` is not in it). A module attached to the vehicle (a Soyuz orbital module) is sealed from
    the vehicle by the hatch between them (the MS-09 answer); a leaking vehicle itself is left for another
    escape vehicle the crew can reach (:func:`other_escape_vehicle`), else the crew keeps it ready and
    sealed from the rest. Only closed hatches are named to open and open hatches to close."""
    evs = set(station.escape_vehicles())
    for g, _b in crew_vehicle_groups(station, crew):
        if module not in g:
            continue
        if module not in evs:
            seal = sorted({h.id for o, h in station.neighbours(module) if o in g})
            keep = [h for h in seal if h in closed]
            shut = [h for h in seal if h not in closed]
            how = "; ".join(([f"keep hatch {', '.join(keep)} closed"] if keep else [])
                            + ([f"close hatch {', '.join(shut)}"] if shut else []))
            return (f"CLOSE-OFF: the leak is in {module}, attached to your escape vehicle "
                    f"{'/'.join(sorted(g & evs))}: {how} so that the vehicle is sealed from it (as on MS-09)")
        zone = frozenset().union(*[z for z in station.zones(closed) if z & set(crew)])
        other = other_escape_vehicle(station, closed, zone, frozenset(g), w, pressures_pa, rules)
        if other is not None:
            _p, ev, path = other
            go = _go(ev, path)
            return f"CLOSE-OFF: your own escape vehicle {module} leaks: {go}, then close {module} off from the station"
        return (f"CLOSE-OFF: your own escape vehicle {module} leaks and no other escape vehicle can be reached "
                f"now: keep it ready to leave in, sealed from the station when you are not in it")
    return ""
