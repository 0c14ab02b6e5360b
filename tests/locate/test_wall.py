"""WALL.toml reader and wall model."""

from __future__ import annotations

import pytest

from hullbreach.errors import LocalizationError
from hullbreach.locate.wall import Stiffener, Wall, load_wall
from hullbreach.locate.lamb import material

GOOD = """
name = "lab panel"
thickness_m = 0.002
width_m = 2.0
height_m = 3.0
material = "al-2219"
[[stiffener]]
direction = "x"
position_m = 1.0
kind = "frame"
[[stiffener]]
direction = "y"
position_m = 1.2
transmission = 0.5
[[equipment]]
name = "rack fan"
x_m = 0.5
y_m = 2.5
"""


def _write(tmp_path, text):
    p = tmp_path / "WALL.toml"
    p.write_text(text)
    return p


def test_load_named_material(tmp_path):
    w = load_wall(_write(tmp_path, GOOD))
    assert w.material.name == "al-2219"
    assert w.width_m == 2.0 and w.height_m == 3.0
    assert [s.direction for s in w.stiffeners] == ["x", "y"]
    assert w.stiffeners[1].transmission == 0.5
    assert w.stiffeners[1].reflection == pytest.approx((1 - 0.25) ** 0.5)
    assert w.equipment[0].name == "rack fan"
    assert w.contains([[0.1, 0.1], [2.1, 0.1]]).tolist() == [True, False]


def test_load_material_table(tmp_path):
    text = """thickness_m = 0.0019
width_m = 1.0
height_m = 1.0
[material]
youngs_modulus_pa = 7.1e10
poisson_ratio = 0.3
density_kg_m3 = 2640
"""
    w = load_wall(_write(tmp_path, text))
    assert w.material.youngs_modulus_pa == 7.1e10
    assert w.material.name == "custom"


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda t: t.replace('material = "al-2219"', 'material = "steel-x"'), "unknown material 'steel-x'"),
        (lambda t: t.replace("width_m = 2.0\n", ""), "missing required key 'width_m'"),
        (lambda t: t + "colour = 'red'\n", "unknown key"),
        (lambda t: t.replace("position_m = 1.0", "position_m = 5.0"), "outside the wall"),
        (lambda t: t.replace("thickness_m = 0.002", "thickness_m = 2"), "not a thin hull"),
        (lambda t: t.replace("thickness_m = 0.002", "thickness_m = -0.002"), "must be a number > 0"),
        (lambda t: t.replace('direction = "x"', 'direction = "z"'), "direction must be 'x' or 'y'"),
        (lambda t: t.replace("transmission = 0.5", "transmission = 1.5"), r"transmission must be in \[0, 1\]"),
        (lambda t: t.replace("x_m = 0.5", "x_m = 9.5"), "equipment 1 .* outside the wall"),
        (lambda t: t.replace("thickness_m = 0.002", 'thickness_m = "2 mm"'), "thickness_m must be a number"),
        (lambda t: t + "[[", "not valid TOML"),
    ],
)
def test_bad_wall_files_name_the_problem(tmp_path, edit, match):
    with pytest.raises(LocalizationError, match=match):
        load_wall(_write(tmp_path, edit(GOOD)))


def test_missing_file(tmp_path):
    with pytest.raises(LocalizationError, match="wall file not found"):
        load_wall(tmp_path / "nope.toml")


def test_material_table_errors(tmp_path):
    text = "thickness_m = 0.002\nwidth_m = 1.0\nheight_m = 1.0\n[material]\nyoungs_modulus_pa = 7e10\n"
    with pytest.raises(LocalizationError, match="missing poisson_ratio, density_kg_m3"):
        load_wall(_write(tmp_path, text))
    text2 = text + "poisson_ratio = 0.7\ndensity_kg_m3 = 2700\n"
    with pytest.raises(LocalizationError, match="Poisson"):
        load_wall(_write(tmp_path, text2))


def test_wall_dispersion_is_cached():
    w = Wall(0.002, 1.0, 1.0, material("al-6061"), (Stiffener("x", 0.5),))
    assert w.dispersion(5e5) is w.dispersion(5e5)
