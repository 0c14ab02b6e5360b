"""Events reader: the ``time,kind,detail`` CSV of known operations (docs/design.md §3.2).

:func:`read_events` reads and validates the file (kinds of :data:`~hullbreach.telemetry.frame.EVENT_KINDS`,
hatch and module ids against the station); :func:`parse_detail` reads one event's ``key=value;...`` detail.
Split from :mod:`hullbreach.telemetry.readers` (which re-exports both) when that module passed the house
limit; no behaviour change.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.csvtext import read_csv_text
from hullbreach.telemetry.frame import EVENT_KINDS
from hullbreach.telemetry.parse import parse_times


#: Keys of the ``key=value;key=value`` event detail format.
DETAIL_KEYS = ("hatch", "module", "kg", "gas", "note")
GASES = ("air", "o2", "n2")


def parse_detail(kind: str, detail: str) -> dict:
    """Parse an event's detail into ``{"hatch", "module", "kg", "gas", "note"}``.

    Format: ``key=value`` pairs joined by ``;`` (keys :data:`DETAIL_KEYS`), e.g.
    ``module=zvezda;kg=12.5;gas=air``. A bare detail (no ``=``) means: the hatch id for ``hatch_open`` /
    ``hatch_close`` (required) and ``valve_open`` / ``valve_close`` (the hatch's equalisation valve); kg of gas added for ``repress``; the module id for ``airlock_*`` and ``vehicle_*``;
    a free note otherwise. Raises ValueError with a readable message when malformed.
    """
    out = {"hatch": "", "module": "", "kg": math.nan, "gas": "", "note": ""}
    d = (detail or "").strip()
    if d and "=" not in d:
        if kind in ("hatch_open", "hatch_close", "valve_open", "valve_close"):
            out["hatch"] = d
        elif kind == "repress":
            out["kg"] = _kg(d)
        elif kind.startswith("airlock_") or kind.startswith("vehicle_"):
            out["module"] = d
        else:
            out["note"] = d
    elif d:
        for part in d.split(";"):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise ValueError(f"detail part {part!r} is not key=value")
            k, val = (x.strip() for x in part.split("=", 1))
            k = k.lower()
            if k not in DETAIL_KEYS:
                raise ValueError(f"unknown detail key {k!r} (keys: {', '.join(DETAIL_KEYS)})")
            out[k] = _kg(val) if k == "kg" else val
        if out["gas"] and out["gas"].lower() not in GASES:
            raise ValueError(f"gas {out['gas']!r} is not one of {', '.join(GASES)}")
        out["gas"] = out["gas"].lower()
    if kind in ("hatch_open", "hatch_close") and not out["hatch"]:
        raise ValueError(f"{kind} needs the hatch id as detail")
    if kind == "repress" and math.isnan(out["kg"]):
        raise ValueError("repress needs the kg of gas added as detail (e.g. 12.5 or module=zvezda;kg=12.5;gas=air)")
    return out


def _kg(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ValueError(f"kg {text!r} is not a number") from None
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"kg {text!r} must be a finite number >= 0 (kg of gas added)")
    return x


def read_events(path: str | Path, station=None, strict: bool = True) -> pd.DataFrame:
    """Read an events CSV (``time,kind,detail``; docs/design.md §3.2).

    Parameters
    ----------
    path : str or Path
        Events CSV. ``time`` is ISO 8601 with a zone or UNIX seconds [s]; ``kind`` one of
        :data:`~hullbreach.telemetry.frame.EVENT_KINDS`; ``detail`` see :func:`parse_detail`.
    station : Station or str, optional
        When given, hatch ids (and module ids in details) must exist in it.
    strict : bool
        Default True: raise :class:`TelemetryError` naming file, line and problem. When False, bad rows
        are left out and listed in ``df.attrs["problems"]`` (``"file:line: message"``), never dropped silently.

    Returns
    -------
    pandas.DataFrame
        Columns ``time`` (datetime64[ns, UTC]), ``kind``, ``detail`` (as written), and parsed ``hatch``,
        ``module``, ``kg`` [kg] (NaN unless given), ``gas``, ``note``; sorted by time (stable).
    """
    if station is not None:
        from hullbreach.station import Station, load_station
        station = station if isinstance(station, Station) else load_station(station)
    st = station
    p = Path(path)
    if not p.exists():
        raise TelemetryError(f"events file {p} does not exist", hint="check the path")
    df, lines, problems = read_csv_text(p, strict)
    cols = {c.lower(): c for c in df.columns}
    for c in ("time", "kind"):
        if c not in cols:
            raise TelemetryError(f"events CSV header lacks {c!r} (header: {','.join(df.columns)})", source=f"{p}:1",
                                 hint="the header must be time,kind,detail")
    detail = df[cols["detail"]].astype(object) if "detail" in cols else pd.Series([""] * len(df), dtype=object)
    ns, bad, naive = parse_times(df[cols["time"]].astype(object) if len(df) else pd.Series([], dtype=object))
    errs: list[str] = []
    recs = []
    for i in range(len(df)):
        where = f"{p}:{int(lines[i])}"
        kind = str(df[cols["kind"]].iloc[i]).strip()
        try:
            if problems is not None and problems[i]:
                raise ValueError(problems[i])
            if bad[i]:
                raise ValueError(f"unreadable time {df[cols['time']].iloc[i]!r} (write ISO 8601 with a zone, "
                                 f"e.g. 2018-08-29T23:00:00Z, or UNIX seconds)")
            if naive[i] and strict:
                raise ValueError(f"time {df[cols['time']].iloc[i]!r} has no time zone (add Z or +00:00)")
            if kind not in EVENT_KINDS:
                raise ValueError(f"unknown event kind {kind!r} (kinds: {', '.join(EVENT_KINDS)})")
            d = parse_detail(kind, "" if pd.isna(detail.iloc[i]) else str(detail.iloc[i]))
            if st is not None:
                if d["hatch"] and d["hatch"] not in st.hatches:
                    raise ValueError(f"hatch {d['hatch']!r} is not in station {st.name!r} "
                                     f"(hatches: {', '.join(st.hatches)})")
                if d["module"] and kind in ("repress", "airlock_depress", "airlock_repress") \
                        and d["module"] not in st.modules:
                    raise ValueError(f"module {d['module']!r} is not in station {st.name!r}")
        except ValueError as exc:
            if strict:
                raise TelemetryError(str(exc), source=where,
                                     hint="fix the event row (format in docs/telemetry.md)") from None
            errs.append(f"{where}: {exc}")
            continue
        if naive[i]:
            errs.append(f"{where}: time had no zone and was read as UTC")
        recs.append((int(ns[i]), kind, "" if pd.isna(detail.iloc[i]) else str(detail.iloc[i]),
                     d["hatch"], d["module"], d["kg"], d["gas"], d["note"]))
    out = pd.DataFrame(recs, columns=["time_ns", "kind", "detail", "hatch", "module", "kg", "gas", "note"])
    out.insert(0, "time", pd.to_datetime(out.pop("time_ns").to_numpy(np.int64), unit="ns", utc=True))
    for c in ("kind", "detail", "hatch", "module", "gas", "note"):
        out[c] = out[c].astype(object)
    out["kg"] = out["kg"].astype(float)
    out = out.sort_values("time", kind="stable").reset_index(drop=True)
    out.attrs["problems"] = errs
    out.attrs["source"] = str(p)
    return out
