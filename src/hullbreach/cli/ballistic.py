"""``hullbreach ballistic``: critical particle diameter of a wall (NASA MMOD handbook ballistic limit equations)."""

from __future__ import annotations

import math

import typer

from hullbreach.cli.common import console, print_json, print_warning, styled
from hullbreach.errors import PhysicsError


def register(app: typer.Typer) -> None:
    @app.command("ballistic")
    def ballistic_cmd(
        wall: str = typer.Option(..., "--wall", help="single-wall, whipple, soyuz-om or soyuz-om-toughened."),
        speed_km_s: float = typer.Option(..., "--speed-km-s", help="Impact speed [km/s]."),
        angle_deg: float = typer.Option(0.0, "--angle-deg", help="Impact angle from the surface normal [deg]."),
        thickness_mm: float = typer.Option(None, "--thickness-mm", help="(Rear) wall thickness [mm]."),
        density: float = typer.Option(2.8, "--projectile-density-g-cm3", help="Projectile density [g/cm³] (2.8 = aluminium)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Smallest particle that perforates the wall (handbook eqs. 4-6, 4-23..4-26, 6-2..6-7)."""
        from hullbreach.cause import ballistic as b

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
        if json_out:
            print_json(out)
            return
        console.print(styled(f"critical diameter: {dc * 1e3:.4g} mm ({wall}, {speed_km_s:g} km/s, {angle_deg:g} deg, "
                             f"{density:g} g/cm³)", ("  UNVALIDATED" if notes else "", "bold red")))
        for n in notes:
            print_warning(n)
