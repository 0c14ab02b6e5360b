"""The column-by-column checks of wide Parquet files give exactly the frame of the long-table path."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import read_telemetry
from hullbreach.telemetry.checks import check_samples
from hullbreach.telemetry.readers import _check_wide_table, read_parquet_raw

# channel -> (typical value, noise, resolution) in the test station's units (conftest.STATION_TOML)
CHANNELS = {"USLAB000058": (750.0, 0.05, 0.01), "USLAB000059": (22.0, 0.05, 0.01), "NODE1P": (100.0, 0.01, 0.001),
            "USLAB000054": (590.0, 0.1, 0.01), "AIRLOCK000054": (750.0, 0.05, 0.01)}


def _long_path(p, station, strict=False):
    raw, lines = read_parquet_raw(p)
    return check_samples(raw, station, strict=strict, source=str(p), lines=lines, line_label="row ",
                         lines_are_times=raw.attrs.get("lines_are_times", False))


def assert_same_frame(a, b):
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.quarantined, b.quarantined)
    pd.testing.assert_frame_equal(a.gaps, b.gaps)
    assert a.counts == b.counts and list(a.counts) == list(b.counts)
    assert a.warnings == b.warnings and a.source == b.source
    assert list(a.channels) == list(b.channels)
    for c in a.channels:
        ra, rb = dataclasses.asdict(a.channels[c]), dataclasses.asdict(b.channels[c])
        assert ra.keys() == rb.keys()
        for k in ra:
            if isinstance(ra[k], float) and np.isnan(ra[k]):
                assert np.isnan(rb[k]), (c, k)
            else:
                assert ra[k] == rb[k], (c, k, ra[k], rb[k])


def _messy_wide(seed: int, n: int, chans, zone: bool = True, stuck: bool = False, gap: bool = False,
                nulls: bool = True, as_int: str | None = None) -> pa.Table:
    rng = np.random.default_rng(seed)
    t = pd.date_range("2018-08-29T20:00:00", periods=n, freq="s")
    if gap:
        t = t.where(np.arange(n) < n // 2, t + pd.Timedelta(minutes=30))
    cols = {"time": pa.array(t.tz_localize("UTC") if zone else t)}
    for c in chans:
        mu, sd, res = CHANNELS[c]
        x = np.round((mu + rng.normal(0, sd, n)) / res) * res
        k = max(1, n // 40)
        x[rng.integers(0, n, k)] += 60 * sd + 1.0          # spikes
        x[rng.integers(0, n, k)] = np.nan                 # missing
        if rng.random() < 0.5:
            x[rng.integers(0, n)] = np.inf                # infinite
        if rng.random() < 0.5 and CHANNELS[c][0] > 500:
            x[rng.integers(0, n)] = 14.7                  # psi among mmHg: impossible, "probably psi"
        if stuck and c == chans[0]:
            # a finite stuck value (a NaN one could leave a short column without any usable sample)
            x[n // 4: n // 4 + 80] = x[n // 4] if np.isfinite(x[n // 4]) else mu
        mask = (rng.random(n) < 0.1) if nulls else None
        if as_int == c:
            cols[c] = pa.array(np.round(np.nan_to_num(x, nan=mu, posinf=mu)).astype(np.int64), mask=mask)
        else:
            cols[c] = pa.array(x, mask=mask)
    return pa.table(cols)


def _write(tab, tmp_path, name="w.parquet", row_group_size=None):
    p = tmp_path / name
    pq.write_table(tab, p, row_group_size=row_group_size)
    return p


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(6, 400), nch=st.integers(1, 5), zone=st.booleans(),
       stuck=st.booleans(), gap=st.booleans(), nulls=st.booleans(), row_group=st.sampled_from([None, 64]))
def test_wide_parquet_fast_path_equals_long_path(station, tmp_path, seed, n, nch, zone, stuck, gap, nulls,
                                                row_group):
    chans = list(np.random.default_rng(seed).permutation(sorted(CHANNELS))[:nch])
    tab = _messy_wide(seed, n, chans, zone=zone, stuck=stuck, gap=gap, nulls=nulls)
    p = _write(tab, tmp_path, row_group_size=row_group)
    fast = _check_wide_table(pq.read_table(p), p, station, False, None)
    assert fast is not None  # the fast path applies to these files
    assert_same_frame(fast, _long_path(p, station))
    assert_same_frame(read_telemetry(p, station), fast)
    assert len(fast.data) + len(fast.quarantined) == int(sum(tab.column(c).length() - tab.column(c).null_count
                                                             for c in chans))


def test_wide_parquet_integer_column_and_strict(station, tmp_path):
    tab = _messy_wide(3, 300, ["USLAB000058", "NODE1P"], as_int="NODE1P", nulls=False)
    p = _write(tab, tmp_path)
    assert_same_frame(read_telemetry(p, station), _long_path(p, station))
    # strict: the first problem is reported exactly as by the long path
    with pytest.raises(TelemetryError) as fast_err:
        read_telemetry(p, station, strict=True)
    with pytest.raises(TelemetryError) as long_err:
        _long_path(p, station, strict=True)
    assert str(fast_err.value) == str(long_err.value)
    # a clean file passes strict through the fast path
    t = pa.array(pd.date_range("2018-08-29T20:00:00Z", periods=50, freq="s"))
    clean = pa.table({"time": t, "USLAB000058": np.round(750 + 0.05 * np.random.default_rng(1).normal(size=50), 2)})
    pc = _write(clean, tmp_path, "clean.parquet")
    assert _check_wide_table(pq.read_table(pc), pc, station, True, None) is not None
    assert_same_frame(read_telemetry(pc, station, strict=True), _long_path(pc, station, strict=True))


@pytest.mark.parametrize("case", ["unsorted", "repeated", "unknown", "all_nan", "all_null"])
def test_wide_parquet_falls_back_to_long_path(station, tmp_path, case):
    n = 40
    t = pd.date_range("2018-08-29T20:00:00Z", periods=n, freq="s")
    x = np.round(750 + 0.05 * np.random.default_rng(2).normal(size=n), 2)
    cols = {"time": t, "USLAB000058": x}
    if case == "unsorted":
        cols["time"] = t[np.r_[1, 0, 2:n]]
    elif case == "repeated":
        cols["time"] = t[np.r_[0, 0, 2:n]]
    elif case == "unknown":
        cols["XYZ"] = x
    elif case == "all_nan":
        cols["NODE1P"] = np.full(n, np.nan)
    tab = pa.table({k: pa.array(v) for k, v in cols.items()})
    if case == "all_null":
        tab = tab.append_column("NODE1P", pa.nulls(n, pa.float64()))
    p = _write(tab, tmp_path)
    assert _check_wide_table(pq.read_table(p), p, station, False, None) is None
    assert_same_frame(read_telemetry(p, station), _long_path(p, station))


@settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(6, 400), nch=st.integers(1, 5), gap=st.booleans(),
       bin_s=st.sampled_from([1.0, 7.0, 60.0]))
def test_sample_grid_describes_data_and_bins_the_same(station, tmp_path, seed, n, nch, gap, bin_s):
    """The (channel x time) grid the fast path attaches holds exactly the accepted long ``data``, and the
    detector's binning from the grid equals the binning of the long table (sums to 1e-9, counts exact)."""
    from hullbreach.detect.airmass import bin_channels, bin_frame
    chans = list(CHANNELS)[:nch]
    p = _write(_messy_wide(seed, n, chans, gap=gap), tmp_path, f"g{seed}.parquet")
    fr = read_telemetry(p, station)
    g = fr.grid
    assert g is not None and list(g.channels) == sorted(chans)
    j, i = np.nonzero(g.mask)  # row-major: channel, then time
    from_grid = pd.DataFrame({"t": g.time_ns[i], "c": np.array(g.channels)[j], "v": g.values[j, i]})
    from_grid = from_grid.sort_values(["t", "c"], kind="stable").reset_index(drop=True)
    assert len(from_grid) == len(fr.data)
    assert (from_grid["t"].to_numpy() == fr.data["time"].astype("int64").to_numpy()).all()
    assert (from_grid["c"].to_numpy() == fr.data["channel"].astype(str).to_numpy()).all()
    assert (from_grid["v"].to_numpy() == fr.data["value"].to_numpy()).all()
    want = chans[::-1] + ["not-a-channel"]
    a = bin_frame(fr, want, bin_s)
    b = bin_channels(fr.data, want, bin_s)
    assert a[0] == b[0] and a[1].shape == b[1].shape
    np.testing.assert_allclose(a[1], b[1], rtol=0, atol=1e-9 * max(1.0, float(np.abs(b[1]).max())))
    np.testing.assert_array_equal(a[2], b[2])
    k1 = b[0] + b[1].shape[1]
    for kr in ((b[0] + 1, k1), (b[0] - 3, b[0] + 2), (k1 + 5, k1 + 9)):
        a, b2 = bin_frame(fr, want, bin_s, kr), bin_channels(fr.data, want, bin_s, kr)
        np.testing.assert_allclose(a[1], b2[1], rtol=0, atol=1e-9 * max(1.0, float(np.abs(b2[1]).max(initial=0))))
        np.testing.assert_array_equal(a[2], b2[2])


# ------------------------------------------------------------------ long Parquet files on a time grid
def _long_from_wide(tab: pa.Table, layout: str, seed: int, numeric_time: bool, dictionary: bool) -> pa.Table:
    """The same samples as a long table (time-major). ``dense``: every time holds every channel, in one fixed
    order (a null cell becomes a null value, i.e. a missing sample); ``sparse``: null cells are no row;
    ``shuffled``: dense, but the channel order changes from time to time."""
    rng = np.random.default_rng(seed)
    chans = tab.column_names[1:]
    n = tab.num_rows
    t = tab.column("time").to_pandas()
    order = list(rng.permutation(chans))
    rows_t, rows_c, rows_v = [], [], []
    for i in range(n):
        oi = list(rng.permutation(chans)) if layout == "shuffled" else order
        for c in oi:
            v = tab.column(c)[i].as_py()
            if v is None and layout == "sparse":
                continue
            rows_t.append(t.iloc[i])
            rows_c.append(c)
            rows_v.append(np.nan if v is None else float(v))
    tt = pd.DatetimeIndex(rows_t)
    time = pa.array(tt.asi8 / 1e9) if numeric_time else pa.array(tt)
    ch = pa.array(rows_c).dictionary_encode() if dictionary else pa.array(rows_c)
    return pa.table({"time": time, "channel": ch, "value": pa.array(rows_v)})


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6), n=st.integers(6, 120), nch=st.integers(1, 5), gap=st.booleans(),
       layout=st.sampled_from(["dense", "sparse", "shuffled"]), numeric_time=st.booleans(),
       dictionary=st.booleans(), row_group=st.sampled_from([None, 7, 64]))
def test_long_parquet_grid_path_equals_long_path(station, tmp_path, seed, n, nch, gap, layout, numeric_time,
                                                 dictionary, row_group):
    """A long Parquet file sorted by time, one sample per channel and time, is checked column by column
    (dense layout: gathered batch by batch) and gives exactly the frame of the long path, with each
    sample's own file row in the quarantine; the grid bins like the long table."""
    from hullbreach.detect.airmass import bin_channels, bin_frame
    from hullbreach.telemetry.readers import _check_long_table
    chans = list(np.random.default_rng(seed).permutation(sorted(CHANNELS))[:nch])
    long = _long_from_wide(_messy_wide(seed, n, chans, gap=gap, nulls=True), layout, seed, numeric_time, dictionary)
    p = _write(long, tmp_path, f"long{seed}.parquet", row_group_size=row_group)
    low = {"time": "time", "channel": "channel", "value": "value"}
    fast = _check_long_table(pq.read_table(p, read_dictionary=["channel"]), low, p, station, False, None)
    assert fast is not None  # sorted, no repeats: the grid path applies to every layout
    slow = _long_path(p, station)
    assert_same_frame(fast, slow)
    assert_same_frame(read_telemetry(p, station), slow)
    a, b = bin_frame(fast, chans, 60.0), bin_channels(slow.data, chans, 60.0)
    assert a[0] == b[0]
    np.testing.assert_allclose(a[1], b[1], rtol=1e-12)
    np.testing.assert_array_equal(a[2], b[2])


@pytest.mark.parametrize("case", ["unsorted", "repeated", "conflict", "unknown", "naive", "text_time"])
def test_long_parquet_falls_back_to_long_path(station, tmp_path, case):
    """Files the grid path cannot prove equivalent go to the long path, which reports their problems."""
    from hullbreach.telemetry.readers import _check_long_table
    n = 30
    t = pd.date_range("2018-08-29T20:00:00Z", periods=n, freq="s").repeat(2)
    ch = np.tile(["USLAB000058", "USLAB000059"], n).astype(object)
    v = np.where(ch == "USLAB000058", 750.0, 22.0) + np.round(0.05 * np.random.default_rng(4).normal(size=2 * n), 2)
    time = pa.array(t)
    if case == "unsorted":
        time = pa.array(t[np.r_[2, 3, 0, 1, 4:2 * n]])
    elif case in ("repeated", "conflict"):
        t2, ch2, v2 = t.insert(5, t[4]), np.insert(ch, 5, ch[4]), np.insert(v, 5, v[4] + (1.0 if case == "conflict" else 0))
        time, ch, v = pa.array(t2), ch2, v2
    elif case == "unknown":
        ch = ch.copy()
        ch[7] = "XYZ"
    elif case == "naive":
        time = pa.array(t.tz_localize(None))
    elif case == "text_time":
        time = pa.array([x.isoformat() for x in t])
    p = _write(pa.table({"time": time, "channel": pa.array(list(ch)), "value": pa.array(v)}), tmp_path)
    low = {"time": "time", "channel": "channel", "value": "value"}
    assert _check_long_table(pq.read_table(p, read_dictionary=["channel"]), low, p, station, False, None) is None
    assert_same_frame(read_telemetry(p, station), _long_path(p, station))
