"""``hullbreach isolate`` end to end (recorded telemetry, prompted files, plan only) and the demo."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from hullbreach.campaign.runner import Case, run_case
from hullbreach.cli.main import main
from hullbreach.sim import HatchEvent, Leak, Scenario, ThermalProfile, simulate
from hullbreach.station import load_station
from hullbreach.telemetry.writers import write_long_csv


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A full-telemetry run on demo (leak in the hab): its hatch events, replayed as one recording."""
    st = load_station("demo")
    r = run_case(Case("demo", "hab", 2.4e-4, seed=5, telemetry="full", crew_count=0, estimate_rel_log_std=0.0),
                 station=st, details=True)
    assert r["correct"]
    from hullbreach.campaign.runner import mdot_to_cd_area

    events = tuple(HatchEvent(time_s=t, hatch=h, action=a, valve_area_m2=v) for t, h, a, v in r["events"])
    end = r["log"][-1]["t_stop_s"] + 3600.0
    thermal = (ThermalProfile(module="*", orbital_amplitude_k=0.3, hvac_noise_k=0.05),)
    res = simulate(st, Scenario(nuisance="none", duration_s=end, leaks=(Leak(module="hab", effective_area_m2=mdot_to_cd_area(st, 2.4e-4)),),
                                hatch_events=events, thermal=thermal), seed=11)
    d = tmp_path_factory.mktemp("iso")
    path = d / "telemetry.csv"
    write_long_csv(res.telemetry, path)
    return r, path, d, res


def test_cli_recorded_telemetry_json(demo_run, capsys):
    r, path, _, _ = demo_run
    code = main(["isolate", "demo", "--leak-rate-kg-s", "2.4e-4", "--telemetry", str(path), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["result"]["module"] == "hab"
    assert out["result"]["probability"] >= 0.99
    assert out["steps"][0]["step"]["index"] == 1


def test_cli_prompted_files(demo_run, tmp_path):
    """Interactive use: the operator types the path of each step's telemetry at the prompt."""
    r, _, _, res = demo_run
    tel = res.telemetry
    ts = (tel["time"] - tel["time"].iloc[0]).dt.total_seconds()
    paths = []
    for i, entry in enumerate(r["log"]):
        a = entry["t_start_s"]
        b = a + entry["step"]["dwell_s"]
        p = tmp_path / f"step{i + 1}.csv"
        write_long_csv(tel.loc[(ts >= a) & (ts <= b)], p)
        paths.append(str(p))
    proc = subprocess.run([sys.executable, "-m", "hullbreach.cli.main", "isolate", "demo", "--leak-rate-kg-s", "2.4e-4"],
                          input="\n".join(paths) + "\n", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "close hatch" in proc.stdout
    assert "leak in hab" in proc.stdout


def test_cli_plan_only_and_errors(capsys):
    code = main(["isolate", "iss-2025", "--rate-mmhg-per-day", "1.5", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["paused"] and out["steps"][0]["step"]["dwell_s"] > 0
    assert main(["isolate", "demo"]) == 1
    assert "leak size" in capsys.readouterr().err
    assert main(["isolate", "demo", "--leak-rate-kg-s", "1e-4", "--telemetry", "/no/such/file.csv"]) == 1


def test_cli_wrong_station_telemetry(tmp_path, capsys):
    p = tmp_path / "t.csv"
    pd.DataFrame({"time": [0, 60, 120], "channel": ["NOPE"] * 3, "value": [760.0] * 3}).to_csv(p, index=False)
    code = main(["isolate", "demo", "--leak-rate-kg-s", "1e-4", "--telemetry", str(p)])
    assert code == 1
    assert "station" in capsys.readouterr().err


def test_demo_run(tmp_path):
    from hullbreach.isolate.demo import run

    out = run(tmp_path, seed=0)
    assert out["json"]["module"] == "soyuz-ms09-om"
    assert out["json"]["probability"] >= 0.99
    assert out["json"]["time_to_module_s"]["estimate"] < 3 * 3600
    assert out["json"]["constraint_violations"] == 0
    assert all(isinstance(x, str) for x in out["lines"])
    json.dumps(out["json"])
    assert (tmp_path / "isolation_ms09.json").exists()


def test_cli_follow_pauses_when_the_file_stops_growing(demo_run, capsys):
    """--follow on a file that does not grow: the wait times out and the session pauses cleanly."""
    _, path, _, _ = demo_run
    code = main(["isolate", "demo", "--leak-rate-kg-s", "2.4e-4", "--follow", str(path), "--poll-s", "0.05",
                 "--timeout-s", "0.3", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["paused"] is True and out["result"]["status"] == "in-progress"
