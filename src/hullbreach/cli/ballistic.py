"""``hullbreach ballistic``: critical particle diameter of a wall (NASA MMOD handbook ballistic limit equations)."""

from __future__ import annotations

import math
from pathlib import Path

import typer

from hullbreach.cli.common import console, err_console, print_json
from hullbreach.errors import PhysicsError


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

        if not (0.0 <= angle_deg <= 90.0):
            raise PhysicsError(f"--angle-deg must be within 0-90, got {angle_deg}")
        if thickness_mm is not None and not thickness_mm > 0:
            raise PhysicsError(f"--thickness-mm must be > 0, got {thickness_mm}")
        w = b.make_wall(wall, None if thickness_mm is None else thickness_mm * 1e-3)
        th = math.radians(angle_deg)
        dc = b.critical_diameter_m(w, speed_km_s * 1e3, th, density * 1e3)
        notes = b.validity(w, speed_km_s * 1e3)
        out = {"wall": wall, "speed_km_s": speed_km_s, "angle_deg": angle_deg,
               "projectile_density_g_cm3": density, "critical_diameter_m": dc,
               "validated": not notes, "warnings": notes}
        if isinstance(w, b.WhippleShield):
            out["regime"] = b.whipple_regime(speed_km_s * 1e3, th)
        hole = b.hole_diameter_m(dc)
        out["hole_diameter_at_limit_m"] = hole
        if diameter_mm is not None:
            out["probabilistic"] = _probabilistic(w, diameter_mm, speed_km_s, th, density)
        if json_out:
            print_json(out)
            return
        console.print(f"critical diameter: {dc * 1e3:.4g} mm ({wall}, {speed_km_s:g} km/s, {angle_deg:g} deg, "
                      f"{density:g} g/cm³)" + ("  [bold red]UNVALIDATED[/]" if notes else ""))
        if diameter_mm is not None:
            pr = out["probabilistic"]
            iv = pr["p_perforation"]
            console.print(f"P(perforation) of a {diameter_mm:g} mm particle: {iv.estimate:.3g} "
                          f"[95 %: {iv.low:.3g} – {iv.high:.3g}]; median threshold "
                          f"{pr['median_threshold_diameter_m'] * 1e3:.3g} mm ({pr['model']}"
                          + ("; beyond the fastest shot: wider band" if pr["extrapolated_beyond_shots"] else "") + ")",
                          markup=False)
        for n in notes:
            err_console.print(f"[yellow]warning:[/] {n}")


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
