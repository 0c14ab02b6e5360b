"""Parsing of the monitor's ingest bodies: a long CSV ``time,channel,value`` or JSON ``{"samples": [...]}``.

Pure functions: bytes in, arrays of accepted samples and a list of rejected ones out. A sample is rejected
(with its row and reason) when its time is not ISO 8601 / UNIX seconds or lies outside 1970-2200, its
channel is not a sensor of the station, or its value is not a finite number, or (live ingest) its time is
more than 5 min ahead of the service's clock. Times may go backwards
(a late sample is still archived; the detector counts it as late). A body that is not CSV or JSON at all
raises :class:`IngestError` (the service answers 400).

Units: times [ns since the UNIX epoch, UTC]; values in the sensor's unit, as sent.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hullbreach.errors import HullbreachError

#: Rejected samples listed one by one in an answer (the rest are counted).
MAX_LISTED = 100
_T_MIN_NS = 0
_T_MAX_NS = int(pd.Timestamp("2200-01-01", tz="UTC").value)


class IngestError(HullbreachError):
    """An ingest body cannot be read at all (not CSV/JSON, no header, no samples list)."""


@dataclass(frozen=True)
class Parsed:
    """Accepted samples (times [ns], channel ids, values as sent) and the rejected ones.

    ``rejected`` lists at most :data:`MAX_LISTED` entries ``{"row", "reason"}`` (row: 1-based sample index
    in JSON, line number in CSV); ``n_rejected`` counts them all. ``batch_id``: the JSON body's
    ``"batch_id"`` (idempotency key when no ``Idempotency-Key`` header is sent), else None.
    """

    t_ns: np.ndarray
    channel: np.ndarray
    value: np.ndarray
    rejected: tuple
    n_rejected: int
    batch_id: str | None = None

    @property
    def n(self) -> int:
        """Number of accepted samples."""
        return int(len(self.t_ns))

    def frame(self) -> pd.DataFrame:
        """Accepted samples as a raw long table (``time`` datetime64[ns, UTC])."""
        return pd.DataFrame({"time": pd.to_datetime(self.t_ns, unit="ns", utc=True), "channel": self.channel,
                             "value": self.value})


def parse_time_ns(text) -> int | None:
    """A time as ISO 8601 (naive = UTC) or UNIX seconds -> ns since the epoch; None when unreadable or out of range."""
    if isinstance(text, bool) or text is None:
        return None
    if isinstance(text, (int, float)):
        if not math.isfinite(text) or abs(text) > 1e11:
            return None
        ns = int(round(text * 1e9))
    else:
        s = str(text).strip()
        if not s or len(s) > 64:
            return None
        try:
            ns = int(round(float(s) * 1e9)) if _numeric(s) else None
        except (ValueError, OverflowError):
            return None
        if ns is None:
            try:
                ts = pd.Timestamp(s)
            except (ValueError, TypeError, OverflowError):
                return None
            if ts is pd.NaT or pd.isna(ts):
                return None
            try:
                ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
                ns = int(ts.as_unit("ns").value)
            except (OverflowError, ValueError):
                return None
    return ns if _T_MIN_NS <= ns <= _T_MAX_NS else None


def _numeric(s: str) -> bool:
    try:
        v = float(s)
    except ValueError:
        return False
    return math.isfinite(v)


def _value(v) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if math.isfinite(x) else None


def parse_rows(rows, known: set, first_row: int = 1, max_ns: int | None = None) -> Parsed:
    """Check ``(time, channel, value)`` rows against the station's channels ``known``; see the module docstring.

    ``max_ns`` [ns]: times after it are rejected as "in the future" (the service passes its clock plus 5 min:
    one sample years ahead would make the detector's time bins span the whole gap)."""
    t, ch, val, rej = [], [], [], []
    n_rej = 0
    for i, row in enumerate(rows, start=first_row):
        reason = None
        if not isinstance(row, (list, tuple)) or len(row) != 3:
            reason = "a sample needs exactly time, channel and value"
        else:
            tt, cc, vv = row
            ns = parse_time_ns(tt)
            x = _value(vv)
            if ns is None:
                reason = "time is not ISO 8601 or UNIX seconds between 1970 and 2200"
            elif max_ns is not None and ns > max_ns:
                reason = "time is in the future (more than 5 min after the service's clock)"
            elif not isinstance(cc, str) or cc not in known:
                reason = f"unknown channel {str(cc)[:64]!r} (not a sensor of the station)"
            elif x is None:
                reason = "value is not a finite number"
        if reason is None:
            t.append(ns)
            ch.append(cc)
            val.append(x)
        else:
            n_rej += 1
            if len(rej) < MAX_LISTED:
                rej.append({"row": i, "reason": reason})
    return Parsed(np.array(t, dtype=np.int64), np.array(ch, dtype=object), np.array(val, dtype=float), tuple(rej), n_rej)


def parse_json(body: bytes, known: set, max_ns: int | None = None) -> Parsed:
    """``{"samples": [{"time", "channel", "value"}, ...]}`` (or a bare list of such objects)."""
    doc, samples = _json_list(body, "samples", '{"time": ..., "channel": ..., "value": ...}')
    parsed = _parse_plain(samples, known, max_ns)
    if parsed is None:
        rows = ((s.get("time"), s.get("channel"), s.get("value")) if isinstance(s, dict) and len(s) == 3 else s
                for s in samples)
        parsed = parse_rows(rows, known, max_ns=max_ns)
    bid = doc.get("batch_id") if isinstance(doc, dict) else None
    if bid is not None:
        bid = check_key(bid)
        from dataclasses import replace

        parsed = replace(parsed, batch_id=bid)
    return parsed


#: Longest idempotency key [characters].
MAX_KEY_CHARS = 200


def check_key(key) -> str:
    """An idempotency key (``Idempotency-Key`` header or JSON ``batch_id``): 1-200 printable ASCII
    characters; raises :class:`IngestError` otherwise."""
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise IngestError("batch_id must be a string (or an integer)")
    k = str(key).strip()
    if not (1 <= len(k) <= MAX_KEY_CHARS) or not all(32 < ord(c) < 127 for c in k):
        raise IngestError(f"the idempotency key must be 1-{MAX_KEY_CHARS} printable ASCII characters without spaces",
                          hint="use e.g. a UUID per batch, the same one when retrying it")
    return k


def _parse_plain(samples: list, known: set, max_ns: int | None) -> Parsed | None:
    """The usual JSON batch at array speed: every sample a ``{"time", "channel", "value"}`` object with
    numeric time (UNIX s) and value and a string channel. The same checks and reasons as :func:`parse_rows`
    (which takes any other batch: None here). Per-sample Python checks were ~a third of an ingest (issue 12)."""
    try:
        if not all(type(x) is dict and len(x) == 3 for x in samples):
            return None
        tt = [x["time"] for x in samples]
        cc = [x["channel"] for x in samples]
        vv = [x["value"] for x in samples]
    except KeyError:
        return None
    num = (int, float)
    if not (all(type(x) in num for x in tt) and all(type(x) in num for x in vv) and all(type(x) is str for x in cc)):
        return None
    t = np.array(tt, dtype=float)
    v = np.array(vv, dtype=float)
    c = np.array(cc, dtype=object)
    with np.errstate(invalid="ignore", over="ignore"):
        t_ok = np.isfinite(t) & (np.abs(t) <= 1e11)
        ns = np.where(t_ok, np.round(np.where(t_ok, t, 0.0) * 1e9), 0).astype(np.int64)
    t_ok &= (ns >= _T_MIN_NS) & (ns <= _T_MAX_NS)
    future = t_ok & (ns > max_ns) if max_ns is not None else np.zeros(len(t), bool)
    codes, uniq = pd.factorize(c)
    c_ok = np.array([u in known for u in uniq], dtype=bool)[codes] if len(c) else np.zeros(0, bool)
    v_ok = np.isfinite(v)
    ok = t_ok & ~future & c_ok & v_ok
    bad = np.flatnonzero(~ok)
    rej = []
    for i in bad[:MAX_LISTED].tolist():
        if not t_ok[i]:
            reason = "time is not ISO 8601 or UNIX seconds between 1970 and 2200"
        elif future[i]:
            reason = "time is in the future (more than 5 min after the service's clock)"
        elif not c_ok[i]:
            reason = f"unknown channel {str(c[i])[:64]!r} (not a sensor of the station)"
        else:
            reason = "value is not a finite number"
        rej.append({"row": i + 1, "reason": reason})
    return Parsed(ns[ok], c[ok], v[ok], tuple(rej), int(len(bad)))


def _json_list(body: bytes, key: str, example: str) -> tuple:
    """``(document, list)`` of a JSON body ``{key: [...]}`` (or a bare list); :class:`IngestError` otherwise."""
    try:
        doc = _loads(body)
    except (ValueError, RecursionError) as exc:
        raise IngestError(f"the body is not valid JSON: {str(exc)[:120]}", hint=f'send {{"{key}": [{example}]}}') from exc
    items = doc.get(key) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise IngestError(f'the JSON body has no "{key}" list', hint=f'send {{"{key}": [{example}]}}')
    return doc, items


def _loads(body: bytes):
    """JSON decoding: orjson when installed (~3x faster on ingest batches), else the standard library; a
    body orjson refuses goes to the standard library too (it reads NaN/Infinity, which the checks then
    reject sample by sample, and words its errors as before)."""
    try:
        import orjson
    except ImportError:
        return json.loads(body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def parse_csv(body: bytes, known: set, max_ns: int | None = None) -> Parsed:
    """Long CSV with the header ``time,channel,value`` (any order, case-insensitive)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError("the CSV body is not UTF-8 text", hint="send a UTF-8 CSV time,channel,value") from exc
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise IngestError(f"the CSV header cannot be read: {exc}") from exc
    cols = [h.strip().lower() for h in header or []]
    if sorted(cols) != ["channel", "time", "value"]:
        raise IngestError(f"the CSV header must be time,channel,value (got {','.join(cols)[:120] or 'nothing'})",
                          hint="first line: time,channel,value")
    it, ic, iv = cols.index("time"), cols.index("channel"), cols.index("value")

    def rows():
        try:
            for r in reader:
                if not r:
                    continue
                yield (r[it], r[ic].strip(), r[iv]) if len(r) == 3 else r
        except csv.Error:
            yield ("unreadable CSV line",)

    # line numbers: header is line 1; blank lines are skipped but csv.reader counts them in line_num
    return parse_rows(rows(), known, first_row=2, max_ns=max_ns)


def parse_body(body: bytes, content_type: str | None, known: set, max_ns: int | None = None) -> Parsed:
    """Pick JSON or CSV from the content type (or the first byte when it is missing) and parse."""
    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("application/json", "text/json"):
        return parse_json(body, known, max_ns)
    if ct in ("text/csv", "application/csv", "text/plain"):
        return parse_csv(body, known, max_ns)
    if ct and ct not in ("application/octet-stream", "application/x-www-form-urlencoded"):
        raise IngestError(f"unsupported content type {ct[:60]!r}", hint="send application/json or text/csv")
    head = body.lstrip()[:1]
    return parse_json(body, known, max_ns) if head in (b"{", b"[") else parse_csv(body, known, max_ns)


# ------------------------------------------------------------------------------------------------ events
#: Largest number of events one ``POST /api/events`` takes.
MAX_EVENTS = 1000


def events_frame(rows) -> pd.DataFrame:
    """``(t_ns, kind, detail)`` rows -> the events table of :func:`hullbreach.telemetry.readers.read_events`
    (``time, kind, detail, hatch, module, kg, gas, note``), sorted by time. Rows must be valid already."""
    from hullbreach.telemetry.readers import parse_detail

    recs = []
    for t, kind, detail in rows:
        d = parse_detail(kind, detail)
        recs.append((int(t), kind, detail, d["hatch"], d["module"], d["kg"], d["gas"], d["note"]))
    out = pd.DataFrame(recs, columns=["time_ns", "kind", "detail", "hatch", "module", "kg", "gas", "note"])
    out.insert(0, "time", pd.to_datetime(out.pop("time_ns").to_numpy(np.int64), unit="ns", utc=True))
    for c in ("kind", "detail", "hatch", "module", "gas", "note"):
        out[c] = out[c].astype(object)
    out["kg"] = out["kg"].astype(float)
    return out.sort_values("time", kind="stable").reset_index(drop=True)


def parse_events(body: bytes, content_type: str | None, station, max_ns: int | None = None) -> pd.DataFrame:
    """The body of ``POST /api/events``: JSON ``{"events": [{"time", "kind", "detail"}, ...]}`` or the events
    CSV ``time,kind,detail`` (docs/telemetry.md). All or nothing: any bad event raises :class:`IngestError`
    naming it (an operation half taken would leave the crew's configuration wrong)."""
    from hullbreach.telemetry.frame import EVENT_KINDS
    from hullbreach.telemetry.readers import parse_detail

    ct = (content_type or "").split(";")[0].strip().lower()
    if ct in ("application/json", "text/json") or (not ct and body.lstrip()[:1] in (b"{", b"[")):
        _doc, evs = _json_list(body, "events", '{"time": ..., "kind": "hatch_close", "detail": "<hatch id>"}')
        rows = [(e.get("time"), e.get("kind"), e.get("detail", "")) if isinstance(e, dict) else (None, None, None)
                for e in evs]
    else:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise IngestError("the CSV body is not UTF-8 text", hint="send a UTF-8 CSV time,kind,detail") from exc
        try:
            table = list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise IngestError(f"the events CSV cannot be read: {exc}") from exc
        cols = [h.strip().lower() for h in (table[0] if table else [])]
        if "time" not in cols or "kind" not in cols:
            raise IngestError(f"the events CSV header must be time,kind,detail (got {','.join(cols)[:120] or 'nothing'})")
        it, ik, idt = cols.index("time"), cols.index("kind"), cols.index("detail") if "detail" in cols else None
        rows = [(r[it] if len(r) > it else None, r[ik].strip() if len(r) > ik else None,
                 (r[idt] if idt is not None and len(r) > idt else "")) for r in table[1:] if r]
    if not rows:
        raise IngestError("no events in the body")
    if len(rows) > MAX_EVENTS:
        raise IngestError(f"{len(rows)} events in one request (at most {MAX_EVENTS})", hint="send fewer at a time")
    out = []
    for i, (t, kind, detail) in enumerate(rows, start=1):
        ns = parse_time_ns(t)
        where = f"event {i}"
        if ns is None:
            raise IngestError(f"{where}: time is not ISO 8601 or UNIX seconds between 1970 and 2200")
        if max_ns is not None and ns > max_ns:
            raise IngestError(f"{where}: time is in the future (more than 5 min after the service's clock)")
        if kind not in EVENT_KINDS:
            raise IngestError(f"{where}: unknown kind {str(kind)[:40]!r}", hint=f"kinds: {', '.join(EVENT_KINDS)}")
        detail = "" if detail is None else str(detail)
        try:
            d = parse_detail(kind, detail)
        except ValueError as exc:
            raise IngestError(f"{where}: {exc}") from None
        if d["hatch"] and d["hatch"] not in station.hatches:
            raise IngestError(f"{where}: hatch {d['hatch'][:64]!r} is not in station {station.name!r}",
                              hint="GET /api/station lists the hatches")
        if kind in ("hatch_close", "hatch_open") and not d["hatch"]:
            raise IngestError(f"{where}: {kind} needs the hatch id as its detail")
        if d["module"] and kind in ("repress", "airlock_depress", "airlock_repress") and d["module"] not in station.modules:
            raise IngestError(f"{where}: module {d['module'][:64]!r} is not in station {station.name!r}")
        out.append((ns, kind, detail))
    return events_frame(out)
