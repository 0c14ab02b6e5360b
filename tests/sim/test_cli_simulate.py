"""``hullbreach simulate STATION SCENARIO.toml --out DIR [--seed N]`` end to end."""

from __future__ import annotations

import json
import subprocess

import pandas as pd

from hullbreach.cli.main import main

SCEN = """
name = "cli"
start = "2018-08-29T19:00:00Z"
duration_s = 1800
sample_rate_hz = 0.1
[[leak]]
module = "capsule"
onset_s = 0
diameter_m = 3e-3
[[hatch_event]]
time_s = 600
hatch = "hab-capsule"
action = "close"
"""


def test_simulate_writes_files_and_prints_summary(tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text(SCEN)
    out = tmp_path / "out"
    r = subprocess.run(["hullbreach", "simulate", "demo", str(sc), "--out", str(out), "--seed", "3"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for name in ("telemetry.csv", "events.csv", "truth.csv"):
        assert (out / name).is_file()
    assert "vented" in r.stdout and "mmHg" in r.stdout and "capsule" in r.stdout
    ev = pd.read_csv(out / "events.csv")
    assert ev["kind"].tolist() == ["hatch_close"]
    tel = pd.read_csv(out / "telemetry.csv")
    assert set(tel.columns) == {"time", "channel", "value"} and len(tel) == 180 * 11


def test_simulate_json_and_same_seed_same_output(tmp_path, capsys):
    sc = tmp_path / "s.toml"
    sc.write_text(SCEN)
    assert main(["simulate", "demo", str(sc), "--out", str(tmp_path / "a"), "--seed", "1", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["vented_kg"] > 0 and payload["thermo"] == "isothermal"
    assert len(payload["zones_end"]) == len(payload["zones_start"]) + 1
    assert abs(payload["mass_balance"]["residual_kg"]) < 1e-9
    assert main(["simulate", "demo", str(sc), "--out", str(tmp_path / "b"), "--seed", "1", "--json"]) == 0
    capsys.readouterr()
    assert (tmp_path / "a" / "telemetry.csv").read_bytes() == (tmp_path / "b" / "telemetry.csv").read_bytes()


def test_simulate_errors_are_one_red_line(tmp_path, capsys):
    sc = tmp_path / "s.toml"
    sc.write_text(SCEN.replace('module = "capsule"', 'module = "soyuz"'))
    assert main(["simulate", "demo", str(sc), "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "unknown module 'soyuz'" in err and "s.toml:" in err and "Traceback" not in err
    assert len(err) < 600 and not (tmp_path / "o").exists()
