"""The IsolationSession public API, its errors, and end-to-end runs with the simulator in the loop."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from hullbreach.campaign.runner import Case, mdot_to_cd_area, run_case, station_rate_to_mdot
from hullbreach.constants import PA_PER_MMHG
from hullbreach.errors import IsolationError
from hullbreach.isolate import IsolationSession
from hullbreach.sim import HatchEvent, Leak, Scenario, ThermalProfile, simulate
from hullbreach.station import load_station


@pytest.fixture(scope="module")
def demo():
    return load_station("demo")


def _sim_step(station, leak, events, t0, step, seed=1):
    evs = list(events)
    for h in step.open:
        evs.append(HatchEvent(time_s=t0, hatch=h, action="open"))
    for h in step.close:
        evs.append(HatchEvent(time_s=t0, hatch=h, action="close"))
    res = simulate(station, Scenario(duration_s=t0 + step.dwell_s + 1, leaks=(leak,), hatch_events=tuple(evs),
                                     thermal=(ThermalProfile(module="*", orbital_amplitude_k=0.3, hvac_noise_k=0.05),)),
                   seed=seed)
    tel = res.telemetry
    ts = (tel["time"] - tel["time"].iloc[0]).dt.total_seconds()
    return evs, tel.loc[ts >= t0 + 1]


def test_public_api_finds_the_leak_on_demo(demo):
    """Exactly the documented API, driven by the simulator (full 1 Hz telemetry)."""
    mdot = 2.4e-4
    leak = Leak(module="lab", onset_s=0.0, effective_area_m2=mdot_to_cd_area(demo, mdot))
    s = IsolationSession(demo, leak_mass_flow_kg_s=mdot, seed=0)
    events, t0 = [], 0.0
    while not s.done:
        step = s.next_step()
        assert isinstance(step.closed_hatches, set) and set(step.closed_hatches) <= set(demo.hatches)
        assert step.dwell_s > 0
        assert set(step.crew_zone) & set(demo.escape_vehicles())
        events, frame = _sim_step(demo, leak, events, t0, step)
        out = s.observe(frame)
        t0 += out.decision_s + 1
        assert len(s.history) < 10
    assert s.result.module == "lab"
    assert s.result.probability >= 0.99
    assert 0 < s.result.elapsed_s < 3 * 3600


def test_errors(demo):
    s = IsolationSession(demo, leak_mass_flow_kg_s=2e-4, seed=0)
    with pytest.raises(IsolationError, match="before next_step"):
        s.observe(pd.DataFrame({"time": [0.0], "channel": ["lab.pressure"], "value": [760.0]}))
    step = s.next_step()
    assert s.next_step() is step  # asking twice gives the same step
    wrong = pd.DataFrame({"time": [0.0, 60.0], "channel": ["USLAB000058"] * 2, "value": [760.0, 760.0]})
    with pytest.raises(IsolationError, match="another station"):
        s.observe(wrong)
    # a step reported done after two minutes, undecided: refused
    t = np.arange(0.0, 120.0)
    rng = np.random.default_rng(0)
    short = pd.concat([pd.DataFrame({"time": t, "channel": sid, "value": 760.0 + 0.1 * rng.standard_normal(t.size)})
                       for sid in ("node.pressure", "lab.pressure", "hab.pressure", "airlock.pressure", "capsule.pressure")])
    with pytest.raises(IsolationError, match="not done"):
        s.observe(short)
    with pytest.raises(IsolationError, match="unknown hatch"):
        s.observe(short, closed_hatches={"node-lab", "no-such-hatch"})
    with pytest.raises(IsolationError, match="unknown hatch"):
        IsolationSession(demo, leak_mass_flow_kg_s=1e-4, closed_hatches=["hatch-9"])
    with pytest.raises(IsolationError, match="Station"):
        IsolationSession("demo", leak_mass_flow_kg_s=1e-4)
    with pytest.raises(IsolationError, match="positive"):
        IsolationSession(demo, leak_mass_flow_kg_s=0.0)


def test_actual_configuration_overrides_the_plan(demo):
    """The crew could not close a planned hatch: observe() reads the telemetry against what was done."""
    mdot = 2.4e-4
    leak = Leak(module="lab", onset_s=0.0, effective_area_m2=mdot_to_cd_area(demo, mdot))
    s = IsolationSession(demo, leak_mass_flow_kg_s=mdot, seed=0)
    s.next_step()
    actual = {"node-airlock", "node-lab"}
    events = [HatchEvent(time_s=0.0, hatch="node-lab", action="close")]
    res = simulate(demo, Scenario(duration_s=1200.0, leaks=(leak,), hatch_events=tuple(events)), seed=4)
    out = s.observe(res.telemetry, closed_hatches=actual)
    assert out.leaking_zone == frozenset({"lab"})
    assert s.closed == frozenset(actual)


def test_no_leak_is_reported_as_such(demo):
    """A detection that was not a leak (all zones hold): the session ends with no module."""
    leak = Leak(module="lab", onset_s=0.0, effective_area_m2=1e-12)
    s = IsolationSession(demo, leak_mass_flow_kg_s=2e-4, seed=0)
    events, t0 = [], 0.0
    while not s.done:
        step = s.next_step()
        events, frame = _sim_step(demo, leak, events, t0, step, seed=2)
        t0 += s.observe(frame).decision_s + 1
    assert s.result.module is None and s.result.status == "no-leak" and s.result.state == "no-leak"
    final = s.next_step()  # a finished session answers with its terminal step, not an exception
    assert final.state == "no-leak" and "no leak" in final.advice and s.next_step() is final
    with pytest.raises(IsolationError, match="finished"):
        s.observe(frame)


def test_capsule_leak_full_telemetry(demo):
    r = run_case(Case("demo", "capsule", 2.4e-4, seed=3, telemetry="full"))
    assert r["correct"] and r["violations"] == 0


def test_ms09_orbital_module_on_iss_2018():
    """Soyuz MS-09 (Aug 2018): 0.6 mmHg/h whole-station rate (Spaceflight Now, docs/reference/figures.md); the
    session must name the orbital module in under 3 h with no constraint violated."""
    st = load_station("iss-2018")
    mdot = station_rate_to_mdot(st, 0.6 * PA_PER_MMHG / 3600.0)
    assert mdot == pytest.approx(2.4e-4, rel=0.05)
    r = run_case(Case("iss-2018", "soyuz-ms09-om", mdot, seed=0), station=st)
    assert r["found"] == "soyuz-ms09-om"
    assert r["time_to_module_s"] < 3 * 3600
    assert r["violations"] == 0
    assert r["air_lost_kg"] > 0


def test_step_instructions_follow_the_order_of_the_hatch_work():
    """A hatch is equalized right before it is opened, after the openings before it (issue 16 session 4:
    a flat "equalize everything, then open everything" let an earlier opening undo the equalization).
    The crew's instructions, the JSON and the planned operations say the same order."""
    from hullbreach.isolate.session import Step

    seq = (("open", "hab-capsule", 900.0), ("equalize", "node-lab", 120.0), ("open", "node-lab", 900.0),
           ("close", "node-hab", 300.0))
    step = Step(1, {"node-hab"}, ("node-hab",), ("hab-capsule", "node-lab"), ("node-lab",), 3600.0, 1800.0, 2220.0,
                {"capsule", "hab"}, (), sequence=seq)
    assert step.operations() == [(a, h) for a, h, _s in seq]
    lines = step.instructions()
    assert lines[:4] == ["open hatch hab-capsule", "equalize pressure across hatch node-lab with its valve",
                         "open hatch node-lab", "close hatch node-hab"]
    assert step.to_json()["sequence"][1] == ["equalize", "node-lab", 120.0]


def test_session_plans_with_the_crews_o2_use(demo):
    """With ``Rules.plan_crew_o2`` the session hands the crew's O2 use (BVAD 0.84 kg/person/day, within
    +-2 sd of 25 %) to the planner as a sink of its module, and counts it in the reserve time of the crew's
    zone."""
    from hullbreach.isolate.session import CREW_O2_KG_S_PER_PERSON

    from hullbreach.isolate.constraints import Rules

    s = IsolationSession(demo, leak_mass_flow_kg_s=2e-5, crew={"capsule": 3}, rules=Rules(plan_crew_o2=True))
    lo, hi = s._plan_state().sinks_kg_s["capsule"]
    assert lo == pytest.approx(1.5 * CREW_O2_KG_S_PER_PERSON) and hi == pytest.approx(4.5 * CREW_O2_KG_S_PER_PERSON)
    assert IsolationSession(demo, leak_mass_flow_kg_s=2e-5)._plan_state().sinks_kg_s is None
    # off by default (it cost answers on the iss-2025 campaign, docs/benchmarks/isolate.md)
    assert IsolationSession(demo, leak_mass_flow_kg_s=2e-5, crew={"capsule": 3})._plan_state().sinks_kg_s is None


# ------------------------------------------------------------------ leak in the crew's own escape vehicle

_ISS25_SPLIT = {"node2-pma3", "node3-beam", "quest-quest-crewlock", "pma1-zarya", "zarya-zvezda", "zvezda-poisk",
                "zvezda-prk-progress-aft", "zvezda-zvezda-prk"}  # the campaign's step-4 configuration


def _crew_in_soyuz_dm(pressures_pa=None, leak="soyuz-dm"):
    """iss-2025, three crew in soyuz-dm, the segments split, the evidence all on ``leak`` (ll of the others
    lowered by 60: the posterior after the campaign's steps 1-4 of a Soyuz leak)."""
    st = load_station("iss-2025")
    s = IsolationSession(st, leak_mass_flow_kg_s=2.4e-5, crew={"soyuz-dm": 3}, pressures_pa=pressures_pa)
    labels = np.array(s.hyps.labels)
    s.ll = s.ll - 60.0 * (labels != leak)[:, None]
    s.closed = frozenset(_ISS25_SPLIT)
    return st, s


def test_own_escape_vehicle_leak_is_said_first_with_a_vehicle_the_crew_can_reach():
    """Issue 16: a leak in the crew's own Soyuz is said first, with advice that can be carried out. The
    campaign's two Soyuz runs (a8bc68b) said "move to another escape vehicle's zone before the next closure"
    while Crew Dragon lay behind the closed pma1-zarya, and the stop advice sent the crew into the leaking
    descent module. Now the warning names the own vehicle and the closed hatch to open (the US side is not
    higher: the hatch swings into Zarya and may be opened), and the stop advice goes there too."""
    st, s = _crew_in_soyuz_dm()
    alert = s._crew_alert()
    assert alert.startswith("LEAK LIKELY IN THE CREW'S OWN ZONE"), alert
    assert "your own escape vehicle soyuz-dm" in alert
    assert "open hatch pma1-zarya and move to crew-dragon" in alert
    assert "pma1-zarya" in s.closed  # only a closed hatch is named to open
    stop = s._finish_stop("no allowed hatch configuration can split the suspected modules further")
    assert "go to crew-dragon" in stop.advice and "go to soyuz-dm" not in stop.advice, stop.advice
    assert stop.alert == alert and stop.instructions()[0] == alert  # said first
    assert s.result.advice.startswith(alert) and s.result.state == "stop"


def test_own_escape_vehicle_leak_without_a_reachable_vehicle_says_so():
    """The US side 5 mmHg lower: pma1-zarya swings into the higher Zarya side and has no valve, so it cannot be
    opened; the warning says no other vehicle can be reached and names the OPEN hatch that seals the Soyuz."""
    st = load_station("iss-2025")
    p = {m: st.nominal_pressure_pa for m in st.modules}
    for m in st.zone_of("node1", _ISS25_SPLIT):
        p[m] -= 5.0 * PA_PER_MMHG
    st, s = _crew_in_soyuz_dm(pressures_pa=p)
    alert = s._crew_alert()
    assert "your own escape vehicle soyuz-dm" in alert
    assert "no other escape vehicle can be reached now" in alert and "crew-dragon" not in alert
    assert "close hatch rassvet-soyuz-om" in alert and "rassvet-soyuz-om" not in s.closed


_CASE12_STEP3 = {"destiny-node2", "node1-pma1", "node2-pma2", "node2-pma3", "node3-beam", "pma1-zarya",
                 "quest-quest-crewlock", "zarya-zvezda", "zvezda-zvezda-prk"}


def _soyuz_suspected_after_a_day():
    """iss-2025 campaign case 12 (seed 2026, valves 2e-5) after its step 3, c3455ae: three crew in
    soyuz-dm, the leak (in soyuz-dm) narrowed to the crew's zone {zarya, rassvet, soyuz-om, soyuz-dm}, which
    has fallen 25 mmHg below the rest in 22 h; the other modules hold ~1e-5 each (their zones still set the
    longest wait)."""
    from hullbreach.isolate.constraints import Rules

    st = load_station("iss-2025")
    p = {m: 755.4 * PA_PER_MMHG for m in st.modules}
    for m in ("pma1",):
        p[m] = 731.64 * PA_PER_MMHG
    for m in st.zone_of("soyuz-dm", _CASE12_STEP3):
        p[m] = 730.56 * PA_PER_MMHG
    s = IsolationSession(st, leak_mass_flow_kg_s=2.93e-5, crew={"soyuz-dm": 3}, pressures_pa=p,
                         closed_hatches=_CASE12_STEP3, rules=Rules(assumed_valve_area_m2=2e-5))
    labels = np.array(s.hyps.labels)
    s.ll = s.ll - 10.0 * (~np.isin(labels, ["soyuz-om", "soyuz-dm", "zarya", "rassvet"]))[:, None]
    s._exclude = frozenset({frozenset(_CASE12_STEP3)})  # step 3 watched this configuration without progress
    return st, s


def test_a_suspected_own_soyuz_is_tested_with_a_pressure_floor():
    """Issue 16 session 6: campaign case 12 ended ``stop`` after 23 h with the leak 71 % in the crew's own
    Soyuz: every configuration that seals the Soyuz was refused because its longest wait (planned for the
    low end of the leak estimate, 23 h) would take the sealed 10.5 m^3 Soyuz below evacuation pressure at
    the high end. A controller runs that test with a pressure floor: the wait ends when the crewed zone
    would reach evacuation + margin at the high leak and the crew's high O2 use. Now the design that seals
    the Soyuz is kept, its longest wait cut at that floor (fails on c3455ae: the design is None)."""
    from hullbreach.isolate.constraints import crew_pressure_ok
    from hullbreach.isolate.crew import crew_sinks
    from hullbreach.isolate.plan import LEAK_LOW_FACTOR

    from hullbreach.isolate.plan import evaluate

    st, s = _soyuz_suspected_after_a_day()
    seal = frozenset(_CASE12_STEP3) | {"rassvet-soyuz-om"}  # the Soyuz (OM + DM, crew inside) sealed
    d = evaluate(st, s._plan_state(), seal, s.rules, s.crew_plan_std)
    assert d is not None
    sinks = crew_sinks(s.crew, s.rules, always=True)
    ok, why = crew_pressure_ok(st, seal, s.pressures, s.module_weights(), s.mdot / LEAK_LOW_FACTOR, d.dwell_s, s.rules,
                               sink_by_module_kg_s=sinks)
    assert ok, why
    # the floor binds, or (since session 7) the wait is shorter: the ~1e-5 zones no longer set it
    assert d.floored or d.dwell_s <= 6 * 3600.0
    if d.floored:
        assert not crew_pressure_ok(st, seal, s.pressures, s.module_weights(), s.mdot / LEAK_LOW_FACTOR,
                                    1.25 * d.dwell_s, s.rules, sink_by_module_kg_s=sinks)[0]
    assert d.expected_dwell_s < d.dwell_s


_CASE27_STEP4 = {"destiny-node2", "node1-node3", "node2-pma2", "node2-pma3", "node3-beam", "pma1-zarya",
                 "quest-quest-crewlock", "rassvet-soyuz-om", "soyuz-om-soyuz-dm", "zarya-zvezda", "zvezda-poisk",
                 "zvezda-prk-progress-aft", "zvezda-zvezda-prk"}


def test_a_blocked_way_in_is_opened_from_a_side_joined_to_the_main_volume_first():
    """Issue 16 session 6, campaign case 27 without valves (c3455ae: ``stop`` at 33 % after 8.3 h): the leak
    narrowed to {zvezda, nauka, prichal}, sealed and 1.3 mmHg low; the crew (three, O2 feeds held) sealed in
    soyuz-dm and lower still. The only way in, zarya-zvezda, swings into Zvezda; from the crew's side Zvezda
    is higher, and no valve. A controller joins Zarya to the US segment first (pma1-zarya, which swings into
    the lower Zarya), so Zarya takes the main volume's pressure and the Zvezda hatch opens into the lower
    side. Now the session plans that; the hatch work opens pma1-zarya before zarya-zvezda."""
    st = load_station("iss-2025")
    p = {m: 754.95 * PA_PER_MMHG for m in st.modules}
    for m in st.zone_of("zvezda", _CASE27_STEP4):
        p[m] = 753.69 * PA_PER_MMHG
    for m in st.zone_of("zarya", _CASE27_STEP4):
        p[m] = 753.2 * PA_PER_MMHG
    p["soyuz-om"] = 752.9 * PA_PER_MMHG
    p["soyuz-dm"] = 751.0 * PA_PER_MMHG
    s = IsolationSession(st, leak_mass_flow_kg_s=1.5e-5, crew={"soyuz-dm": 3}, pressures_pa=p,
                         closed_hatches=_CASE27_STEP4)
    labels = np.array(s.hyps.labels)
    s.ll = s.ll - 60.0 * (~np.isin(labels, ["zvezda", "nauka", "prichal"]))[:, None]
    step = s.next_step()
    assert step.state == "continue", step.advice
    assert {"pma1-zarya", "zarya-zvezda"} <= set(step.open)
    order = [h for a, h in step.operations() if a == "open"]
    assert order.index("pma1-zarya") < order.index("zarya-zvezda")
    assert not step.equalize  # no valve asked for: the station file has none there


def test_a_leak_found_in_the_crews_own_vehicle_group_gets_its_close_off():
    """Issue 16 session 6: a leak found in the crew's own Soyuz is an answer with its close-off. In the
    orbital module: the hatch to the descent module seals the vehicle from it (MS-09), named "keep closed"
    when closed and "close" when open; in the descent module itself: move to the other escape vehicle the
    crew can reach; elsewhere nothing is added."""
    from hullbreach.isolate.constraints import Rules
    from hullbreach.isolate.crew import own_vehicle_found_advice

    st = load_station("iss-2025")
    crew = {"soyuz-dm": 3}
    p = {m: st.nominal_pressure_pa for m in st.modules}
    w = {m: 0.0 for m in st.modules}
    sealed = frozenset(st.closed_hatches()) | {"soyuz-om-soyuz-dm"}
    a = own_vehicle_found_advice(st, crew, sealed, "soyuz-om", w, p, Rules())
    assert a.startswith("CLOSE-OFF") and "keep hatch soyuz-om-soyuz-dm closed" in a
    a = own_vehicle_found_advice(st, crew, frozenset(st.closed_hatches()), "soyuz-om", w, p, Rules())
    assert "close hatch soyuz-om-soyuz-dm" in a
    a = own_vehicle_found_advice(st, crew, frozenset(st.closed_hatches()), "soyuz-dm", w, p, Rules())
    assert "your own escape vehicle soyuz-dm leaks" in a and "move to crew-dragon" in a
    assert own_vehicle_found_advice(st, crew, frozenset(st.closed_hatches()), "destiny", w, p, Rules()) == ""


def test_the_crew_is_sent_to_an_escape_vehicle_behind_more_than_one_closed_hatch():
    """Issue 16 session 6: only escape vehicles behind ONE closed hatch were offered to the crew. With the
    segments split and node2-pma2 closed too, Crew Dragon lies behind pma1-zarya and node2-pma2 (both
    openable: no pressure difference); c3455ae said "no other escape vehicle can be reached now"."""
    st, s = _crew_in_soyuz_dm()
    s.closed = frozenset(_ISS25_SPLIT) | {"node2-pma2"}
    alert = s._crew_alert()
    assert "open hatches pma1-zarya, node2-pma2 and move to crew-dragon" in alert, alert
    assert "no other escape vehicle can be reached" not in alert
    stop = s._finish_stop("no allowed hatch configuration can split the suspected modules further")
    assert "open hatches pma1-zarya, node2-pma2 and go to crew-dragon" in stop.advice, stop.advice
