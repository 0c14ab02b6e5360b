"""Readers: long CSV, wide CSV, Parquet, format detection, round trips, events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import read_events, read_telemetry, write_events_csv, write_long_csv
from hullbreach.telemetry.readers import detect_format, parse_detail


def _wide(raw: pd.DataFrame) -> pd.DataFrame:
    w = raw.pivot(index="time", columns="channel", values="value").reset_index()
    t = w.pop("time")
    w.insert(0, "unix_s", (t - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds())
    return w


def test_long_and_wide_csv_give_the_same_frame(station, tmp_path, make_raw):
    raw = make_raw(120)
    long_p = tmp_path / "long.csv"
    write_long_csv(raw, long_p)
    wide_p = tmp_path / "wide.csv"
    _wide(raw).to_csv(wide_p, index=False, float_format="%.17g")
    assert detect_format(long_p) == "long" and detect_format(wide_p) == "wide"
    a = read_telemetry(long_p, station, strict=True)
    b = read_telemetry(wide_p, station, strict=True)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.data["time"].is_monotonic_increasing


def test_wide_csv_empty_cell_is_no_sample_but_nan_is_missing(station, tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("unix_s,USLAB000058,USLAB000059\n"
                 "1535583600,750.00,22.00\n"
                 "1535583601,,22.01\n"
                 "1535583602,nan,22.02\n"
                 "1535583603,750.01,\n", encoding="utf-8")
    f = read_telemetry(p, station)
    assert len(f.data) + len(f.quarantined) == 6
    assert f.counts == {"missing": 1}
    assert f.quarantined.iloc[0]["source"] == f"{p}:4"
    with pytest.raises(TelemetryError, match=r"w\.csv:4: channel USLAB000058: missing"):
        read_telemetry(p, station, strict=True)


def test_wide_csv_unknown_column_and_bad_time(station, tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("time,USLAB000058,XYZ\n"
                 "1535583600,750.00,1\n"
                 "soon,750.01,2\n"
                 "1535583602,750.02,3\n", encoding="utf-8")
    f = read_telemetry(p, station)
    assert f.counts == {"unknown_channel": 2, "bad_time": 2}
    assert list(f.quarantined["source"]) == [f"{p}:2", f"{p}:3", f"{p}:3", f"{p}:4"]
    assert len(f.data) == 2
    assert not f.channels["XYZ"].trusted
    with pytest.raises(TelemetryError, match=r"w\.csv:2: channel XYZ: unknown channel"):
        read_telemetry(p, station, strict=True)


def test_wide_csv_iso_times(station, tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("time,USLAB000058\n2018-08-29T23:00:00Z,750\n2018-08-29T23:00:01Z,750.01\n", encoding="utf-8")
    f = read_telemetry(p, station, strict=True, fmt="wide")
    assert f.data["time"].iloc[1] == pd.Timestamp("2018-08-29T23:00:01Z")


def test_malformed_rows(station, tmp_path):
    p = tmp_path / "m.csv"
    p.write_text("time,channel,value\n"
                 "2018-08-29T23:00:00Z,USLAB000058,750\n"
                 "2018-08-29T23:00:01Z,USLAB000058,750.01,extra\n"
                 "2018-08-29T23:00:02Z,USLAB000058,750.02\n", encoding="utf-8")
    with pytest.raises(TelemetryError, match=r"m\.csv:3"):
        read_telemetry(p, station, strict=True)
    f = read_telemetry(p, station)
    assert len(f.data) == 2 and f.counts == {"malformed": 1}
    assert f.quarantined.iloc[0]["source"] == f"{p}:3"


def test_blank_lines_keep_line_numbers(station, tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("time,channel,value\n2018-08-29T23:00:00Z,USLAB000058,750\n\n"
                 "2018-08-29T23:00:02Z,USLAB000058,oops\n", encoding="utf-8")
    f = read_telemetry(p, station)
    assert len(f.data) == 1 and f.quarantined.iloc[0]["source"] == f"{p}:4"


def test_unix_seconds_in_long_csv(station, tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("time,channel,value\n1535583600.25,USLAB000058,750\n", encoding="utf-8")
    f = read_telemetry(p, station, strict=True)
    assert f.data["time"].iloc[0] == pd.Timestamp("2018-08-29T23:00:00.25Z")


def test_missing_file_and_bad_header(station, tmp_path):
    with pytest.raises(TelemetryError, match="does not exist"):
        read_telemetry(tmp_path / "nope.csv", station)
    p = tmp_path / "h.csv"
    p.write_text("when,channel,value\n1,USLAB000058,750\n", encoding="utf-8")
    with pytest.raises(TelemetryError, match="header lacks time"):
        read_telemetry(p, station, fmt="long")
    with pytest.raises(TelemetryError, match="unknown telemetry format"):
        read_telemetry(p, station, fmt="xml")


def test_empty_long_csv(station, tmp_path):
    p = tmp_path / "e.csv"
    p.write_text("time,channel,value\n", encoding="utf-8")
    f = read_telemetry(p, station, strict=True)
    assert len(f.data) == 0 and f.n_quarantined == 0


def test_station_by_path(station_path, tmp_path, make_raw):
    p = tmp_path / "l.csv"
    write_long_csv(make_raw(10), p)
    assert len(read_telemetry(p, str(station_path)).data) == 30


# ------------------------------------------------------------------------------------------- Parquet
def test_parquet_long_and_wide(station, tmp_path, make_raw):
    raw = make_raw(100)
    ref = read_telemetry(_write_csv(raw, tmp_path), station, strict=True)
    lp = tmp_path / "l.parquet"
    raw.to_parquet(lp)
    wp = tmp_path / "w.parquet"
    w = raw.pivot(index="time", columns="channel", values="value").reset_index()
    w.columns.name = None
    w.to_parquet(wp)
    for p in (lp, wp):
        assert detect_format(p) == "parquet"
        f = read_telemetry(p, station, strict=True)
        pd.testing.assert_frame_equal(f.data, ref.data)


def _write_csv(raw, tmp_path):
    p = tmp_path / "ref.csv"
    write_long_csv(raw, p)
    return p


def test_parquet_problems_have_row_locations(station, tmp_path, make_raw):
    raw = make_raw(50, channels=("USLAB000058",))
    raw.loc[7, "value"] = np.nan
    p = tmp_path / "l.parquet"
    raw.to_parquet(p)
    f = read_telemetry(p, station)
    assert f.quarantined.iloc[0]["source"] == f"{p}:row 8"
    with pytest.raises(TelemetryError, match=r"l\.parquet:row 8: channel USLAB000058: missing"):
        read_telemetry(p, station, strict=True)


def test_parquet_naive_timestamps_and_unix_seconds(station, tmp_path):
    t = pd.date_range("2018-08-29T23:00:00", periods=5, freq="s")
    p = tmp_path / "n.parquet"
    pd.DataFrame({"time": t, "channel": "USLAB000058", "value": 750.0 + np.arange(5) * 0.01}).to_parquet(p)
    f = read_telemetry(p, station)
    assert f.counts == {"naive_time": 5}
    with pytest.raises(TelemetryError, match="no time zone"):
        read_telemetry(p, station, strict=True)
    p2 = tmp_path / "u.parquet"
    pd.DataFrame({"unix_s": (t - pd.Timestamp("1970-01-01")).total_seconds(), "USLAB000058": 750.0 + np.arange(5) * 0.01}).to_parquet(p2)
    f2 = read_telemetry(p2, station, strict=True)
    assert f2.data["time"].iloc[0] == pd.Timestamp("2018-08-29T23:00:00Z")


def test_parquet_wide_null_is_no_sample(station, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    t = pa.array(pd.date_range("2018-08-29T23:00:00Z", periods=4, freq="s"))
    tab = pa.table({"time": t, "USLAB000058": pa.array([750.0, None, float("nan"), 750.03])})
    p = tmp_path / "w.parquet"
    pq.write_table(tab, p)
    f = read_telemetry(p, station)
    assert len(f.data) == 2 and f.counts == {"missing": 1}


# -------------------------------------------------------------------------------------------- events
def test_events_roundtrip_and_parsing(station, tmp_path):
    ev = pd.DataFrame({
        "time": pd.to_datetime(["2018-08-30T05:00:00Z", "2018-08-30T16:30:00Z", "2018-08-30T04:00:00Z"]),
        "kind": ["hatch_close", "repress", "repress"],
        "detail": ["node1-lab", "module=lab;kg=12.5;gas=air", "3.25"],
    })
    p = tmp_path / "ev.csv"
    write_events_csv(ev, p)
    out = read_events(p, station)
    assert list(out["kind"]) == ["repress", "hatch_close", "repress"]  # sorted by time
    assert out["kg"].iloc[0] == 3.25 and out["kg"].iloc[2] == 12.5
    assert out["hatch"].iloc[1] == "node1-lab" and out["module"].iloc[2] == "lab" and out["gas"].iloc[2] == "air"
    assert str(out["time"].dtype) == "datetime64[ns, UTC]"
    assert out["time"].iloc[1] == pd.Timestamp("2018-08-30T05:00:00Z")


@pytest.mark.parametrize("row,text", [
    ("2018-08-30T05:00:00Z,hatch_close,no-such-hatch", "hatch 'no-such-hatch' is not in station"),
    ("2018-08-30T05:00:00Z,hatch_open,", "needs the hatch id"),
    ("2018-08-30T05:00:00Z,explode,", "unknown event kind 'explode'"),
    ("2018-08-30T05:00:00Z,repress,lots", "kg 'lots' is not a number"),
    ("2018-08-30T05:00:00Z,repress,kg=-1", "must be a finite number >= 0"),
    ("2018-08-30T05:00:00Z,repress,kg=1;gas=xenon", "gas 'xenon'"),
    ("2018-08-30T05:00:00Z,repress,kg=1;color=red", "unknown detail key 'color'"),
    ("2018-08-30T05:00:00,repress,1", "no time zone"),
    ("later,repress,1", "unreadable time"),
])
def test_events_errors_name_file_and_line(station, tmp_path, row, text):
    p = tmp_path / "ev.csv"
    p.write_text("time,kind,detail\n2018-08-30T04:00:00Z,repress,1\n" + row + "\n", encoding="utf-8")
    with pytest.raises(TelemetryError) as exc:
        read_events(p, station)
    assert f"{p}:3" in str(exc.value) and text in str(exc.value)
    lenient = read_events(p, station, strict=False)
    assert len(lenient.attrs["problems"]) == 1 and f"{p}:3" in lenient.attrs["problems"][0]
    assert len(lenient) == (2 if "no time zone" in text else 1)


def test_events_without_station_do_not_check_ids(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("time,kind,detail\n2018-08-30T05:00:00Z,hatch_close,anything\n", encoding="utf-8")
    assert read_events(p)["hatch"].iloc[0] == "anything"


def test_simulator_events_read_back(station, tmp_path):
    """The event details the Foundation simulator writes (sim/simulator.py) parse."""
    ev = pd.DataFrame({"time": pd.to_datetime(["2018-08-30T05:00:00Z"] * 5),
                       "kind": ["valve_open", "repress", "airlock_depress", "airlock_repress", "leak_sealed"],
                       "detail": ["node1-lab", "module=lab;kg=2.5;gas=n2", "module=airlock", "module=airlock",
                                  "module=lab"]})
    p = tmp_path / "ev.csv"
    write_events_csv(ev, p)
    out = read_events(p, station)
    assert list(out["hatch"])[0] == "node1-lab" and out["kg"].iloc[1] == 2.5 and out["gas"].iloc[1] == "n2"
    assert list(out["module"])[2:] == ["airlock", "airlock", "lab"]


def test_parse_detail_bare_forms():
    assert parse_detail("airlock_depress", "airlock")["module"] == "airlock"
    assert parse_detail("vehicle_dock", "soyuz-ms09")["module"] == "soyuz-ms09"
    assert parse_detail("leak_sealed", "epoxy")["note"] == "epoxy"


def test_telemetry_modules_share_helpers_by_public_names_only():
    """Issue 16 (structural change 3): the telemetry core's shared helpers are public; no module of
    hullbreach.telemetry imports another one's private (underscore) names. stream.py is another
    helper's file this session and is listed until it moves to the public names."""
    import ast
    from pathlib import Path

    import hullbreach.telemetry as tel

    pending = {"stream.py"}
    found = []
    for f in sorted(Path(tel.__file__).parent.glob("*.py")):
        if f.name in pending:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hullbreach"):
                found += [f"{f.name}: {node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    assert found == []
    for name in ("parse_times", "parse_values", "utc_times", "format_ns"):
        assert name in tel.__all__ and callable(getattr(tel, name))
