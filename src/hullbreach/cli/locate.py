"""``hullbreach locate``: where on the wall is the hole? (structure-borne ultrasound, A0 Lamb waves).

``hullbreach locate-plan``: where to put N sensors on a wall, and the expected accuracy over it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import (check_choice, check_input_file, check_output_path, check_range, console, make_parent,
                                   print_json, reading, styled)
from hullbreach.cli.progress import progress_bar
from hullbreach.errors import LocalizationError, WorkTooLargeError

#: Figure formats the plots can be written in.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: Largest wall side [m] and thickness [m] taken without --force: a module wall unrolled is at most tens of
#: metres (an ISS module is 4.5 m across, 14 m of circumference, at most ~10 m long) and its skin a few mm;
#: bigger values are almost always millimetres typed as metres, and the search grows with the wall's size.
MAX_WALL_SIDE_M = 50.0
MAX_WALL_THICKNESS_M = 0.05


def _load_wall(path: Path, force: bool):
    from hullbreach.locate.wall import load_wall

    check_input_file("--wall", path, error=LocalizationError)
    with reading(path, LocalizationError):
        w = load_wall(path)
    big = [f"{k} = {v:g} m" for k, v in (("width_m", w.width_m), ("height_m", w.height_m)) if v > MAX_WALL_SIDE_M]
    if w.thickness_m > MAX_WALL_THICKNESS_M:
        big.append(f"thickness_m = {w.thickness_m:g} m")
    if big and not force:
        raise WorkTooLargeError(f"{path}: {', '.join(big)} is larger than a spacecraft wall "
                                f"(sides up to {MAX_WALL_SIDE_M:g} m, skin up to {MAX_WALL_THICKNESS_M * 1e3:g} mm); "
                                f"the search over a {w.width_m:g} x {w.height_m:g} m wall would take minutes and GiB",
                                hint="are these millimetres? give metres, or add --force")
    return w


def _check_npz(path: Path) -> None:
    check_input_file("--signals", path, text=False, error=LocalizationError)
    with open(path, "rb") as fh:
        if fh.read(4) != b"PK\x03\x04":
            raise LocalizationError(f"--signals {path} is not a NumPy .npz archive",
                                    hint="save the recording with numpy.savez(path, fs_hz=..., sensor_positions_m=..., signals=...)")


def register(app: typer.Typer) -> None:
    """Add ``locate`` and ``locate-plan`` to the app."""

    @app.command("locate")
    def locate_cmd(
        wall: Path = typer.Option(..., "--wall", help="WALL.toml: thickness_m, width_m, height_m, material, optional stiffener and equipment tables."),
        signals: Path = typer.Option(..., "--signals", help="Recording .npz: fs_hz, sensor_positions_m (N x 2), signals (N x T)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON (position_m, uncertainty_radius_m, candidates)."),
        plot: Path | None = typer.Option(None, "--plot", help="Write the likelihood image over the wall to this PNG."),
        method: str = typer.Option("dispersive", "--method", help="dispersive (A0 matched field) or gcc-phat (baseline)."),
        band_low_hz: float = typer.Option(30e3, "--band-low-hz", help="Analysis band lower edge [Hz]."),
        band_high_hz: float = typer.Option(300e3, "--band-high-hz", help="Analysis band upper edge [Hz]."),
        max_leaks: int = typer.Option(3, "--max-leaks", help="Report at most this many distinct sources (besides known equipment)."),
        reference: Path | None = typer.Option(None, "--reference", help="A quiet recording (same sensors, no leak): sources heard in it are taken for equipment."),
        force: bool = typer.Option(False, "--force", help="Accept a wall larger than a spacecraft wall."),
    ) -> None:
        """Find every coherent source on the wall and say which is most likely the leak."""
        from hullbreach.locate.localize import locate
        from hullbreach.locate.ranking import depth_phrase
        from hullbreach.locate.report import crew_sentence, heard_title, plot_likelihood
        from hullbreach.locate.signals import load_recording

        check_choice("--method", method, ("dispersive", "gcc-phat"))
        check_range("--band-low-hz", band_low_hz, 1e3, 5e6, unit="Hz")
        check_range("--band-high-hz", band_high_hz, 1e3, 5e6, unit="Hz")
        if band_low_hz >= band_high_hz:
            raise LocalizationError(f"--band-low-hz {band_low_hz:g} must be below --band-high-hz {band_high_hz:g}")
        check_range("--max-leaks", max_leaks, 1, 20, hint="at least one candidate is reported")
        check_output_path("--plot", plot, suffixes=PLOT_SUFFIXES)
        w = _load_wall(wall, force)
        _check_npz(signals)
        rec = load_recording(signals)
        ref = load_recording(reference) if reference is not None else None
        res = locate(w, rec, method=method, band_hz=(band_low_hz, band_high_hz), max_sources=max_leaks,
                     reference=ref)
        payload = res.to_json()
        payload["wall"] = w.name
        if plot is not None:
            make_parent(plot)
            payload["plot"] = plot_likelihood(res, w, rec, plot)
        if json_out:
            print_json(payload)
            return
        console.print(styled((crew_sentence(res), "bold"), f" ({w.name})"))
        if res.position_m is not None:
            best = res.candidates[0]
            if res.status != "found":
                console.print("UNRELIABLE: " + res.message.removeprefix("unreliable: "))
            # the heading says what the listed places passed (the detection threshold) and how many weaker
            # peaks above it were counted but not listed (report.heard_title, as the demo prints it)
            table = Table("#", "x [m]", "y [m]", "95 % radius [mm]", "P(leak)", "power [dB]", "band [kHz]",
                          "leak-like", "kind", "source", title=heard_title(res).removesuffix(":"))
            for i, c in enumerate(res.candidates, 1):
                table.add_row(str(i), f"{c.position_m[0]:.3f}", f"{c.position_m[1]:.3f}",
                              f"{c.uncertainty_radius_m * 1000:.1f}", f"{c.probability:.2f}", f"{c.power_db:.1f}",
                              f"{c.band_hz[0] / 1e3:.0f}–{c.band_hz[1] / 1e3:.0f}", f"{c.leak_likelihood:.2f}",
                              c.kind + ("" if c.stationary else ", not stationary"), str(c.source + 1))
            console.print(table)
            # the listed probabilities leave the rest to a leak heard nowhere (ranking.unheard_chance)
            console.print(f"P(leak) of none of these: {res.unheard_probability:.2f} "
                          f"({depth_phrase(res.detection_depth_db)})")
            console.print("why the first: " + "; ".join(best.reasons))
        elif res.not_listed:  # nothing listed, yet peaks above the threshold were heard and set aside
            console.print(heard_title(res))
        passive = res.calibration.get("passive")
        if passive:
            sc = passive["a0_wavenumber_scale"]
            hh = passive["equivalent_thickness_m"]
            console.print(f"wall self-calibration: A0 wavenumber scale {sc['value']:.3f} ({sc['low']:.3f}–{sc['high']:.3f}), "
                          f"i.e. {hh['value'] * 1e3:.2f} mm ({hh['low'] * 1e3:.2f}–{hh['high'] * 1e3:.2f}) with the declared "
                          f"modulus (declared {w.thickness_m * 1e3:.2f} mm)")
        pc = res.calibration.get("pitch_catch")
        if pc:
            sc = pc["a0_wavenumber_scale"]
            console.print(f"pitch-catch calibration: A0 wavenumber scale {sc['value']:.3f} ({sc['low']:.3f}–{sc['high']:.3f}), "
                          f"{pc['pulsers']} pulsers")
        console.print(f"method {res.method}, band {res.band_hz[0] / 1e3:.0f}–{res.band_hz[1] / 1e3:.0f} kHz, "
                      f"detection threshold {res.noise_floor:.3f}, {rec.n_sensors} sensors, "
                      f"{rec.duration_s * 1e3:.0f} ms, {res.elapsed_s:.2f} s")
        if plot is not None:
            console.print(f"likelihood image: {payload['plot']}")

    @app.command("locate-plan")
    def plan_cmd(
        wall: Path = typer.Option(..., "--wall", help="WALL.toml of the wall to instrument."),
        sensors: int = typer.Option(8, "--sensors", help="Sensor budget."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
        plot: Path | None = typer.Option(None, "--plot", help="Write the coverage map to this PNG."),
        snr_db: float = typer.Option(0.0, "--snr-db", help="Expected per-sensor SNR at 1 m from the leak [dB]."),
        force: bool = typer.Option(False, "--force", help="Accept a wall larger than a spacecraft wall."),
    ) -> None:
        """Propose sensor positions for a wall and show the expected 95 % accuracy over it."""
        from hullbreach.locate.placement import plan_sensors, plot_coverage

        check_range("--sensors", sensors, 3, 64, hint="three sensors at least locate a point; the planner handles 64")
        check_range("--snr-db", snr_db, -40.0, 60.0, unit="dB",
                    hint="a leak's noise at 1 m is rarely above 40 dB over the structure's background")
        check_output_path("--plot", plot, suffixes=PLOT_SUFFIXES)
        w = _load_wall(wall, force)
        with progress_bar("planning sensor positions", total=sensors, unit="sensors", enabled=not json_out) as advance:
            plan = plan_sensors(w, sensors, snr_db=snr_db, progress=advance)
        payload = plan.to_json()
        if plot is not None:
            make_parent(plot)
            payload["plot"] = plot_coverage(plan, w, plot)
        if json_out:
            print_json(payload)
            return
        table = Table("#", "x [m]", "y [m]", title=f"{sensors} sensors on {w.name}")
        for i, (x, y) in enumerate(plan.sensor_positions_m, 1):
            table.add_row(str(i), f"{x:.3f}", f"{y:.3f}")
        console.print(table)
        console.print(f"expected 95 % radius over the wall: median {plan.median_radius_m * 1000:.1f} mm, "
                      f"90th percentile {plan.p90_radius_m * 1000:.1f} mm, worst {plan.max_radius_m * 1000:.1f} mm")
        if plot is not None:
            console.print(f"coverage map: {payload['plot']}")
