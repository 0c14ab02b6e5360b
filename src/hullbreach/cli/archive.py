"""``hullbreach archive``: look into, export and prune the monitor's archive (SQLite file of ``serve --db``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _time_ns(text: str | None, option: str) -> int | None:
    from hullbreach.errors import HullbreachError
    from hullbreach.ops.ingest import parse_time_ns

    if text is None:
        return None
    ns = parse_time_ns(text)
    if ns is None:
        raise HullbreachError(f"{option} {text!r} is not an ISO 8601 time or UNIX seconds",
                              hint="e.g. 2018-08-29T22:00:00Z")
    return ns


def _open(db: Path):
    from hullbreach.errors import HullbreachError
    from hullbreach.ops.archive import open_archive

    if not db.exists():
        raise HullbreachError(f"archive {db} does not exist", hint="give the --db file of `hullbreach serve`")
    return open_archive(db)


def register(app: typer.Typer) -> None:
    """Add ``archive-info``, ``archive-export`` and ``archive-prune``."""

    @app.command("archive-info")
    def info_cmd(db: Path = typer.Argument(..., help="Archive file (SQLite).")) -> None:
        """Schema version, sample count, time span and channels of an archive."""
        import pandas as pd

        from hullbreach.cli.common import print_json

        a = _open(db)
        lo, hi = a.time_range()
        iso = (lambda ns: None if ns is None else pd.Timestamp(ns, unit="ns", tz="UTC").isoformat())
        print_json({"archive": str(db), "schema_version": a.schema_version(), "samples": a.count(),
                    "start_time": iso(lo), "end_time": iso(hi), "channels": a.channels()})
        a.close()

    @app.command("archive-export")
    def export_cmd(
        db: Path = typer.Argument(..., help="Archive file (SQLite)."),
        out: Path = typer.Argument(..., help="Output file: .csv (long time,channel,value) or .parquet."),
        channel: Optional[str] = typer.Option(None, "--channel", help="Only this channel."),
        start: Optional[str] = typer.Option(None, "--start", help="From this time (ISO 8601 or UNIX s)."),
        end: Optional[str] = typer.Option(None, "--end", help="Up to this time (ISO 8601 or UNIX s)."),
        fmt: Optional[str] = typer.Option(None, "--format", help="csv or parquet (from the extension when omitted)."),
    ) -> None:
        """Export raw samples to CSV or Parquet (both read back by `detect` and `serve --replay`)."""
        from hullbreach.cli.common import console
        from hullbreach.ops.archive import export

        a = _open(db)
        n = export(a, out, fmt=fmt, channel=channel, start_ns=_time_ns(start, "--start"), end_ns=_time_ns(end, "--end"))
        a.close()
        console.print(f"{n} samples -> {out}", markup=False)

    @app.command("archive-prune")
    def prune_cmd(
        db: Path = typer.Argument(..., help="Archive file (SQLite)."),
        before: Optional[str] = typer.Option(None, "--before", help="Delete samples older than this time (ISO 8601 or UNIX s)."),
        keep_days: Optional[float] = typer.Option(None, "--keep-days", help="Keep this many days before the newest sample."),
    ) -> None:
        """Retention: delete raw and derived samples older than a time (run while the service is stopped,
        then restart it so the detector is rebuilt from what is left)."""
        from hullbreach.cli.common import console
        from hullbreach.errors import HullbreachError

        if (before is None) == (keep_days is None):
            raise HullbreachError("give exactly one of --before and --keep-days")
        a = _open(db)
        if keep_days is not None:
            if not keep_days > 0:
                raise HullbreachError(f"--keep-days must be positive, got {keep_days}")
            _, hi = a.time_range()
            cut = None if hi is None else int(hi - keep_days * 86400e9)
        else:
            cut = _time_ns(before, "--before")
        n = a.delete_before(cut) if cut is not None else 0
        a.close()
        console.print(f"deleted {n} samples", markup=False)
