"""Issue 16: the detector on telemetry the simulator did not make (unmeasured bulk-temperature offset,
start-up, thermometers that do not represent the gas, missing channels). Each test fails on 53ac87c.

The nuisance is written here independently of ``hullbreach.sim``: an Ornstein-Uhlenbeck offset of the bulk gas
temperature, common to all modules and unseen by the thermometers, multiplies every pressure-like reading by
``1 + dT / T`` (ideal gas at constant mass and volume)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hullbreach.detect.detector import DetectorConfig, detect
from hullbreach.detect.result import DetectionResult
from hullbreach.detect.stream import StreamingDetector
from hullbreach.telemetry.checks import check_samples



def _ou(n: int, dt_s: float, sigma_k: float, tau_s: float, rng) -> np.ndarray:
    """Exact discretisation of an OU process [K]."""
    a = math.exp(-dt_s / tau_s)
    e = rng.standard_normal(n) * sigma_k * math.sqrt(1.0 - a * a)
    x = np.empty(n)
    x[0] = sigma_k * rng.standard_normal()
    for i in range(1, n):
        x[i] = a * x[i - 1] + e[i]
    return x


def with_bulk_offset(raw: pd.DataFrame, station, sigma_k: float, tau_s: float, seed: int) -> pd.DataFrame:
    """``raw`` with an unmeasured common bulk-gas temperature offset (OU, ``sigma_k`` [K], ``tau_s`` [s])."""
    rng = np.random.default_rng(10_000 + seed)
    t = (raw["time"] - raw["time"].iloc[0]).dt.total_seconds().to_numpy()
    tu = np.unique(t)
    d = np.interp(t, tu, _ou(len(tu), float(tu[1] - tu[0]), sigma_k, tau_s, rng))
    q = raw["channel"].map({s.id: s.quantity for s in station.sensors.values()}).to_numpy()
    m = np.isin(q, ["pressure", "ppn2", "ppo2"])
    out = raw.copy()
    v = out["value"].to_numpy(dtype=float).copy()
    v[m] *= 1.0 + d[m] / 295.15
    out["value"] = v
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_common_bulk_offset_is_not_a_leak(demo, seed, synth, to_frame):
    """4-module zone at 10 s cadence, OU offset 0.05 K, 6 h, 24 h leak-free: 53ac87c alarmed in the first
    hours of each of these records (2.1-7.1 h)."""
    raw = with_bulk_offset(synth(demo, hours=24, rate_hz=0.1, seed=seed), demo, 0.05, 6 * 3600, seed)
    r = detect(demo, to_frame(raw, demo), keep_series=False)
    assert r.alarms == ()
    assert r.status == "nominal"


def test_no_growing_leak_alarm_on_a_long_leak_free_record(demo, synth, to_frame):
    """72 h leak-free with the 0.05 K offset: no alarm of any kind (53ac87c: a leak and a growing-leak alarm)."""
    raw = with_bulk_offset(synth(demo, hours=72, rate_hz=0.1, seed=7), demo, 0.05, 6 * 3600, 7)
    r = detect(demo, to_frame(raw, demo), keep_series=False)
    assert not [a for a in r.alarms if a.kind in ("leak", "growing_leak")]


def test_leak_is_still_found_with_the_offset(demo, synth, to_frame):
    """The MS-09 rate (0.6 mmHg/h) from 8 h on, offset 0.05 K: an alarm after the onset, never before, with an
    onset not after the alarm and a rate interval that excludes zero."""
    raw = synth(demo, hours=14, rate_hz=0.1, seed=3, leak_mmhg_per_h=0.6, onset_h=8.0)
    raw = with_bulk_offset(raw, demo, 0.05, 6 * 3600, 3)
    r = detect(demo, to_frame(raw, demo), keep_series=False)
    leaks = [a for a in r.alarms if a.kind == "leak"]
    assert leaks, "the leak was not found"
    onset = r.start_s + 8 * 3600
    a = leaks[0]
    assert onset < a.time_s < onset + 3 * 3600  # 2.0 h measured (0.4 h on 53ac87c, which also alarms leak-free)
    assert a.onset_s.estimate <= a.time_s and a.onset_s.high <= a.time_s
    at = a.estimate_at_alarm or a.estimate
    assert at.leak_mass_flow_kg_s.low > 0


def test_start_up_reports_learning_and_the_smallest_detectable_leak(demo, synth, to_frame):
    """The first hours of a record: the zone is 'learning' with a finite smallest detectable leak, which
    shrinks as the noise model is measured; once the prior's 6 h correlation time is measured (the 256-bin
    scale, ~34 h) the zone is 'nominal'."""
    raw = synth(demo, hours=40, rate_hz=0.1, seed=4)
    states, mins = [], []
    for h in (1.0, 40.0):
        cut = raw[raw["time"] < raw["time"].iloc[0] + pd.Timedelta(hours=h)]
        r = detect(demo, to_frame(cut, demo), keep_series=False)
        z = max(r.zones, key=lambda z: z.volume_m3)
        states.append(z.state)
        mins.append(z.min_detectable_pressure_rate_pa_s)
        js = r.to_json()["zones"]
        assert {"state", "min_detectable_pressure_rate_pa_s", "reason"} <= set(js[0])
    assert states == ["learning", "nominal"]
    assert math.isfinite(mins[0]) and math.isfinite(mins[1]) and 0 < mins[1] < mins[0]


def test_self_heating_thermometer_is_not_a_leak(demo, synth, to_frame):
    """Pressure flat, every thermometer warming 2 K over 2 h (electronics, not gas): a thermometer suspicion,
    not a leak (53ac87c raised a leak alarm)."""
    raw = synth(demo, hours=12, rate_hz=0.1, seed=5, thermal_k=0.0)
    q = raw["channel"].map({s.id: s.quantity for s in demo.sensors.values()}).to_numpy()
    t_h = (raw["time"] - raw["time"].iloc[0]).dt.total_seconds().to_numpy() / 3600
    warm = np.clip((t_h - 8.0) / 2.0, 0.0, 1.0) * 2.0
    v = raw["value"].to_numpy(dtype=float).copy()
    v[q == "temperature"] += warm[q == "temperature"]
    raw = raw.assign(value=v)
    r = detect(demo, to_frame(raw, demo), keep_series=False)
    assert not [a for a in r.alarms if a.kind == "leak"]
    z = max(r.zones, key=lambda z: z.volume_m3)
    assert z.thermometer_suspicion and "thermometer" in z.reason


def test_zone_without_trusted_pressure_is_unmonitored(demo, synth, to_frame):
    """Every pressure gauge of the station in psi (judged wrong unit by the data checks): no zone can be
    monitored, so the verdict is 'unmonitored', never 'nominal' (53ac87c: nominal with no zones)."""
    raw = synth(demo, hours=3, rate_hz=0.1, seed=6)
    q = raw["channel"].map({s.id: s.quantity for s in demo.sensors.values()}).to_numpy()
    v = raw["value"].to_numpy(dtype=float).copy()
    v[q == "pressure"] /= 51.7149  # mmHg -> psi
    frame = check_samples(raw.assign(value=v), demo, source="psi.csv")
    r = detect(demo, frame, keep_series=False)
    assert r.status == "unmonitored"
    assert r.zones and all(z.state == "unmonitored" for z in r.zones)
    assert all(z.reason for z in r.zones)
    assert "no trusted pressure channel" in max(r.zones, key=lambda z: z.volume_m3).reason
    js = r.to_json()
    assert js["monitored_zones"] == 0 and js["unmonitored_zones"] == len(r.zones)


def test_track_without_its_channels_falls_back_to_air_mass(demo, synth, to_frame):
    """The zone's track is ppN2 but the file has no ppN2 (an ISS Live total-pressure file): the zone is
    monitored on the air mass, and a leak is found (53ac87c: nominal with "zones": [])."""
    raw = synth(demo, hours=12, rate_hz=0.1, seed=8, leak_mmhg_per_h=0.6, onset_h=8.0)
    raw = raw[raw["channel"] != "lab.ppn2"]
    r = detect(demo, to_frame(raw, demo), keep_series=False)
    big = max(r.zones, key=lambda z: z.volume_m3)
    assert big.track == "air" and big.state != "unmonitored"
    assert any(a.kind == "leak" and tuple(a.zone) == big.zone for a in r.alarms)
    assert any("no ppN2 samples" in n for n in r.notes)


def test_streaming_reports_the_same_zone_states(demo, synth, to_frame):
    """StreamingDetector keeps its constructor and update(raw) -> DetectionResult, with the zone states."""
    raw = synth(demo, hours=2, rate_hz=0.1, seed=9)
    sd = StreamingDetector(demo, checks=False)
    res = None
    for _, part in raw.groupby(raw["time"].dt.floor("30min")):
        res = sd.update(part)
    assert isinstance(res, DetectionResult)
    assert {z.state for z in res.zones} <= {"learning", "nominal"}
    assert DetectorConfig().slow_noise_prior_k > 0


REAL = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "real"


def _real_window(start: str, end: str):
    """A 6 h window of the real Astro Pi recording (tests/data/real/README.md: ISS Columbus, Aug 2015,
    CC BY-SA 4.0) as a checked frame, with its station."""
    from hullbreach.station import load_station

    st = load_station(REAL / "astropi-columbus.toml")
    t = pd.read_csv(REAL / "astropi-columbus-2015-08.csv", parse_dates=["time"])
    w = t[(t["time"] >= start) & (t["time"] < end)]
    raw = w.melt(id_vars="time", var_name="channel", value_name="value")
    return st, check_samples(raw, st, source="astropi-columbus-2015-08.csv")


def test_real_recording_flat_window_is_not_a_leak():
    """Real ISS data, 21 Aug 2015 00-06 UTC: the pressure rises 0.4 mmHg while the board thermometer (4-6 K above
    the cabin, self-heating) warms. 53ac87c: a LEAK alarm at 00:41 with its onset after the alarm and a rate
    interval including zero. Now: no alarm (the slow noise not yet measured keeps its prior; were the statistic
    to cross, the warming without a pressure fall would be a thermometer suspicion)."""
    st, frame = _real_window("2015-08-21T00:00Z", "2015-08-21T06:00Z")
    r = detect(st, frame, keep_series=False)
    assert not r.alarms
    (z,) = r.zones
    assert z.state in ("learning", "nominal")


def test_real_recording_alarms_are_consistent():
    """Real ISS data, 22 Aug 2015 08-14 UTC: the pressure falls 0.5 mmHg/h (no ppN2: a leak cannot be told from
    O2 use; no leak was reported then). Whatever the detector says, each alarm's onset is not after its time
    and its rate interval at the alarm excludes zero."""
    st, frame = _real_window("2015-08-22T08:00Z", "2015-08-22T14:00Z")
    r = detect(st, frame, keep_series=False)
    for a in r.alarms:
        assert a.onset_s.estimate <= a.time_s and a.onset_s.high <= a.time_s
        at = a.estimate_at_alarm or a.estimate
        assert at.pressure_rate_pa_s.high < 0 or at.pressure_rate_pa_s.low > 0
