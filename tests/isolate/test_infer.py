"""Inference: hypotheses, zone air-mass trends from telemetry, likelihood and posterior."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.errors import IsolationError
from hullbreach.isolate import infer
from hullbreach.station import load_station


@pytest.fixture(scope="module")
def demo():
    return load_station("demo")


def _frame(station, closed, rates_kg_s: dict, duration_s=1800.0, dt=1.0, seed=0, noise=True):
    """Synthetic raw telemetry (sensor units): each zone loses mass at the given rate [kg/s]."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, duration_s + dt, dt)
    rows = []
    for z in station.zones(closed):
        v = station.zone_volume_m3(z)
        temp = 295.15
        q = sum(rates_kg_s.get(m, 0.0) for m in z)
        p = station.nominal_pressure_pa - q * R_AIR * temp / v * t
        for s in station.sensors_in(z):
            if s.quantity == "pressure":
                val = p / PA_PER_MMHG
            elif s.quantity == "temperature":
                val = np.full(t.size, temp - 273.15)
            elif s.quantity == "ppn2":
                val = 0.78 * p / PA_PER_MMHG
            else:
                continue
            if noise:
                val = val + s.noise_std * rng.standard_normal(t.size)
            rows.append(pd.DataFrame({"time": t, "channel": s.id, "value": val}))
    return pd.concat(rows, ignore_index=True)


def test_hypotheses_priors_follow_leak_prior(demo):
    h = infer.build_hypotheses(demo, none_prior=0.01, pair_prior=0.01)
    p = np.exp(h.log_prior)
    assert p.sum() == pytest.approx(1.0)
    summ = infer.summarize(h, p)
    # capsule has leak_prior 3, lab 1: three times the prior
    assert summ["capsule"] / summ["lab"] == pytest.approx(3.0)
    assert summ["none"] == pytest.approx(0.01)
    assert sum(v for k, v in summ.items() if "+" in k) == pytest.approx(0.01)
    assert np.allclose(h.shares.sum(axis=1)[1:], 1.0)


def test_zone_rates_recover_known_trend(demo):
    closed = {"node-lab", "node-airlock"}
    q = 2.0e-4
    frame = _frame(demo, closed, {"lab": q}, seed=1)
    rates = infer.zone_rates(demo, closed, frame)
    by = {(frozenset(r.zone), r.quantity): r for r in rates}
    lab = by[(frozenset({"lab"}), "pressure")]
    assert lab.rate_kg_s == pytest.approx(-q, abs=4 * lab.std_kg_s)
    assert lab.std_kg_s < 0.1 * q
    other = by[(frozenset({"node", "hab", "capsule"}), "pressure")]
    assert abs(other.rate_kg_s) < 4 * other.std_kg_s


@settings(max_examples=15, deadline=None)
@given(q=st.floats(5e-5, 1e-3), seed=st.integers(0, 10_000))
def test_zone_rate_error_is_honest(demo, q, seed):
    """The fitted trend lies within 4.5 standard errors of the truth (hypothesis property)."""
    closed = {"node-lab", "node-airlock", "node-hab"}
    frame = _frame(demo, closed, {"hab": q}, duration_s=900.0, seed=seed)
    rates = [r for r in infer.zone_rates(demo, closed, frame) if r.quantity == "pressure"]
    for r in rates:
        truth = -q if "hab" in r.zone else 0.0
        assert abs(r.rate_kg_s - truth) <= 4.5 * r.std_kg_s


def test_posterior_names_the_leaking_module(demo):
    closed = {"node-lab", "node-airlock", "node-hab", "hab-capsule"}
    frame = _frame(demo, closed, {"hab": 1e-4}, seed=3)
    hyps = infer.build_hypotheses(demo)
    grid, lw = infer.mdot_grid(1e-4)
    ll = infer.step_loglik(hyps, infer.zone_rates(demo, closed, frame), grid)
    post = infer.summarize(hyps, infer.posterior(hyps, ll, lw))
    assert next(iter(post)) == "hab"
    assert post["hab"] > 0.99


def test_two_leaks_are_recognized(demo):
    closed = {"node-lab", "node-airlock", "node-hab", "hab-capsule"}
    frame = _frame(demo, closed, {"hab": 1e-4, "lab": 1e-4}, seed=4)
    hyps = infer.build_hypotheses(demo, pair_prior=0.02)
    grid, lw = infer.mdot_grid(2e-4)
    ll = infer.step_loglik(hyps, infer.zone_rates(demo, closed, frame), grid)
    post = infer.summarize(hyps, infer.posterior(hyps, ll, lw))
    assert next(iter(post)) in ("lab+hab", "hab+lab")


def test_no_leak_when_every_zone_holds(demo):
    closed = {"node-lab", "node-airlock", "node-hab", "hab-capsule"}
    frame = _frame(demo, closed, {}, seed=5)
    hyps = infer.build_hypotheses(demo)
    grid, lw = infer.mdot_grid(1e-4)
    ll = infer.step_loglik(hyps, infer.zone_rates(demo, closed, frame), grid)
    post = infer.summarize(hyps, infer.posterior(hyps, ll, lw))
    assert next(iter(post)) == "none"


def test_ppn2_ignores_crew_oxygen_use(demo):
    """A crew's O2 use lowers total pressure but not ppN2; the offset keeps the zone from looking leaky."""
    closed = {"node-lab", "node-airlock", "node-hab", "hab-capsule"}
    frame = _frame(demo, closed, {"lab": 3e-5}, seed=6)
    rates = infer.zone_rates(demo, closed, frame)
    n2 = [r for r in rates if r.quantity == "ppn2"]
    assert n2 and all("lab" in r.zone for r in n2)
    assert n2[0].rate_kg_s == pytest.approx(-3e-5, abs=4 * n2[0].std_kg_s)


def test_wrong_station_telemetry_is_refused(demo):
    frame = pd.DataFrame({"time": [0.0, 1.0], "channel": ["USLAB000058", "USLAB000058"], "value": [760.0, 760.0]})
    with pytest.raises(IsolationError, match="another station"):
        infer.raw_to_wide(demo, frame)


def test_bad_frames_are_refused(demo):
    with pytest.raises(IsolationError, match="column"):
        infer.raw_to_wide(demo, pd.DataFrame({"t": [0.0], "value": [1.0]}))
    with pytest.raises(IsolationError, match="empty"):
        infer.raw_to_wide(demo, pd.DataFrame({"time": [], "channel": [], "value": []}))
    with pytest.raises(IsolationError, match="positive"):
        infer.mdot_grid(-1.0)


def test_iso_times_are_read(demo):
    frame = _frame(demo, set(), {}, duration_s=120.0, noise=True)
    frame["time"] = pd.Timestamp("2018-08-30T00:00:00Z") + pd.to_timedelta(frame["time"], unit="s")
    wide = infer.raw_to_wide(demo, frame)
    assert wide.index[-1] == pytest.approx(120.0)
    assert wide["lab.pressure"].iloc[0] == pytest.approx(demo.nominal_pressure_pa, rel=1e-3)


def test_merge_zone_series_counts_a_shared_thermometer_once():
    """GLS with a shared error (Aitken 1935): two series whose errors are all the same thermometer's carry
    no more information than one; independent errors combine as inverse-variance weights."""
    from hullbreach.isolate.infer import merge_zone_series

    z = np.array([0, 0, 1])
    rates = np.array([-2e-4, -4e-4, 1e-5])
    stds = np.array([5e-5, 5e-5, 2e-5])
    zero = np.zeros(3)
    # errors independent: the inverse-variance mean, sd / sqrt(2)
    keep, r, s, o, v = merge_zone_series(z, rates, stds, zero, zero, zero)
    assert keep.tolist() == [0, 2]
    assert r[0] == pytest.approx(-3e-4) and s[0] == pytest.approx(5e-5 / np.sqrt(2))
    assert r[1] == rates[2] and s[1] == stds[2]  # a zone with one series passes unchanged
    # errors all from the shared thermometer: nearly no gain over one series (c is capped at 0.95 var)
    keep, r, s, o, v = merge_zone_series(z, rates, stds, zero, zero, np.array([5e-5, 5e-5, 0.0]))
    assert s[0] == pytest.approx(5e-5 * np.sqrt(0.975), rel=1e-9)
    assert s[0] > 5e-5 / np.sqrt(2) * 1.3
    # a merged zone's expected offset (crew O2 use) is subtracted and its variance folded in
    off = np.array([-1e-4, 0.0, 0.0])
    ov = np.array([(3e-5) ** 2, 0.0, 0.0])
    keep, r, s, o, v = merge_zone_series(z, rates, stds, off, ov, zero)
    w1, w2 = 1 / (5e-5 ** 2 + 9e-10), 1 / 5e-5 ** 2
    assert r[0] == pytest.approx((w1 * (-1e-4) + w2 * (-4e-4)) / (w1 + w2))
    assert s[0] == pytest.approx((w1 + w2) ** -0.5) and o[0] == 0.0 and v[0] == 0.0
