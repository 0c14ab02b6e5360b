"""Shared fixtures for the telemetry tests: a small station written to a temporary TOML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hullbreach.station import load_station

STATION_TOML = """
name = "Test station"
evacuation_pressure_pa = 69328
[[module]]
id = "lab"
volume_m3 = 105.0
[[module]]
id = "node1"
volume_m3 = 55.0
[[module]]
id = "airlock"
volume_m3 = 34.0
kind = "airlock"
[[hatch]]
id = "node1-lab"
modules = ["node1", "lab"]
opens_into = "lab"
[[hatch]]
id = "node1-airlock"
modules = ["node1", "airlock"]
opens_into = "airlock"
[[sensor]]
id = "USLAB000058"
module = "lab"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.05
resolution = 0.01
[[sensor]]
id = "USLAB000059"
module = "lab"
quantity = "temperature"
unit = "degC"
noise_std = 0.05
resolution = 0.01
[[sensor]]
id = "USLAB000054"
module = "lab"
quantity = "ppn2"
unit = "mmHg"
noise_std = 0.1
resolution = 0.01
[[sensor]]
id = "NODE1P"
module = "node1"
quantity = "pressure"
unit = "kPa"
noise_std = 0.01
resolution = 0.001
[[sensor]]
id = "QUIETP"
module = "node1"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.02
resolution = 0.1
[[sensor]]
id = "QUANTP"
module = "node1"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.05
resolution = 0.1
[[sensor]]
id = "AIRLOCK000054"
module = "airlock"
quantity = "pressure"
unit = "mmHg"
noise_std = 0.05
resolution = 0.01
"""


@pytest.fixture(scope="session")
def station_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("station") / "test-station.toml"
    p.write_text(STATION_TOML, encoding="utf-8")
    return p


@pytest.fixture(scope="session")
def station(station_path):
    return load_station(station_path)


def nominal_raw(n: int = 200, seed: int = 0, start: str = "2018-08-29T20:00:00Z", dt_s: float = 1.0,
                channels=("USLAB000058", "USLAB000059", "NODE1P")) -> pd.DataFrame:
    """Clean raw telemetry (sensor units) on a common 1 Hz grid, rounded to the sensors' resolution."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    times = t0 + pd.to_timedelta(np.arange(n) * dt_s, unit="s")
    base = {"USLAB000058": (750.0, 0.05, 0.01), "USLAB000059": (22.0, 0.05, 0.01), "NODE1P": (100.0, 0.01, 0.001),
            "USLAB000054": (590.0, 0.1, 0.01), "AIRLOCK000054": (750.0, 0.05, 0.01)}
    frames = []
    for c in channels:
        mu, sd, res = base[c]
        v = np.round((mu + rng.normal(0, sd, n)) / res) * res
        frames.append(pd.DataFrame({"time": times, "channel": c, "value": v}))
    raw = pd.concat(frames, ignore_index=True).sort_values(["time", "channel"], kind="stable").reset_index(drop=True)
    return raw


@pytest.fixture
def make_raw():
    return nominal_raw
