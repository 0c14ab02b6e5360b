"""Closed loop on telemetry hullbreach did not make: the independent generator of tests/generators
(own gas law, leak ODE, thermal phases per module, thermometer lag and self-heating, an unmeasured
common bulk-temperature offset). One escape-vehicle case of benchmarks/isolate_robust.py (the benchmark
runs every module and sigma; docs/benchmarks/isolate.md)."""

from __future__ import annotations

import pytest

from hullbreach.station import load_station

pytest.importorskip("tests.generators.independent")


def test_soyuz_orbital_module_leak_on_the_independent_generator():
    from benchmarks.isolate_robust import run_one

    st = load_station("iss-2025")
    row = run_one(st, "soyuz-om", 1.5, 0.1, seed=3)
    assert row["found"] == "soyuz-om" and row["state"] == "found"
    assert row["violations"] == 0 and row["repeats_without_info"] == 0
    assert row["alert"]  # an escape vehicle's orbital module: said first
    assert row["time_h"] < 24.0
