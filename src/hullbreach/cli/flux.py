"""``hullbreach flux``: meteoroid (Grün/ECSS) and orbital-debris (NASA MMOD handbook) cumulative fluxes."""

from __future__ import annotations

import typer

from hullbreach.cli.common import check_choice, check_range, console, print_json, print_warning
from hullbreach.errors import PhysicsError

#: Debris tables of NASA/TM-2009-214785: altitudes 300-1500 km (Table 2-3, p. 19), years 2002-2023
#: (Table 2-4, p. 20), inclinations 0-98 deg (Table 2-5, p. 20). ORDEM2000 itself covers LEO up to 2000 km.
TABLE_ALTITUDE_KM = (300.0, 1500.0)
TABLE_YEARS = (2002.0, 2023.0)
TABLE_INCLINATION_DEG = (0.0, 98.0)
SURFACES = ("random", "ram", "wake", "port", "starboard", "zenith", "nadir")


def register(app: typer.Typer) -> None:
    @app.command("flux")
    def flux_cmd(
        mass_kg: float = typer.Option(..., "--mass-kg", help="Particle mass [kg]; flux of particles this heavy or heavier."),
        altitude_km: float = typer.Option(None, "--altitude-km", help="Orbit altitude [km]; omit for unshielded 1 AU."),
        year: float = typer.Option(2018.0, "--year", help="Debris epoch (handbook Table 2-4 years 2002-2023)."),
        inclination_deg: float = typer.Option(51.6, "--inclination-deg", help="Orbit inclination [deg] (debris)."),
        surface: str = typer.Option("random", "--surface", help="random, ram, wake, port, starboard, zenith, nadir."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Cumulative meteoroid flux (and debris flux for the equivalent aluminium sphere with --altitude-km)."""
        from hullbreach.cause import flux

        check_range("--mass-kg", mass_kg, 0.0, 1e3, unit="kg", low_open=True, hint="for example --mass-kg 1e-9")
        check_range("--altitude-km", altitude_km, 150.0, 2000.0, unit="km",
                    hint="the debris model (ORDEM2000 via the handbook tables) is for low Earth orbit, 150-2000 km; "
                         "omit --altitude-km for interplanetary space at 1 AU")
        check_range("--year", year, 1957.0, 2100.0, hint="the debris epoch, e.g. 2018")
        check_range("--inclination-deg", inclination_deg, 0.0, 180.0, unit="deg")
        check_choice("--surface", surface, SURFACES)
        if altitude_km is None and surface != "random":
            raise PhysicsError("--surface needs --altitude-km",
                               hint="face ratios come from the handbook's 400 km table; omit --surface at 1 AU")
        alt_m = None if altitude_km is None else altitude_km * 1e3
        out = {"mass_kg": mass_kg,
               "meteoroid_flux_m2_s": flux.meteoroid_flux_m2_s(mass_kg, alt_m, surface),
               "meteoroid_model": "Grün et al. 1985, ECSS-E-ST-10-04C eq. (101)"
               + ("" if alt_m is None else ", x gravitational focusing x Earth shielding (ECSS Annex C.1.3, SSP 30425)")}
        if alt_m is not None:
            d = float(flux.debris_diameter_from_mass_m(mass_kg))
            out.update({
                "altitude_km": altitude_km,
                "gravitational_focusing_factor": flux.gravitational_focusing_factor(alt_m),
                "earth_shielding_factor": flux.earth_shielding_factor(alt_m),
                "debris_equivalent_diameter_m": d,
                "debris_flux_m2_s": flux.debris_flux_m2_s(d, year, alt_m, inclination_deg, surface),
                "debris_model": "ORDEM2000 via NASA/TM-2009-214785 Tables 2-2..2-5, log-log size interpolation",
                "debris_extrapolated": not (1e-4 <= d <= 1e-2),
            })
            why = []
            if not (1e-4 <= d <= 1e-2):
                why.append("size outside the handbook's 0.1 mm - 1 cm nodes")
            if not TABLE_ALTITUDE_KM[0] <= altitude_km <= TABLE_ALTITUDE_KM[1]:
                why.append(f"altitude outside the handbook's {TABLE_ALTITUDE_KM[0]:g}-{TABLE_ALTITUDE_KM[1]:g} km (Table 2-3)")
            if not TABLE_YEARS[0] <= year <= TABLE_YEARS[1]:
                why.append(f"year outside the handbook's {TABLE_YEARS[0]:g}-{TABLE_YEARS[1]:g} (Table 2-4)")
            if not TABLE_INCLINATION_DEG[0] <= inclination_deg <= TABLE_INCLINATION_DEG[1]:
                why.append("inclination outside the handbook's 0-98 deg (Table 2-5)")
            out["debris_extrapolated"] = bool(why)
            out["warnings"] = [f"debris flux extrapolated: {w}" for w in why]
        out["per_m2_per_year"] = {k.replace("_m2_s", "_m2_yr"): v * flux.SECONDS_PER_YEAR
                                  for k, v in out.items() if k.endswith("_flux_m2_s")}
        if json_out:
            print_json(out)
            return
        console.print(f"meteoroid flux (mass >= {mass_kg:g} kg): {out['meteoroid_flux_m2_s']:.4g} /m²/s "
                      f"({out['per_m2_per_year']['meteoroid_flux_m2_yr']:.4g} /m²/yr)")
        if alt_m is not None:
            console.print(f"debris flux (Al sphere >= {out['debris_equivalent_diameter_m'] * 1e3:.3g} mm): "
                          f"{out['debris_flux_m2_s']:.4g} /m²/s ({out['per_m2_per_year']['debris_flux_m2_yr']:.4g} /m²/yr)")
            for w in out["warnings"]:
                print_warning(w)
