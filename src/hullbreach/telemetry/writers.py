"""Writers for the canonical telemetry and events CSV (DESIGN.md §3.2). Reading back gives the same table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _iso(times: pd.Series) -> pd.Series:
    t = pd.to_datetime(times, utc=True)
    # Nanosecond ISO 8601 with an explicit zone, so that a round trip is exact.
    return t.dt.strftime("%Y-%m-%dT%H:%M:%S.") + t.dt.strftime("%f").str.cat(
        (t.dt.nanosecond.astype(int) % 1000).map(lambda n: f"{n:03d}")) + "Z"


def write_long_csv(raw: pd.DataFrame, path: str | Path) -> None:
    """Write a raw long telemetry table (``time, channel, value``; value in the sensor's unit) as CSV.

    Values are written with 17 significant digits (exact float64 round trip); times as ISO 8601 UTC with
    nanoseconds and ``Z``.
    """
    out = pd.DataFrame({"time": _iso(raw["time"]), "channel": raw["channel"].astype(str),
                        "value": np.asarray(raw["value"], dtype=float)})
    out.to_csv(path, index=False, float_format="%.17g")


def write_events_csv(events: pd.DataFrame, path: str | Path) -> None:
    """Write an events table (``time, kind, detail``) as CSV with ISO 8601 UTC times."""
    out = pd.DataFrame({"time": _iso(events["time"]) if len(events) else pd.Series([], dtype=object),
                        "kind": events["kind"].astype(str) if len(events) else pd.Series([], dtype=object),
                        "detail": events["detail"].astype(str) if len(events) else pd.Series([], dtype=object)})
    out.to_csv(path, index=False)
