"""Station file validation (every error names file, line and key) and the dump/parse round trip."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.errors import StationError
from hullbreach.station import Hatch, Module, Sensor, Station, dump_station, load_station, parse_station

GOOD = """\
name = "t"
evacuation_pressure_pa = 69328

[[module]]
id = "a"
volume_m3 = 10.0

[[module]]
id = "b"
volume_m3 = 20.0
escape_vehicle = true

[[module]]
id = "c"
volume_m3 = 5.0

[[hatch]]
id = "a-b"
modules = ["a", "b"]
state = "open"
opens_into = "b"

[[hatch]]
id = "a-c"
modules = ["a", "c"]
state = "closed"
opens_into = "c"

[[sensor]]
id = "P_A"
module = "a"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.05
"""


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def _error(text: str, filename: str = "bad.toml") -> StationError:
    with pytest.raises(StationError) as info:
        parse_station(text, filename)
    return info.value


def test_good_file_parses():
    s = parse_station(GOOD, "good.toml")
    assert list(s.modules) == ["a", "b", "c"]
    assert s.hatches["a-c"].state == "closed"
    assert s.sensors["P_A"].noise_std == 0.05
    assert s.path == "good.toml"


# (case id, edit to GOOD, text of the offending line (occurrence), key named, words expected in the message)
CASES = [
    ("unknown top key", lambda t: t.replace('name = "t"', 'name = "t"\ncolour = "red"'), ('colour =', 1), "colour",
     "unknown key"),
    ("unknown module key", lambda t: t.replace('volume_m3 = 20.0', 'volume_m3 = 20.0\nvolume_l = 3'), ("volume_l", 1),
     "module.volume_l", "unknown key"),
    ("duplicate module id", lambda t: t.replace('id = "c"', 'id = "a"'), ('id = "a"', 2), "module.id", "duplicate"),
    ("duplicate hatch id", lambda t: t.replace('id = "a-c"', 'id = "a-b"'), ('id = "a-b"', 2), "hatch.id", "duplicate"),
    ("duplicate sensor id", lambda t: t + '\n[[sensor]]\nid = "P_A"\nmodule = "b"\nquantity = "pressure"\nunit = "Pa"\n',
     ('id = "P_A"', 2), "sensor.id", "duplicate"),
    ("hatch to missing module", lambda t: t.replace('modules = ["a", "c"]', 'modules = ["a", "zz"]'),
     ('modules = ["a", "zz"]', 1), "hatch.modules", "unknown module 'zz'"),
    ("negative volume", lambda t: t.replace("volume_m3 = 5.0", "volume_m3 = -5.0"), ("volume_m3 = -5.0", 1),
     "module.volume_m3", "positive"),
    ("unknown unit", lambda t: t.replace('unit = "mmHg"', 'unit = "furlong"'), ('unit = "furlong"', 1), "sensor.unit",
     "unknown unit"),
    ("unit for wrong quantity", lambda t: t.replace('unit = "mmHg"', 'unit = "degC"'), ('unit = "degC"', 1),
     "sensor.unit", "cannot measure pressure"),
    ("unknown quantity", lambda t: t.replace('quantity = "pressure"', 'quantity = "presure"'),
     ('quantity = "presure"', 1), "sensor.quantity", "unknown quantity"),
    ("disconnected module", lambda t: t.replace('[[hatch]]\nid = "a-c"\nmodules = ["a", "c"]\nstate = "closed"\nopens_into = "c"\n', ""),
     ('id = "c"', 1), "module.id", "not connected"),
    ("bad opens_into", lambda t: t.replace('opens_into = "b"', 'opens_into = "c"'), ('opens_into = "c"', 1),
     "hatch.opens_into", "not one of the hatch's sides"),
    ("bad hatch state", lambda t: t.replace('state = "closed"', 'state = "shut"'), ('state = "shut"', 1), "hatch.state",
     "open"),
    ("sensor in unknown module", lambda t: t.replace('module = "a"', 'module = "q"'), ('module = "q"', 1),
     "sensor.module", "unknown module"),
    ("temperature in degC", lambda t: t.replace("volume_m3 = 10.0", "volume_m3 = 10.0\ntemperature_k = 22"),
     ("temperature_k = 22", 1), "module.temperature_k", "degC"),
    ("volume is text", lambda t: t.replace("volume_m3 = 10.0", 'volume_m3 = "ten"'), ('volume_m3 = "ten"', 1),
     "module.volume_m3", "must be a number"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_error_names_file_line_and_key(case):
    _, edit, (needle, occurrence), key, words = case
    text = edit(GOOD)
    assert text != GOOD
    err = _error(text, "stations/bad.toml")
    line = _line_of(text, needle, occurrence)
    msg = str(err)
    assert msg.startswith(f"stations/bad.toml:{line} ({key})"), msg
    assert words in msg
    assert "\n" not in msg


def test_line_number_moves_with_the_text():
    """The line number is computed, not fixed: prepend comments and it follows."""
    text = GOOD.replace("volume_m3 = 5.0", "volume_m3 = -5.0")
    a = _error(text)
    b = _error("# one\n# two\n# three\n" + text)
    la = int(re.match(r"bad\.toml:(\d+)", str(a)).group(1))
    lb = int(re.match(r"bad\.toml:(\d+)", str(b)).group(1))
    assert lb == la + 3


def test_not_toml_and_missing_required():
    assert "not valid TOML" in str(_error("name = \n"))
    err = _error(GOOD.replace("evacuation_pressure_pa = 69328\n", ""))
    assert "evacuation_pressure_pa" in str(err) and str(err).startswith("bad.toml")
    err = _error(GOOD.replace("evacuation_pressure_pa = 69328", "evacuation_pressure_pa = 200000"))
    assert "below nominal_pressure_pa" in str(err)


def test_load_station_errors(tmp_path):
    with pytest.raises(StationError, match="does not exist"):
        load_station(tmp_path / "none.toml")
    with pytest.raises(StationError, match="unknown station 'mir'"):
        load_station("mir")
    with pytest.raises(StationError, match="folder"):
        load_station(tmp_path)
    p = tmp_path / "mine.toml"
    p.write_text(GOOD.replace("volume_m3 = 5.0", "volume_m3 = 0"), encoding="utf-8")
    with pytest.raises(StationError) as info:
        load_station(p)
    assert str(info.value).startswith(f"{p}:{_line_of(p.read_text(), 'volume_m3 = 0')} (module.volume_m3)")


# ------------------------------------------------------------------------------------------ round trip
_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
_pos = st.floats(min_value=1e-6, max_value=1e4, allow_nan=False, allow_infinity=False)
_nonneg = st.floats(min_value=0.0, max_value=1e3, allow_nan=False, allow_infinity=False)


@st.composite
def stations(draw) -> Station:
    """Small random valid stations: a random tree of modules joined by hatches, plus sensors."""
    n = draw(st.integers(min_value=1, max_value=6))
    ids = draw(st.lists(st.from_regex(r"[a-z0-9_-]{1,8}", fullmatch=True), min_size=n, max_size=n, unique=True))
    modules = {}
    for mid in ids:
        wall = draw(st.booleans())
        modules[mid] = Module(
            id=mid, volume_m3=draw(_pos), escape_vehicle=draw(st.booleans()),
            temperature_k=draw(st.floats(min_value=200.0, max_value=350.0)),
            kind=draw(st.sampled_from(["module", "node", "vehicle", "airlock", "tunnel"])),
            segment=draw(st.sampled_from(["", "usos", "rs", "vehicle"])), name=draw(_text),
            wall_area_m2=draw(_pos) if wall else None, wall_thickness_m=draw(_pos) if wall else None,
            wall_material=draw(_text) if wall else None, leak_prior=draw(_pos), source=draw(_text),
        )
    hatches = {}
    for i in range(1, n):
        a, b = ids[draw(st.integers(min_value=0, max_value=i - 1))], ids[i]
        hid = f"h{i}"
        hatches[hid] = Hatch(id=hid, modules=(a, b), state=draw(st.sampled_from(["open", "closed"])),
                             opens_into=draw(st.sampled_from([a, b])), valve_area_m2=draw(_nonneg), source=draw(_text))
    sensors = {}
    for j in range(draw(st.integers(min_value=0, max_value=4))):
        qty, unit = draw(st.sampled_from([("pressure", "mmHg"), ("pressure", "kPa"), ("temperature", "degC"),
                                          ("ppn2", "psi"), ("ppco2", "Pa"), ("temperature", "K")]))
        sid = f"S{j}"
        sensors[sid] = Sensor(id=sid, module=draw(st.sampled_from(ids)), quantity=qty, unit=unit,
                              noise_std=draw(_nonneg), resolution=draw(_nonneg), source=draw(_text))
    nominal = draw(st.floats(min_value=5e4, max_value=1.2e5))
    return Station(name=draw(_text), evacuation_pressure_pa=draw(st.floats(min_value=1.0, max_value=nominal * 0.99)),
                   nominal_pressure_pa=nominal, modules=modules, hatches=hatches, sensors=sensors,
                   description=draw(_text), source=draw(_text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stations())
def test_dump_parse_round_trip(station):
    text = dump_station(station)
    back = parse_station(text, "<dump>")
    assert back == station
    assert dump_station(back) == text
