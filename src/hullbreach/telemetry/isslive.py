"""ISS Live recorder files (docs/design.md §3.2): one file per telemetry item per day.

File name (defined here; see docs/telemetry.md)::

    <ITEM>_<YYYY-MM-DD>.txt      e.g. USLAB000058_2018-08-29.txt   (preferred)
    <ITEM>_<YYYYMMDD>.txt        e.g. USLAB000058_20180829.txt
    <ITEM>_<YYYY>.txt            a whole year of one item
    <ITEM>.txt                   the year must then be given (``year=``)

``ITEM`` is the ISS Live item name (``USLAB000058``) and is the channel id: it must be a sensor id of the
station. The extension may also be ``.dat``, ``.csv`` or ``.log``. Each line is
``<hours since 00:00 UTC on 1 January of the year> <value>`` separated by blanks or one comma; blank lines
and lines starting with ``#`` are skipped (line numbers in messages still count them). The recorder's time
stamp is fractional hours since the start of the UTC year (docs/reference/figures.md, "public telemetry"). The
value is in the unit the station file gives the sensor (ISS Live pressures are mmHg although the public
catalog says PSI).

A folder of such files is one telemetry set: every matching file is read, files that do not match the
naming are reported (lenient) or rejected (strict).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError

NAME_RE = re.compile(
    r"^(?P<item>[A-Za-z0-9.:-]+(?:_[A-Za-z0-9.:-]+)*?)"
    r"(?:_(?P<date>\d{4}-\d{2}-\d{2}|\d{8}|\d{4}))?"
    r"\.(?P<ext>txt|dat|csv|log)$")

#: Largest possible "hours since the start of the year" (leap year + one hour of slack).
MAX_HOURS = 366 * 24 + 1


def parse_name(name: str) -> tuple[str, int | None, pd.Timestamp | None] | None:
    """Split an ISS Live file name into ``(item, year, day)``; None when it does not follow the naming.

    ``year`` and ``day`` (a UTC midnight) are None when the name does not carry them.
    """
    m = NAME_RE.match(name)
    if not m:
        return None
    date = m.group("date")
    if date is None:
        return m.group("item"), None, None
    if len(date) == 4:
        return m.group("item"), int(date), None
    try:
        day = pd.Timestamp(date, tz="UTC")
    except ValueError:
        return None
    return m.group("item"), day.year, day


def looks_like_isslive(path: Path) -> bool:
    """True when ``path`` is named like an ISS Live file and its first data line is two numbers."""
    if parse_name(path.name) is None:
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                s = line.strip()
                if not s or s.startswith("#"):
                    continue
                parts = re.split(r"[\s,]+", s)
                if len(parts) != 2:
                    return False
                float(parts[0])
                return True
    except (OSError, ValueError):
        return False
    return True


def read_isslive_file(path: Path, year: int | None = None):
    """Read one ISS Live recorder file into a raw long table.

    Returns
    -------
    raw : pandas.DataFrame
        ``time`` (datetime64[ns, UTC], NaT where unreadable), ``channel`` (the item), ``value`` (text) and
        ``reason`` (set for malformed lines).
    lines : numpy.ndarray
        1-based line number of each row.
    """
    path = Path(path)
    parsed = parse_name(path.name)
    if parsed is None:
        raise TelemetryError(f"{path.name} is not named like an ISS Live recorder file", source=str(path),
                             hint="name it <ITEM>_<YYYY-MM-DD>.txt, e.g. USLAB000058_2018-08-29.txt")
    item, name_year, _day = parsed
    if name_year is not None and year is not None and name_year != year:
        raise TelemetryError(f"file name says year {name_year} but year={year} was given", source=str(path),
                             hint="drop the year argument or rename the file")
    yr = name_year if name_year is not None else year
    if yr is None:
        raise TelemetryError("ISS Live times are hours since the start of the year, and the year is unknown",
                             source=str(path),
                             hint="name the file <ITEM>_<YYYY-MM-DD>.txt or pass year= (--year on the command line)")
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise TelemetryError(f"cannot read {path}: {exc.strerror}", source=str(path)) from None
    s = pd.Series(text.splitlines(), dtype=object)
    lines_all = np.arange(1, len(s) + 1, dtype=np.int64)
    st = s.str.strip()
    keep = ((st.str.len() > 0) & ~st.str.startswith("#")).to_numpy(dtype=bool)
    st = st[keep].reset_index(drop=True)
    lines = lines_all[keep]
    parts = st.str.split(r"[\s,]+", regex=True)
    nparts = parts.str.len().to_numpy(dtype=np.int64) if len(st) else np.empty(0, np.int64)
    hours_txt = parts.str[0]
    value_txt = parts.str[1]
    hours = pd.to_numeric(hours_txt, errors="coerce").to_numpy(dtype=float, na_value=np.nan) if len(st) else np.empty(0)
    reason = np.full(len(st), None, dtype=object)
    bad_shape = nparts != 2
    reason[bad_shape] = [f"malformed line: {n} fields, expected '<hours> <value>'" for n in nparts[bad_shape]]
    bad_hours = ~bad_shape & ~(np.isfinite(hours) & (hours >= 0) & (hours <= MAX_HOURS))
    reason[bad_hours] = [f"unreadable time {h!r}: expected hours since the start of {yr} (0..{MAX_HOURS})"
                         for h in hours_txt[bad_hours]]
    start = pd.Timestamp(f"{yr}-01-01", tz="UTC").value
    ok = ~(bad_shape | bad_hours)
    ns = np.full(len(st), np.iinfo(np.int64).min, dtype=np.int64)
    ns[ok] = start + np.round(hours[ok] * 3.6e12).astype(np.int64)
    raw = pd.DataFrame({
        "time": pd.to_datetime(ns, unit="ns", utc=True) if len(ns) else pd.Series([], dtype="datetime64[ns, UTC]"),
        "channel": pd.Series([item] * len(st), dtype=object),
        "value": pd.Series(value_txt.where(~pd.Series(bad_shape), None).to_numpy(dtype=object), dtype=object),
        "reason": pd.Series(reason, dtype=object),
    })
    raw.loc[~ok, "time"] = pd.NaT
    return raw, lines


def isslive_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """Files in ``folder`` named like ISS Live files (sorted by item and date), and the other files."""
    good, other = [], []
    for p in sorted(Path(folder).iterdir()):
        if p.is_dir() or p.name.startswith("."):
            continue
        (good if parse_name(p.name) is not None else other).append(p)
    return good, other
