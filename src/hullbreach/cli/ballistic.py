"""``hullbreach ballistic``: critical particle diameter of a wall (NASA MMOD handbook ballistic limit equations)."""

from __future__ import annotations

import math

import typer

from hullbreach.cli.common import check_choice, check_range, console, print_json, print_warning, styled
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
WALLS = ("single-wall", "whipple", "soyuz-om", "soyuz-om-toughened")


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
        if json_out:
            print_json(out)
            return
        console.print(styled(f"critical diameter: {dc * 1e3:.4g} mm ({wall}, {speed_km_s:g} km/s, {angle_deg:g} deg, "
                             f"{density:g} g/cm³)", ("  UNVALIDATED" if notes else "", "bold red")))
        for n in notes:
            print_warning(n)
