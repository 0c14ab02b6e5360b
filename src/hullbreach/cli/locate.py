"""``hullbreach locate``: where on the wall is the hole? (structure-borne ultrasound, A0 Lamb waves).

``hullbreach locate-plan``: where to put N sensors on a wall, and the expected accuracy over it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import console, print_json


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
    ) -> None:
        """Find every coherent source on the wall and say which is most likely the leak."""
        from rich.markup import escape

        from hullbreach.locate.localize import locate, plot_likelihood
        from hullbreach.locate.signals import load_recording
        from hullbreach.locate.wall import load_wall

        w = load_wall(wall)
        rec = load_recording(signals)
        ref = load_recording(reference) if reference is not None else None
        res = locate(w, rec, method=method, band_hz=(band_low_hz, band_high_hz), max_sources=max_leaks,
                     reference=ref)
        payload = res.to_json()
        payload["wall"] = w.name
        if plot is not None:
            payload["plot"] = plot_likelihood(res, w, rec, plot)
        if json_out:
            print_json(payload)
            return
        if res.position_m is None:
            console.print(f"[bold]No source found[/] on {escape(w.name)}: {escape(res.message)}")
        else:
            x, y = res.position_m
            best = res.candidates[0]
            label = "Leak" if res.status == "found" else "Most likely leak (UNRELIABLE)"
            if best.kind != "leak":
                label = "Strongest source is at known equipment (UNRELIABLE)"
            console.print(f"[bold]{label}[/] at x = {x:.3f} m, y = {y:.3f} m on {escape(w.name)} "
                          f"(95 % within {res.uncertainty_radius_m * 1000:.1f} mm, probability {best.probability:.0%})")
            if res.status != "found":
                console.print(escape(res.message))
            table = Table("#", "x [m]", "y [m]", "95 % radius [mm]", "P(leak)", "power [dB]", "band [kHz]",
                          "leak-like", "kind", "source", title="every source heard")
            for i, c in enumerate(res.candidates, 1):
                table.add_row(str(i), f"{c.position_m[0]:.3f}", f"{c.position_m[1]:.3f}",
                              f"{c.uncertainty_radius_m * 1000:.1f}", f"{c.probability:.2f}", f"{c.power_db:.1f}",
                              f"{c.band_hz[0] / 1e3:.0f}–{c.band_hz[1] / 1e3:.0f}", f"{c.leak_likelihood:.2f}",
                              c.kind + ("" if c.stationary else ", not stationary"), str(c.source + 1))
            console.print(table)
            console.print("why the first: " + escape("; ".join(best.reasons)))
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
            console.print(f"likelihood image: {escape(str(payload['plot']))}")

    @app.command("locate-plan")
    def plan_cmd(
        wall: Path = typer.Option(..., "--wall", help="WALL.toml of the wall to instrument."),
        sensors: int = typer.Option(8, "--sensors", help="Sensor budget."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
        plot: Path | None = typer.Option(None, "--plot", help="Write the coverage map to this PNG."),
        snr_db: float = typer.Option(0.0, "--snr-db", help="Expected per-sensor SNR at 1 m from the leak [dB]."),
    ) -> None:
        """Propose sensor positions for a wall and show the expected 95 % accuracy over it."""
        from hullbreach.locate.placement import plan_sensors, plot_coverage
        from hullbreach.locate.wall import load_wall

        w = load_wall(wall)
        plan = plan_sensors(w, sensors, snr_db=snr_db)
        payload = plan.to_json()
        if plot is not None:
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
