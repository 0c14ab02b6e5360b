"""``hullbreach serve STATION``: the live leak monitor (HTTP ingest, replay, ISS Live; dashboard and crew display)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def register(app: typer.Typer) -> None:
    """Add ``serve``."""

    @app.command("serve")
    def serve_cmd(
        station: str = typer.Argument(..., help="Built-in station name or a station TOML file."),
        db: Path = typer.Option(Path("hullbreach-archive.sqlite"), "--db", help="Archive file (SQLite, created when missing)."),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback only unless given)."),
        port: int = typer.Option(8000, "--port", help="TCP port (0: any free port)."),
        replay: Optional[Path] = typer.Option(None, "--replay", help="Replay a telemetry file (any format `detect` reads)."),
        speed: float = typer.Option(120.0, "--speed", help="Replay speed, times real time."),
        isslive: bool = typer.Option(False, "--isslive", help="Subscribe to NASA's public ISS Live feed (needs network)."),
        token_file: Optional[Path] = typer.Option(None, "--token-file", help="File whose first line is the write token (else HULLBREACH_TOKEN)."),
        events: Optional[Path] = typer.Option(None, "--events", help="Events CSV (hatch operations, represses) known in advance."),
        cors_origin: Optional[List[str]] = typer.Option(None, "--cors-origin", help="Allow this browser origin (repeatable; default none)."),
        max_body_mb: float = typer.Option(16.0, "--max-body-mb", help="Largest ingest body [MB]."),
        rate: float = typer.Option(50.0, "--rate", help="Requests per second allowed per client for writes and history."),
        crew: int = typer.Option(0, "--crew", help="Crew aboard (for the isolation guidance's crewed zones)."),
    ) -> None:
        """Serve the live leak monitor: ingest, archive, detection, Open MCT dashboard (/) and crew display (/crew)."""
        from hullbreach.errors import HullbreachError
        from hullbreach.ops.service import read_token, serve

        if not (0 <= port <= 65535):
            raise HullbreachError(f"--port must be 0-65535, got {port}")
        if not (max_body_mb > 0 and rate > 0):
            raise HullbreachError("--max-body-mb and --rate must be positive")
        serve(station, db=db, host=host, port=port, replay=replay, speed=speed, isslive=isslive,
              token=read_token(token_file), events=events, cors_origins=tuple(cors_origin or ()),
              max_body_bytes=int(max_body_mb * 1024 * 1024), rate_per_s=rate, crew_count=crew)
