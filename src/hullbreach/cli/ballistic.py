"""``hullbreach ballistic``: critical particle diameter of a wall (NASA MMOD handbook ballistic limit equations)."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from hullbreach.cli.common import check_choice, check_range, console, err_console, print_json, print_warning, styled
from hullbreach.errors import PhysicsError

#: Fastest impact on a body in Earth orbit [km/s]: meteoroids arrive at 11-72 km/s (NASA/TM-2009-214785
#: §2.6.1, p. 20). Faster is not a physical input.
MAX_SPEED_KM_S = 72.0
#: Fastest tests behind the equations [km/s]: two-stage light-gas guns reach 7 km/s and "other techniques"
#: a little over 10 km/s (NASA/TM-2009-214785 §2.5, p. 13); above, every equation is an extrapolation.
TESTED_SPEED_KM_S = 10.0
#: Most oblique impact the equations cover [deg]: above 65 deg the handbook sets the critical size to the
#: 65 deg value for want of data (NASA/TM-2009-214785 eq. 4-26 and §4.2.2).
TESTED_ANGLE_DEG = 65.0
WALLS = ("single-wall", "whipple", "stuffed-whipple", "soyuz-om", "soyuz-om-toughened")


def register(app: typer.Typer) -> None:
    @app.command("ballistic")
    def ballistic_cmd(
        wall: str = typer.Option(None, "--wall", help="single-wall, whipple, stuffed-whipple, soyuz-om or "
                                 "soyuz-om-toughened (needed unless --shots)."),
        speed_km_s: float = typer.Option(None, "--speed-km-s", help="Impact speed [km/s] (needed unless --shots)."),
        angle_deg: float = typer.Option(0.0, "--angle-deg", help="Impact angle from the surface normal [deg]."),
        thickness_mm: float = typer.Option(None, "--thickness-mm", help="(Rear) wall thickness [mm]."),
        density: float = typer.Option(2.8, "--projectile-density-g-cm3", help="Projectile density [g/cm³] (2.8 = aluminium)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
        shots: Path = typer.Option(None, "--shots", help="Score a pyBLOSSUM shot file (row 1 names, row 2 units; "
                                   "Whipple or stuffed-Whipple columns): P(perforation) per row, and accuracy, "
                                   "Brier and non-conservative rate if it has perforated_class."),
        strict: bool = typer.Option(False, "--strict", help="With --shots: stop at the first bad row (file, line, "
                                    "column) instead of skipping and counting it."),
        diameter_mm: float = typer.Option(None, "--diameter-mm", help="Projectile diameter [mm]: also report "
                                          "P(perforation) from the probabilistic limit."),
    ) -> None:
        """Smallest particle that perforates the wall (handbook eqs. 4-6, 4-23..4-26, 4-48..4-50, 6-2..6-7),
        or P(perforation) for a shot file (--shots) or a particle (--diameter-mm)."""
        from hullbreach.cause import ballistic as b

        if shots is not None:
            _shots(shots, strict, json_out)
            return
        if wall is None or speed_km_s is None:
            raise PhysicsError("give --wall and --speed-km-s (or --shots FILE.csv)",
                               hint="e.g. hullbreach ballistic --wall soyuz-om --speed-km-s 7")

        check_choice("--wall", wall, WALLS)
        check_range("--speed-km-s", speed_km_s, 0.0, MAX_SPEED_KM_S, unit="km/s", low_open=True,
                    hint="meteoroids hit at 11-72 km/s, orbital debris at about 9 km/s on average")
        check_range("--angle-deg", angle_deg, 0.0, 90.0, unit="deg")
        if angle_deg == 90.0:
            raise PhysicsError("--angle-deg 90 is a grazing impact: nothing perforates", hint="use an angle below 90 deg")
        check_range("--thickness-mm", thickness_mm, 0.0, 100.0, unit="mm", low_open=True)
        check_range("--projectile-density-g-cm3", density, 0.0, 25.0, unit="g/cm³", low_open=True,
                    hint="aluminium 2.8, steel 7.9, meteoroids 0.5-3")
        w = b.make_wall(wall, None if thickness_mm is None else thickness_mm * 1e-3)
        th = math.radians(angle_deg)
        dc = b.critical_diameter_m(w, speed_km_s * 1e3, th, density * 1e3)
        notes = list(b.validity(w, speed_km_s * 1e3))
        if speed_km_s > TESTED_SPEED_KM_S:
            notes.append(f"{speed_km_s:g} km/s is faster than any test behind the equations (light-gas guns reach "
                         "7 km/s, other launchers a little over 10 km/s; NASA/TM-2009-214785 §2.5): extrapolated")
        if angle_deg > TESTED_ANGLE_DEG:
            notes.append(f"{angle_deg:g} deg is more oblique than the tests behind the equations (the handbook caps "
                         "Whipple shields at 65 deg, eq. 4-26): extrapolated")
        out = {"wall": wall, "speed_km_s": speed_km_s, "angle_deg": angle_deg,
               "projectile_density_g_cm3": density, "critical_diameter_m": dc,
               "validated": not notes, "extrapolated": bool(notes), "warnings": notes}
        if isinstance(w, b.WhippleShield):
            out["regime"] = b.whipple_regime(speed_km_s * 1e3, th)
        hole = b.hole_diameter_m(dc)
        out["hole_diameter_at_limit_m"] = hole
        if diameter_mm is not None:
            out["probabilistic"] = _probabilistic(w, diameter_mm, speed_km_s, th, density)
        if json_out:
            print_json(out)
            return
        console.print(styled(f"critical diameter: {dc * 1e3:.4g} mm ({wall}, {speed_km_s:g} km/s, {angle_deg:g} deg, "
                             f"{density:g} g/cm³)", ("  UNVALIDATED" if notes else "", "bold red")))
        if diameter_mm is not None:
            pr = out["probabilistic"]
            iv = pr["p_perforation"]
            console.print(f"P(perforation) of a {diameter_mm:g} mm particle: {iv.estimate:.3g} "
                          f"[95 %: {iv.low:.3g} – {iv.high:.3g}]; median threshold "
                          f"{pr['median_threshold_diameter_m'] * 1e3:.3g} mm ({pr['model']}"
                          + ("; beyond the fastest shot: wider band" if pr["extrapolated_beyond_shots"] else "") + ")",
                          markup=False)
        for n in notes:
            print_warning(n)


def _probabilistic(wall, diameter_mm: float, speed_km_s: float, angle_rad: float, density_g_cm3: float) -> dict:
    from hullbreach.cause import perforation as pf

    if not (math.isfinite(diameter_mm) and diameter_mm > 0):
        raise PhysicsError(f"--diameter-mm must be > 0, got {diameter_mm}")
    model = pf.load_model(pf.family_of(wall))
    pp = pf.perforation_probability(wall, diameter_mm * 1e-3, speed_km_s * 1e3, angle_rad, density_g_cm3 * 1e3, model)
    m, s = pf.threshold(model, wall, speed_km_s * 1e3, angle_rad, density_g_cm3 * 1e3)
    src = ("fitted on real shots" if model.family != "transfer" else
           "no shots for this wall: Whipple-shot scatter transferred, wider band")
    return {"p_perforation": pp.interval(), "median_threshold_diameter_m": float(math.exp(float(m[0]) - s * model.shift)),
            "sigma_ln_d": s, "extrapolated_beyond_shots": bool(pp.extrapolated[0]),
            "model": f"{model.family} model, {src}"}


def _shots(path: Path, strict: bool, json_out: bool) -> None:
    from hullbreach.cause.perforation import score_shots
    from hullbreach.cause.shots import read_shots

    res = score_shots(read_shots(path, strict=strict))
    if json_out:
        print_json(res)
        return
    console.print(f"{res['file']}: {res['n_shots']} {res['shield']} shots scored, {res['skipped']} skipped",
                  markup=False)
    for sk in res["skipped_rows"][:10]:
        err_console.print(f"  skipped line {sk['line']} ({sk['column']}): {sk['reason']}", markup=False)
    if "accuracy" in res:
        ble = res["ble"]
        console.print(f"probabilistic limit: accuracy {res['accuracy']:.3f}, Brier {res['brier']:.3f}, "
                      f"non-conservative rate {res['non_conservative_rate']:.3f}", markup=False)
        console.print(f"handbook BLE:        accuracy {ble['accuracy']:.3f}, Brier {ble['brier']:.3f}, "
                      f"non-conservative rate {ble['non_conservative_rate']:.3f}", markup=False)
    rows = res["predictions"]
    for p in rows[:20]:
        console.print(f"  row {p['row']:5d}  P(perforation) {p['p_perforation']:.3f} "
                      f"[{p['p_perforation_95'][0]:.3f}, {p['p_perforation_95'][1]:.3f}]  "
                      f"BLE: {'perforates' if p['ble_perforates'] else 'holds'}", markup=False)
    if len(rows) > 20:
        console.print(f"  ... {len(rows) - 20} more rows (use --json for all)", markup=False)
