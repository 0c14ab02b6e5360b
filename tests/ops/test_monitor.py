"""The monitor without HTTP: cabin trend, derived channels, rebuild after a restart equals an uninterrupted run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.constants import PA_PER_MMHG
from hullbreach.ops.archive import open_archive
from hullbreach.ops.monitor import ORBITAL_PERIOD_S, Monitor, derive, pressure_trend


def test_trend_removes_the_orbital_cycle_and_its_interval_covers():
    """A 0.6 mmHg/h loss (MS-09, Spaceflight Now 2018) under a ~1 mmHg orbital swing, 0.05 mmHg noise:
    the slope's 95 % interval covers the truth in about 95 % of 200 draws (random phase)."""
    rng = np.random.default_rng(3)
    t = np.arange(0.0, ORBITAL_PERIOD_S, 10.0)
    true = -0.6 * PA_PER_MMHG / 3600.0
    hits = 0
    naive_bias = []
    for _ in range(200):
        ph = rng.uniform(0, 2 * np.pi)
        p = 100000 + true * t + 0.5 * PA_PER_MMHG * np.sin(2 * np.pi * t / ORBITAL_PERIOD_S + ph) \
            + rng.normal(0, 0.05 * PA_PER_MMHG, t.size)
        tr = pressure_trend(t, p)
        hits += tr.low_pa_s <= true <= tr.high_pa_s
        naive_bias.append(abs(pressure_trend(t, p, period_s=None).rate_pa_s - true))
    assert 0.90 <= hits / 200 <= 0.99
    assert np.median(naive_bias) > 5 * abs(true) * 0.1  # without the cycle term the slope is far off


def test_trend_needs_three_samples():
    assert pressure_trend(np.array([0.0, 1.0]), np.array([1.0, 2.0])).rate_pa_s is None


def test_derive_names_units_and_alarm_reserve():
    state = {"status": "leak", "zones": [{"zone": ["a", "b"], "mass_kg": 10.0, "pressure_pa": 100000.0, "bins": 99}],
             "alarms": [{"active": True, "zone": ["a", "b"], "reserve_time_s": {"estimate": 10.0, "low": 5.0, "high": 20.0}}]}
    rows = {c: v for c, _, v in derive(state, pressure_trend(np.arange(5.0), -np.arange(5.0)), 7, None)}
    assert rows["zone.a.air_mass_kg"] == 10.0 and rows["zone.a.state"] == 2.0
    assert rows["zone.a.pressure_mmhg"] == pytest.approx(100000 / PA_PER_MMHG)
    assert (rows["reserve_time_s"], rows["reserve_time_s_low"], rows["reserve_time_s_high"]) == (10.0, 5.0, 20.0)
    assert rows["cabin.dtdp_s_per_mmhg"] == pytest.approx(PA_PER_MMHG)
    assert rows["detector.status"] == 1.0
    # an extra per-zone "state" key of the detector is taken as it is
    state["zones"][0]["state"] = "learning"
    assert {c: v for c, _, v in derive(state, pressure_trend([], []), 7, None)}["zone.a.state"] == 0.0


def _raw(path):
    from hullbreach.ops.feeds import raw_from_file
    from hullbreach.station import load_station

    raw = raw_from_file(path, load_station("iss-2018"))
    return (np.asarray(pd.DatetimeIndex(raw["time"]).asi8), raw["channel"].to_numpy(object),
            raw["value"].to_numpy(float))


def _comparable(state: dict) -> dict:
    return {k: state[k] for k in ("status", "alarms", "zones", "sensor_faults", "quarantined_samples", "end_time")}


def test_rebuild_from_the_archive_equals_the_uninterrupted_run(tmp_path, ms09_short):
    t, ch, v = _raw(ms09_short)
    m = Monitor("iss-2018", open_archive(tmp_path / "a.sqlite"))
    step = 58 * 12  # two minutes of the 0.1 Hz file per batch
    for i in range(0, len(t), step):
        m.ingest(t[i:i + step], ch[i:i + step], v[i:i + step])
        if (i // step) % 3 == 0:
            m.analyse_pending()   # the worker takes 1 or 3 batches at a time, as under load
    m.analyse_pending()
    live = m.state()
    assert live["status"] == "leak", "the simulated MS-09 leak must raise the alarm"
    m.archive.close()
    r = Monitor("iss-2018", open_archive(tmp_path / "a.sqlite"))
    assert r.rebuild() == len(t)
    again = r.state()
    assert _comparable(again) == _comparable(live)
    assert again["isolation"]["next_step"] == live["isolation"]["next_step"]


def test_a_jump_of_years_starts_a_new_detector_instead_of_filling_the_gap(tmp_path):
    """One sample in 1995 then 2018 data: the detector must not allocate 23 years of 60 s bins."""
    import resource

    m = Monitor("iss-2018", open_archive(tmp_path / "g.sqlite"))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    m.ingest(np.array([int(8e17)]), np.array(["USLAB000058"], dtype=object), np.array([755.0]))
    t = (1535580000 + np.arange(0, 600, 10)) * 10**9
    m.ingest(t, np.array(["USLAB000058"] * len(t), dtype=object), np.full(len(t), 755.0))
    m.analyse_pending()
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0 < 500_000  # kB
    st = m.state()
    assert st["detector_restarts"] and "gap in the data" in st["detector_restarts"][0]
    assert st["last_sample_time"].startswith("2018-08-29T22:09:50")
