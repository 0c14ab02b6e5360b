"""A CSV file as text cells with the line number of each data row (the readers' common first step).

:func:`read_csv_text` reads every cell as text (no NaN guessing: the data checks decide what a cell is),
keeps the 1-based line of each data row for error messages (``file:line``), and falls back to
:func:`python_csv_rows` for files with malformed rows, which it reports per row instead of failing. Used by
the telemetry readers (:mod:`hullbreach.telemetry.readers`) and the events reader
(:mod:`hullbreach.telemetry.events`). Split from readers.py (house limit); no behaviour change.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from hullbreach.errors import TelemetryError


def python_csv_rows(path: Path, ncols: int | None):
    """Fallback CSV reader (per line, for files with malformed rows): header, rows, line numbers, problems."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        text = fh.read()
    reader = csv.reader(io.StringIO(text))
    header = None
    rows, lines, problems = [], [], []
    for rec in reader:
        no = reader.line_num
        if header is None:
            if not rec or all(not f.strip() for f in rec):
                continue
            header = [f.strip() for f in rec]
            ncols = len(header) if ncols is None else ncols
            continue
        if not rec:
            continue
        if all(not f.strip() for f in rec):
            problems.append("malformed row: every field is empty")
            rec = (rec + [""] * ncols)[:ncols]
        elif len(rec) != ncols:
            problems.append(f"malformed row: {len(rec)} fields, expected {ncols} ({','.join(header)})")
            rec = (rec + [""] * ncols)[:ncols]
        else:
            problems.append(None)
        rows.append(rec)
        lines.append(no)
    return header or [], rows, np.asarray(lines, dtype=np.int64), problems


def read_csv_text(path: Path, strict: bool):
    """All cells as text (no NaN guessing), data-row line numbers, and per-row problems (or None)."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False, engine="c",
                         encoding="utf-8-sig", skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise TelemetryError("telemetry file is empty", source=str(path),
                             hint="a long CSV starts with the header time,channel,value") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+), saw (\d+)", str(exc))
        if strict:
            where = f"{path}:{m.group(1)}" if m else str(path)
            raise TelemetryError(f"malformed row: {m.group(2) if m else 'wrong number of'} fields, more than the header",
                                 source=where, hint="fix the row so it has the columns of the header") from None
        header, rows, lines, problems = python_csv_rows(path, None)
        df = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
        return df, lines, problems
    df.columns = [str(c).strip() for c in df.columns]
    # Line numbers: header on line 1 (after leading blank lines, which pandas skips for the header).
    first = 1
    with open(path, encoding="utf-8-sig", errors="replace") as fh:
        for i, line in enumerate(fh, start=1):
            if line.strip():
                first = i
                break
    lines = np.arange(first + 1, first + 1 + len(df), dtype=np.int64)
    problems = None
    if len(df):
        blank = (df == "").all(axis=1).to_numpy(dtype=bool)
        if blank.any():
            # Truly blank lines are no samples; a line of empty fields (",,") is a malformed sample.
            with open(path, encoding="utf-8-sig", errors="replace") as fh:
                text = fh.read().splitlines()
            idx = np.flatnonzero(blank)
            empty_fields = np.array([lines[i] - 1 < len(text) and text[lines[i] - 1].strip() != "" for i in idx],
                                    dtype=bool)
            if empty_fields.any():
                problems = np.full(len(df), None, dtype=object)
                problems[idx[empty_fields]] = "malformed row: every field is empty"
            drop = np.zeros(len(df), bool)
            drop[idx[~empty_fields]] = True
            df = df[~drop].reset_index(drop=True)
            lines = lines[~drop]
            if problems is not None:
                problems = list(problems[~drop])
    return df, lines, problems
