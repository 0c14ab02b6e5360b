"""CLI: ``hullbreach stations`` and ``hullbreach show STATION`` (tables, --json, errors as one line with exit 1)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hullbreach.cli.main import main
from hullbreach.station import load_station


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hullbreach.cli.main", *args], capture_output=True, text=True,
                          timeout=60, env={"COLUMNS": "200", "PATH": "", "PYTHONIOENCODING": "utf-8"})


def test_stations_json(capsys):
    assert main(["stations", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)["stations"]}
    assert {"iss-2018", "iss-2025", "soyuz-ms", "demo"} <= set(rows)
    st = load_station("iss-2018")
    assert rows["iss-2018"]["modules"] == len(st.modules)
    assert rows["iss-2018"]["total_volume_m3"] == pytest.approx(st.total_volume_m3)
    assert sorted(rows["iss-2018"]["escape_vehicles"]) == ["soyuz-ms08-dm", "soyuz-ms09-dm"]


def test_stations_table(capsys):
    assert main(["stations"]) == 0
    out = capsys.readouterr().out
    for name in ("iss-2018", "iss-2025", "soyuz-ms", "demo"):
        assert name in out
    assert f"{load_station('soyuz-ms').total_volume_m3:.1f}" in out


def test_show_json_builtin(capsys):
    assert main(["show", "iss-2018", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["station"] == "iss-2018"
    assert {m["id"] for m in d["module"]} >= {"soyuz-ms09-om", "zvezda-prk"}
    h = next(h for h in d["hatch"] if set(h["modules"]) == {"quest", "quest-crewlock"})
    assert h["state"] == "closed" and h["opens_into"] in h["modules"]
    assert sum(z["volume_m3"] for z in d["zones"]) == pytest.approx(d["total_volume_m3"])
    assert all(m["source"] for m in d["module"])


def test_show_table_has_modules_hatches_sensors(capsys):
    assert main(["show", "demo"]) == 0
    out = capsys.readouterr().out
    st = load_station("demo")
    for mid in st.modules:
        assert mid in out
    for hid in st.hatches:
        assert hid in out
    assert "closed hatch node-airlock" in out and "opens into airlock" in out
    assert "escape vehicle" in out and "lab.pressure" in out


def test_show_toml_path(tmp_path, capsys):
    p = tmp_path / "two.toml"
    p.write_text('name = "Two"\nevacuation_pressure_pa = 69328\n[[module]]\nid = "x"\nvolume_m3 = 1.5\n'
                 '[[module]]\nid = "y"\nvolume_m3 = 2.5\nescape_vehicle = true\n'
                 '[[hatch]]\nid = "x-y"\nmodules = ["x", "y"]\nopens_into = "y"\n', encoding="utf-8")
    assert main(["show", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["name"] == "Two" and d["total_volume_m3"] == pytest.approx(4.0) and d["escape_vehicles"] == ["y"]


def test_show_bad_path_one_line_exit_1(tmp_path):
    r = _run("show", str(tmp_path / "missing.toml"))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "missing.toml" in lines[0] and "does not exist" in lines[0]
    assert "Traceback" not in r.stderr and r.stdout == ""


def test_show_invalid_file_names_line(tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('name = "B"\nevacuation_pressure_pa = 69328\n[[module]]\nid = "x"\nvolume_m3 = -1\n', encoding="utf-8")
    r = _run("show", str(p))
    assert r.returncode == 1
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{p}:5 (module.volume_m3)" in lines[0]


def test_show_unknown_name_lists_builtins(capsys):
    assert main(["show", "skylab"]) == 1
    err = capsys.readouterr().err
    assert "skylab" in err and "iss-2018" in err
