"""Reason codes of the telemetry data checks, their short names and the hints shown to the user.

Shared by the long-table checks (:mod:`hullbreach.telemetry.checks`), the per-channel checks
(:mod:`hullbreach.telemetry.channel`), the wide-table path and the stream. No units: codes and text only.
"""

from __future__ import annotations

# Reason codes (int8). 0 = accepted.
OK = 0
READER = 1
UNKNOWN = 2
BAD_TIME = 3
MISSING = 4
INFINITE = 5
BAD_VALUE = 6
DUPLICATE = 7
CONFLICT = 8
FROZEN = 9
IMPOSSIBLE = 10
SPIKE = 11
LATE = 12

#: Short names of the reasons, used as keys of ``TelemetryFrame.counts``.
REASON_NAMES = {READER: "malformed", UNKNOWN: "unknown_channel", BAD_TIME: "bad_time", MISSING: "missing",
                INFINITE: "infinite", BAD_VALUE: "bad_value", DUPLICATE: "duplicate", CONFLICT: "conflict",
                FROZEN: "frozen_clock", IMPOSSIBLE: "impossible", SPIKE: "spike", LATE: "late"}

#: Reader-supplied reasons starting with these words are counted under the matching check.
READER_PREFIX = (("unreadable time", BAD_TIME), ("unreadable value", BAD_VALUE), ("late", LATE))

HINTS = {
    READER: "fix the row so it has the columns of the header",
    UNKNOWN: "add a [[sensor]] with this id to the station file, or drop the channel; lenient mode "
             "quarantines its samples",
    BAD_TIME: "write times as ISO 8601 with a zone (2018-08-29T23:00:00Z) or as UNIX seconds",
    "naive": "add a zone (Z or +00:00) to the times; lenient mode reads zone-less times as UTC and counts them",
    MISSING: "remove the row or fill in the value; lenient mode quarantines it",
    INFINITE: "remove the row; lenient mode quarantines it",
    BAD_VALUE: "write the value as a plain number in the sensor's unit",
    DUPLICATE: "remove the repeated row; lenient mode keeps one copy",
    CONFLICT: "two different values cannot share one time: check the recorder; lenient mode quarantines both",
    FROZEN: "the recorder's clock stopped: check it; lenient mode quarantines these samples",
    "ooo": "sort the file by time; lenient mode sorts it and counts the samples",
    IMPOSSIBLE: "check the sensor's unit in the station file or convert the data; lenient mode quarantines it",
    SPIKE: "check the sensor; lenient mode quarantines the spike",
    LATE: "the sample arrived later than the reorder window allows; widen reorder_window_s if this is normal",
}

