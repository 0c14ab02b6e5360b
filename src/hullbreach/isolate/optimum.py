"""Idealized evaluation of an isolation policy and the exact optimum on small stations.

Split from :mod:`hullbreach.isolate.plan` (issue 16 session 6: plan.py passed the ~800-line house limit).
:func:`ideal_policy_cost` plays a policy on the station's leak priors with every test deciding in its
expected time; :func:`exact_optimum` finds the best expected time by dynamic programming over (candidate
set, configuration) (benchmarks/isolate_campaign.py part 1, docs/isolation.md).

Units: SI (kg s^-1, s).
"""

from __future__ import annotations

import math
from functools import lru_cache

from hullbreach.errors import IsolationError
from hullbreach.isolate.constraints import Rules, plan_transition
from hullbreach.isolate.plan import PlanState, evaluate
from hullbreach.station import Station


def _ideal_weights(prior: dict, cand: frozenset) -> dict:
    tot = sum(prior[m] for m in cand)
    return {m: (prior[m] / tot if m in cand else 0.0) for m in prior}


def ideal_policy_cost(station: Station, policy, prior: dict, mdot_kg_s: float, rules: Rules = Rules(),
                      step_confidence: float = 0.999) -> dict:
    """Expected time to isolate [s] and expected number of configurations of a policy under the
    idealized model used by :func:`exact_optimum` (every test decides its outcome in its expected
    decision time; pressures stay nominal between tests).

    ``policy(station, state) -> TestDesign | None``. Returns ``{"expected_time_s", "expected_steps",
    "by_module": {m: (time_s, steps)}}``.
    """
    p_nom = {m: station.nominal_pressure_pa for m in station.modules}
    total_w = sum(prior.values())
    by = {}
    for truth in station.modules:
        if prior[truth] <= 0:
            continue
        cand = frozenset(m for m in station.modules if prior[m] > 0)
        closed = station.closed_hatches()
        t = 0.0
        steps = 0
        while len(cand) > 1 and steps < 40:
            st = PlanState(closed, _ideal_weights(prior, cand), mdot_kg_s, p_nom, step_confidence)
            d = policy(station, st)
            if d is None:
                t = math.inf
                break
            zi = next(i for i, z in enumerate(d.zones) if truth in z)
            t += d.transition.time_s + d.dwell_by_zone[zi]
            cand = cand & d.zones[zi]
            closed = d.closed
            steps += 1
        by[truth] = (t, steps)
    et = sum(prior[m] / total_w * by[m][0] for m in by)
    es = sum(prior[m] / total_w * by[m][1] for m in by)
    return {"expected_time_s": et, "expected_steps": es, "by_module": by}


def exact_optimum(station: Station, prior: dict, mdot_kg_s: float, rules: Rules = Rules(),
                  step_confidence: float = 0.999, max_configs: int = 4096) -> dict:
    """Exact minimum expected time to isolate [s] by dynamic programming over (candidate set,
    configuration), under the idealized model of :func:`ideal_policy_cost` ([3]).

    Only for small stations: the configurations are all 2^H subsets of the H hatches.
    """
    hatches = list(station.hatches)
    if 2 ** len(hatches) > max_configs:
        raise IsolationError(f"station {station.name!r} has {len(hatches)} hatches: too many for the exact optimum",
                             hint="use a station with at most 12 hatches (e.g. demo)")
    configs = [frozenset(h for i, h in enumerate(hatches) if mask >> i & 1) for mask in range(2 ** len(hatches))]
    p_nom = {m: station.nominal_pressure_pa for m in station.modules}
    zones_of = {c: station.zones(c) for c in configs}
    trans_cache: dict = {}

    def transition(a, b):
        key = (a, b)
        if key not in trans_cache:
            trans_cache[key] = plan_transition(station, a, b, p_nom, rules)
        return trans_cache[key]

    design_cache: dict = {}

    def design(cand, a, b):
        key = (cand, a, b)
        if key not in design_cache:
            st = PlanState(a, _ideal_weights(prior, cand), mdot_kg_s, p_nom, step_confidence)
            design_cache[key] = evaluate(station, st, b, rules, transition=transition(a, b))
        return design_cache[key]

    @lru_cache(maxsize=None)
    def value(cand: frozenset, a: frozenset) -> tuple:
        if len(cand) <= 1:
            return 0.0, None
        wc = sum(prior[m] for m in cand)
        best = (math.inf, None)
        for b in configs:
            zs = zones_of[b]
            parts = [z & cand for z in zs if z & cand]
            if len(parts) < 2:
                continue
            d = design(cand, a, b)
            if d is None:
                continue
            v = d.transition.time_s
            for zi, z in enumerate(zs):
                sub = z & cand
                if not sub:
                    continue
                pz = sum(prior[m] for m in sub) / wc
                v += pz * (d.dwell_by_zone[zi] + value(frozenset(sub), b)[0])
            if v < best[0]:
                best = (v, b)
        return best

    closed0 = station.closed_hatches()
    cand0 = frozenset(m for m in station.modules if prior[m] > 0)
    total, first = value(cand0, closed0)
    return {"expected_time_s": total, "first_config": sorted(first or [])}
