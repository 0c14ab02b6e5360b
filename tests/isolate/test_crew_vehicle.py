"""Issue 16, session 7: the crew's own Soyuz (orbital module vs descent module with the crew inside) and
waits that zones of negligible probability no longer set."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from hullbreach.constants import PA_PER_MMHG
from hullbreach.isolate import IsolationSession
from hullbreach.isolate.constraints import Rules
from hullbreach.isolate.crew import crew_alert
from hullbreach.isolate.plan import decision_times, evaluate
from hullbreach.station import load_station

#: Closed hatches of campaign case 0 (iss-2025, seed 2026) after its seventh step on 17f9473: the Soyuz
#: (orbital + descent module, three crew in the descent module) sealed from Rassvet, the segments split.
_CASE0_STEP7 = frozenset({"node2-pma3", "pma1-zarya", "rassvet-soyuz-om", "zarya-zvezda", "zvezda-poisk",
                          "zvezda-prk-progress-aft", "zvezda-zvezda-prk"})


def _soyuz_om_or_dm(us_weight: float = 3e-4):
    """Session state of case 0 before its stop: the leak 60 % in soyuz-om, 40 % in soyuz-dm (the crew
    inside), ``us_weight`` left on the US segment; the Soyuz 597 mmHg after 13 h sealed with the crew."""
    st = load_station("iss-2025")
    p = {m: 754.9 * PA_PER_MMHG for m in st.modules}
    p.update({"soyuz-om": 597.3 * PA_PER_MMHG, "soyuz-dm": 597.3 * PA_PER_MMHG, "rassvet": 728.5 * PA_PER_MMHG,
              "zarya": 728.5 * PA_PER_MMHG})
    s = IsolationSession(st, leak_mass_flow_kg_s=1.8e-5, crew={"soyuz-dm": 3}, pressures_pa=p,
                         closed_hatches=_CASE0_STEP7)
    w = {m: 0.0 for m in st.modules}
    w.update({"soyuz-om": 0.6 - us_weight / 2, "soyuz-dm": 0.4 - us_weight / 2, "destiny": us_weight})
    return st, s, replace(s._plan_state(), weights=w)


def test_a_negligible_rival_does_not_set_the_wait_of_the_crews_soyuz_test():
    """Campaign case 0 on 17f9473 ended ``stop`` (60 % soyuz-om, 40 % soyuz-dm) after 71 h: the test that
    seals the orbital module alone, the crew keeping its descent module, was refused. Its decision time
    was 24 h because a 3e-4 chance on the US segment had to be ruled out at the full Wald threshold,
    through the crew's uncertain O2 use, and 24 h sealed in 4 m^3 is beyond the crew's pressure floor.
    Ruling out a rival needs the Wald evidence less its prior odds; the wait covers the zones that
    hold the leak at step_confidence. The test is now planned and its longest wait is short."""
    st, s, state = _soyuz_om_or_dm()
    cfg = _CASE0_STEP7 | {"soyuz-om-soyuz-dm"}  # the orbital module sealed alone, the crew in the DM
    d = evaluate(st, state, cfg, s.rules, s.crew_plan_std)
    assert d is not None
    assert d.dwell_s <= 3 * 3600.0 and d.expected_dwell_s <= 3600.0
    zones = st.zones(cfg)
    w = np.array([sum(state.weights.get(m, 0.0) for m in z) for z in zones])
    t = decision_times(st, zones, w, s.mdot, crew_mask=np.array([bool(z & {"soyuz-dm"}) for z in zones]),
                       crew_abs_std_kg_s=s.crew_plan_std, nuisance=s.nuisance, pressures_by_module=s.pressures)
    i_dm = next(i for i, z in enumerate(zones) if "soyuz-dm" in z)
    i_us = next(i for i, z in enumerate(zones) if "destiny" in z)
    # the DM's answer no longer waits for the US segment; the US segment's own (rare) answer still does
    assert t[i_dm] < 3600.0 < t[i_us]


def test_a_rival_as_likely_still_needs_the_full_evidence():
    """The prior-odds credit is no shortcut between comparable zones: with the US segment as likely as
    the descent module, that pair needs the full Wald threshold and the times do not shrink."""
    st, s, state = _soyuz_om_or_dm()
    cfg = _CASE0_STEP7 | {"soyuz-om-soyuz-dm"}
    zones = st.zones(cfg)
    mask = np.array([bool(z & {"soyuz-dm"}) for z in zones])
    kw = dict(crew_mask=mask, crew_abs_std_kg_s=s.crew_plan_std, nuisance=s.nuisance, pressures_by_module=s.pressures)
    w_tiny = np.array([sum(state.weights.get(m, 0.0) for m in z) for z in zones])
    w_even = np.where(w_tiny > 0, 1.0 / np.count_nonzero(w_tiny), 0.0)
    i_dm = next(i for i, z in enumerate(zones) if "soyuz-dm" in z)
    t_tiny = decision_times(st, zones, w_tiny, s.mdot, **kw)
    t_even = decision_times(st, zones, w_even, s.mdot, **kw)
    assert t_even[i_dm] > 4 * t_tiny[i_dm]


def test_waited_zones_drop_only_what_the_step_may_miss():
    from hullbreach.isolate.plan import waited_zones

    w = np.array([0.0, 0.6, 0.3995, 3e-4, 2e-4])
    assert waited_zones(w, 0.999).tolist() == [False, True, True, False, False]
    # 0.0005 + 0.0006 > 0.001: only the smallest may be dropped
    w = np.array([0.5, 0.4989, 0.0006, 0.0005])
    assert waited_zones(w, 0.999).tolist() == [True, True, True, False]
    # never every zone
    assert waited_zones(np.array([1.0]), 0.999).tolist() == [True]


def test_a_leak_in_the_crews_own_soyuz_orbital_module_is_said_first():
    """The MS-09 question, the crew in its own Soyuz descent module: is the leak in our vehicle? On
    17f9473 the crew's alert was silent once the orbital module was sealed apart from the crew (the
    crew's zone, the descent module, holds 1 %), and with every hatch open (the crew's zone is the whole
    station). Now it says first that the leak is in the orbital module attached to the crew's escape
    vehicle, not in the vehicle, and which hatch seals the vehicle from it (open: close; closed: keep)."""
    st = load_station("iss-2025")
    p = {m: st.nominal_pressure_pa for m in st.modules}
    w = {m: 0.0 for m in st.modules}
    w.update({"soyuz-om": 0.97, "soyuz-dm": 0.01, "destiny": 0.02})
    base = frozenset(st.closed_hatches())
    crew = {"soyuz-dm": 3}
    a = crew_alert(st, crew, base, w, p, Rules())
    assert a.startswith("LEAK LIKELY IN YOUR OWN ESCAPE VEHICLE soyuz-dm") and "close hatch soyuz-om-soyuz-dm" in a
    a = crew_alert(st, crew, base | {"soyuz-om-soyuz-dm", "rassvet-soyuz-om"}, w, p, Rules())
    assert "most likely soyuz-om, not soyuz-dm" in a and "keep hatch soyuz-om-soyuz-dm closed" in a
    # the descent module itself likely: the crew's own zone is said (do not rely on it), never "not soyuz-dm"
    w.update({"soyuz-om": 0.5, "soyuz-dm": 0.48})
    a = crew_alert(st, crew, base | {"soyuz-om-soyuz-dm", "rassvet-soyuz-om"}, w, p, Rules())
    assert a.startswith("LEAK LIKELY IN THE CREW'S OWN ZONE (soyuz-dm") and "not soyuz-dm" not in a
    # every hatch open, the descent module itself likely: said as such
    a = crew_alert(st, crew, base, w, p, Rules())
    assert "do not rely on soyuz-dm until its own pressure is checked" in a
    # another crew's vehicle: unchanged wording (the MS-09 demo's alert)
    w = {m: 0.0 for m in st.modules}
    w.update({"soyuz-om": 0.9, "destiny": 0.1})
    a = crew_alert(st, {"crew-dragon": 3}, base, w, p, Rules())
    assert a.startswith("LEAK LIKELY IN ESCAPE VEHICLE soyuz-dm")


#: Campaign case 10 (a PMM leak, iss-2025, no hatch valves) after its third step: {node3, cupola, pmm}
#: sealed behind node1-node3 (swings into Node 3), 1.65 mmHg below the US segment; crew in soyuz-dm.
_CASE10_STEP3 = frozenset({"destiny-node2", "node1-node3", "node2-pma2", "node2-pma3", "node3-beam", "pma1-zarya",
                           "quest-quest-crewlock", "rassvet-soyuz-om", "zarya-zvezda", "zvezda-poisk",
                           "zvezda-prk-progress-aft", "zvezda-zvezda-prk"})


def test_a_dead_end_without_valves_is_split_by_the_rest_holding():
    """Session 6's second traced limit: a leak narrowed to {node3, cupola, pmm}, sealed and lower, no
    hatch valves; on 17f9473 every splitting test waited for rivals of 1e-4 and the session ended
    ``stop`` at 33 % each. A flight director enters through node1-node3 (it swings into the lower Node 3:
    allowed), seals the dead ends PMM and Cupola each behind its own hatch and lets Node 3 join the main
    volume: the dead end that falls holds the leak; if both hold, it is Node 3. No hatch is opened into a
    higher side and no valve is asked for (the station file has none there)."""
    st = load_station("iss-2025")
    p = {m: 755.4 * PA_PER_MMHG for m in st.modules}
    for m in ("node3", "cupola", "pmm"):
        p[m] = 753.75 * PA_PER_MMHG
    p["soyuz-om"] = p["soyuz-dm"] = 727.5 * PA_PER_MMHG
    s = IsolationSession(st, leak_mass_flow_kg_s=1.45e-5, crew={"soyuz-dm": 3}, pressures_pa=p,
                         closed_hatches=_CASE10_STEP3)
    # the posterior of that moment: a third each, 1e-4 left on soyuz-om, 1e-6 on each other module
    target = {m: 1e-6 for m in st.modules}
    target.update({"node3": 0.3331, "cupola": 0.3331, "pmm": 0.3331, "soyuz-om": 1e-4})
    prior = s.posterior_rows()
    labels = list(s.hyps.labels)
    s.ll = s.ll + np.array([np.log(target[k] / prior[i]) if k in target else -60.0
                            for i, k in enumerate(labels)])[:, None]
    assert abs(s.module_weights()["pmm"] - 1 / 3) < 0.01
    step = s.next_step()
    assert step.state == "continue", step.advice
    assert {"node3-pmm", "node3-cupola"} <= set(step.close)
    assert "node1-node3" in step.open and not step.equalize
    zones = {frozenset(z) for z in step.zones}
    assert frozenset({"pmm"}) in zones and frozenset({"cupola"}) in zones
    # every hatch opened swings into its lower side (or the sides are level)
    for h in step.open:
        hatch = st.hatches[h]
        into = hatch.opens_into or hatch.modules[1]
        assert p[into] <= p[hatch.other(into)] + s.rules.dp_tolerance_pa, h
    assert step.dwell_s <= 24 * 3600.0

