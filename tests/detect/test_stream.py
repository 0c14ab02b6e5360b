"""Streaming detection gives the same answer as batch on the same samples, fast."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from hullbreach.detect.detector import detect
from hullbreach.detect.stream import StreamingDetector
from hullbreach.sim import AirlockCycle, Crew, Leak, Repress, Scenario, ThermalProfile, simulate
from hullbreach.telemetry.checks import check_samples


@pytest.fixture(scope="module")
def leak_run(demo):
    sc = Scenario(nuisance="none", start="2024-05-01T00:00:00Z", duration_s=0.3 * 86400, sample_rate_hz=0.5,
                  leaks=(Leak(module="lab", onset_s=5.0 * 3600, effective_area_m2=1.5e-6),),
                  thermal=(ThermalProfile(orbital_amplitude_k=0.3, hvac_noise_k=0.05),),
                  crew=Crew(count=3, module="hab"),
                  represses=(Repress(time_s=1.5 * 3600, module="hab", mass_kg=2.0, duration_s=600),),
                  airlock_cycles=(AirlockCycle(module="airlock", start_s=2 * 3600, hold_s=1800),))
    return simulate(demo, sc, seed=7)


def _batches(raw: pd.DataFrame, seconds: float):
    t = raw["time"].astype("int64").to_numpy() // int(seconds * 1e9)
    edges = np.flatnonzero(np.diff(t)) + 1
    return np.split(np.arange(len(raw)), edges)


def _same(a, b):
    assert a.status == b.status
    assert [(x.kind, x.zone, x.time_s) for x in a.alarms] == [(x.kind, x.zone, x.time_s) for x in b.alarms]
    for x, y in zip(a.alarms, b.alarms):
        assert x.onset_s == y.onset_s
        for f in ("leak_mass_flow_kg_s", "pressure_rate_pa_s", "effective_hole_diameter_m", "reserve_time_s"):
            ex, ey = getattr(x.estimate, f), getattr(y.estimate, f)
            assert ex.estimate == pytest.approx(ey.estimate, rel=1e-6)
            assert ex.low == pytest.approx(ey.low, rel=1e-6) and ex.high == pytest.approx(ey.high, rel=1e-6)


def test_streaming_equals_batch_without_checks(demo, leak_run):
    raw, ev = leak_run.telemetry, leak_run.events
    batch = detect(demo, check_samples(raw, demo), ev)
    assert batch.status == "leak"
    sd = StreamingDetector(demo, ev, checks=False)
    res = None
    for idx in _batches(raw, 20.0):
        res = sd.update(raw.iloc[idx])
    _same(batch, res)
    assert res.quarantined_samples == 0 and sd.late == 0


def test_streaming_equals_batch_with_checks(demo, leak_run):
    """Through the streaming data checks (held-back samples for the spike test arrive one batch later; the
    last bin of the record is open in both modes)."""
    raw, ev = leak_run.telemetry, leak_run.events
    batch = detect(demo, check_samples(raw, demo), ev)
    sd = StreamingDetector(demo, ev)
    res = None
    for idx in _batches(raw, 600.0):
        res = sd.update(raw.iloc[idx])
    _same(batch, res)


def test_late_samples_are_counted_not_used(demo, leak_run):
    raw = leak_run.telemetry
    sd = StreamingDetector(demo, leak_run.events, checks=False)
    first = raw.iloc[: 11 * 300]
    sd.update(first)
    n_before = sd.engine.k_next
    sd.update(raw.iloc[:11])  # the first second again: its minute is already analysed
    assert sd.late == 11 and sd.engine.k_next == n_before
    assert any("after their minute" in n for n in sd.result().notes)


def test_single_bin_path_changes_nothing_end_to_end(demo, leak_run):
    """Streamed one bin at a time, the tracker's single-bin path yields exactly the per-zone series (pressure,
    temperature, air and N2 mass, flags) and the alarms of its chunk path fed the same bins."""
    raw, ev = leak_run.telemetry, leak_run.events
    out = []
    for fast in (True, False):
        sd = StreamingDetector(demo, ev, checks=False)
        sd.engine.keep_series = True
        sd.engine.tracker.single_bin_path = fast
        for idx in _batches(raw, 30.0):
            res = sd.update(raw.iloc[idx])
        out.append(res)
    fast, ref = out
    assert fast.status == "leak"
    _same(fast, ref)
    assert [(z.zone, len(z.k)) for z in fast.series] == [(z.zone, len(z.k)) for z in ref.series]
    for a, b in zip(fast.series, ref.series):
        assert a.r_specific == b.r_specific
        for name in ("k", "pressure_pa", "temperature_k", "mass_kg", "n2_mass_kg", "excluded", "vented", "sensor_change"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize("seconds", [7.0, 60.0, 130.0])
def test_clean_batch_shortcut_equals_general_binning(demo, leak_run, seconds):
    """A batch whose samples are all known, finite and in open bins skips the masks of the general binning.
    The same batches, each with one sample of an unknown channel added (which forces the general path and is
    then left out), give exactly the same series, alarms and counts."""
    raw = leak_run.telemetry.iloc[: 2 * 3600 * 5]
    extra = raw.iloc[:1].copy()
    extra["channel"] = pd.Categorical(["no-such-channel"])
    out = []
    for spoil in (False, True):
        sd = StreamingDetector(demo, leak_run.events, checks=False)
        sd.engine.keep_series = True
        for idx in _batches(raw, seconds):
            b = raw.iloc[idx]
            if spoil:
                e = extra.assign(time=b["time"].iloc[-1:].to_numpy())
                b = pd.concat([b, e], ignore_index=True)
            res = sd.update(b)
        out.append((sd, res))
    (a, ra), (b, rb) = out
    assert b.unknown == len(_batches(raw, seconds)) and a.unknown == 0
    np.testing.assert_array_equal(a._sums, b._sums)
    np.testing.assert_array_equal(a._counts, b._counts)
    _same(ra, rb)
    for x, y in zip(ra.series, rb.series, strict=True):
        np.testing.assert_array_equal(x.mass_kg, y.mass_kg)
        np.testing.assert_array_equal(x.pressure_pa, y.pressure_pa)


def test_events_added_later_equal_events_given_first(demo, leak_run):
    """Known operations given with add_events before their time (the tracker is rebuilt around the zone
    states it already holds) give the same answer as the same events given at construction."""
    raw, ev = leak_run.telemetry, leak_run.events
    assert pd.to_datetime(ev["time"], utc=True).min() > raw["time"].iloc[0] + pd.Timedelta(hours=1)
    first = StreamingDetector(demo, ev, checks=False)
    later = StreamingDetector(demo, None, checks=False)
    first.engine.keep_series = later.engine.keep_series = True
    added = False
    for idx in _batches(raw, 60.0):
        b = raw.iloc[idx]
        if not added and b["time"].iloc[0] >= raw["time"].iloc[0] + pd.Timedelta(hours=1):
            later.add_events(ev)
            added = True
        ra, rb = first.update(b), later.update(b)
    assert added and ra.status == "leak"
    _same(ra, rb)
    for x, y in zip(ra.series, rb.series, strict=True):
        np.testing.assert_array_equal(x.mass_kg, y.mass_kg)
        np.testing.assert_array_equal(x.excluded, y.excluded)


def test_cached_alarm_estimates_equal_a_fresh_rebuild(demo, leak_run):
    """The result rebuilt after every bin reuses, per alarm, the onset once its evaluation bin stops moving and
    the estimate at the alarm; at every bin after the alarm it equals a rebuild without those caches."""
    raw, ev = leak_run.telemetry, leak_run.events
    sd = StreamingDetector(demo, ev, checks=False)
    compared = reused = 0
    for i, idx in enumerate(_batches(raw, 60.0)):
        res = sd.update(raw.iloc[idx])
        if not res.alarms or i % 3:
            continue
        states = [al for d in sd.engine.detectors.values() for al in d.alarms]
        reused += sum(al.onset is not None for al in states)
        saved = [(al.onset, al.at_alarm) for al in states]
        for al in states:
            al.onset = al.at_alarm = None
        fresh = sd.engine.result(seed=sd.seed)
        assert repr(fresh.alarms) == repr(res.alarms)
        for al, (o, a) in zip(states, saved):
            al.onset, al.at_alarm = o, a
        compared += 1
    assert compared > 10 and reused > 0


def test_scalar_step_equals_the_zone_mass_path(demo, leak_run):
    """The streaming step as Python scalars (a ZoneMass built only where the general path needs one: a known
    operation, a gap, a channel change, a new zone) gives exactly what the one-bin ZoneMass path gives: every
    zone detector's series, the fast path's inputs and the result, on a record with a repress, an airlock
    cycle and a leak."""
    import json

    raw, ev = leak_run.telemetry, leak_run.events
    out = []
    for scalar in (True, False):
        sd = StreamingDetector(demo, ev, checks=False)
        sd.engine.scalar_step = scalar
        for idx in _batches(raw, 30.0):
            res = sd.update(raw.iloc[idx])
        out.append((sd, res))
    (a, ra), (b, rb) = out
    assert ra.status == "leak"
    assert json.dumps(ra.to_json(), sort_keys=True) == json.dumps(rb.to_json(), sort_keys=True)
    assert a.engine.detectors.keys() == b.engine.detectors.keys() and len(a.engine.finished) == len(b.engine.finished)
    for da, db in zip(list(a.engine.detectors.values()) + a.engine.finished,
                      list(b.engine.detectors.values()) + b.engine.finished, strict=True):
        assert da.zone == db.zone and da.y.n == db.y.n > 0
        for name in ("y", "real", "stat", "sig", "p", "T", "mass", "floor"):
            np.testing.assert_array_equal(getattr(da, name).v, getattr(db, name).v, err_msg=name)
    for x, y in zip(a.engine.fast.runs, b.engine.fast.runs, strict=True):
        np.testing.assert_array_equal(x.ratio.v, y.ratio.v)
        np.testing.assert_array_equal(x.excl.v, y.excl.v)


def test_an_ended_alarm_keeps_its_estimate_and_equals_a_fresh_rebuild(demo):
    """A sealed leak's alarm ends; its estimate (data up to the seal only) is computed once and, at every bin
    after the seal, equals a rebuild without the cache."""
    sc = Scenario(nuisance="none", start="2024-05-01T00:00:00Z", duration_s=0.3 * 86400, sample_rate_hz=0.5,
                  leaks=(Leak(module="lab", onset_s=3.0 * 3600, effective_area_m2=1.5e-6, end_s=5.0 * 3600),),
                  thermal=(ThermalProfile(orbital_amplitude_k=0.3, hvac_noise_k=0.05),))
    run = simulate(demo, sc, seed=11)
    raw, ev = run.telemetry, run.events
    assert (ev["kind"] == "leak_sealed").any()
    sd = StreamingDetector(demo, ev, checks=False)
    compared = 0
    for i, idx in enumerate(_batches(raw, 60.0)):
        res = sd.update(raw.iloc[idx])
        ended = [al for d in list(sd.engine.detectors.values()) + sd.engine.finished for al in d.alarms
                 if al.end_n is not None]
        if not ended or i % 5:
            continue
        assert res.alarms and not res.alarms[0].active
        saved = [al.final for al in ended]
        assert all(f is not None for f in saved)  # cached at the previous rebuild
        for al in ended:
            al.final = None
        fresh = sd.engine.result(seed=sd.seed)
        assert repr(fresh.alarms) == repr(res.alarms)
        for al, f in zip(ended, saved):
            assert al.final[1] is not f[1] and repr(al.final[1]) == repr(f[1])
        compared += 1
    assert compared > 10


def test_batch_column_types_give_the_same_bins_and_a_missing_column_is_named(demo, leak_run):
    """Batches with the channel as plain strings, times as microsecond datetimes, ISO strings or UNIX seconds,
    and integer-free float values bin exactly as the usual categorical / nanosecond batches (the compiled
    pass and the general path agree); a batch without a column is refused with the column's name."""
    from hullbreach.errors import DetectionError

    raw = leak_run.telemetry.iloc[: 3600 * 5]
    t_ns = raw["time"].astype("int64").to_numpy()
    variants = {
        "usual": lambda b: b,
        "str channel": lambda b: b.assign(channel=b["channel"].astype(str)),
        "us times": lambda b: b.assign(time=b["time"].astype("datetime64[us, UTC]")),
        "iso times": lambda b: b.assign(time=b["time"].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        "unix seconds": lambda b: b.assign(time=t_ns[b.index] / 1e9),
    }
    out = {}
    for name, f in variants.items():
        sd = StreamingDetector(demo, leak_run.events, checks=False)
        for idx in _batches(raw, 30.0):
            res = sd.update(f(raw.iloc[idx]))
        out[name] = (sd, res)
    ref, rref = out["usual"]
    assert ref.engine.k_next is not None and ref.late == 0 and ref.unknown == 0
    for name, (sd, res) in out.items():
        np.testing.assert_array_equal(sd._sums, ref._sums, err_msg=name)
        np.testing.assert_array_equal(sd._counts, ref._counts, err_msg=name)
        assert sd.engine.k_next == ref.engine.k_next and sd.late == 0 and sd.unknown == 0, name
        assert res.status == rref.status
    sd = StreamingDetector(demo, leak_run.events, checks=False)
    with pytest.raises(DetectionError, match="'value'"):
        sd.update(raw.iloc[:10].drop(columns=["value"]))


def test_without_the_fast_path_no_sub_bins_are_kept(demo, leak_run):
    """With the fast path off the stream keeps no sub-bins (they would only grow) and gives the same 60 s
    answer as batch."""
    from hullbreach.detect.detector import DetectorConfig

    raw, ev = leak_run.telemetry, leak_run.events
    cfg = DetectorConfig(fast_path=False)
    sd = StreamingDetector(demo, ev, checks=False, config=cfg)
    for idx in _batches(raw, 20.0):
        res = sd.update(raw.iloc[idx])
    assert sd._ssums.size == 0 and sd._j_open is None
    _same(detect(demo, check_samples(raw, demo), ev, config=cfg), res)
