"""The pyBLOSSUM shot reader (cause/shots.py) and ``hullbreach ballistic --shots`` end to end.

Data: tests/data/hvi (pyBLOSSUM training split, MIT licence, see its README)."""

import json
import math
from pathlib import Path

import pytest

from hullbreach.cause.shots import ShotsError, read_shots
from hullbreach.cli.main import main

HVI = Path(__file__).resolve().parents[1] / "data" / "hvi"
WHIPPLE = HVI / "whipple_train.csv"
STUFFED = HVI / "stuffedWhipple_train.csv"


def lines(path):
    return path.read_text(encoding="utf-8").splitlines()


def test_training_files_read_in_si():
    s = read_shots(WHIPPLE)
    assert s.family == "whipple" and len(s) == 797 and s.skipped == ()
    assert list(s.row[:3]) == [1, 2, 3]
    # first shot: Piekutowski_2011, 0.14 cm AA2017-T4 (2.8 g/cm3) at 9.89 km/s, 0 deg; 0.0318 cm bumper
    assert s.diameter_m[0] == pytest.approx(1.4e-3) and s.speed_m_s[0] == pytest.approx(9890.0)
    assert s.density_kg_m3[0] == pytest.approx(2800.0) and s.angle_rad[0] == 0.0
    assert s.walls[0].bumper_thickness_m == pytest.approx(3.18e-4) and s.perforated[0] == 0
    t = read_shots(STUFFED)
    assert t.family == "stuffed-whipple" and len(t) == 100
    assert t.skipped == ((54, "angle", "angle is empty"),)
    assert t.walls[0].stuffing_areal_density_kg_m2 == pytest.approx(14.7)


def test_strict_names_file_line_and_column_and_lenient_counts(tmp_path):
    text = lines(WHIPPLE)
    bad = text[:5] + [_set(text[0], text[5], "proj_diam", "abc")] + text[6:12]
    p = tmp_path / "shots.csv"
    p.write_text("\n".join(bad) + "\n")
    with pytest.raises(ShotsError) as e:
        read_shots(p, strict=True)
    assert f"{p}:6 (proj_diam)" in str(e.value) and "not a number" in str(e.value)
    s = read_shots(p)
    assert len(s) == 9 and len(s.skipped) == 1 and s.skipped[0][:2] == (6, "proj_diam")
    assert 4 not in s.row  # data row 4 = line 6 is the one left out


def _set(header, row, col, value):
    h = header.split(",")
    r = row.split(",")
    r[h.index(col)] = value
    return ",".join(r)


@pytest.mark.parametrize("col, value, msg", [("velocity", "-3", "must be > 0"), ("angle", "95", "outside 0-90"),
                                             ("perforated_class", "2", "must be 0 or 1"),
                                             ("wall_thick", "", "is empty"), ("standoff", "inf", "not finite")])
def test_impossible_values_are_rejected(tmp_path, col, value, msg):
    text = lines(WHIPPLE)
    p = tmp_path / "s.csv"
    p.write_text("\n".join(text[:2] + [_set(text[0], text[2], col, value)]) + "\n")
    with pytest.raises(ShotsError, match=msg) as e:
        read_shots(p, strict=True)
    assert f"s.csv:3 ({col})" in str(e.value)


def test_wrong_unit_missing_column_missing_file(tmp_path):
    text = lines(WHIPPLE)
    p = tmp_path / "u.csv"
    p.write_text("\n".join([text[0], text[1].replace("km/s", "m/s")] + text[2:4]) + "\n")
    with pytest.raises(ShotsError, match=r"u.csv:2 \(velocity\).*expected 'km/s'"):
        read_shots(p)
    p.write_text("\n".join([t.split(",", 5)[-1] for t in text[:4]]) + "\n")
    with pytest.raises(ShotsError, match="missing column"):
        read_shots(p)
    with pytest.raises(ShotsError, match="cannot read"):
        read_shots(tmp_path / "nope.csv")


def run(capsys, args):
    capsys.readouterr()
    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_shots_json_on_the_training_file(capsys):
    rc, out, err = run(capsys, ["ballistic", "--shots", str(WHIPPLE), "--json"])
    assert rc == 0, err
    js = json.loads(out)
    preds = js["predictions"]
    assert [p["row"] for p in preds] == list(range(1, 798))
    assert all(0 <= p["p_perforation"] <= 1 and isinstance(p["ble_perforates"], bool) for p in preds)
    y = read_shots(WHIPPLE).perforated
    acc = sum((p["p_perforation"] >= 0.5) == bool(t) for p, t in zip(preds, y)) / len(y)
    assert js["accuracy"] == pytest.approx(acc)
    brier = sum((p["p_perforation"] - t) ** 2 for p, t in zip(preds, y)) / len(y)
    assert js["brier"] == pytest.approx(brier)
    nc = sum(p["p_perforation"] < 0.5 and t == 1 for p, t in zip(preds, y)) / len(y)
    assert js["non_conservative_rate"] == pytest.approx(nc)
    ble_nc = sum((not p["ble_perforates"]) and t == 1 for p, t in zip(preds, y)) / len(y)
    assert js["ble"]["non_conservative_rate"] == pytest.approx(ble_nc)


def test_cli_shots_without_outcomes_gives_no_metrics(tmp_path, capsys):
    text = lines(STUFFED)
    h = text[0].split(",")
    keep = [i for i, c in enumerate(h) if c not in ("perforated_class", "result")]
    p = tmp_path / "blind.csv"
    p.write_text("\n".join(",".join(r.split(",")[i] for i in keep) for r in text[:6]) + "\n")
    rc, out, err = run(capsys, ["ballistic", "--shots", str(p), "--json"])
    assert rc == 0, err
    js = json.loads(out)
    assert len(js["predictions"]) == 4 and "accuracy" not in js and "brier" not in js
    assert "non_conservative_rate" not in js


def test_cli_shots_bad_row_strict_and_lenient(tmp_path, capsys):
    text = lines(STUFFED)
    p = tmp_path / "bad[red].csv"  # rich markup in a path must be printed as is (text output below)
    p.write_text("\n".join(text[:4] + [_set(text[0], text[4], "velocity", "fast")] + text[5:8]) + "\n")
    rc, out, err = run(capsys, ["ballistic", "--shots", str(p), "--strict"])
    assert rc == 1
    assert ":5 (velocity)" in err and "not a number" in err and "Traceback" not in err
    rc, out, err = run(capsys, ["ballistic", "--shots", str(p), "--json"])
    assert rc == 0
    js = json.loads(out)
    assert js["skipped"] == 1 and js["skipped_rows"][0]["line"] == 5
    assert [q["row"] for q in js["predictions"]] == [1, 2, 4, 5, 6]
    rc, out, err = run(capsys, ["ballistic", "--shots", str(p)])
    assert rc == 0 and "bad[red].csv" in out and "1 skipped" in out


def test_cli_single_particle_probability(capsys):
    rc, out, err = run(capsys, ["ballistic", "--wall", "soyuz-om", "--speed-km-s", "7", "--diameter-mm", "2",
                                "--json"])
    assert rc == 0, err
    js = json.loads(out)
    pr = js["probabilistic"]
    assert pr["p_perforation"]["low"] <= pr["p_perforation"]["estimate"] <= pr["p_perforation"]["high"]
    assert "transfer" in pr["model"]
    assert math.isfinite(pr["median_threshold_diameter_m"])
    rc, _, err = run(capsys, ["ballistic", "--speed-km-s", "7"])
    assert rc == 1 and "--wall" in err


def test_cli_single_particle_probability_text(capsys):
    rc, out, err = run(capsys, ["ballistic", "--wall", "whipple", "--speed-km-s", "12", "--diameter-mm", "3"])
    assert rc == 0, err
    assert "P(perforation) of a 3 mm particle" in out and "beyond the fastest shot" in out
