"""Scenario TOML: fields, ISO times, and errors that name the file, line and key."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.errors import ScenarioError
from hullbreach.sim import Leak, Scenario, load_scenario, ms09_scenario, parse_scenario, simulate

GOOD = """
name = "t"
start = "2018-08-29T19:00:00Z"
duration_s = 7200
dt_s = 2.0
[[leak]]
module = "c"
onset = 2018-08-29T20:00:00Z
diameter_m = 2e-3
discharge_coefficient = 0.6
end_s = 5000
[[hatch_event]]
time_s = 100
hatch = "bc"
action = "close"
[[repress]]
time = "2018-08-29T19:30:00Z"
module = "a"
mass_kg = 1.5
gas = "n2"
[[thermal]]
module = "*"
orbital_amplitude_k = 0.3
steps = [[3600, 1.0]]
[crew]
count = 3
module = "a"
[[sensor_fault]]
sensor = "a.p"
kind = "drift"
magnitude = 0.5
"""


def test_parse_good_file(tmp_path, three_station):
    p = tmp_path / "s.toml"
    p.write_text(GOOD)
    sc = load_scenario(p)
    assert sc.leaks[0].onset_s == 3600.0 and sc.leaks[0].end_s == 5000.0
    assert sc.represses[0].time_s == 1800.0 and sc.represses[0].gas == "n2"
    assert sc.thermal[0].steps == ((3600.0, 1.0),)
    assert sc.crew.count == 3 and sc.sensor_faults[0].kind == "drift"
    assert sc.leaks[0].initial_cd_area_m2 == pytest.approx(0.6 * 3.141592653589793e-6)
    res = simulate(three_station, sc)
    assert res.vented_kg > 0


@pytest.mark.parametrize("old, new, words", [
    ('gas = "n2"', 'gas = "n2"\ncolour = "red"', ["colour", "repress"]),
    ("dt_s = 2.0", "dt_s = 2.0\nfoo = 1", ["foo"]),
    ("mass_kg = 1.5", "mass_kg = -1.5", ["mass_kg", "positive"]),
    ("diameter_m = 2e-3", "diameter_m = -2e-3", ["diameter_m"]),
    ('kind = "drift"', 'kind = "melted"', ["melted", "kind"]),
    ('action = "close"', 'action = "slam"', ["slam", "action"]),
])
def test_errors_name_file_line_and_key(tmp_path, old, new, words):
    text = GOOD.replace(old, new)
    bad_line = new.splitlines()[-1]
    line = text.splitlines().index(bad_line) + 1
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as ei:
        load_scenario(p)
    msg = str(ei.value)
    assert f"bad.toml:{line}" in msg, msg
    for w in words:
        assert w in msg


def test_events_out_of_order_rejected():
    text = GOOD + '\n[[hatch_event]]\ntime_s = 50\nhatch = "bc"\naction = "open"\n'
    with pytest.raises(ScenarioError, match="out of order") as ei:
        parse_scenario(text, "x.toml")
    header = max(i for i, ln in enumerate(text.splitlines()) if ln == "[[hatch_event]]") + 1
    assert f"x.toml:{header}" in str(ei.value)  # the entry that breaks the order


def test_unknown_module_hatch_sensor_checked_against_station(three_station):
    for text, what in ((GOOD.replace('module = "c"', 'module = "zz"'), "unknown module 'zz'"),
                       (GOOD.replace('hatch = "bc"', 'hatch = "qq"'), "unknown hatch 'qq'"),
                       (GOOD.replace('sensor = "a.p"', 'sensor = "nope"'), "unknown sensor 'nope'")):
        sc = parse_scenario(text, "s.toml")
        with pytest.raises(ScenarioError, match=what) as ei:
            simulate(three_station, sc)
        assert "s.toml:" in str(ei.value)


def test_bad_toml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        parse_scenario("start = ", "b.toml")
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "none.toml")
    with pytest.raises(ScenarioError, match="exactly one of"):
        Leak(module="a", diameter_m=1e-3, effective_area_m2=1e-6)
    with pytest.raises(ScenarioError, match="start"):
        Scenario(start="yesterday")


@settings(max_examples=60, deadline=None)
@given(d=st.floats(1e-5, 0.1), cd=st.floats(0.05, 1.0), onset=st.floats(0, 1e6), growth=st.floats(0, 10))
def test_leak_area_definition(d, cd, onset, growth):
    lk = Leak(module="a", onset_s=onset, diameter_m=d, discharge_coefficient=cd, area_growth_per_day=growth)
    a0 = cd * 3.141592653589793 * d * d / 4
    assert lk.cd_area_m2([onset - 1.0])[0] == 0.0
    assert lk.cd_area_m2([onset])[0] == pytest.approx(a0, rel=1e-12)
    assert lk.cd_area_m2([onset + 86400.0])[0] == pytest.approx(a0 * (1 + growth), rel=1e-12)


def test_ms09_file_parses():
    sc = ms09_scenario()
    assert sc.station == "iss-2018"
    assert sc.start == "2018-08-29T19:00:00Z"
    assert sc.leaks[0].module == "soyuz-ms09-om"
