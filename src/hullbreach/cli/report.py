"""``hullbreach report STATION TELEMETRY``: one self-contained HTML incident report of a leak event."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add ``report``."""

    @app.command("report")
    def report_cmd(
        station: str = typer.Argument(..., help="Built-in station name or a station TOML file."),
        telemetry: Path = typer.Argument(..., help="Telemetry of the event (any format `detect` reads)."),
        events: Optional[Path] = typer.Option(None, "--events", help="Events CSV (hatch operations, represses, seal)."),
        isolation: Optional[Path] = typer.Option(None, "--isolation", help="Isolation log: the JSON of `hullbreach isolate ... --json`."),
        locate: Optional[Path] = typer.Option(None, "--locate", help="Localization result: the JSON of `hullbreach locate --json`."),
        cause: Optional[str] = typer.Option(None, "--cause", help="Cause case (built-in name such as ms09, or a case TOML)."),
        out: Path = typer.Option(Path("incident-report.html"), "--out", help="HTML file to write."),
        seed: int = typer.Option(0, "--seed", help="Seed of the Monte Carlo intervals."),
    ) -> None:
        """Write one HTML file of an event: timeline, detection, sizing and reserve time, isolation steps,
        localization and cause analysis, with the plots embedded."""
        from hullbreach.cli.common import console
        from hullbreach.report.incident import write_incident_report

        path = write_incident_report(out, station, telemetry, events=events, isolation=isolation, locate=locate,
                                     cause=cause, seed=seed)
        console.print(f"incident report: {path}", markup=False)
