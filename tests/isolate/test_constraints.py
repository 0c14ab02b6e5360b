"""Hard constraints: crew access to escape vehicles, no hatch opened against a pressure difference,
crewed zones above the evacuation pressure, hatch operation times."""

from __future__ import annotations

import math

import pytest

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.errors import IsolationError
from hullbreach.isolate.constraints import (
    Rules,
    crew_pressure_ok,
    crew_zones,
    equalization_time_s,
    plan_transition,
)
from hullbreach.station import load_station


@pytest.fixture(scope="module")
def demo():
    return load_station("demo")


def nominal(st):
    return {m: st.nominal_pressure_pa for m in st.modules}


def test_crew_zones_hold_escape_vehicles(demo):
    zs = crew_zones(demo, {"hab-capsule", "node-airlock"})
    assert zs == [frozenset({"capsule"})]
    assert crew_zones(demo, {"node-airlock"}) == [frozenset({"node", "lab", "hab", "capsule"})]


def test_default_operation_times_are_documented():
    r = Rules()
    assert r.close_s == 300.0  # 5 min per hatch
    assert r.open_cross_segment_s == 3600.0  # TASS 2020: about one hour for RS-USOS


def test_transition_costs_and_order(demo):
    tr = plan_transition(demo, {"node-airlock"}, {"node-airlock", "node-lab", "node-hab"}, nominal(demo))
    assert tr.feasible and tr.closes == ("node-hab", "node-lab") and tr.opens == ()
    assert tr.time_s == pytest.approx(2 * Rules().close_s)


def test_crew_cannot_reach_a_hatch_beyond_a_closed_one(demo):
    # crew sealed in the capsule cannot close node-lab without reopening hab-capsule
    tr = plan_transition(demo, {"node-airlock", "hab-capsule"}, {"node-airlock", "hab-capsule", "node-lab"}, nominal(demo))
    assert not tr.feasible and "reach" in tr.reason


def test_never_open_against_pressure_difference(demo):
    """The capsule hatch swings into the capsule: with the capsule higher it cannot open without the valve."""
    p = nominal(demo)
    for m in ("node", "lab", "hab", "airlock"):
        p[m] -= 5 * PA_PER_MMHG
    no_valve = Rules(assumed_valve_area_m2=0.0)
    tr = plan_transition(demo, {"node-airlock", "hab-capsule"}, {"node-airlock"}, p, no_valve)
    assert not tr.feasible and "cannot be opened" in tr.reason
    assert Rules().assumed_valve_area_m2 == 0.0  # the default asks only for valves the station file has
    tr_default = plan_transition(demo, {"node-airlock", "hab-capsule"}, {"node-airlock"}, p, Rules())
    assert not tr_default.feasible
    tr2 = plan_transition(demo, {"node-airlock", "hab-capsule"}, {"node-airlock"}, p, Rules(assumed_valve_area_m2=2e-5))
    assert tr2.feasible and tr2.equalize == ("hab-capsule",) and tr2.equalize_s > 0
    # the other way round (low side is the one the hatch swings into) needs no equalization
    p2 = nominal(demo)
    p2["capsule"] -= 5 * PA_PER_MMHG
    tr3 = plan_transition(demo, {"node-airlock", "hab-capsule"}, {"node-airlock"}, p2, no_valve)
    assert tr3.feasible and tr3.equalize == ()


def test_equalization_matches_small_difference_solution():
    """For dp << p the valve flow is q = CdA sqrt(2 rho dp), so d(dp)/dt = -k sqrt(dp) with
    k = CdA sqrt(2 rho) R T (1/V1 + 1/V2): t = 2 (sqrt(dp0) - sqrt(dp1)) / k (orifice equation, ISO 5167)."""
    p, t_k, area, v1, v2 = 101325.0, 295.15, 2e-5, 10.0, 300.0
    rho = p / (R_AIR * t_k)
    k = area * math.sqrt(2 * rho) * R_AIR * t_k * (1 / v1 + 1 / v2)
    dp0, tol = 5 * PA_PER_MMHG, 0.5 * PA_PER_MMHG
    expected = 2 * (math.sqrt(dp0) - math.sqrt(tol)) / k
    got = equalization_time_s(dp0, v1, v2, area, p, t_k, 0.0, tol)
    assert got == pytest.approx(expected, rel=0.05)
    # a leak on the low side larger than the valve can pass keeps the difference: never equalized
    assert equalization_time_s(dp0, v1, v2, area, p, t_k, leak_low_kg_s=1.0, tolerance_pa=tol) == math.inf


def test_crewed_zone_pressure_limit(demo):
    p = nominal(demo)
    w = {m: 0.0 for m in demo.modules}
    w["capsule"] = 1.0
    # 10.5 m3 capsule, 1e-3 kg/s: 2.5 mmHg per minute -> a 2 h wait would go far below 520 mmHg
    ok, why = crew_pressure_ok(demo, {"hab-capsule", "node-airlock"}, p, w, 1e-3, 7200.0)
    assert not ok and "below" in why
    ok, _ = crew_pressure_ok(demo, {"hab-capsule", "node-airlock"}, p, w, 1e-3, 300.0)
    assert ok


def test_unknown_hatch_is_an_isolation_error(demo):
    with pytest.raises(IsolationError, match="unknown hatch"):
        plan_transition(demo, set(), {"no-such-hatch"}, nominal(demo))
