"""Progress bars (issue 15 §5): on stderr, only on a terminal, never with --json; library callbacks report."""

from __future__ import annotations

import io
import json

import pytest

from hullbreach.cli import progress
from hullbreach.cli.common import Console
from hullbreach.cli.main import main


@pytest.fixture
def terminal(monkeypatch):
    """stderr console that believes it is a terminal, drawing into a buffer."""
    buf = io.StringIO()
    monkeypatch.setattr(progress, "err_console", Console(file=buf, force_terminal=True, width=100, markup=False,
                                                         emoji=False, highlight=False))
    monkeypatch.delenv("HULLBREACH_NO_PROGRESS", raising=False)
    return buf


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.setattr(progress, "err_console", Console(file=io.StringIO(), markup=False))
    with progress.progress_bar("x", total=3) as cb:
        assert cb is progress._noop


def test_no_bar_with_json_even_on_a_terminal(terminal):
    with progress.progress_bar("x", total=3, enabled=False) as cb:
        assert cb is progress._noop


def test_bar_draws_on_the_terminal(terminal):
    with progress.progress_bar("campaign", total=4, unit="runs") as cb:
        for i in range(1, 5):
            cb(i, 4)
    assert "campaign" in terminal.getvalue()


def test_simulate_json_stays_clean_while_the_bar_draws(terminal, tmp_path, capsys):
    sc = tmp_path / "s.toml"
    sc.write_text('start = "2024-03-01T00:00:00Z"\nduration_s = 7200\nsample_rate_hz = 0.05\n')
    assert main(["simulate", "demo", str(sc), "--out", str(tmp_path / "o"), "--json"]) == 0
    json.loads(capsys.readouterr().out)
    assert terminal.getvalue() == ""  # --json: no bar at all
    assert main(["simulate", "demo", str(sc), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "simulating" not in out  # the bar is on stderr, never in stdout
    assert "simulating" in terminal.getvalue()


def test_simulate_reports_simulated_time():
    from hullbreach.sim import simulate
    from hullbreach.sim.scenario import Leak, Scenario
    from hullbreach.station import load_station

    seen = []
    sc = Scenario(start="2024-03-01T00:00:00Z", duration_s=7200, sample_rate_hz=0.05,
                  leaks=(Leak(module="lab", onset_s=3600, effective_area_m2=1e-6),))
    simulate(load_station("demo"), sc, seed=0, progress=lambda done, total: seen.append((done, total)))
    assert seen and all(t == 7200 for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and seen[-1][0] <= 7200


def test_run_cases_reports_every_case(monkeypatch):
    from hullbreach.campaign import build_cases
    from hullbreach.campaign import run as run_mod

    monkeypatch.setattr(run_mod, "_run_safe", lambda c: {"station": c.station, "policy": c.policy})
    cases = build_cases("demo", 3, "ms09-0.6mmHg/h", seed=0)
    seen = []
    run_mod.run_cases(cases, workers=1, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(i, len(cases)) for i in range(1, len(cases) + 1)]


def test_plan_sensors_reports_placed_sensors(tmp_path):
    from hullbreach.locate.placement import plan_sensors
    from hullbreach.locate.wall import load_wall

    p = tmp_path / "w.toml"
    p.write_text('name = "p"\nthickness_m = 0.002\nwidth_m = 0.6\nheight_m = 0.6\nmaterial = "al-6061"\n')
    seen = []
    plan_sensors(load_wall(p), 5, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(3, 5), (4, 5)]
