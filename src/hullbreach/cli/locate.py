"""``hullbreach locate``: where on the wall is the hole? (structure-borne ultrasound, A0 Lamb waves).

``hullbreach locate-plan``: where to put N sensors on a wall, and the expected accuracy over it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import console, print_json, styled


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
        max_leaks: int = typer.Option(3, "--max-leaks", help="Report at most this many leak candidates."),
    ) -> None:
        """Locate the leak on the wall from simultaneous sensor recordings of its noise."""
        from hullbreach.locate.localize import locate, plot_likelihood
        from hullbreach.locate.signals import load_recording
        from hullbreach.locate.wall import load_wall

        w = load_wall(wall)
        rec = load_recording(signals)
        res = locate(w, rec, method=method, band_hz=(band_low_hz, band_high_hz), max_sources=max_leaks)
        payload = res.to_json()
        payload["wall"] = w.name
        if plot is not None:
            payload["plot"] = plot_likelihood(res, w, rec, plot)
        if json_out:
            print_json(payload)
            return
        x, y = res.position_m
        top = res.candidates[0]
        label = "Leak" if top.kind == "leak" else "Strongest source (at known equipment — no other leak found)"
        console.print(styled((label, "bold"), f" at x = {x:.3f} m, y = {y:.3f} m on {w.name} "
                             f"(95 % within {res.uncertainty_radius_m * 1000:.1f} mm)"))
        table = Table("#", "x [m]", "y [m]", "95 % radius [mm]", "score", "kind", title="candidates")
        for i, c in enumerate(res.candidates, 1):
            table.add_row(str(i), f"{c.position_m[0]:.3f}", f"{c.position_m[1]:.3f}",
                          f"{c.uncertainty_radius_m * 1000:.1f}", f"{c.score:.3f}", c.kind)
        console.print(table)
        console.print(f"method {res.method}, band {res.band_hz[0] / 1e3:.0f}–{res.band_hz[1] / 1e3:.0f} kHz, "
                      f"speed scale {res.speed_scale:.3f}, {rec.n_sensors} sensors, {rec.duration_s * 1e3:.0f} ms, "
                      f"{res.elapsed_s:.2f} s")
        if plot is not None:
            console.print(f"likelihood image: {payload['plot']}")

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
