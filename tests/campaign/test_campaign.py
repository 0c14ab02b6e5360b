"""Campaigns: case construction, local processes, a Dask LocalCluster, metrics, the CLI."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from hullbreach.campaign import CampaignError, build_cases, run_cases, summarize
from hullbreach.cli.main import main


def test_build_cases_is_paired_and_reproducible():
    a = build_cases("demo", 4, "ms09-0.6mmHg/h", seed=3)
    b = build_cases("demo", 4, "ms09-0.6mmHg/h", seed=3)
    assert a == b and len(a) == 8
    # every policy runs the same case
    assert [(c.module, c.seed, c.mdot_kg_s) for c in a[::2]] == [(c.module, c.seed, c.mdot_kg_s) for c in a[1::2]]
    assert {c.policy for c in a} == {"hullbreach", "iss"}
    with pytest.raises(CampaignError):
        build_cases("demo", 1, "no-such-class")


def test_local_processes_and_summary():
    cases = build_cases("demo", 2, "ms09-0.6mmHg/h", seed=1)
    df = run_cases(cases, workers=2)
    assert len(df) == 4
    assert df["correct"].all()
    assert (df["violations"] == 0).all()
    s = summarize(df)
    assert set(s["policy"]) == {"hullbreach", "iss"}
    assert (s["wrong_module_rate"] == 0).all()
    assert (s["median_time_h"] > 0).all() and (s["p90_time_h"] >= s["median_time_h"]).all()


def test_dask_local_cluster():
    """The same cases on a Dask cluster (LocalCluster with threads to keep the test light)."""
    from dask.distributed import Client, LocalCluster

    cases = build_cases("demo", 1, "ms09-0.6mmHg/h", seed=2)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        df = run_cases(cases, client=client)
    local = run_cases(cases, workers=1)
    assert list(df["found"]) == list(local["found"])
    assert df["time_to_module_s"].tolist() == pytest.approx(local["time_to_module_s"].tolist())


def test_unreachable_dask_is_a_clear_error():
    with pytest.raises(CampaignError, match="Dask scheduler"):
        run_cases(build_cases("demo", 1, "ms09-0.6mmHg/h")[:1], dask_address="tcp://127.0.0.1:9", connect_timeout_s=1.0)


def test_cli_campaign(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    code = main(["campaign", "demo", "--runs", "2", "--leak-class", "ms09-0.6mmHg/h", "--workers", "1",
                 "--out", str(out), "--json"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["runs"] == 4
    assert all(r["violations"] == 0 for r in payload["summary"])
    df = pd.read_csv(out)
    assert len(df) == 4 and set(df["policy"]) == {"hullbreach", "iss"}
    assert main(["campaign", "demo", "--runs", "1", "--leak-class", "bogus"]) == 1


def test_fast_sensor_path_hides_the_unmeasured_offset_from_the_thermometers():
    """The campaign's fast path is the simulator's own sensor model at 60 s (``fast_station``): its
    thermometers read the gas temperature minus the unmeasured bulk offset, as the 1 Hz ones do
    (``_sensor_truth`` in hullbreach.sim.simulator). Before issue 16's fix the fast path read the truth
    temperatures, which include the offset: the thermometers saw what real ones cannot."""
    import numpy as np

    from hullbreach.campaign.runner import FAST_BLOCK_S, fast_station
    from hullbreach.sim import Scenario, simulate
    from hullbreach.sim.scenario import Nuisance
    from hullbreach.station import load_station

    st = load_station("demo")
    nz = Nuisance(common_offset_k=1.0, module_offset_k=0.0, thermometer_lag_s=0.0, thermometer_self_heating_k=0.0,
                  pressure_drift_pa_per_day=0.0, pressure_random_walk_pa_per_sqrt_day=0.0)
    sc = Scenario(nuisance=nz, duration_s=12 * 3600.0, sample_rate_hz=1.0 / FAST_BLOCK_S, truth_dt_s=FAST_BLOCK_S)
    res = simulate(fast_station(st), sc, seed=4, telemetry=True)
    tsens = next(s for s in st.sensors.values() if s.quantity == "temperature")
    tel = res.telemetry[res.telemetry["channel"] == tsens.id].set_index("time")["value"]
    truth = res.truth[res.truth["module"] == tsens.module].set_index("time")["temperature_k"]
    both = pd.concat([tel.rename("t"), truth.rename("g")], axis=1, join="inner").dropna()
    from hullbreach.units import to_si

    diff = np.asarray(to_si(both["t"].to_numpy(), tsens.unit)) - both["g"].to_numpy()
    assert len(diff) > 600
    # the thermometer misses the 1 K offset: it differs from the gas temperature by far more than its noise
    assert np.std(diff) > 0.2 and np.max(np.abs(diff)) > 0.5
    # and the block-mean noise of a pressure channel is sd / sqrt(60) of the 1 Hz sensor
    ps = next(s for s in st.sensors.values() if s.quantity == "pressure")
    assert fast_station(st).sensors[ps.id].noise_std == pytest.approx(
        (ps.noise_std ** 2 + ps.resolution ** 2 / 12.0) ** 0.5 / FAST_BLOCK_S ** 0.5)
    assert fast_station(st).sensors[ps.id].resolution == 0.0


def test_clopper_pearson_interval():
    """Exact binomial interval: 0 failures in n runs bound the rate below by 0.025^(1/n) (closed form of
    the beta quantile); a known value from Clopper & Pearson's table-free formula for k = 5, n = 10."""
    from hullbreach.campaign.run import clopper_pearson

    lo, hi = clopper_pearson(300, 300)
    assert hi == 1.0 and lo == pytest.approx(0.025 ** (1 / 300), rel=1e-9)
    lo, hi = clopper_pearson(5, 10)
    assert lo == pytest.approx(0.1871, abs=1e-4) and hi == pytest.approx(0.8129, abs=1e-4)
    with pytest.raises(CampaignError):
        clopper_pearson(3, 2)


def test_build_cases_carries_the_valve_assumption():
    """``build_cases(valve_area_m2=...)`` (benchmark ``--valve-area-m2``) sets every case's valve assumption,
    which ``run_case`` hands to the session as ``Rules.assumed_valve_area_m2``; default 0 (only the station
    file's valves)."""
    from hullbreach.campaign import build_cases

    cases = build_cases("iss-2025", 2, "slow-1-2mmHg/day", policies=("hullbreach",), seed=1, valve_area_m2=2e-5)
    assert all(c.valve_area_m2 == 2e-5 for c in cases)
    assert build_cases("iss-2025", 1, "slow-1-2mmHg/day", policies=("hullbreach",), seed=1)[0].valve_area_m2 == 0.0


def test_every_re_run_of_the_simulator_keeps_the_past_the_session_read(monkeypatch):
    """The runner re-runs the simulator from the start at every step with the hatch events planned so far.
    Each re-run must reproduce the past the session has already read: the constraints are checked on the
    last re-run's truth. On c3455ae the duration grew with every step and the simulator drew its noise
    (the unmeasured offsets) for the whole duration, so the past changed by 58 Pa on demo (iss-2025
    campaign case 8: a hatch the session had measured 0.47 mmHg across was judged opened against 0.74)."""
    import hullbreach.sim as sim
    from hullbreach.campaign.runner import Case, run_case, station_rate_to_mdot
    from hullbreach.constants import PA_PER_MMHG
    from hullbreach.station import load_station

    runs = []
    real = sim.simulate
    monkeypatch.setattr(sim, "simulate", lambda *a, **k: runs.append(real(*a, **k)) or runs[-1])
    st = load_station("demo")
    r = run_case(Case("demo", "lab", station_rate_to_mdot(st, 1.5 * PA_PER_MMHG / 86400.0), seed=3))
    assert r["found"] == "lab" and len(runs) >= 2
    for a, b in zip(runs, runs[1:]):
        # the past: before the first hatch event the later run adds
        t_new = min((e.time_s for e in b.scenario.hatch_events if e not in a.scenario.hatch_events), default=math.inf)
        pa = a.truth.pivot_table(index="time", columns="module", values="pressure_pa", aggfunc="first")
        pb = b.truth.pivot_table(index="time", columns="module", values="pressure_pa", aggfunc="first")
        idx = pa.index.intersection(pb.index)
        idx = idx[(idx - pd.Timestamp(a.scenario.start)).total_seconds() < t_new]
        assert len(idx) > 10
        assert float((pa.loc[idx] - pb.loc[idx]).abs().max().max()) < 1e-6
