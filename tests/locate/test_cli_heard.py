"""``hullbreach locate``'s text output says what its source table holds (issue 13, session 8).

a7270d1 titled the CLI's table "every source heard" and never printed ``not_listed`` (the peaks above the
detection threshold counted but not listed: CLEAN residues, copies, a louder source's echo cross-terms),
nor the threshold the listed places passed; the demo already did (:func:`hullbreach.locate.report.heard_title`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hullbreach.cli.main import main
from hullbreach.locate.demo import soyuz_om_panel
from hullbreach.locate.signals import equipment, leak, perimeter_sensors, simulate

#: The demo's wall as a user's file (hullbreach.locate.demo.soyuz_om_panel: NASA/TM-2009-214785 §6, 1.9 mm AMG6).
WALL_TOML = """name = "Soyuz MS-09 orbital module wall panel (simulated)"
thickness_m = 0.0019
width_m = 1.2
height_m = 1.0
material = "amg6"
radius_m = 1.1

[[equipment]]
name = "cabin fan"
x_m = 0.95
y_m = 0.25
"""


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory):
    """The demo's recording (hole + the named cabin fan 10x louder, edge reflections: echo-like peaks that
    are counted, not listed), written as a user would give it to the CLI."""
    d = tmp_path_factory.mktemp("heard")
    wall = soyuz_om_panel()
    rng = np.random.default_rng(0)
    hole = np.array([0.42, 0.61]) + rng.uniform(-0.05, 0.05, 2)
    fan = wall.equipment[0]
    rec = simulate(wall, perimeter_sensors(wall, 8, margin_m=0.05), [leak(hole), equipment((fan.x_m, fan.y_m),
                   amplitude=10.0)], fs_hz=1.0e6, duration_s=0.06, snr_db=0.0, seed=rng)
    (d / "wall.toml").write_text(WALL_TOML)
    rec.save(d / "rec.npz")
    return d


def test_locate_text_titles_its_table_with_the_threshold_and_the_peaks_not_listed(demo_files, capsys):
    d = demo_files
    args = ["locate", "--wall", str(d / "wall.toml"), "--signals", str(d / "rec.npz")]
    assert main(args + ["--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    text = " ".join(capsys.readouterr().out.split())  # (the table's title may wrap)
    assert "every source heard" not in text  # a7270d1's title, although weaker peaks were left out
    assert f"Every place heard above the detection threshold {js['detection_threshold']:.3f}" in text
    assert f"({len(js['candidates'])})" in text
    # the demo recording's echo cross-terms are counted, not listed: the text must say how many
    assert js["not_listed"] > 0
    assert f"{js['not_listed']} weaker peak(s) above it" in text
