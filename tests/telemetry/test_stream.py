"""Streaming checks: same answer as batch, nothing accepted is lost, bad batches never raise (lenient)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.errors import TelemetryError
from hullbreach.telemetry import check_samples
from hullbreach.telemetry.stream import TelemetryStream


def _feed(stream, raw, sizes):
    i, out = 0, []
    for k in sizes:
        if i >= len(raw):
            break
        out.append(stream.push(raw.iloc[i:i + k]))
        i += k
    if i < len(raw):
        out.append(stream.push(raw.iloc[i:]))
    out.append(stream.flush())
    return out


def _messy(make_raw, seed=0):
    raw = make_raw(300, seed=seed)
    raw.loc[100, "value"] += 5.0     # spike
    raw.loc[401, "value"] = 14.7     # on the degC channel: spike
    raw.loc[250, "value"] = np.nan   # missing
    raw = pd.concat([raw, raw.iloc[[880]]], ignore_index=True)  # an exact duplicate, within the reorder window
    return raw


@settings(deadline=None, max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 200), min_size=4, max_size=12))
def test_stream_equals_batch(station, make_raw, sizes):
    raw = _messy(make_raw)
    batch = check_samples(raw, station)
    s = TelemetryStream(station)
    outs = _feed(s, raw, sizes)
    f = s.frame()
    pd.testing.assert_frame_equal(f.data, batch.data)
    assert f.counts == {k: v for k, v in batch.counts.items()}
    assert sorted(r.split(" of ")[0] for r in f.quarantined["reason"]) == \
        sorted(r.split(" of ")[0] for r in batch.quarantined["reason"])
    assert s.n_pending == 0
    assert sum(len(o.data) for o in outs) + sum(len(o.quarantined) for o in outs) == len(raw)


def test_one_sample_at_a_time_holds_two_per_channel(station, make_raw):
    raw = make_raw(20, channels=("USLAB000058",))
    s = TelemetryStream(station)
    got = [len(s.push(raw.iloc[[i]]).data) for i in range(len(raw))]
    assert got[:2] == [0, 0] and all(g == 1 for g in got[2:])
    assert s.n_pending == 2
    assert len(s.flush().data) == 2 and len(s.frame().data) == 20


def test_step_at_batch_end_is_not_a_spike(station):
    t = pd.Timestamp("2018-08-29T20:00:00Z") + pd.to_timedelta(np.arange(40), unit="s")
    v = np.where(np.arange(40) >= 20, 760.0, 750.0) + np.random.default_rng(1).normal(0, 0.05, 40).round(2)
    raw = pd.DataFrame({"time": t, "channel": "USLAB000058", "value": v})
    s = TelemetryStream(station)
    s.push(raw.iloc[:21])  # the batch ends on the first sample of the step
    s.push(raw.iloc[21:])
    s.flush()
    assert s.frame().n_quarantined == 0 and len(s.frame().data) == 40


def test_reorder_window(station, make_raw):
    raw = make_raw(200, channels=("USLAB000058",))
    s = TelemetryStream(station, reorder_window_s=30)
    s.push(raw.iloc[:150])
    late_ok = raw.iloc[[140]].copy()
    late_ok["time"] = late_ok["time"] - pd.Timedelta("0.5s")  # 10.5 s before the newest: accepted
    too_late = raw.iloc[[50]].copy()
    too_late["time"] = too_late["time"] + pd.Timedelta("0.5s")  # ~100 s late: quarantined
    f = s.push(pd.concat([raw.iloc[150:], late_ok, too_late]))
    assert f.counts.get("late") == 1 and "reorder window" in f.quarantined["reason"].iloc[0]
    s.flush()
    fr = s.frame()
    assert fr.counts["out_of_order"] >= 1 and fr.channels["USLAB000058"].out_of_order >= 1
    assert len(fr.data) == 201 and fr.data["time"].is_monotonic_increasing


def test_duplicates_across_batches(station, make_raw):
    raw = make_raw(60, channels=("USLAB000058",))
    s = TelemetryStream(station)
    s.push(raw.iloc[:40])
    copy = raw.iloc[[10]]
    conflict = raw.iloc[[20]].copy()
    conflict["value"] += 0.3
    f = s.push(pd.concat([copy, conflict, raw.iloc[40:]]))
    assert f.counts == {"duplicate": 1, "conflict": 1}
    s.flush()
    assert len(s.frame().data) == 60  # the accepted originals stay accepted


@pytest.mark.parametrize("bad", [
    pd.DataFrame({"when": [1], "channel": ["USLAB000058"], "value": [750.0]}),
    pd.DataFrame({"time": ["garbage", "2018-08-29T20:00:00Z"], "channel": ["USLAB000058", "NOPE"],
                  "value": ["x", 1.0]}),
    pd.DataFrame({"time": [], "channel": [], "value": []}),
])
def test_bad_batch_never_raises_lenient(station, make_raw, bad):
    s = TelemetryStream(station)
    s.push(make_raw(10))
    f = s.push(bad)
    assert len(f.quarantined) == len(bad)
    s.flush()
    assert len(s.frame().data) + s.frame().n_quarantined == 30 + len(bad)


def test_strict_names_batch_row_channel_and_keeps_state(station, make_raw):
    raw = make_raw(30, channels=("USLAB000058",))
    s = TelemetryStream(station, strict=True)
    s.push(raw.iloc[:10])
    bad = raw.iloc[10:20].copy()
    bad.loc[bad.index[3], "value"] = np.nan
    with pytest.raises(TelemetryError, match=r"<stream> batch 2:row 4: channel USLAB000058: missing"):
        s.push(bad)
    s.push(raw.iloc[10:])  # the stream is still usable
    s.flush()
    assert len(s.frame().data) == 30


def test_stuck_sensor_across_batches(station, make_raw):
    raw = make_raw(400, channels=("USLAB000058",))
    raw.loc[150:, "value"] = raw.loc[150, "value"]
    s = TelemetryStream(station)
    verdicts = [s.push(raw.iloc[i:i + 25]).channels["USLAB000058"].trusted for i in range(0, 400, 25)]
    assert verdicts[0] and not verdicts[-1]
    assert s.frame().channels["USLAB000058"].reason.startswith("stuck")
    s.flush()
    assert len(s.frame().data) == 400  # stuck samples are kept


