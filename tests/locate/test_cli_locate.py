"""``hullbreach locate`` and ``hullbreach locate-plan`` end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hullbreach.cli.main import main
from hullbreach.locate.demo import run as demo_run
from hullbreach.locate.lamb import material
from hullbreach.locate.signals import leak, perimeter_sensors, simulate
from hullbreach.locate.wall import Wall

WALL_TOML = """name = "test panel"
thickness_m = 0.002
width_m = 0.6
height_m = 0.6
material = "al-6061"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("loc")
    (d / "WALL.toml").write_text(WALL_TOML)
    wall = Wall(0.002, 0.6, 0.6, material("al-6061"))
    src = np.array([0.22, 0.37])
    rec = simulate(wall, perimeter_sensors(wall, 8), [leak(src)], duration_s=0.02, snr_db=0.0, seed=11)
    rec.save(d / "rec.npz")
    return d, src, rec


def test_locate_json(files, capsys):
    d, src, _ = files
    code = main(["locate", "--wall", str(d / "WALL.toml"), "--signals", str(d / "rec.npz"), "--json",
                 "--plot", str(d / "map.png")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert np.hypot(*(np.array(out["position_m"]) - src)) < 3e-3
    assert out["uncertainty_radius_m"] > 0
    assert out["candidates"][0]["position_m"] == out["position_m"]
    assert (d / "map.png").exists()


def test_locate_human(files, capsys):
    d, _, _ = files
    assert main(["locate", "--wall", str(d / "WALL.toml"), "--signals", str(d / "rec.npz")]) == 0
    text = capsys.readouterr().out
    assert "Leak at x =" in text and "95 %" in text


def _bad(d, name, **arrays):
    p = d / name
    np.savez(p, **arrays)
    return p


def test_malformed_recordings_exit_1_with_one_line(files, capsys):
    d, _, rec = files
    pos, sig = rec.sensor_positions_m, rec.signals
    cases = {
        "shape.npz": (dict(fs_hz=1e6, sensor_positions_m=pos, signals=sig[:5]), "signals has 5 rows"),
        "nan.npz": (dict(fs_hz=1e6, sensor_positions_m=pos, signals=np.where(np.arange(sig.shape[1]) == 3, np.nan, sig)),
                    "NaN"),
        "outside.npz": (dict(fs_hz=1e6, sensor_positions_m=pos * 3, signals=sig), "outside the wall"),
        "millimetres.npz": (dict(fs_hz=1e6, sensor_positions_m=pos * 1000, signals=sig), "divide them by 1000"),
        "slow.npz": (dict(fs_hz=2e5, sensor_positions_m=pos, signals=sig), "too low for the analysis band"),
        "keys.npz": (dict(fs=1e6, sensor_positions_m=pos, signals=sig), "missing key(s) fs_hz"),
    }
    for name, (arrays, msg) in cases.items():
        p = _bad(d, name, **arrays)
        code = main(["locate", "--wall", str(d / "WALL.toml"), "--signals", str(p)])
        err = capsys.readouterr().err
        assert code == 1, name
        assert msg in err.replace("\n", " "), (name, err)


def test_bad_wall_file(files, capsys):
    d, _, _ = files
    (d / "bad.toml").write_text(WALL_TOML.replace('"al-6061"', '"cheese"'))
    assert main(["locate", "--wall", str(d / "bad.toml"), "--signals", str(d / "rec.npz")]) == 1
    assert "unknown material 'cheese'" in capsys.readouterr().err


def test_locate_plan_json(files, capsys):
    d, _, _ = files
    assert main(["locate-plan", "--wall", str(d / "WALL.toml"), "--sensors", "5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["sensor_positions_m"]) == 5 and out["p90_radius_m"] > 0


def test_demo_step(tmp_path):
    out = demo_run(tmp_path, seed=0)
    assert set(out) == {"title", "lines", "json", "files"}
    js = out["json"]
    json.dumps(js)
    assert js["wall"]["thickness_m"] == pytest.approx(0.0019)  # NASA/TM-2009-214785 §6: 0.19 cm AMG6
    assert js["error_m"] < 0.01
    assert js["x_m"]["low"] <= js["position_m"][0] <= js["x_m"]["high"]
    assert all(__import__("pathlib").Path(f).exists() for f in out["files"])


def test_demo_says_one_clear_sentence_and_names_every_source(tmp_path):
    """The crew reads one sentence: never "unreliable" next to a 98 % probability (64d1eea printed "Most
    likely hole (unreliable: 2 other source(s) …)" beside P(leak) 0.99), the probability and the 95 % radius
    in it, and then one numbered line per source heard, the known fan named."""
    out = demo_run(tmp_path, seed=0)
    lines = out["lines"]
    head = lines[1]
    assert "unreliable" not in head.lower()
    cands = out["json"]["candidates"]
    if out["json"]["status"] == "ambiguous":
        assert head.startswith("[bold]Most likely leak at") or head.startswith("[bold]Cannot tell")
        assert f"{cands[0]['probability']:.0%} likely" in head or "Cannot tell" in head
    assert "95 % within" in head
    numbered = [ln for ln in lines if ln[:1].isdigit() and ". (" in ln[:5]]
    assert len(numbered) == len(cands) >= 1
    fan = [ln for ln in numbered if "cabin fan" in ln]
    assert fan, "the fan named in the wall file must be named"
    # the JSON says which named equipment a source is (c3455ae's report matched its reason text instead)
    fan_name = out["json"]["wall"]["equipment"][0]["name"]
    named = [c for c in cands if c.get("equipment")]
    assert named and {c["equipment"] for c in named} == {fan_name} and all(c["kind"] == "equipment" for c in named)
    assert all(c["equipment"] is None for c in cands if c["kind"] == "leak")


def test_demo_lists_the_sources_it_hears_not_the_leaks_echoes(tmp_path):
    """The demo recording holds two sources, the hole and the cabin fan (simulated with edge reflections
    0.8). 17f9473 listed seven places: five "unidentified sources" 7–25 cm from the hole, P(leak) 1–3 %,
    which were the cross-terms of the hole's echoes (one sensor's direct wave against another's reflection;
    simulated without reflections they vanish). Now every listed place is one of the two sources, the
    heading states the detection threshold, and the weaker peaks not listed are counted (text and JSON)."""
    out = demo_run(tmp_path, seed=0)
    js = out["json"]
    real = [np.array(js["simulated_hole_m"]), np.array([0.95, 0.25])]
    for c in js["candidates"]:
        assert min(np.hypot(*(np.array(c["position_m"]) - r)) for r in real) < 0.03, c["position_m"]
    assert len(js["candidates"]) == 2
    title = next(ln for ln in out["lines"] if ln.startswith("Every place heard"))
    assert f"detection threshold {js['detection_threshold']:.3f}" in title
    assert js["not_listed"] >= 0 and (f"{js['not_listed']} weaker peak" in title) == (js["not_listed"] > 0)


def test_crew_sentence_never_claims_certainty_while_a_comparable_source_exists():
    """Two equal sources and no way to tell them apart: the sentence says it cannot tell, lists the count."""
    from hullbreach.locate.localize import Candidate, Localization
    from hullbreach.locate.report import crew_sentence

    cands = (Candidate((0.2, 0.3), 0.5, 0.01, probability=0.52, source=0),
             Candidate((0.5, 0.3), 0.5, 0.01, probability=0.48, source=1))
    res = Localization((0.2, 0.3), 0.01, cands, "dispersive", (3e4, 3e5), np.zeros((2, 2)), np.zeros(2), np.zeros(2),
                       status="ambiguous", message="unreliable: 1 other source(s) heard could be the leak")
    s = crew_sentence(res)
    assert s.startswith("Cannot tell which of 2 places") and "52%" in s
    none = Localization(None, None, (), "dispersive", (3e4, 3e5), np.zeros((2, 2)), np.zeros(2), np.zeros(2),
                        noise_floor=0.12, status="no source")
    assert crew_sentence(none).startswith("No source found") and "0.120" in crew_sentence(none)
