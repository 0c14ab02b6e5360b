"""Station.zones(): open hatches merge modules into one pressure zone, a closed hatch splits them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.station import Hatch, Module, Station, load_station


def _chain(states: list[str]) -> Station:
    """Modules m0..mN in a line, hatch i between m(i) and m(i+1) in state states[i]."""
    n = len(states) + 1
    mods = {f"m{i}": Module(id=f"m{i}", volume_m3=float(i + 1)) for i in range(n)}
    hatches = {f"h{i}": Hatch(id=f"h{i}", modules=(f"m{i}", f"m{i + 1}"), state=s, opens_into=f"m{i + 1}")
               for i, s in enumerate(states)}
    return Station(name="chain", evacuation_pressure_pa=69328.0, modules=mods, hatches=hatches, sensors={})


def test_open_merges_closed_splits():
    s = _chain(["open", "closed", "open"])
    assert s.zones() == [frozenset({"m0", "m1"}), frozenset({"m2", "m3"})]
    assert s.zones(closed=()) == [frozenset({"m0", "m1", "m2", "m3"})]
    assert s.zones(closed=["h0", "h1", "h2"]) == [frozenset({f"m{i}"}) for i in range(4)]
    assert s.zone_volume_m3(s.zone_of("m3")) == pytest.approx(3.0 + 4.0)
    assert s.closed_hatches() == frozenset({"h1"})


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["open", "closed"]), min_size=1, max_size=10))
def test_chain_zone_count_is_closed_count_plus_one(states):
    s = _chain(states)
    zones = s.zones()
    assert len(zones) == states.count("closed") + 1
    # zones partition the modules and conserve the volume
    assert sorted(m for z in zones for m in z) == sorted(s.modules)
    assert sum(s.zone_volume_m3(z) for z in zones) == pytest.approx(s.total_volume_m3)


def test_iss_2018_isolating_soyuz_ms09():
    """Closing the Rassvet - Soyuz MS-09 hatch leaves OM + DM (6.5 + 4 m3, docs/reference/figures.md) as their own zone."""
    s = load_station("iss-2018")
    h = s.hatch_between("rassvet", "soyuz-ms09-om").id
    closed = s.closed_hatches() | {h}
    z = s.zone_of("soyuz-ms09-om", closed)
    assert z == frozenset({"soyuz-ms09-om", "soyuz-ms09-dm"})
    assert s.zone_volume_m3(z) == pytest.approx(10.5)
    assert len(s.zones(closed)) == len(s.zones()) + 1
    # Split at the RS/USOS boundary (Node 1 - PMA-1 hatch), the first step of the leak response (docs/reference/figures.md).
    split = s.closed_hatches() | {s.hatch_between("node1", "pma1").id}
    usos, rs = s.zone_of("destiny", split), s.zone_of("zvezda", split)
    assert usos != rs and "soyuz-ms09-om" in rs and "pma1" in rs and "node1" in usos


def test_demo_reopening_airlock_merges():
    s = load_station("demo")
    assert s.zone_of("airlock") == frozenset({"airlock"})
    assert s.zone_of("airlock", closed=()) == frozenset(s.modules)
    assert s.sensors_in(s.zone_of("lab"), "pressure")
