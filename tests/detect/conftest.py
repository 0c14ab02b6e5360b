"""Fixtures for the detection tests: small synthetic records and short simulated scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.station import load_station
from hullbreach.telemetry.frame import ChannelReport, TelemetryFrame
from hullbreach.units import from_si, to_si

REFERENCE_README = Path(__file__).resolve().parents[2] / "docs" / "reference" / "figures.md"
T0 = pd.Timestamp("2024-01-01T00:00:00Z")


def synth_raw(station, *, hours=6.0, rate_hz=1.0, leak_mmhg_per_h=0.0, onset_h=3.0, seed=0, thermal_k=0.3,
              faults=None, zone=None) -> pd.DataFrame:
    """A raw long table (sensor units) for ``station``: every zone at 745 mmHg, a common temperature swing
    (gas temperature measured exactly by the temperature channels), a linear leak in ``zone`` (default: the
    largest zone) and optional faults ``{sensor: ("drift", per_day) | ("stuck", t_h) | ("offset", value)}``."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * rate_hz)
    t = np.arange(n) / rate_hz
    zones = station.zones()
    zone = zone or max(zones, key=station.zone_volume_m3)
    T = 295.15 + thermal_k * np.sin(2 * np.pi * t / 5556.0)
    p0 = 745.0 * PA_PER_MMHG * T / 295.15
    leak = np.where(t > onset_h * 3600, (t - onset_h * 3600) * leak_mmhg_per_h * PA_PER_MMHG / 3600, 0.0)
    times = T0 + pd.to_timedelta(t, unit="s")
    parts = []
    for s in station.sensors.values():
        inz = s.module in zone
        p = p0 - leak if inz else p0
        if s.quantity == "pressure":
            v = p
        elif s.quantity == "temperature":
            v = T
        elif s.quantity == "ppn2":
            v = 0.78 * p
        elif s.quantity == "ppo2":
            v = 0.21 * p
        elif s.quantity == "ppco2":
            v = np.full(n, 400.0)
        else:
            continue
        vu = np.asarray(from_si(v, s.unit), dtype=float) + s.noise_std * rng.standard_normal(n)
        kind = (faults or {}).get(s.id)
        if kind:
            if kind[0] == "drift":
                vu = vu + kind[1] * t / 86400.0
            elif kind[0] == "stuck":
                k = int(kind[1] * 3600 * rate_hz)
                vu[k:] = vu[k]
            elif kind[0] == "offset":
                vu = vu + kind[1]
        if s.resolution:
            vu = np.round(vu / s.resolution) * s.resolution
        parts.append(pd.DataFrame({"time": times, "channel": s.id, "value": vu}))
    return pd.concat(parts).sort_values(["time", "channel"], kind="stable").reset_index(drop=True)


def frame_from_raw(raw: pd.DataFrame, station) -> TelemetryFrame:
    """A TelemetryFrame without the data checks (unit conversion only), for detector unit tests."""
    units = {s.id: s.unit for s in station.sensors.values()}
    vals = np.empty(len(raw))
    for ch, idx in raw.groupby("channel", observed=True).indices.items():
        vals[idx] = to_si(raw["value"].to_numpy()[idx], units[ch])
    data = pd.DataFrame({"time": raw["time"], "channel": raw["channel"], "value": vals})
    reports = {c: ChannelReport(c, int(n), 0) for c, n in raw["channel"].value_counts().items()}
    return TelemetryFrame(data=data, channels=reports, source="<synthetic>")


@pytest.fixture(scope="session")
def demo():
    return load_station("demo")


@pytest.fixture(scope="session")
def iss():
    return load_station("iss-2018")


@pytest.fixture(scope="session")
def reference_readme() -> str:
    return REFERENCE_README.read_text(encoding="utf-8")


def air_mass_of(p_pa, v_m3, t_k):
    return p_pa * v_m3 / (R_AIR * t_k)


@pytest.fixture(scope="session")
def synth():
    """:func:`synth_raw` (raw table) as a fixture (test modules cannot import conftest in importlib mode)."""
    return synth_raw


@pytest.fixture(scope="session")
def to_frame():
    """:func:`frame_from_raw` as a fixture."""
    return frame_from_raw
