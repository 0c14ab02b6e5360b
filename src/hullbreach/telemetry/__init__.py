"""Telemetry: readers (long/wide CSV, Parquet, ISS Live), data checks, streaming, writers.

Entry points: :func:`read_telemetry`, :func:`read_events`, :func:`check_samples`, :class:`TelemetryStream`,
:func:`write_long_csv`, :func:`write_events_csv`. Contract: docs/design.md §3.2; details in docs/telemetry.md.
Column parsing shared by the readers, the checks and the stream (:mod:`hullbreach.telemetry.parse`):
:func:`parse_times` (to UTC ns), :func:`parse_values` (to float, with masks), :func:`utc_times` (ns to
zone-aware datetimes), :func:`format_ns` (ns to ISO text).
"""

from hullbreach.telemetry.checks import CheckConfig, check_samples
from hullbreach.telemetry.frame import (
    EVENT_KINDS,
    QUARANTINE_COLUMNS,
    RAW_COLUMNS,
    ChannelReport,
    TelemetryFrame,
    empty_quarantine,
    empty_raw,
)
from hullbreach.telemetry.parse import format_ns, parse_times, parse_values, utc_times
from hullbreach.telemetry.readers import detect_format, parse_detail, read_events, read_telemetry
from hullbreach.telemetry.stream import TelemetryStream
from hullbreach.telemetry.writers import write_events_csv, write_long_csv

__all__ = ["EVENT_KINDS", "QUARANTINE_COLUMNS", "RAW_COLUMNS", "ChannelReport", "CheckConfig", "TelemetryFrame",
           "TelemetryStream", "check_samples", "detect_format", "empty_quarantine", "empty_raw", "format_ns",
           "parse_detail", "parse_times", "parse_values", "read_events", "read_telemetry", "utc_times",
           "write_events_csv", "write_long_csv"]
