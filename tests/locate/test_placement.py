"""Sensor placement and the CRLB coverage map."""

from __future__ import annotations

import numpy as np
import pytest

from hullbreach.errors import LocalizationError
from hullbreach.locate.lamb import material
from hullbreach.locate.placement import expected_radius, plan_sensors, plot_coverage
from hullbreach.locate.signals import perimeter_sensors
from hullbreach.locate.wall import Wall

WALL = Wall(0.002, 1.0, 1.0, material("al-6061"))
PTS = np.stack(np.meshgrid(np.linspace(0, 1, 9), np.linspace(0, 1, 9)), -1).reshape(-1, 2)


def test_more_sensors_and_more_snr_never_hurt():
    four = perimeter_sensors(WALL, 4)
    eight = np.vstack([four, perimeter_sensors(WALL, 4, margin_m=0.2)])
    r4 = expected_radius(WALL, four, PTS, model_error_m=0.0)
    r8 = expected_radius(WALL, eight, PTS, model_error_m=0.0)
    assert np.all(r8 <= r4 * (1 + 1e-9))
    loud = expected_radius(WALL, four, PTS, snr_db=10.0, model_error_m=0.0)
    assert np.all(loud < r4)


def test_crlb_scales_as_one_over_sqrt_duration():
    """With no model-error floor, the Cramér–Rao radius falls as 1/sqrt(T) (Carter 1987)."""
    s = perimeter_sensors(WALL, 6)
    a = expected_radius(WALL, s, PTS, duration_s=0.1, model_error_m=0.0)
    b = expected_radius(WALL, s, PTS, duration_s=0.4, model_error_m=0.0)
    assert np.allclose(a / b, 2.0, rtol=1e-6)


def test_greedy_plan_beats_a_clustered_layout_and_writes_a_map(tmp_path):
    plan = plan_sensors(WALL, 6)
    assert plan.sensor_positions_m.shape == (6, 2)
    assert WALL.contains(plan.sensor_positions_m).all()
    assert len({tuple(p) for p in plan.sensor_positions_m.round(6)}) == 6
    X = np.stack(np.meshgrid(plan.grid_x_m, plan.grid_y_m), -1).reshape(-1, 2)
    cluster = np.array([[0.45, 0.45], [0.55, 0.45], [0.5, 0.55], [0.45, 0.55], [0.55, 0.55], [0.5, 0.45]])
    assert plan.p90_radius_m < np.quantile(expected_radius(WALL, cluster, X), 0.9)
    js = plan.to_json()
    assert js["median_radius_m"] <= js["p90_radius_m"] <= js["max_radius_m"]
    out = plot_coverage(plan, WALL, tmp_path / "cov.png")
    assert (tmp_path / "cov.png").stat().st_size > 3000 and out.endswith("cov.png")


def test_budget_errors():
    with pytest.raises(LocalizationError, match="cannot locate"):
        plan_sensors(WALL, 2)
    with pytest.raises(LocalizationError, match="at least 3 sensors"):
        expected_radius(WALL, [[0.1, 0.1], [0.9, 0.9]], PTS)
