"""ISS Live recorder files: naming, year, hours since the start of the UTC year, folders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import detect_format, read_telemetry
from hullbreach.telemetry.isslive import parse_name
from hullbreach.units import to_si


def _hours(ts: str) -> float:
    t = pd.Timestamp(ts)
    return (t - pd.Timestamp(f"{t.year}-01-01", tz="UTC")).total_seconds() / 3600.0


def _write(path, start="2018-08-29T23:00:00Z", n=30, value=750.0, dt_s=10.0, seed=0):
    rng = np.random.default_rng(seed)
    h0 = _hours(start)
    lines = [f"{h0 + i * dt_s / 3600:.8f} {value + rng.normal(0, 0.05):.2f}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name,item,year", [
    ("USLAB000058_2018-08-29.txt", "USLAB000058", 2018),
    ("USLAB000058_20180829.dat", "USLAB000058", 2018),
    ("TIME_000001_2018-08-29.txt", "TIME_000001", 2018),
    ("AIRLOCK000054_2019.txt", "AIRLOCK000054", 2019),
    ("USLAB000058.txt", "USLAB000058", None),
])
def test_names(name, item, year):
    got = parse_name(name)
    assert got[0] == item and got[1] == year


def test_not_isslive_names():
    assert parse_name("README.md") is None and parse_name("USLAB000058_2018-13-45.txt") is None


def test_single_file(station, tmp_path):
    p = _write(tmp_path / "USLAB000058_2018-08-29.txt")
    assert detect_format(p) == "isslive"
    f = read_telemetry(p, station, strict=True)
    assert len(f.data) == 30
    assert abs(f.data["time"].iloc[0] - pd.Timestamp("2018-08-29T23:00:00Z")) < pd.Timedelta("1us")
    raw0 = float(p.read_text().split()[1])
    assert f.data["value"].iloc[0] == to_si(raw0, "mmHg")


def test_hours_since_start_of_year_exact():
    # 2018-08-29 23:00 UTC is day-of-year 241 -> (240 * 24 + 23) hours.
    assert _hours("2018-08-29T23:00:00Z") == 240 * 24 + 23


def test_year_needed_and_year_argument(station, tmp_path):
    p = _write(tmp_path / "USLAB000058.txt")
    with pytest.raises(TelemetryError, match="year is unknown"):
        read_telemetry(p, station, fmt="isslive")
    f = read_telemetry(p, station, fmt="isslive", year=2018)
    assert f.data["time"].iloc[0].year == 2018
    q = _write(tmp_path / "USLAB000058_2018-08-29.txt")
    with pytest.raises(TelemetryError, match="year 2018 but year=2019"):
        read_telemetry(q, station, year=2019)


def test_folder_is_one_set(station, tmp_path):
    d = tmp_path / "rec"
    d.mkdir()
    _write(d / "USLAB000058_2018-08-29.txt", start="2018-08-29T23:00:00Z")
    _write(d / "USLAB000058_2018-08-30.txt", start="2018-08-30T00:00:00Z", seed=1)
    _write(d / "USLAB000059_2018-08-29.txt", value=22.0, seed=2)
    (d / "notes.md").write_text("hello")
    assert detect_format(d) == "isslive"
    f = read_telemetry(d, station)
    assert len(f.data) == 90 and f.data["time"].is_monotonic_increasing
    assert set(f.data["channel"].astype(str)) == {"USLAB000058", "USLAB000059"}
    assert any("notes.md" in w for w in f.warnings)
    with pytest.raises(TelemetryError, match="notes.md"):
        read_telemetry(d, station, strict=True)


def test_bad_lines_name_file_and_line(station, tmp_path):
    d = tmp_path / "rec"
    d.mkdir()
    _write(d / "USLAB000058_2018-08-29.txt")
    p = _write(d / "USLAB000059_2018-08-29.txt", value=22.0)
    lines = p.read_text().splitlines()
    lines[4] = lines[4].split()[0] + " x"
    lines[6] = "# comment"
    lines[9] = "5000.0"
    lines[12] = "99999 22.0"
    p.write_text("\n".join(lines) + "\n")
    f = read_telemetry(d, station)
    assert len(f.data) + len(f.quarantined) == 60 - 1  # the comment is not a sample
    srcs = list(f.quarantined["source"])
    assert srcs == [f"{p}:5", f"{p}:10", f"{p}:13"]
    assert "unreadable value 'x'" in f.quarantined["reason"].iloc[0]
    assert "malformed line" in f.quarantined["reason"].iloc[1]
    assert "hours since the start of 2018" in f.quarantined["reason"].iloc[2]
    with pytest.raises(TelemetryError, match=r"USLAB000059_2018-08-29\.txt:5: channel USLAB000059"):
        read_telemetry(d, station, strict=True)


def test_unknown_item(station, tmp_path):
    p = _write(tmp_path / "NODE3000002_2018-08-29.txt")
    f = read_telemetry(p, station)
    assert f.counts == {"unknown_channel": 30}
    with pytest.raises(TelemetryError, match="NODE3000002_2018-08-29.txt:1: channel NODE3000002: unknown"):
        read_telemetry(p, station, strict=True)


def test_empty_folder(station, tmp_path):
    with pytest.raises(TelemetryError, match="no ISS Live recorder files"):
        read_telemetry(tmp_path, station)
