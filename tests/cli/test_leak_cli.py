"""End-to-end tests of ``hullbreach size`` and ``hullbreach reserve`` (the Foundation contract)."""

import json
import subprocess
import sys

import pytest

from hullbreach.cli.main import main
from hullbreach.constants import SECONDS_PER_DAY


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_size_json_contract(capsys):
    """Reference README: 0.6 mmHg/h on the 2018 ISS -> equivalent ideal hole ~1.1 mm."""
    code, out, _ = run(["size", "iss-2018", "--rate-mmhg-per-h", "0.6", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    for key in ("effective_hole_diameter_m", "leak_mass_flow_kg_s", "pressure_rate_pa_s", "reserve_time_s"):
        assert set(d[key]) == {"estimate", "low", "high"}
        assert d[key]["low"] <= d[key]["estimate"] <= d[key]["high"]
    assert d["effective_hole_diameter_m"]["estimate"] == pytest.approx(1.1e-3, abs=0.1e-3)
    assert d["leak_mass_flow_kg_s"]["estimate"] > 0
    assert len(d["zone"]) > 20  # default zone: the whole station


def test_size_zone_option_changes_volume(capsys):
    code, out, _ = run(["size", "iss-2018", "--rate-mmhg-per-h", "0.6", "--zone", "soyuz-ms09-om", "--json"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["zone"] == ["soyuz-ms09-om"]
    assert d["volume_m3"] < 10
    code, out, err = run(["size", "iss-2018", "--rate-mmhg-per-h", "0.6", "--zone", "nowhere"], capsys)
    assert code == 1 and "nowhere" in err


def test_reserve_from_rate_and_from_hole(capsys):
    """Reference README: 0.6 mmHg/h from 755 mmHg reaches 520 mmHg in about 16 days at a constant rate."""
    code, out, _ = run(["reserve", "iss-2018", "--rate-mmhg-per-h", "0.6", "--pressure-mmhg", "755", "--json",
                        "--at", "2018-08-29T23:00:00Z"], capsys)
    assert code == 0
    d = json.loads(out)
    assert d["assumption"] == "constant-rate"
    assert d["reserve_time_s"]["estimate"] / SECONDS_PER_DAY == pytest.approx(16.3, abs=0.3)
    assert d["threshold_pressure_pa"] == pytest.approx(520 * 133.322, rel=1e-3)
    assert d["threshold_time"].startswith("2018-09-15")
    code, out, _ = run(["reserve", "iss-2018", "--hole-diameter-mm", "2", "--discharge-coefficient", "1",
                        "--pressure-mmhg", "755", "--json"], capsys)
    d2 = json.loads(out)
    assert d2["assumption"].startswith("constant-hole")
    # An ideal 2 mm hole is ~3x the observed rate: the reserve is much shorter.
    assert d2["reserve_time_s"]["estimate"] < d["reserve_time_s"]["estimate"] / 2


@pytest.mark.parametrize("args, fragment", [
    (["reserve", "iss-2018"], "exactly one of"),
    (["reserve", "iss-2018", "--rate-mmhg-per-h", "-1"], "positive"),
    (["reserve", "iss-2018", "--hole-diameter-mm", "2", "--model", "constant-rate"], "constant hole"),
    (["size", "no-such-station", "--rate-mmhg-per-h", "1"], "unknown station"),
    (["size", "/nonexistent/station.toml", "--rate-mmhg-per-h", "1"], "does not exist"),
    (["reserve", "iss-2018", "--rate-mmhg-per-h", "1", "--at", "2018-08-29 23:00"], "time zone"),
])
def test_errors_are_one_red_line_exit_1(args, fragment, capsys):
    code, out, err = run(args, capsys)
    assert code == 1
    assert fragment in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 3  # one logical line (rich may wrap it)


def test_console_script_runs_without_traceback():
    r = subprocess.run([sys.executable, "-m", "hullbreach.cli.main", "size", "bogus", "--rate-mmhg-per-h", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr and "unknown station" in r.stderr
