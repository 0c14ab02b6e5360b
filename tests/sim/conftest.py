"""Small stations for simulator tests, written as TOML (the built-in stations are tested separately)."""

from __future__ import annotations

import pytest

from hullbreach.station.io import parse_station

ONE = """
name = "one volume"
evacuation_pressure_pa = 69328
nominal_pressure_pa = 101325
[[module]]
id = "a"
volume_m3 = 10.0
temperature_k = 295.0
[[sensor]]
id = "a.p"
module = "a"
quantity = "pressure"
unit = "Pa"
"""

THREE = """
name = "three rooms"
evacuation_pressure_pa = 69328
nominal_pressure_pa = 101325
[[module]]
id = "a"
volume_m3 = 40.0
temperature_k = 295.0
[[module]]
id = "b"
volume_m3 = 25.0
temperature_k = 293.0
[[module]]
id = "c"
volume_m3 = 8.0
temperature_k = 297.0
[[module]]
id = "lock"
volume_m3 = 5.0
temperature_k = 295.0
[[hatch]]
id = "ab"
modules = ["a", "b"]
state = "open"
opens_into = "b"
valve_area_m2 = 2e-5
[[hatch]]
id = "bc"
modules = ["b", "c"]
state = "open"
opens_into = "c"
valve_area_m2 = 1e-5
[[hatch]]
id = "alock"
modules = ["a", "lock"]
state = "closed"
opens_into = "lock"
valve_area_m2 = 1e-5
[[sensor]]
id = "a.p"
module = "a"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.05
resolution = 0.1
[[sensor]]
id = "b.p"
module = "b"
quantity = "pressure"
unit = "kPa"
[[sensor]]
id = "c.p"
module = "c"
quantity = "pressure"
unit = "psi"
noise_std = 0.001
[[sensor]]
id = "lock.p"
module = "lock"
quantity = "pressure"
unit = "mmHg"
[[sensor]]
id = "a.T"
module = "a"
quantity = "temperature"
unit = "degC"
noise_std = 0.1
resolution = 0.1
[[sensor]]
id = "a.ppn2"
module = "a"
quantity = "ppn2"
unit = "mmHg"
[[sensor]]
id = "b.ppco2"
module = "b"
quantity = "ppco2"
unit = "mmHg"
"""


def _exact_toml() -> str:
    """Two open 50 + 30 m^3 modules, each with an exact pressure [Pa] and temperature [K] sensor."""
    parts = ['name = "exact sensors"\nevacuation_pressure_pa = 69328\nnominal_pressure_pa = 101325']
    for m, v in (("a", 50.0), ("b", 30.0)):
        parts.append(f'[[module]]\nid = "{m}"\nvolume_m3 = {v}\ntemperature_k = 295.0')
    parts.append('[[hatch]]\nid = "ab"\nmodules = ["a", "b"]\nstate = "open"\nopens_into = "b"')
    for m in ("a", "b"):
        for q, unit, tag in (("pressure", "Pa", "p"), ("temperature", "K", "T")):
            parts.append(f'[[sensor]]\nid = "{m}.{tag}"\nmodule = "{m}"\nquantity = "{q}"\nunit = "{unit}"')
    return "\n".join(parts) + "\n"


@pytest.fixture()
def exact_station():
    """Modules a (50 m^3) and b (30 m^3) joined by an open hatch; exact (noise-free) sensors a.p, b.p [Pa] and
    a.T, b.T [K] (nuisance tests)."""
    return parse_station(_exact_toml(), "<exact>")


@pytest.fixture()
def one_station():
    """One 10 m^3 module at 295 K with one exact (noise-free) pressure sensor in Pa."""
    return parse_station(ONE, "<one>")


@pytest.fixture()
def three_station():
    """Modules a-b-c in a chain (open hatches with valves) and an airlock ``lock`` behind a closed hatch."""
    return parse_station(THREE, "<three>")
