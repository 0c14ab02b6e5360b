"""Issue 16, session 9: the crew's breathing in a sealed crewed zone's pressure floor, measured.

The crew's O2 use is a known load (NASA BVAD, NASA/TP-2015-218570: 0.84 kg O2/person/day): three crew
sealed in a 10.5 m^3 capsule with the O2 feeds held lower it ~6 mmHg/h without any leak. The planner
counts it in the crewed zone's pressure over the wait, and the wait ends when the zone's *measured*
pressure reaches evacuation + margin (``Step.floor_pa``); ``observe`` reads the step only up to there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.campaign.runner import FAST_BLOCK_S, fast_station, mdot_to_cd_area, station_rate_to_mdot
from hullbreach.constants import PA_PER_MMHG
from hullbreach.isolate import IsolationSession
from hullbreach.isolate.constraints import crew_floor_pa
from hullbreach.sim import Crew, HatchEvent, Leak, Scenario, simulate
from hullbreach.station import load_station

_SEAL = {"node-airlock", "hab-capsule"}


@pytest.fixture(scope="module")
def breathing_down():
    """Demo habitat at 560 mmHg, three crew sealed in the capsule (O2 feeds held), a 1.5 mmHg/day leak in
    the lab; the simulator's own crew metabolism (BVAD) over 10 h, its sensor model at 60 s."""
    st = load_station("demo")
    p0 = 560.0 * PA_PER_MMHG
    mdot = station_rate_to_mdot(st, 1.5 * PA_PER_MMHG / 86400.0)
    sc = Scenario(duration_s=10 * 3600.0, initial_pressure_pa=p0,
                  leaks=(Leak(module="lab", onset_s=0.0, effective_area_m2=mdot_to_cd_area(st, mdot)),),
                  hatch_events=(HatchEvent(time_s=0.0, hatch="hab-capsule", action="close"),),
                  crew=Crew(count=3, module="capsule", o2_makeup=False),
                  sample_rate_hz=1.0 / FAST_BLOCK_S, truth_dt_s=FAST_BLOCK_S)
    res = simulate(fast_station(st), sc, seed=5, telemetry=True)
    tr = res.truth[res.truth["module"] == "capsule"]
    t_truth = (tr["time"] - pd.Timestamp(sc.start)).dt.total_seconds().to_numpy()
    p_truth = tr["pressure_pa"].to_numpy()
    return st, p0, mdot, res.telemetry, t_truth, p_truth


def _session(st, p0, mdot):
    return IsolationSession(st, leak_mass_flow_kg_s=mdot, crew={"capsule": 3}, pressures_pa={m: p0 for m in st.modules})


def test_a_step_is_read_only_until_the_crews_zone_reaches_its_floor(breathing_down):
    """The crew's breathing takes the sealed capsule from 560 to the 530 mmHg floor in ~5 h; the telemetry
    goes on to 10 h (the truth ends near 505 mmHg, below the 520 mmHg evacuation pressure). On aabd4c5 the
    step was read to its end (decision at 10 h: the crew would have waited below evacuation pressure); now
    it ends at the floor, with the truth still above evacuation pressure."""
    st, p0, mdot, tel, t_truth, p_truth = breathing_down
    floor = crew_floor_pa(st)
    t_cross = float(t_truth[np.argmax(p_truth <= floor)])
    assert 3 * 3600 < t_cross < 8 * 3600 and p_truth[-1] < st.evacuation_pressure_pa  # the case is what it says
    s = _session(st, p0, mdot)
    s.next_step()
    out = s.observe(tel, closed_hatches=_SEAL)
    # read up to the floor (the trailing 2-min mean and the 0.5 mmHg reading tolerance: a few minutes early)
    assert t_cross - 1800.0 < out.decision_s <= t_cross + FAST_BLOCK_S
    assert out.floor_reached
    t_end = out.decision_s + float(t_truth[0])
    assert float(p_truth[t_truth <= t_end].min()) > st.evacuation_pressure_pa
    assert s.elapsed_s < t_cross + 3600.0


def test_a_wait_the_crew_ends_at_its_floor_is_accepted(breathing_down):
    """The crew ended the wait when the capsule reached 530 mmHg, well before the step's longest wait: on
    aabd4c5 ``observe`` refused it ("step 1 is not done"), although the crew did what the floor asks."""
    st, p0, mdot, tel, t_truth, p_truth = breathing_down
    t_cross = float(t_truth[np.argmax(p_truth <= crew_floor_pa(st))])
    ts = (tel["time"] - tel["time"].min()).dt.total_seconds()
    frame = tel.loc[ts <= t_cross]
    s = _session(st, p0, mdot)
    step = s.next_step()
    assert t_cross < 0.9 * step.dwell_s - 60.0  # short of the wait: only the floor can end it
    out = s.observe(frame, closed_hatches=_SEAL)
    assert out.floor_reached and not out.decided
    assert len(s.history) == 1


def test_the_wait_is_planned_to_the_expected_floor_and_the_step_names_it():
    """The demo habitat at 580 mmHg, a 5 mmHg/day leak, three crew in the capsule; the test that seals the
    capsule alone and splits the rest. Its wait reaches the crew's floor: the planner plans it to where the
    floor is expected (the crew's O2 use at the BVAD figure, the leak estimate), past the earliest moment
    the floor may come (1.5 x BVAD, the leak's high end), since the crew watches its pressure and ends the
    wait there (``Step.floor_pa``). On aabd4c5 the crew's O2 use did not count in the full wait's limit
    unless ``Rules.plan_crew_o2`` (and the design had no ``floor_s``)."""
    from dataclasses import replace

    from hullbreach.constants import R_AIR
    from hullbreach.isolate.crew import CREW_O2_KG_S_PER_PERSON
    from hullbreach.isolate.plan import evaluate

    st = load_station("demo")
    mdot = station_rate_to_mdot(st, 5.0 * PA_PER_MMHG / 86400.0)
    p = {m: 580.0 * PA_PER_MMHG for m in st.modules}
    s = IsolationSession(st, leak_mass_flow_kg_s=mdot, crew={"capsule": 3}, pressures_pa=p)
    w = {"node": 0.3, "lab": 0.3, "hab": 0.2, "airlock": 0.0, "capsule": 0.2}
    state = replace(s._plan_state(), weights=w)
    cfg = frozenset(st.closed_hatches()) | {"hab-capsule", "node-lab", "node-hab"}
    d = evaluate(st, state, cfg, s.rules, s.crew_plan_std)
    assert d is not None and d.floor_s < d.dwell_s
    floor = crew_floor_pa(st, s.rules)
    rt_v = R_AIR * st.modules["capsule"].temperature_k / st.modules["capsule"].volume_m3
    # at the nominal figures the wait ends at the floor ...
    nominal = (3 * CREW_O2_KG_S_PER_PERSON + mdot) * rt_v
    assert p["capsule"] - nominal * d.dwell_s == pytest.approx(floor, abs=0.1 * PA_PER_MMHG)
    # ... which comes earlier at the high ends (1.5 x BVAD, 1.65 x the leak): the crew's reading ends it
    high = (1.5 * 3 * CREW_O2_KG_S_PER_PERSON + 1.65 * mdot) * rt_v
    assert p["capsule"] - high * d.floor_s == pytest.approx(floor, abs=0.1 * PA_PER_MMHG)
    # the session's step names that floor, in its instructions and its JSON
    s._policy = lambda *args: d
    step = s.next_step()
    assert step.state == "continue" and step.floor_pa == crew_floor_pa(st, s.rules)
    assert any("falls to 530 mmHg" in line for line in step.instructions())
    assert step.to_json()["floor_pa"] == step.floor_pa
