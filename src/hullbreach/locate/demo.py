"""Demo step: find a drilled hole on a Soyuz orbital-module wall panel from its ultrasonic leak noise.

The wall is AMG6 aluminium-magnesium alloy, 1.9 mm thick: the Soyuz orbital module pressure shell is a
"0.19-cm-thick aluminum pressure shell (alloy AMG6)" (NASA/TM-2009-214785, §6, Table 6-1). The panel is
a 1.2 m x 1.0 m unrolled patch of the module wall; where on the real module the MS-09 hole was, in
wall coordinates, is not public, so the hole position here is simulated (and said to be).
"""

from __future__ import annotations

import pathlib

import numpy as np

from hullbreach.locate.lamb import material
from hullbreach.locate.localize import locate
from hullbreach.locate.report import crew_sentence, heard_title, plot_likelihood, source_lines
from hullbreach.locate.signals import equipment, leak, perimeter_sensors, simulate
from hullbreach.locate.wall import Equipment, Wall
from hullbreach.uncertain import Interval

#: Soyuz orbital module pressure-shell thickness [m] (NASA/TM-2009-214785 §6: 0.19 cm AMG6).
SOYUZ_OM_WALL_THICKNESS_M = 0.0019


def soyuz_om_panel() -> Wall:
    """A 1.2 m x 1.0 m unrolled AMG6 panel, 1.9 mm thick, with a cabin fan mounted on it."""
    return Wall(
        thickness_m=SOYUZ_OM_WALL_THICKNESS_M,
        width_m=1.2,
        height_m=1.0,
        material=material("amg6"),
        radius_m=1.1,
        name="Soyuz MS-09 orbital module wall panel (simulated)",
        equipment=(Equipment("cabin fan", 0.95, 0.25),),
    )


def run(out_dir: pathlib.Path, seed: int = 0) -> dict:
    """Simulate 8 wall sensors listening to a 2 mm-class hole, locate it, write the likelihood PNG."""
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wall = soyuz_om_panel()
    rng = np.random.default_rng(seed)
    hole = np.array([0.42, 0.61]) + rng.uniform(-0.05, 0.05, 2)
    sensors = perimeter_sensors(wall, 8, margin_m=0.05)
    fan = wall.equipment[0]
    rec = simulate(wall, sensors, [leak(hole), equipment((fan.x_m, fan.y_m), amplitude=10.0)],
                   fs_hz=1.0e6, duration_s=0.06, snr_db=0.0, seed=rng)
    res = locate(wall, rec)
    base = locate(wall, rec, method="gcc-phat")
    err = float(np.hypot(*(np.array(res.position_m) - hole))) if res.position_m is not None else float("nan")
    err_b = float(np.hypot(*(np.array(base.position_m) - hole))) if base.position_m is not None else float("nan")
    png = out_dir / "locate_likelihood.png"
    plot_likelihood(res, wall, rec, png, truth=hole)
    if res.position_m is None:
        x = y = r = float("nan")
    else:
        x, y = res.position_m
        r = res.uncertainty_radius_m
    heard = source_lines(res)
    lines = [
        f"Wall: {wall.width_m} x {wall.height_m} m AMG6 panel, {wall.thickness_m * 1000:.1f} mm (NASA TM-2009-214785 §6), "
        f"{rec.n_sensors} contact sensors, {rec.duration_s * 1e3:.0f} ms at {rec.fs_hz / 1e6:.0f} MHz, SNR 0 dB, cabin fan running",
        "[bold]" + crew_sentence(res) + "[/]",
        f"(simulated hole was {err * 1000:.1f} mm away; a single-speed GCC-PHAT search was off by {err_b * 1000:.0f} mm)",
        heard_title(res),
        *heard,
        f"Likelihood image: {png.name}",
    ]
    return {
        "title": "Where on the wall? (structure-borne ultrasound, A0 Lamb waves)",
        "lines": lines,
        "json": {
            "wall": wall.to_json(),
            "position_m": [x, y],
            "x_m": Interval(x, x - r, x + r).to_json(),
            "y_m": Interval(y, y - r, y + r).to_json(),
            "uncertainty_radius_m": r,
            "status": res.status,
            "message": res.message,
            "candidates": [c.to_json() for c in res.candidates],
            "calibration": res.calibration,
            "detection_threshold": float(res.noise_floor),
            "not_listed": int(res.not_listed),
            "simulated_hole_m": hole.tolist(),
            "error_m": err,
            "baseline_gcc_phat_error_m": err_b,
            "method": res.method,
            "elapsed_s": res.elapsed_s,
        },
        "files": [str(png)],
    }
