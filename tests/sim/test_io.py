"""telemetry.csv, events.csv and truth.csv written by the simulator read back exactly (issue item 5;
docs/design.md §3.2 canonical long CSV and events CSV)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.sim import HatchEvent, Leak, Repress, Scenario, SensorFault, ThermalProfile, simulate
from hullbreach.telemetry.readers import read_events, read_telemetry
from hullbreach.units import to_si


@pytest.fixture()
def result(three_station):
    sc = Scenario(start="2018-08-29T19:00:00Z", duration_s=1800.0, sample_rate_hz=0.5,
                  leaks=(Leak(module="c", onset_s=100.0, diameter_m=1e-3),),
                  hatch_events=(HatchEvent(time_s=600.0, hatch="bc", action="close"),),
                  represses=(Repress(time_s=900.0, module="a", mass_kg=0.5),),
                  thermal=(ThermalProfile(orbital_amplitude_k=0.3, hvac_noise_k=0.05),),
                  sensor_faults=(SensorFault(sensor="b.p", kind="dead", start_s=1000.0, end_s=1100.0),
                                 SensorFault(sensor="a.p", kind="dropout", start_s=0.0, end_s=600.0, magnitude=0.3)),
                  clock_jitter_s=0.002)
    return simulate(three_station, sc, seed=7)


def test_csv_round_trip_is_exact(result, tmp_path):
    paths = result.write(tmp_path)
    assert [p.name for p in paths] == ["telemetry.csv", "events.csv", "truth.csv"]
    tel = pd.read_csv(paths[0])
    assert list(tel.columns) == ["time", "channel", "value"]
    t = pd.to_datetime(tel["time"], utc=True, format="ISO8601")
    assert (t.to_numpy() == result.telemetry["time"].to_numpy()).all()
    assert (tel["channel"].to_numpy() == result.telemetry["channel"].astype(str).to_numpy()).all()
    a, b = tel["value"].to_numpy(), result.telemetry["value"].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.isnan(b).sum() > 0
    assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)])  # bit-exact
    ev = pd.read_csv(paths[1])
    assert list(ev.columns) == ["time", "kind", "detail"]
    assert (pd.to_datetime(ev["time"], utc=True, format="ISO8601").to_numpy() == result.events["time"].to_numpy()).all()
    assert ev["kind"].tolist() == result.events["kind"].tolist() == ["hatch_close", "repress"]
    assert ev["detail"].tolist() == result.events["detail"].tolist()
    tr = pd.read_csv(paths[2])
    assert list(tr.columns) == list(result.truth.columns)
    assert np.array_equal(tr["pressure_pa"].to_numpy(), result.truth["pressure_pa"].to_numpy())
    assert (pd.to_datetime(tr["time"], utc=True, format="ISO8601").to_numpy() == result.truth["time"].to_numpy()).all()


def test_project_readers_read_it_back(result, tmp_path, three_station):
    paths = result.write(tmp_path)
    frame = read_telemetry(paths[0], three_station)
    assert len(frame.data) + frame.n_quarantined == len(result.telemetry)
    # every accepted sample is our value converted to SI
    ours = result.telemetry.copy()
    units = {s.id: s.unit for s in three_station.sensors.values()}
    ours["si"] = [to_si(v, units[c]) for v, c in zip(ours["value"], ours["channel"].astype(str))]
    key = ["time", "channel"]
    ours["channel"] = ours["channel"].astype(str)
    got = frame.data.assign(channel=frame.data["channel"].astype(str))
    merged = got.merge(ours, on=key, how="left", validate="many_to_one")
    assert merged["si"].notna().all()
    np.testing.assert_allclose(merged["value_x"], merged["si"], rtol=1e-15)
    ev = read_events(paths[1], three_station)
    assert ev["kind"].tolist() == ["hatch_close", "repress"]
    assert ev["hatch"].iloc[0] == "bc"
    assert ev["kg"].iloc[1] == pytest.approx(0.5)


def test_telemetry_shape_and_dtypes(result, three_station):
    tel = result.telemetry
    assert str(tel["time"].dtype) == "datetime64[ns, UTC]"
    assert set(tel["channel"].astype(str)) == set(three_station.sensors)
    # time-major: all channels at a sample instant are together (jitter of a few ms aside)
    n_nominal = int(1800.0 * 0.5)
    per_channel = tel.groupby(tel["channel"].astype(str), observed=True).size()
    assert per_channel["b.p"] == n_nominal
    assert per_channel["a.p"] < n_nominal  # dropouts removed samples
    assert str(result.truth["time"].dtype) == "datetime64[ns, UTC]"
