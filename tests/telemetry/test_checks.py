"""Data checks: each check in lenient mode (counted quarantine) and strict mode (error naming file, line, channel)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.errors import TelemetryError
from hullbreach.telemetry.channel import median5 as _median5, median5_at as _median5_at
from hullbreach.telemetry.checks import CheckConfig, check_samples
from hullbreach.telemetry.writers import write_long_csv
from hullbreach.telemetry.readers import read_telemetry
from hullbreach.units import to_si



def _csv(tmp_path, raw, name="t.csv"):
    p = tmp_path / name
    write_long_csv(raw, p)
    return p


def _text_csv(tmp_path, rows, name="t.csv"):
    p = tmp_path / name
    p.write_text("time,channel,value\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return p


def _assert_invariant(frame, n_in):
    assert len(frame.data) + len(frame.quarantined) == n_in


def test_clean_data_passes_untouched(station, tmp_path, make_raw):
    raw = make_raw(400)
    f = read_telemetry(_csv(tmp_path, raw), station)
    assert f.n_quarantined == 0 and f.counts == {} and f.warnings == ()
    assert len(f.data) == len(raw)
    assert all(r.trusted for r in f.channels.values())
    assert str(f.data["time"].dtype) == "datetime64[ns, UTC]"
    # SI conversion per sensor unit
    lab = f.data[f.data.channel == "USLAB000058"]["value"].to_numpy()
    np.testing.assert_array_equal(lab, to_si(raw[raw.channel == "USLAB000058"]["value"].to_numpy(), "mmHg"))
    temp = f.data[f.data.channel == "USLAB000059"]["value"].to_numpy()
    np.testing.assert_allclose(temp, raw[raw.channel == "USLAB000059"]["value"].to_numpy() + 273.15)


# (rows, expected reason key, expected substring in the reason)
BAD_ROWS = [
    ("2018-08-29T20:00:05Z,NOPE,750.0", "unknown_channel", "unknown channel 'NOPE'"),
    ("yesterday,USLAB000058,750.0", "bad_time", "unreadable time 'yesterday'"),
    ("1535572805000,USLAB000058,750.0", "bad_time", "milliseconds"),
    ("2018-08-29T20:00:05Z,USLAB000058,", "missing", "missing value"),
    ("2018-08-29T20:00:05Z,USLAB000058,NaN", "missing", "missing value"),
    ("2018-08-29T20:00:05Z,USLAB000058,inf", "infinite", "infinite"),
    ("2018-08-29T20:00:05Z,USLAB000058,7a0", "bad_value", "unreadable value '7a0'"),
    ("2018-08-29T20:00:05Z,USLAB000058,-3", "impossible", "impossible for pressure"),
    ("2018-08-29T20:00:05Z,USLAB000058,14.7", "impossible", "probably psi"),
    ("2018-08-29T20:00:05Z,USLAB000059,295.2", "impossible", "probably K"),
    ("2018-08-29T20:00:05Z,USLAB000058,780.0", "spike", "spike"),
]


def _series_rows(n=60, channel="USLAB000058", value=750.0, noise=0.05, seed=1, unit_round=0.01):
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2018-08-29T20:00:00Z")
    rows = []
    for i in range(n):
        t = (t0 + pd.Timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
        rows.append(f"{t},{channel},{round((value + rng.normal(0, noise)) / unit_round) * unit_round:.2f}")
    return rows


@pytest.mark.parametrize("bad,key,text", BAD_ROWS)
def test_bad_sample_lenient_and_strict(station, tmp_path, bad, key, text):
    chan = bad.split(",")[1]
    base_chan = chan if chan in ("USLAB000058", "USLAB000059") else "USLAB000058"
    value = 22.0 if base_chan == "USLAB000059" else 750.0
    rows = _series_rows(channel=base_chan, value=value)
    # replace the sample at 20:00:05 (line 7) by the bad one
    rows[5] = bad
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    _assert_invariant(f, len(rows))
    assert f.counts.get(key) == 1, f.counts
    q = f.quarantined.iloc[0]
    assert text in q["reason"]
    assert q["source"] == f"{p}:7"
    with pytest.raises(TelemetryError) as exc:
        read_telemetry(p, station, strict=True)
    msg = str(exc.value)
    assert f"{p}:7" in msg and chan in msg and text in msg


def test_naive_time_lenient_reads_utc_and_warns(station, tmp_path):
    rows = _series_rows(10)
    rows[3] = "2018-08-29T20:00:03," + rows[3].split(",", 1)[1]
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    assert f.n_quarantined == 0 and len(f.data) == 10
    assert f.counts["naive_time"] == 1
    assert f.channels["USLAB000058"].naive_times == 1
    assert any("read as UTC" in w and f"{p}:5" in w for w in f.warnings)
    assert f.data["time"].iloc[3] == pd.Timestamp("2018-08-29T20:00:03Z")
    with pytest.raises(TelemetryError, match=r"t\.csv:5: channel USLAB000058: .*no time zone"):
        read_telemetry(p, station, strict=True)


def test_other_zones_convert_to_utc(station, tmp_path):
    p = _text_csv(tmp_path, ["2018-08-30T02:00:00+03:00,USLAB000058,750.0", "1535583601.5,USLAB000058,750.01"])
    f = read_telemetry(p, station, strict=True)
    assert list(f.data["time"]) == [pd.Timestamp("2018-08-29T23:00:00Z"), pd.Timestamp("2018-08-29T23:00:01.5Z")]


def test_exact_duplicate_keeps_one(station, tmp_path):
    rows = _series_rows(20)
    rows.insert(6, rows[5])  # exact copy on line 8 of line 7
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    _assert_invariant(f, len(rows))
    assert f.counts == {"duplicate": 1}
    assert len(f.data) == 20
    assert f.quarantined.iloc[0]["source"] == f"{p}:8"
    assert f"duplicate of {p}:7" in f.quarantined.iloc[0]["reason"]
    with pytest.raises(TelemetryError, match=r"t\.csv:8: channel USLAB000058: duplicate"):
        read_telemetry(p, station, strict=True)


def test_conflicting_duplicate_quarantines_both(station, tmp_path):
    rows = _series_rows(20)
    t, c, v = rows[5].split(",")
    rows.insert(6, f"{t},{c},{float(v) + 0.5:.2f}")
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    _assert_invariant(f, len(rows))
    assert f.counts == {"conflict": 2}
    assert list(f.quarantined["source"]) == [f"{p}:7", f"{p}:8"]
    assert len(f.data) == 19
    with pytest.raises(TelemetryError, match=r"t\.csv:7: .*conflicting duplicate"):
        read_telemetry(p, station, strict=True)


def test_frozen_clock(station, tmp_path):
    rows = _series_rows(30)
    t_frozen = rows[10].split(",")[0]
    for i in range(10, 16):  # six samples stamped with one time
        rows[i] = t_frozen + "," + rows[i].split(",", 1)[1]
    rows[11] = t_frozen + ",USLAB000058,750.31"
    rows[12] = t_frozen + ",USLAB000058,750.32"
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    _assert_invariant(f, len(rows))
    assert f.counts.get("frozen_clock", 0) + f.counts.get("duplicate", 0) == 6
    assert f.counts["frozen_clock"] >= 3
    assert all("frozen clock" in r for r in f.quarantined["reason"] if "duplicate" not in r)
    with pytest.raises(TelemetryError, match=r"t\.csv:12: .*frozen clock"):
        read_telemetry(p, station, strict=True)


def test_out_of_order_sorted_counted_never_dropped(station, tmp_path):
    rows = _series_rows(30)
    rows[10], rows[20] = rows[20], rows[10]
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    assert f.n_quarantined == 0 and len(f.data) == 30
    assert f.data["time"].is_monotonic_increasing
    assert f.counts["out_of_order"] >= 1
    assert f.channels["USLAB000058"].out_of_order == f.counts["out_of_order"]
    assert any("sorted" in w for w in f.warnings)
    with pytest.raises(TelemetryError, match=r"t\.csv:13: channel USLAB000058: .*earlier than a previous"):
        read_telemetry(p, station, strict=True)


def test_gaps_reported_not_errors(station, tmp_path):
    rows = _series_rows(60)
    del rows[20:40]
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station, strict=True)
    assert len(f.data) == 40
    assert f.channels["USLAB000058"].gaps == 1
    assert f.channels["USLAB000058"].max_gap_s == pytest.approx(21.0)
    assert len(f.gaps) == 1 and f.gaps.iloc[0]["duration_s"] == pytest.approx(21.0)
    assert f.gaps.iloc[0]["start"] == pd.Timestamp("2018-08-29T20:00:19Z")


def _stuck_rows(n=200, stuck_from=100):
    rows = _series_rows(n)
    frozen_value = rows[stuck_from].split(",")[2]
    for i in range(stuck_from, n):
        t, c, _ = rows[i].split(",")
        rows[i] = f"{t},{c},{frozen_value}"
    return rows


def test_stuck_sensor_kept_but_untrusted(station, tmp_path):
    p = _text_csv(tmp_path, _stuck_rows())
    for strict in (False, True):  # a sensor verdict, not a file error: same in both modes
        f = read_telemetry(p, station, strict=strict)
        assert len(f.data) == 200 and f.n_quarantined == 0
        rep = f.channels["USLAB000058"]
        assert not rep.trusted and rep.reason.startswith("stuck")
        assert "USLAB000058" not in f.trusted_channels()
        assert f.counts["stuck_channels"] == 1


def test_healthy_quantized_sensor_not_stuck(station, tmp_path):
    # Noise far below the resolution: repeats are expected and must not be called stuck.
    rows = _series_rows(300, channel="QUIETP", noise=0.02, unit_round=0.1)
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    assert f.channels["QUIETP"].trusted
    assert any("stuck-sensor check skipped" in n for n in f.channels["QUIETP"].notes)


def test_sensor_quieter_than_declared_is_stuck(station, tmp_path):
    # The station says noise 0.05 mmHg at 0.01 resolution: 300 identical readings cannot happen.
    rows = _series_rows(300, noise=0.001)
    f = read_telemetry(_text_csv(tmp_path, rows), station)
    assert not f.channels["USLAB000058"].trusted


def test_whole_channel_in_wrong_unit(station, tmp_path):
    rows = _series_rows(50, value=14.5, noise=0.01)  # psi values on a mmHg channel
    p = _text_csv(tmp_path, rows)
    f = read_telemetry(p, station)
    _assert_invariant(f, 50)
    assert f.counts == {"impossible": 50}
    assert not f.channels["USLAB000058"].trusted
    assert "probably psi" in f.channels["USLAB000058"].reason
    with pytest.raises(TelemetryError, match=r"t\.csv:2: channel USLAB000058: .*probably psi"):
        read_telemetry(p, station, strict=True)


def test_airlock_at_vacuum_is_not_a_unit_error(station, tmp_path):
    rows = _series_rows(50, channel="AIRLOCK000054", value=0.5, noise=0.05)
    rows = [r if not r.endswith(",-0.00") else r[:-6] + ",0.00" for r in rows]
    p = _text_csv(tmp_path, [r.replace(",-", ",") for r in rows])
    f = read_telemetry(p, station)
    assert f.channels["AIRLOCK000054"].trusted
    assert f.counts.get("impossible", 0) == 0


def test_real_steps_are_not_spikes(station):
    # A repress (+10 mmHg in 3 s) and a slow leak are physics, not spikes.
    n = 600
    t = pd.Timestamp("2018-08-29T20:00:00Z") + pd.to_timedelta(np.arange(n), unit="s")
    rng = np.random.default_rng(3)
    p = 750 - 0.6 / 3600 * np.arange(n) + np.where(np.arange(n) > 300, 10.0, 0.0) + rng.normal(0, 0.05, n)
    p[300:303] = [752.5, 755.0, 757.5]
    raw = pd.DataFrame({"time": t, "channel": "USLAB000058", "value": np.round(p, 2)})
    f = check_samples(raw, station, source="mem")
    assert f.n_quarantined == 0


def test_median5_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=101)
    p = np.pad(x, 2, mode="reflect")
    expected = np.median(np.lib.stride_tricks.sliding_window_view(p, 5), axis=1)
    np.testing.assert_array_equal(_median5(x), expected)
    at = np.array([0, 1, 2, 50, 99, 100])
    np.testing.assert_array_equal(_median5_at(x, at), expected[at])


def test_spike_screen_misses_nothing(station):
    """The first-difference screen finds every sample the full 5-median test flags (random spiky data)."""
    from hullbreach.telemetry.channel import median5 as _median5
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = 500
        x = 750 + rng.normal(0, 0.05, n)
        k = rng.integers(0, n, 15)
        x[k] += rng.choice([-1, 1], 15) * rng.uniform(0.2, 5, 15)
        t = pd.Timestamp("2018-08-29T20:00:00Z") + pd.to_timedelta(np.arange(n), unit="s")
        raw = pd.DataFrame({"time": t, "channel": "USLAB000058", "value": x})
        f = check_samples(raw, station, config=CheckConfig(spike_k=8))
        full = np.abs(x - _median5(x))
        d = np.abs(np.diff(x))
        thr = 8 * max(np.median(d) * 1.4826 / np.sqrt(2), 0.05)
        expected = int((full > thr).sum())
        assert f.counts.get("spike", 0) + f.counts.get("impossible", 0) == expected


def test_strict_reports_first_problem_and_count(station, tmp_path):
    rows = _series_rows(30)
    rows[20] = rows[20].rsplit(",", 1)[0] + ",x"
    rows[8] = rows[8].rsplit(",", 1)[0] + ","
    p = _text_csv(tmp_path, rows)
    with pytest.raises(TelemetryError) as exc:
        read_telemetry(p, station, strict=True)
    assert f"{p}:10" in str(exc.value) and "1 more problem" in str(exc.value)


def test_quarantine_columns_and_dtypes(station, tmp_path):
    rows = _series_rows(20)
    rows[3] = "garbage,USLAB000058,1"
    f = read_telemetry(_text_csv(tmp_path, rows), station)
    q = f.quarantined
    assert list(q.columns) == ["time", "channel", "value", "reason", "source"]
    assert str(q["time"].dtype) == "datetime64[ns, UTC]" and pd.isna(q["time"].iloc[0])


def test_config_thresholds_are_used(station, make_raw):
    raw = make_raw(200, channels=("USLAB000058",))
    raw.loc[100, "value"] += 1.0  # 20 sigma
    assert check_samples(raw, station).counts.get("spike") == 1
    assert check_samples(raw, station, config=CheckConfig(spike_k=100)).counts.get("spike") is None


def test_quantized_sensor_with_slow_signal_is_not_stuck(station, tmp_path):
    # Issue 16 (a real ISS board at 0.1 hPa steps): declared noise 0.05 at resolution 0.1, the signal moving
    # less than one step: 300 equal readings are expected, not a stuck sensor (53ac87c called it stuck).
    rows = _series_rows(300, channel="QUANTP", value=750.0, noise=0.01, unit_round=0.1)
    assert len({r.split(",")[2] for r in rows}) == 1
    f = read_telemetry(_text_csv(tmp_path, rows), station)
    assert f.channels["QUANTP"].trusted
    assert any("stuck-sensor check skipped" in n for n in f.channels["QUANTP"].notes)
