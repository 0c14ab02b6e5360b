"""Property tests (hypothesis) for the parsers and checks: exact round trips, nothing lost."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import CheckConfig, check_samples, read_telemetry, write_long_csv
from hullbreach.units import to_si

CHANNELS = {"USLAB000058": (300.0, 900.0), "USLAB000059": (-23.0, 56.0), "NODE1P": (40.0, 120.0),
            "USLAB000054": (0.0, 750.0)}
NO_SPIKE = CheckConfig(spike_k=math.inf, stuck_min_samples=10**9)

T0 = 946684800 * 10**9  # 2000-01-01
T1 = 2524608000 * 10**9  # 2050-01-01


@st.composite
def clean_raw(draw):
    n = draw(st.integers(0, 40))
    keys = draw(st.lists(st.tuples(st.integers(T0, T1), st.sampled_from(sorted(CHANNELS))), min_size=n, max_size=n,
                         unique=True))
    vals = [draw(st.floats(*CHANNELS[c], allow_nan=False)) for _, c in keys]
    return pd.DataFrame({"time": pd.to_datetime([k[0] for k in keys], unit="ns", utc=True),
                         "channel": pd.Series([k[1] for k in keys], dtype=object),
                         "value": np.asarray(vals, dtype=float)})


settings.register_profile("telemetry", deadline=None, max_examples=30,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(settings.get_profile("telemetry"))
@given(raw=clean_raw())
def test_write_long_csv_reads_back_exactly(station, raw):
    raw = raw.sort_values("time", kind="stable").reset_index(drop=True)  # strict refuses unsorted files
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.csv"
        write_long_csv(raw, p)
        f = read_telemetry(p, station, strict=True, config=NO_SPIKE)
    assert f.n_quarantined == 0
    exp = raw.sort_values(["time", "channel"], kind="stable").reset_index(drop=True)
    assert list(f.data["time"].astype("int64")) == list(exp["time"].dt.as_unit("ns").astype("int64"))
    assert list(f.data["channel"].astype(str)) == list(exp["channel"])
    si = [to_si(v, station.sensors[c].unit) for v, c in zip(exp["value"], exp["channel"])]
    assert list(f.data["value"]) == si  # bit-exact


@settings(settings.get_profile("telemetry"))
@given(raw=clean_raw())
def test_csv_and_memory_give_the_same_checks(station, raw):
    """Reading a written file gives the same verdicts as checking the table in memory (default thresholds)."""
    mem = check_samples(raw, station, source="mem")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "t.csv"
        write_long_csv(raw, p)
        f = read_telemetry(p, station)
    pd.testing.assert_frame_equal(f.data, mem.data)
    assert list(f.quarantined["reason"]) == list(mem.quarantined["reason"])


TIME_TEXT = st.one_of(
    st.integers(T0 // 10**9, T1 // 10**9).map(str),
    st.integers(T0, T1).map(lambda ns: pd.Timestamp(ns, tz="UTC").isoformat().replace("+00:00", "Z")),
    st.integers(T0, T1).map(lambda ns: pd.Timestamp(ns).isoformat()),  # no zone
    st.sampled_from(["", "soon", "2018-13-45T00:00:00Z", "1e20", "nan"]),
)
VALUE_TEXT = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                       st.floats(700, 800).map(lambda x: f"{x:.2f}"),
                       st.sampled_from(["", "NaN", "abc", "1,5", "inf", "-0", "14.7"]))
CHANNEL_TEXT = st.sampled_from(sorted(CHANNELS) + ["", "UNKNOWN1", "uslab000058"])


@settings(settings.get_profile("telemetry"))
@given(rows=st.lists(st.tuples(TIME_TEXT, CHANNEL_TEXT, VALUE_TEXT), max_size=40),
       dup=st.lists(st.integers(0, 39), max_size=5))
def test_every_sample_is_accepted_or_quarantined(station, rows, dup):
    rows = rows + [rows[i] for i in dup if i < len(rows)]  # exact duplicates too
    text = "time,channel,value\n" + "".join(f"{t},{c},{v}\n" for t, c, v in rows)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "m.csv"
        p.write_text(text, encoding="utf-8")
        f = read_telemetry(p, station)
        assert len(f.data) + len(f.quarantined) == len(rows)
        assert f.data["time"].is_monotonic_increasing
        assert np.isfinite(f.data["value"]).all()
        assert sum(v for k, v in f.counts.items() if k not in ("naive_time", "out_of_order", "gaps",
                                                                  "stuck_channels")) == len(f.quarantined)
        # every quarantined source points at a real data line
        lines = {int(s.rsplit(":", 1)[1]) for s in f.quarantined["source"]}
        assert all(2 <= ln <= len(rows) + 1 for ln in lines)
        try:
            g = read_telemetry(p, station, strict=True)
        except TelemetryError as exc:
            assert str(p) in str(exc)
        else:
            assert g.n_quarantined == 0 and "naive_time" not in g.counts


@settings(settings.get_profile("telemetry"))
@given(raw=clean_raw(), data=st.data())
def test_invariant_on_tables_with_duplicates(station, raw, data):
    if len(raw):
        idx = data.draw(st.lists(st.integers(0, len(raw) - 1), max_size=10))
        extra = raw.iloc[idx].copy()
        if len(extra):
            # some exact copies, some conflicting
            bump = data.draw(st.lists(st.booleans(), min_size=len(extra), max_size=len(extra)))
            extra["value"] = extra["value"] + np.where(bump, 0.5, 0.0)
        raw = pd.concat([raw, extra], ignore_index=True)
    f = check_samples(raw, station)
    assert len(f.data) + len(f.quarantined) == len(raw)
    assert not f.data.duplicated(["time", "channel"]).any()
