"""Campaigns: case construction, local processes, a Dask LocalCluster, metrics, the CLI."""

from __future__ import annotations

import json

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
