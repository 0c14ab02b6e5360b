"""Operations the simulator models: airlock cycles, represses, crew metabolism and life support, hatch
operations and their events (DESIGN.md §3.2 event kinds)."""

from __future__ import annotations

import numpy as np
import pytest

from hullbreach.constants import PA_PER_PSI
from hullbreach.errors import ScenarioError
from hullbreach.sim import AirlockCycle, Crew, HatchEvent, Leak, Repress, Scenario, simulate


def _series(res, module, col="pressure_pa"):
    g = res.truth[res.truth.module == module]
    t = (g["time"] - res.truth["time"].iloc[0]).dt.total_seconds().to_numpy()
    return t, g[col].to_numpy()


def test_airlock_cycle_pumps_vents_and_represses(three_station):
    """Quest-like cycle (NASA, Operating an Outpost): pump-down to 5 psia recovering air into the cabin, vent the
    rest, hold at vacuum, repress from the cabin to equal pressure."""
    ac = AirlockCycle(module="lock", start_s=600.0, pump_duration_s=1800.0, vent_duration_s=600.0, hold_s=3600.0,
                      repress_duration_s=900.0)
    res = simulate(three_station, Scenario(nuisance="none", duration_s=9000.0, truth_dt_s=30.0, airlock_cycles=(ac,)))
    t, p_lock = _series(res, "lock")
    _, p_a = _series(res, "a")
    at = lambda tt: p_lock[np.searchsorted(t, tt)]  # noqa: E731
    assert ac.pump_to_pa == pytest.approx(5 * PA_PER_PSI, rel=1e-4)
    assert at(600.0 + 1800.0) == pytest.approx(ac.pump_to_pa, rel=1e-9)
    assert at(600.0 + 1800.0 + 600.0) == pytest.approx(ac.pump_to_pa / 1000.0, rel=1e-9)
    assert at(600.0 + 2400.0 + 3600.0) < 1.0
    end = 600.0 + 2400.0 + 3600.0 + 900.0
    assert at(end) == pytest.approx(p_a[np.searchsorted(t, end)], rel=1e-9)
    # the cabin gained what the pump recovered (5 m3 from 1 atm to 5 psi into 73 m3), lost it back at repress
    gain = p_a[np.searchsorted(t, 2400.0)] - p_a[0]
    assert gain == pytest.approx((101325.0 - 5 * PA_PER_PSI) * 5.0 / 73.0, rel=0.02)
    assert list(res.events["kind"]) == ["airlock_depress", "airlock_repress"]
    assert res.events["detail"].tolist() == ["module=lock", "module=lock"]
    mb = res.mass_balance
    assert mb["airlock_vented_kg"] == pytest.approx(5 * PA_PER_PSI * 5.0 / (287.0 * 295.0), rel=0.01)


def test_airlock_cycle_needs_a_sealed_airlock(three_station):
    sc = Scenario(nuisance="none", duration_s=9000.0, hatch_events=(HatchEvent(time_s=0.0, hatch="alock", action="open"),),
                  airlock_cycles=(AirlockCycle(module="lock", start_s=600.0),))
    with pytest.raises(ScenarioError, match="not sealed off"):
        simulate(three_station, sc)


def test_repress_adds_gas_of_its_composition(three_station):
    sc = Scenario(nuisance="none", duration_s=3600.0, represses=(Repress(time_s=600.0, module="b", mass_kg=2.0, gas="n2"),
                                                Repress(time_s=1200.0, module="c", mass_kg=1.0, gas="o2", duration_s=1200.0)))
    res = simulate(three_station, sc)
    t, n2 = _series(res, "a", "ppn2_pa")
    _, o2 = _series(res, "a", "ppo2_pa")
    assert n2[-1] - n2[0] == pytest.approx(2.0 * 8.314462618 / 28.014e-3 * 295.0 / 73.0, rel=0.02)
    assert o2[-1] - o2[0] == pytest.approx(1.0 * 8.314462618 / 31.998e-3 * 295.0 / 73.0, rel=0.02)
    assert res.mass_balance["added_kg"] == pytest.approx(3.0, rel=1e-12)
    assert res.events["detail"].tolist() == ["module=b;kg=2;gas=n2", "module=c;kg=1;gas=o2"]


def test_crew_uses_o2_and_scrubber_holds_co2(three_station):
    """BVAD (NASA/TP-2015-218570): 0.84 kg O2 used, ~1.0 kg CO2 produced per person per day; the scrubber holds
    ppCO2 near its set point, the O2 make-up feeds back what was used (ppO2 saw-tooth)."""
    crew = Crew(count=4, module="a", o2_feed_interval_s=6 * 3600.0, o2_feed_duration_s=1800.0)
    res = simulate(three_station, Scenario(nuisance="none", duration_s=86400.0, dt_s=10.0, crew=crew))
    _, co2 = _series(res, "b", "ppco2_pa")
    assert np.all(np.abs(co2 - 400.0) < 40.0)
    t, o2 = _series(res, "b", "ppo2_pa")
    used_per_6h = 4 * 0.84 / 4
    drop = used_per_6h * 8.314462618 / 31.998e-3 * 295.0 / 73.0
    i = np.searchsorted(t, 6 * 3600.0)
    assert o2[0] - o2[i] == pytest.approx(drop, rel=0.02)
    mb = res.mass_balance
    assert mb["removed_kg"] == pytest.approx(4 * 0.84 + 4 * 1.0, rel=0.05)  # O2 used + CO2 scrubbed in a day
    assert mb["added_kg"] == pytest.approx(4 * 1.0 + 4 * 0.84 * 3 / 4, rel=0.02)  # CO2 exhaled + 3 feeds in 24 h


def test_hatch_events_are_logged_and_checked(three_station):
    sc = Scenario(nuisance="none", duration_s=3600.0, hatch_events=(HatchEvent(time_s=100.0, hatch="ab", action="close"),
                                                   HatchEvent(time_s=200.0, hatch="ab", action="valve_open"),
                                                   HatchEvent(time_s=300.0, hatch="ab", action="valve_close"),
                                                   HatchEvent(time_s=400.0, hatch="ab", action="open")))
    res = simulate(three_station, sc)
    assert res.events["kind"].tolist() == ["hatch_close", "valve_open", "valve_close", "hatch_open"]
    assert set(res.events["detail"]) == {"ab"}
    assert str(res.events["time"].dtype) == "datetime64[ns, UTC]"
    bad = Scenario(nuisance="none", duration_s=3600.0, hatch_events=(HatchEvent(time_s=100.0, hatch="alock", action="close"),))
    with pytest.raises(ScenarioError, match="already closed"):
        simulate(three_station, bad)


def test_opening_against_pressure_difference_warns(three_station):
    sc = Scenario(nuisance="none", duration_s=3600.0, hatch_events=(HatchEvent(time_s=100.0, hatch="bc", action="close"),
                                                   HatchEvent(time_s=3000.0, hatch="bc", action="open")),
                  leaks=(Leak(module="b", onset_s=200.0, effective_area_m2=1e-4),))
    res = simulate(three_station, sc)
    assert any("bc" in w and "would not open" in w for w in res.warnings)
    # after opening, one zone again: equal pressures in b and c
    _, pb = _series(res, "b")
    _, pc = _series(res, "c")
    assert pb[-1] == pytest.approx(pc[-1], rel=1e-12)
    assert res.zones_end == [["a", "b", "c"], ["lock"]]
