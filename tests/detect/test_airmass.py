"""Air mass per zone: ideal-gas mass, thermal compensation, sensor votes, events and zones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.detect.airmass import (
    R_N2,
    air_mass,
    bin_channels,
    parse_events,
    zone_periods,
)
from hullbreach.errors import DetectionError


def _main(am, n_modules=4):
    return next(z for z in am.zones if len(z.zone) == n_modules)


def test_mass_is_pv_over_rt(demo, synth, to_frame):
    """m = p V / (R T) (ideal gas; ANSI/ANS-56.8 mass-point method): 745 mmHg, 295.15 K, 245.5 m3."""
    raw = synth(demo, hours=1, thermal_k=0.0, seed=1)
    am = air_mass(demo, to_frame(raw, demo))
    z = _main(am)
    assert z.zone == ("capsule", "hab", "lab", "node")
    expect = 745 * PA_PER_MMHG * 245.5 / (z.r_specific * 295.15)
    assert np.nanmedian(z.mass_kg) == pytest.approx(expect, rel=2e-4)
    # the gas constant comes from the partials when there are ppO2 and ppN2 (no ppO2 on the demo: dry air)
    assert z.r_specific == pytest.approx(R_AIR)
    # N2 track: ppN2 V / (R_N2 T) with ppN2 = 0.78 p
    assert np.nanmedian(z.n2_mass_kg) == pytest.approx(0.78 * 745 * PA_PER_MMHG * 245.5 / (R_N2 * 295.15), rel=1e-3)


def test_temperature_swing_is_compensated(demo, synth, to_frame):
    """A 2 K swing moves the pressure by ~5 mmHg (2.6 mmHg/K, reference README) but not the air mass."""
    raw = synth(demo, hours=3, thermal_k=2.0, seed=2)
    z = _main(air_mass(demo, to_frame(raw, demo)))
    p_mmhg = z.pressure_pa / PA_PER_MMHG
    assert np.nanmax(p_mmhg) - np.nanmin(p_mmhg) > 8.0
    rel = (np.nanmax(z.mass_kg) - np.nanmin(z.mass_kg)) / np.nanmedian(z.mass_kg)
    assert rel < 2e-4


def test_drifting_gauge_is_a_fault_not_a_pressure_change(demo, synth, to_frame):
    """A gauge drifting 5 mmHg/day disagrees with the three others of its zone: reported, left out."""
    raw = synth(demo, hours=6, seed=3, faults={"hab.pressure": ("drift", 5.0)})
    am = air_mass(demo, to_frame(raw, demo))
    faults = {f.sensor: f for f in am.sensor_faults}
    assert "hab.pressure" in faults and "disagrees" in faults["hab.pressure"].reason
    # flagged once it is 0.3 mmHg off: ~1.4 h into the record
    assert 1.2 * 3600 < faults["hab.pressure"].time_s - pd.Timestamp("2024-01-01T00:00Z").timestamp() < 2.0 * 3600
    z = _main(am)
    clean = _main(air_mass(demo, to_frame(synth(demo, hours=6, seed=3), demo)))
    diff = np.abs(z.pressure_pa - clean.pressure_pa) / PA_PER_MMHG
    # the drift reaches 1.25 mmHg; the zone pressure moves by a fraction of the 0.3 mmHg fault tolerance
    assert np.nanmax(diff) < 0.1
    assert np.nanmax(np.abs(z.mass_kg - clean.mass_kg)) < 1e-3 * np.nanmedian(z.mass_kg)


def test_stuck_gauge_is_flagged_when_the_zone_moves(demo, synth, to_frame):
    """A gauge stuck at one value is caught once the real pressure leaves it (a 6 mmHg/h leak)."""
    raw = synth(demo, hours=3, seed=4, leak_mmhg_per_h=6.0, onset_h=1.0, thermal_k=0.0,
                    faults={"lab.pressure": ("stuck", 0.5)})
    am = air_mass(demo, to_frame(raw, demo))
    assert "lab.pressure" in {f.sensor for f in am.sensor_faults}
    assert {f.sensor for f in am.sensor_faults} == {"lab.pressure"}


def test_offset_between_gauges_is_not_a_fault(demo, synth, to_frame):
    """Calibration offsets are learned at the start; a constant 1 mmHg offset is no fault."""
    raw = synth(demo, hours=2, seed=5, faults={"node.pressure": ("offset", 1.0)})
    am = air_mass(demo, to_frame(raw, demo))
    assert am.sensor_faults == ()


def test_untrusted_channels_from_the_checks_are_reported(demo, synth, to_frame):
    raw = synth(demo, hours=1, seed=6)
    fr = to_frame(raw, demo)
    from dataclasses import replace

    from hullbreach.telemetry.frame import ChannelReport
    ch = dict(fr.channels)
    ch["lab.pressure"] = ChannelReport("lab.pressure", 3600, 0, trusted=False, reason="stuck for 2 h")
    am = air_mass(demo, replace(fr, channels=ch))
    f = {x.sensor: x.reason for x in am.sensor_faults}
    assert f == {"lab.pressure": "stuck for 2 h"}
    assert "lab.pressure" not in _main(am).pressure_sensors


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 400), nbins=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_bin_channels_matches_groupby(n, nbins, seed):
    rng = np.random.default_rng(seed)
    t = pd.Timestamp("2024-01-01T00:00Z") + pd.to_timedelta(rng.uniform(0, nbins * 60, n), unit="s")
    ch = rng.choice(["a", "b", "c"], n)
    df = pd.DataFrame({"time": t, "channel": ch, "value": rng.normal(size=n)})
    k0, sums, counts = bin_channels(df, ["a", "b", "c"], 60.0)
    k = (df["time"].astype("int64") // 60_000_000_000).to_numpy()
    g = df.assign(k=k - k0).groupby(["channel", "k"])["value"].agg(["sum", "count"])
    for (c, kk), row in g.iterrows():
        i = "abc".index(c)
        assert sums[i, kk] == pytest.approx(row["sum"], abs=1e-9)
        assert counts[i, kk] == row["count"]
    assert counts.sum() == n


def test_events_parse_and_zones(demo, synth, to_frame):
    ev = pd.DataFrame({"time": pd.to_datetime(["2024-01-01T01:00Z", "2024-01-01T02:00Z", "2024-01-01T03:00Z"]),
                       "kind": ["hatch_close", "repress", "hatch_open"],
                       "detail": ["node-hab", "module=hab;kg=2.5;gas=air", "node-hab"]})
    evs = parse_events(ev, demo)
    assert [e.kind for e in evs] == ["hatch_close", "repress", "hatch_open"]
    assert evs[0].hatch == "node-hab" and evs[1].mass_kg == 2.5 and evs[1].module == "hab"
    per = zone_periods(demo, evs)
    assert len(per) == 3
    assert ("capsule", "hab") in per[1].zones and ("lab", "node") in per[1].zones
    assert per[2].zones == per[0].zones


def test_unknown_hatch_in_events_is_an_error(demo, synth, to_frame):
    ev = pd.DataFrame({"time": pd.to_datetime(["2024-01-01T01:00Z"]), "kind": ["hatch_close"], "detail": ["nope"]})
    with pytest.raises(DetectionError, match="names no hatch"):
        parse_events(ev, demo)


def test_hatch_close_splits_the_mass_and_conserves_it(demo, synth, to_frame):
    """After closing node-hab the two zones hold the same total mass as the one before."""
    raw = synth(demo, hours=2, seed=7, thermal_k=0.0)
    ev = pd.DataFrame({"time": pd.to_datetime(["2024-01-01T01:00Z"]), "kind": ["hatch_close"], "detail": ["node-hab"]})
    am = air_mass(demo, to_frame(raw, demo), ev)
    before = next(z for z in am.zones if z.zone == ("capsule", "hab", "lab", "node"))
    after = [z for z in am.zones if z.zone in (("capsule", "hab"), ("lab", "node"))]
    assert len(after) == 2
    total_after = sum(np.nanmedian(z.mass_kg) for z in after)
    assert total_after == pytest.approx(np.nanmedian(before.mass_kg), rel=1e-4)
    assert before.excluded[-1] and not before.excluded[-2] and all(z.excluded[:10].all() for z in after)
