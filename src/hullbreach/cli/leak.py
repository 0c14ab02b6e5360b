"""``hullbreach size`` and ``hullbreach reserve``: from a rate or a hole to an effective hole and reserve time."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import List, Optional

import typer
from rich.table import Table

from hullbreach.cli.common import (check_choice, check_range, console, fmt_duration, fmt_duration_interval, fmt_interval,
                                   print_json, print_warning, styled)
from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_HOUR
from hullbreach.detect.estimate import LeakEstimate, estimate_from_hole, estimate_from_rate
from hullbreach.errors import HullbreachError, StationError
from hullbreach.station import Station, load_station


def resolve_zone(station: Station, zone: Optional[List[str]]) -> tuple[str, ...]:
    """The modules of the zone to analyse.

    ``None`` or empty: every module joined by open hatches to the largest zone of the station file (the
    whole station when all hatches are open). Otherwise exactly the modules named.
    """
    if zone:
        unknown = [m for m in zone if m not in station.modules]
        if unknown:
            raise StationError(f"unknown module(s) {', '.join(unknown)} in --zone for station {station.name!r}",
                               hint=f"modules are: {', '.join(station.modules)}")
        return tuple(dict.fromkeys(zone))
    biggest = max(station.zones(), key=station.zone_volume_m3)
    return tuple(m for m in station.modules if m in biggest)


def zone_temperature_k(station: Station, zone: tuple[str, ...]) -> float:
    """Volume-weighted mean of the modules' nominal temperatures [K]."""
    v = [station.modules[m].volume_m3 for m in zone]
    t = [station.modules[m].temperature_k for m in zone]
    return sum(a * b for a, b in zip(v, t)) / sum(v)


#: One-sigma relative uncertainty assumed for a rate given without one [-]: a rate read off a display or a
#: report is rarely better than one significant figure in its second digit (estimate, stated as such).
DEFAULT_RATE_REL_STD = 0.10


#: Physical ranges of the options [their units]. Above 1e5 mmHg/h (28 mmHg/s) a cabin empties in under a
#: minute, far beyond the fastest depressurisation on record (Soyuz 11, about 2 min), and the slow-leak
#: orifice model no longer holds; a rate that high is almost always a unit slip (Pa/s, mmHg/s).
RATE_MMHG_PER_H_MAX = 1e5
#: Cabin pressures [mmHg]: crewed cabins run at 0.3-1.05 atm; 1500 mmHg (2 atm) bounds any typo-free value.
PRESSURE_MMHG_MAX = 1500.0
#: Holes [mm]: 1 m is the size of a hatch; beyond it the zone is simply open to space.
HOLE_DIAMETER_MM_MAX = 1000.0


def _rate_std(rate: float, std: Optional[float]) -> float:
    if std is None:
        return DEFAULT_RATE_REL_STD * rate
    check_range("--rate-std-mmhg-per-h", std, 0.0, RATE_MMHG_PER_H_MAX, unit="mmHg/h")
    return std


def _check_rate_and_pressure(rate: Optional[float], pressure_mmhg: Optional[float]) -> None:
    check_range("--rate-mmhg-per-h", rate, 0.0, RATE_MMHG_PER_H_MAX, unit="mmHg/h", low_open=True,
                hint="a leak rate is positive; is the unit mmHg per hour?")
    check_range("--pressure-mmhg", pressure_mmhg, 0.0, PRESSURE_MMHG_MAX, unit="mmHg", low_open=True,
                hint="cabin pressure in mmHg (760 mmHg = 14.7 psi = 101.3 kPa)")


def _below_limit(pressure_pa: float, station: Station) -> str | None:
    """A sentence when the pressure is already at or below the evacuation limit, else None."""
    if pressure_pa > station.evacuation_pressure_pa:
        return None
    p = pressure_pa / PA_PER_MMHG
    lim = station.evacuation_pressure_pa / PA_PER_MMHG
    psi = f"; {p:g} looks like psi ({p * 51.715:.0f} mmHg)" if p <= 20 else ""
    return f"--pressure-mmhg {p:g} is already at or below the evacuation limit of {lim:.0f} mmHg{psi}"


def _iso_after(start: datetime, seconds: float) -> str | None:
    """``start + seconds`` as ISO 8601 UTC, or None when infinite or past the calendar (year 9999)."""
    if not math.isfinite(seconds) or seconds > 3e11:
        return None
    try:
        return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError):
        return None


def _render(est: LeakEstimate, station: Station, title: str, start: datetime | None = None) -> None:
    t = Table(title=title, show_header=True, header_style="bold")
    t.add_column("quantity")
    t.add_column("estimate [95 % interval]")
    zone_txt = ", ".join(est.zone) if len(est.zone) <= 6 else f"{len(est.zone)} modules"
    t.add_row("zone", f"{zone_txt} ({est.volume_m3:.1f} m³)")
    t.add_row("pressure now", f"{est.pressure_pa / PA_PER_MMHG:.1f} mmHg")
    t.add_row("pressure rate", fmt_interval(est.pressure_rate_pa_s, "{:.3g}", SECONDS_PER_HOUR / PA_PER_MMHG, "mmHg/h"))
    t.add_row("leak mass flow", fmt_interval(est.leak_mass_flow_kg_s, "{:.3g}", 86400.0, "kg/day"))
    t.add_row("effective hole (ideal orifice, Cd=1)", fmt_interval(est.effective_hole_diameter_m, "{:.2f}", 1e3, "mm"))
    t.add_row("physical hole", fmt_interval(est.physical_hole_diameter_m, "{:.2f}", 1e3, "mm"))
    t.add_row(f"reserve time to {est.threshold_pressure_pa / PA_PER_MMHG:.0f} mmHg", fmt_duration_interval(est.reserve_time_s))
    if start is not None and math.isfinite(est.reserve_time_s.estimate):
        when = _iso_after(start, est.reserve_time_s.estimate)
        t.add_row("threshold reached at", when.replace("T", " ").replace(":00Z", " UTC") if when else "after the year 9999")
    t.add_row("assumes", est.reserve_model)
    console.print(t)
    for n in est.notes:
        console.print(styled("  ", (str(n), "dim")))


def _payload(est: LeakEstimate, station: Station, start: datetime, assumption: str) -> dict:
    out = est.to_json()
    out["station"] = station.name
    out["assumption"] = assumption
    out["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    r = est.reserve_time_s
    out["threshold_time"] = _iso_after(start, r.estimate)
    out["threshold_time_low"] = _iso_after(start, r.low)
    out["threshold_time_high"] = _iso_after(start, r.high)
    return out


def _start(at: Optional[str]) -> datetime:
    if not at:
        return datetime.now(timezone.utc).replace(microsecond=0)
    try:
        t = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        raise HullbreachError(f"--at {at!r} is not an ISO 8601 time", hint="e.g. 2018-08-30T06:00:00Z") from None
    if t.tzinfo is None:
        raise HullbreachError(f"--at {at!r} has no time zone", hint="add Z for UTC")
    return t.astimezone(timezone.utc)


def register(app: typer.Typer) -> None:
    """Add ``size`` and ``reserve``."""

    @app.command("size")
    def size(
        station: str = typer.Argument(..., help="Built-in station name or station TOML path."),
        rate_mmhg_per_h: float = typer.Option(..., "--rate-mmhg-per-h", help="Measured rate of pressure loss [mmHg/h], positive."),
        rate_std_mmhg_per_h: Optional[float] = typer.Option(None, "--rate-std-mmhg-per-h", help="One-sigma uncertainty of the rate [mmHg/h]; default 10 % of the rate."),
        pressure_mmhg: Optional[float] = typer.Option(None, "--pressure-mmhg", help="Pressure now [mmHg]; default: the station's nominal."),
        zone: Optional[List[str]] = typer.Option(None, "--zone", help="Module id in the leaking zone (repeat); default: the whole station."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON (docs/design.md §3.3)."),
    ) -> None:
        """Leak rate -> leak mass flow and effective hole size, with 95 % intervals."""
        _check_rate_and_pressure(rate_mmhg_per_h, pressure_mmhg)
        std = _rate_std(rate_mmhg_per_h, rate_std_mmhg_per_h)
        st = load_station(station)
        z = resolve_zone(st, zone)
        p = st.nominal_pressure_pa if pressure_mmhg is None else pressure_mmhg * PA_PER_MMHG
        below = _below_limit(p, st)
        est = estimate_from_rate(
            zone=z, volume_m3=st.zone_volume_m3(z), pressure_pa=p, temperature_k=zone_temperature_k(st, z),
            loss_rate_pa_s=rate_mmhg_per_h * PA_PER_MMHG / SECONDS_PER_HOUR,
            loss_rate_std_pa_s=std * PA_PER_MMHG / SECONDS_PER_HOUR,
            threshold_pa=st.evacuation_pressure_pa)
        if json_out:
            out = _payload(est, st, _start(None), "constant-rate")
            if below:
                out["warnings"] = [below]
            print_json(out)
            return
        if below:
            print_warning(below)
        _render(est, st, f"{st.name}: leak of {rate_mmhg_per_h:g} mmHg/h")

    @app.command("reserve")
    def reserve(
        station: str = typer.Argument(..., help="Built-in station name or station TOML path."),
        rate_mmhg_per_h: Optional[float] = typer.Option(None, "--rate-mmhg-per-h", help="Measured rate of pressure loss [mmHg/h]."),
        rate_std_mmhg_per_h: Optional[float] = typer.Option(None, "--rate-std-mmhg-per-h", help="One-sigma uncertainty of the rate [mmHg/h]; default 10 % of the rate."),
        hole_diameter_mm: Optional[float] = typer.Option(None, "--hole-diameter-mm", help="Physical hole diameter [mm] (instead of a rate)."),
        discharge_coefficient: Optional[float] = typer.Option(None, "--discharge-coefficient", help="Cd of the hole; default unknown in 0.6-0.9."),
        pressure_mmhg: Optional[float] = typer.Option(None, "--pressure-mmhg", help="Pressure now [mmHg]; default: the station's nominal."),
        zone: Optional[List[str]] = typer.Option(None, "--zone", help="Module id in the leaking zone (repeat); default: the whole station."),
        model: Optional[str] = typer.Option(None, "--model", help="constant-rate (default with a rate) or constant-hole (default with a hole)."),
        thermo: str = typer.Option("isothermal", "--thermo", help="isothermal (slow leaks) or adiabatic (fast venting); hole only."),
        at: Optional[str] = typer.Option(None, "--at", help="Time the pressure was measured (ISO 8601 UTC); default now."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON (docs/design.md §3.3)."),
    ) -> None:
        """Reserve time: how long until the zone reaches the evacuation pressure, with its interval."""
        if (rate_mmhg_per_h is None) == (hole_diameter_mm is None):
            raise HullbreachError("give exactly one of --rate-mmhg-per-h or --hole-diameter-mm")
        _check_rate_and_pressure(rate_mmhg_per_h, pressure_mmhg)
        check_range("--hole-diameter-mm", hole_diameter_mm, 0.0, HOLE_DIAMETER_MM_MAX, unit="mm", low_open=True)
        check_range("--discharge-coefficient", discharge_coefficient, 0.0, 1.0, low_open=True)
        if rate_mmhg_per_h is not None:
            _rate_std(rate_mmhg_per_h, rate_std_mmhg_per_h)
        if model is not None:
            check_choice("--model", model, ("constant-rate", "constant-hole"))
        check_choice("--thermo", thermo, ("isothermal", "adiabatic"))
        start = _start(at)
        st = load_station(station)
        z = resolve_zone(st, zone)
        p = st.nominal_pressure_pa if pressure_mmhg is None else pressure_mmhg * PA_PER_MMHG
        below = _below_limit(p, st)
        if below:
            raise HullbreachError(f"no reserve time: {below}", hint="give the cabin pressure now, in mmHg")
        common = dict(zone=z, volume_m3=st.zone_volume_m3(z), pressure_pa=p,
                      temperature_k=zone_temperature_k(st, z), threshold_pa=st.evacuation_pressure_pa)
        if rate_mmhg_per_h is not None:
            est = estimate_from_rate(**common, loss_rate_pa_s=rate_mmhg_per_h * PA_PER_MMHG / SECONDS_PER_HOUR,
                                     loss_rate_std_pa_s=_rate_std(rate_mmhg_per_h, rate_std_mmhg_per_h) * PA_PER_MMHG / SECONDS_PER_HOUR,
                                     reserve_model=model or "constant-rate")
            assumption = est.reserve_model
        else:
            if model == "constant-rate":
                raise HullbreachError("with --hole-diameter-mm the reserve time is for a constant hole",
                                      hint="drop --model or give a rate instead")
            est = estimate_from_hole(**common, diameter_m=hole_diameter_mm * 1e-3,
                                     discharge_coefficient=discharge_coefficient, thermo=thermo)
            assumption = f"constant-hole ({thermo})"
        if json_out:
            print_json(_payload(est, st, start, assumption))
            return
        _render(est, st, f"{st.name}: reserve time", start)
        console.print(styled((f"Reserve time {fmt_duration(est.reserve_time_s.estimate)}", "bold"),
                             f" (95 %: {fmt_duration(est.reserve_time_s.low)} to {fmt_duration(est.reserve_time_s.high)}), "
                             f"assuming a {assumption}."))
