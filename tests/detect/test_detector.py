"""Sequential detector: the statistic, its false-alarm calibration, onset intervals, and simulated scenarios
(thermal cycles, crew O2/CO2, represses, airlock cycles, sensor faults) from the Foundation simulator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_DAY, SECONDS_PER_YEAR
from hullbreach.detect.airmass import ZoneMass
from hullbreach.detect.detector import DetectorConfig, ZoneDetector, detect
from hullbreach.detect.glr import TAIL_A, TAIL_B, glr_statistic, threshold_for_far
from hullbreach.detect.calibration import null_statistic, upcrossing_rate
from hullbreach.errors import DetectionError
from hullbreach.physics import choked_mass_flow
from hullbreach.sim import AirlockCycle, Crew, Leak, Repress, Scenario, SensorFault, ThermalProfile, simulate
from hullbreach.telemetry.checks import check_samples


# ----------------------------------------------------------------------------------------- statistic
def test_threshold_for_far():
    h1 = threshold_for_far(1.0)
    assert 9.0 < h1 < 15.0
    assert threshold_for_far(10.0) < h1 < threshold_for_far(0.1)
    # the law itself: rate per bin at h equals the request
    assert math.exp(TAIL_A - TAIL_B * h1) == pytest.approx(60.0 / SECONDS_PER_YEAR, rel=1e-9)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(DetectionError):
            threshold_for_far(bad)


def _prefix(y):
    j = np.arange(len(y), dtype=float)
    return np.concatenate([[0.0], np.cumsum(y)]), np.concatenate([[0.0], np.cumsum(j * y)])


def test_glr_statistic_matches_least_squares():
    """The closed-form hinge LLR equals (RSS_line - RSS_hinge) / (2 sigma^2) from a direct fit."""
    rng = np.random.default_rng(0)
    n_tot, L = 400, 200
    j = np.arange(n_tot)
    y = 0.3 * rng.standard_normal(n_tot) - 0.05 * np.maximum(j - 330, 0)
    C0, Cj = _prefix(y)
    n = n_tot - 1
    a = n - L + 1
    yy, u = y[a:], np.arange(a, n + 1) - n
    X0 = np.vstack([np.ones_like(u), u]).T
    rss0 = np.sum((yy - X0 @ np.linalg.lstsq(X0, yy, rcond=None)[0]) ** 2)
    for m in (30, 50, 69, 90):
        llr, best = glr_statistic(C0, Cj, np.array([n]), np.array([0.3]), L, 0.0, np.array([m]), window_test=False,
                                  composite=False)
        h = np.maximum(u + m, 0).astype(float)
        X1 = np.column_stack([X0, h])
        beta = np.linalg.lstsq(X1, yy, rcond=None)[0]
        rss1 = np.sum((yy - X1 @ beta) ** 2)
        assert beta[2] < 0
        assert llr[0] == pytest.approx((rss0 - rss1) / (2 * 0.09), rel=1e-6)
        assert best[0] == m
        # the composite statistic: z of the post-change slope (coefficient of h with regressors
        # [1, u - h, h]) against the allowance at its worst case over null records whose loss changes within
        # the window (1 + the negative mass of the slope's weights on the increments), squared and halved
        X2 = np.column_stack([np.ones_like(u), u - h, h])
        row = (np.linalg.inv(X2.T @ X2) @ X2.T)[2]
        K = np.cumsum(row[::-1])[::-1][1:]  # weight of the increment y_{j+1} - y_j
        assert K.sum() == pytest.approx(1.0, abs=1e-9)
        excess = -K[K < 0].sum()
        for allow in (0.0, 0.001, 0.003):
            llr_c, _ = glr_statistic(C0, Cj, np.array([n]), np.array([0.3]), L, allow, np.array([m]), window_test=False)
            b2 = np.linalg.lstsq(X2, yy, rcond=None)[0]
            se = 0.3 * math.sqrt(np.linalg.inv(X2.T @ X2)[2, 2])
            z = (-b2[2] - allow * (1.0 + excess)) / se
            assert llr_c[0] == pytest.approx(0.5 * z * z if z > 0 else 0.0, rel=1e-6)
    # the window test alone: z of the whole window's slope against the allowance
    llr, best = glr_statistic(C0, Cj, np.array([n]), np.array([0.3]), L, 0.0, np.array([], dtype=int))
    slope = np.linalg.lstsq(X0, yy, rcond=None)[0][1]
    se = 0.3 / np.sqrt(np.sum((u - u.mean()) ** 2))
    assert llr[0] == pytest.approx(0.5 * (slope / se) ** 2, rel=1e-6) and best[0] == 0


def test_null_false_alarm_rate_follows_the_tail_law():
    """Upcrossings of the statistic on white noise (the null) agree with the calibrated law within a factor
    of two at levels where a short run sees enough events (benchmarks/detect_calibrate.py does the full fit)."""
    s = np.concatenate([null_statistic(60000, seed=s) for s in (11, 12)])
    for h in (6.0, 7.0):
        rate = upcrossing_rate(s, [h])[0]
        law = math.exp(TAIL_A - TAIL_B * h)
        assert 0.4 * law < rate < 1.6 * law, (h, rate, law)


def test_statistic_does_not_depend_on_the_noise_level():
    a = null_statistic(3000, seed=3, sigma_kg=0.01)
    b = null_statistic(3000, seed=3, sigma_kg=5.0)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _hinge_detector(seed, delta, sigma=0.05, n=1800, onset=1200):
    rng = np.random.default_rng(seed)
    k = np.arange(n)
    y = 500 + sigma * rng.standard_normal(n) - delta * np.maximum(k - onset, 0)
    det = ZoneDetector(("z",), 100.0, DetectorConfig(background_kg_day=0.0, slow_noise=False), "air", 100.0, 0)
    f = np.zeros(n, dtype=bool)
    # the pressure of that mass (ideal gas), so the detector's pressure cross-check sees the loss
    det.feed(ZoneMass(("z",), 100.0, k, k * 60.0, y * 287.0 * 295.0 / 100.0, np.full(n, 295.0), 287.0, y, None, f, f))
    return det


def test_onset_interval_covers_the_truth():
    """Likelihood-ratio onset intervals (Hinkley 1970) cover the true change point in >= 85 % of runs."""
    hits, delays = 0, []
    runs = 30
    for seed in range(runs):
        det = _hinge_detector(seed, delta=2e-3)
        assert det.alarms, "a 2e-3 kg/bin loss (40 sigma per day) must be detected"
        al = det.alarms[0]
        t, lo, hi = det._onset_mle(min(det.y.n - 1, al.n_alarm + 60))
        hits += lo - 1 <= 1200 <= hi + 1
        delays.append(al.n_alarm - 1200)
    assert hits >= 0.85 * runs
    assert 0 < np.mean(delays) < 120


def test_no_alarm_on_a_steady_background_loss():
    """A constant loss within the background allowance (0.2 of 0.23 kg/day) is never an alarm."""
    n = 4000
    k = np.arange(n)
    rng = np.random.default_rng(5)
    allow = 0.2 / SECONDS_PER_DAY * 60  # kg per bin
    y = 900 + 0.02 * rng.standard_normal(n) - allow * k
    det = ZoneDetector(("z",), 916.0, DetectorConfig(), "air", 916.0, 0)
    f = np.zeros(n, dtype=bool)
    det.feed(ZoneMass(("z",), 916.0, k, k * 60.0, np.full(n, 1e5), np.full(n, 295.0), 287.0, y, None, f, f))
    assert det.alarms == []


def test_kappa_in_use_follows_the_measured_ratio():
    """Slow noise (white noise plus a 10-bin Gauss-Markov process, long-run variance ratio 5): after 10 h the
    inflation in use at the largest scale has a median between the true ratio and twice it. The memory keeps
    the latest estimate that passed its gate; until 2026-11-27 it kept the largest estimate of 8 h, a maximum
    of upper sides (median 2.1-2.3 x the truth here, and 22.4 against ~6 in the demo MS-09 case)."""
    from scipy.signal import lfilter
    tau, r, n = 10.0, 0.2, 2400
    phi = math.exp(-1.0 / tau)
    true_ratio = 1.0 + r * (1.0 + phi) / (1.0 - phi)  # long-run variance / white variance
    used = []
    for seed in range(40, 50):
        rng = np.random.default_rng(seed)
        ou = lfilter([1.0], [1.0, -phi], rng.standard_normal(n) * math.sqrt(1 - phi ** 2)) * math.sqrt(r)
        y = 1000.0 + 0.02 * (rng.standard_normal(n) + ou)
        k = np.arange(n)
        f = np.zeros(n, dtype=bool)
        # the measured kappa is in use with the white-noise model (with the slow-noise model its OU components
        # carry that variance instead)
        det = ZoneDetector(("z",), 100.0, DetectorConfig(background_kg_day=0.0, slow_noise=False), "air", 100.0, 0)
        det.feed(ZoneMass(("z",), 100.0, k, k * 60.0, np.full(n, 1e5), np.full(n, 295.0), 287.0, y, None, f, f))
        used.append(det.noise.kappa_at(np.arange(600, n))[:, -1])
    med = float(np.median(np.concatenate(used)))
    assert true_ratio <= med <= 2.0 * true_ratio, (med, true_ratio)


def test_config_errors():
    with pytest.raises(DetectionError):
        DetectorConfig(track="o2")
    with pytest.raises(DetectionError):
        DetectorConfig(window_bins=10)


# ----------------------------------------------------------------------------------- simulated runs
def _area_for(station, zone_volume, rate_mmhg_h):
    """Cd*A [m^2] giving ``rate_mmhg_h`` in a zone of ``zone_volume`` at nominal conditions (choked flow)."""
    from hullbreach.constants import R_AIR
    p, T = station.nominal_pressure_pa, 295.15
    mdot = rate_mmhg_h * PA_PER_MMHG / 3600 * zone_volume / (R_AIR * T)
    return mdot / float(choked_mass_flow(1.0, p, T))


def _scenario(station, *, leak_rate_mmhg_h=0.0, days=1.5, onset_h=20.0, growth=0.0, sample_hz=1.0, t_fault=True):
    main = max(station.zones(), key=station.zone_volume_m3)
    V = station.zone_volume_m3(main)
    leaks = ()
    if leak_rate_mmhg_h > 0:
        leaks = (Leak(module="lab", onset_s=onset_h * 3600, effective_area_m2=_area_for(station, V, leak_rate_mmhg_h),
                      area_growth_per_day=growth),)
    return Scenario(
        nuisance="none", start="2024-03-01T00:00:00Z", duration_s=days * 86400, sample_rate_hz=sample_hz, leaks=leaks,
        thermal=(ThermalProfile(orbital_amplitude_k=0.3, daily_amplitude_k=0.5, hvac_noise_k=0.05),),
        crew=Crew(count=4, module="hab"),
        represses=(Repress(time_s=1.5 * 3600, module="hab", mass_kg=3.0, duration_s=1200),),
        airlock_cycles=(AirlockCycle(module="airlock", start_s=3 * 3600),),
        sensor_faults=(SensorFault(sensor="node.pressure", kind="drift", start_s=3600, magnitude=3.0),)
        + ((SensorFault(sensor="hab.temperature", kind="bias", start_s=2 * 3600, magnitude=2.5),) if t_fault else ()),
    )


#: These scenarios (nuisance "none") have no unmeasured bulk-gas offset, and the delays below were measured on
#: them with the white-noise model. With the issue 16 default prior (0.05 K, 6 h) the slow leaks are found later
#: (docs/detection.md §5); a 0.01 K prior (an operator who knows the cabin) keeps the test of the detection
#: machinery.
NO_OFFSET_PRIOR = DetectorConfig(slow_noise_prior_k=0.01)


def _run(station, sc, seed, config=None):
    r = simulate(station, sc, seed=seed)
    fr = check_samples(r.telemetry, station)
    res = detect(station, fr, r.events, config=config)
    t0 = pd.Timestamp(sc.start).timestamp()
    return res, r, t0


def test_nominal_runs_raise_no_alarm(demo):
    """Leak-free runs with thermal cycles, crew O2 use and feeds, a slow repress, an airlock cycle and a
    drifting pressure gauge: no alarm, and the faulty gauge is named."""
    # seed 1 once raised a false alarm in the airlock zone during its vacuum hold (the bridge of the hold
    # was tested with the pre-hold window; see test_airlock_vacuum_hold_is_not_tested)
    for seed in (1, 2, 3):
        res, _r, _t0 = _run(demo, _scenario(demo, days=1.2), seed)
        assert res.status == "nominal", [a.to_json() for a in res.alarms]
        assert "node.pressure" in {f.sensor for f in res.sensor_faults}


def _held_airlock_detector(seed, pre=180, hold=420, post=600, sigma=0.002, pre_slope=-1.5e-5, post_loss=0.0):
    """A 34 m^3 airlock zone: ``pre`` bins of noisy mass whose short-run slope is a loss of ~0.03 kg/day
    (within what an hour of noise allows, above the zone's background allowance), a vacuum hold of ``hold``
    bins (vented: near-zero mass), then ``post`` flat bins after the repress at a new level [kg]."""
    rng = np.random.default_rng(seed)
    n = pre + hold + post
    k = np.arange(n)
    y = 40.67 + sigma * rng.standard_normal(n) + pre_slope * np.minimum(k, pre)
    vented = (k >= pre) & (k < pre + hold)
    y[vented] = 1e-3 * (1.0 + 0.3 * rng.standard_normal(vented.sum()))  # a few Pa, noise-dominated
    y[pre + hold:] += -1.5  # the repress does not restore the exact mass
    y -= post_loss * np.maximum(k - (pre + hold + 300), 0)  # a leak 5 h after the repress [kg per bin]
    det = ZoneDetector(("airlock",), 34.0, DetectorConfig(slow_noise=False), "air", 500.0, 0)
    f = np.zeros(n, dtype=bool)
    # the pressure of that mass (ideal gas), so the detector's pressure cross-check sees a loss
    det.feed(ZoneMass(("airlock",), 34.0, k, (k + 0.5) * 60.0, np.where(vented, 2.0, y * 287.0 * 295.0 / 34.0),
                      np.full(n, 295.0), 287.0, y, None, f, vented))
    return det, pre, hold


def test_airlock_vacuum_hold_is_not_tested():
    """Regression: an airlock held at vacuum between airlock_depress and airlock_repress is bridged, not
    monitored. The bridge (the pre-hold line extrapolated over the hold) must not be tested with the pre-hold
    window, which read the short-run slope as evidence growing with the hold's length (false alarm at 7.5 h
    on the demo station, seed 1 of test_nominal_runs_raise_no_alarm). No alarm, zero statistic over the hold,
    the window restarts after it, and the level is re-anchored (the repress step is not a loss)."""
    for seed in range(4):
        det, pre, hold = _held_airlock_detector(seed)
        assert not det.alarms, [(a.n_alarm, a.stat) for a in det.alarms]
        assert det.y.n == len(det.stat.v)
        fill = ~det.real.v[pre:]
        assert fill.sum() >= hold  # the hold (and the settle after it) was bridged
        assert np.all(det.stat.v[pre:][fill] == 0.0)
        assert det.reset_n >= pre + hold  # the window restarts after the repress
    # a real loss after the repress is still seen, after its onset (the re-baselined window works)
    det, pre, hold = _held_airlock_detector(0, post=900, post_loss=2e-4)
    assert det.alarms and det.alarms[0].n_alarm > pre + hold + 300


def test_faulty_temperature_channel_is_reported(demo):
    """A temperature channel with a 2.5 K bias is reported as a sensor fault. (Its module's own swings then
    go unmeasured; docs/detection.md, Limits, says what that does to the false-alarm rate.)"""
    res, _r, _t0 = _run(demo, _scenario(demo, days=0.4), 1)
    faults = {f.sensor: f.reason for f in res.sensor_faults}
    assert "hab.temperature" in faults and "temperature" in faults["hab.temperature"]


@pytest.mark.parametrize("rate_mmhg_h,max_delay_h,days,t_fault", [
    # 0.3 mmHg/day: the 2021 residual ISS leak (docs/reference/figures.md, Solovyov via TASS). Issue 16 branch: not found
    # within this 1.6-day record by the slow-noise model, even with the 0.01 K prior (53ac87c: 8.5-9 h); a known
    # regression, reported (docs/detection.md §5)
    pytest.param(0.3 / 24, 22.0, 1.6, False, marks=pytest.mark.xfail(reason="issue 16: 0.3 mmHg/day not found "
                                                                          "within 22 h with the slow-noise model",
                                                                   strict=True)),
    (1.0 / 24, 16.0, 1.4, True),   # 1 mmHg/day: the 2004 ISS leak that took 7-11 days to notice
    # 0.6 mmHg/h: Soyuz MS-09 (docs/reference/figures.md). With the faulty temperature channel the hab module's swings
    # are unmeasured and judged at the largest-scale variance ratio for every change age, at least the floor
    # KAPPA_AFTER_CHANGE for a day (docs/detection.md); seeds 3, 4, 5 give 0.83, 0.78, 0.88 h (1.07 h for seed 3
    # while the kappa memory held the largest of its estimates; docs/benchmarks/detect-delay.md)
    # issue 16: with the slow-noise model (OU components, the prior until measured at the 64-bin scale) seed 3
    # takes 1.35 h (0.83 h on 53ac87c, whose white-noise model alarmed on leak-free OU records)
    (0.6, 1.5, 1.0, True),
    (60.0, 0.2, 0.8, True),        # 1 mmHg/min: an "emergency leak" (docs/reference/figures.md, Solovyov via TASS)
])
def test_leaks_are_detected_and_sized(demo, rate_mmhg_h, max_delay_h, days, t_fault):
    """Demo station, one ppN2 analyser (0.5 mmHg noise), a drifting pressure gauge and (but for the slowest
    leak) a faulty temperature channel in the crew module, whose swings then go unmeasured: the delays are
    those of a weak N2 track (benchmarks/detect_bench.py has the ISS numbers)."""
    onset_h = 12.0 if rate_mmhg_h < 0.02 else 16.0 if days > 1.1 else 12.0
    sc = _scenario(demo, leak_rate_mmhg_h=rate_mmhg_h, onset_h=onset_h, days=days, t_fault=t_fault)
    res, r, t0 = _run(demo, sc, 3, NO_OFFSET_PRIOR)
    leaks = [a for a in res.alarms if a.kind == "leak"]
    assert res.status == "leak" and len(leaks) == 1, [a.to_json() for a in res.alarms]
    a = leaks[0]
    onset = t0 + onset_h * 3600
    assert 0 < a.time_s - onset < max_delay_h * 3600
    assert "lab" in a.zone
    # the rate seen at the alarm has a 95 % interval that holds the truth (with slack: few bins, and the
    # simulated hole is choked flow whose rate falls with the pressure)
    at = a.estimate_at_alarm.pressure_rate_pa_s.scale(-3600 / PA_PER_MMHG)
    assert at.low * 0.8 <= rate_mmhg_h <= at.high * 1.25
    # the latest estimate's interval holds the rate of the hole at the current pressure (5 % slack), and it
    # is within 35 % of it
    p_now = a.estimate.pressure_pa
    truth_now = rate_mmhg_h * p_now / demo.nominal_pressure_pa
    est = a.estimate.pressure_rate_pa_s.scale(-3600 / PA_PER_MMHG)
    assert est.low * 0.95 <= truth_now <= est.high * 1.05
    assert est.estimate == pytest.approx(truth_now, rel=0.35)
    # the onset interval is close to the truth (within its width plus 10 min)
    w = a.onset_s.high - a.onset_s.low
    assert a.onset_s.low - w - 600 <= onset <= a.onset_s.high + w + 600


def test_growing_leak_gets_its_own_alert(demo):
    """A hole whose area grows 300 %/day (a propagating crack) raises a growing_leak alert after the leak."""
    res, _r, t0 = _run(demo, _scenario(demo, leak_rate_mmhg_h=0.3, growth=3.0, onset_h=14.0, days=1.2), 4,
                       NO_OFFSET_PRIOR)
    kinds = [a.kind for a in res.alarms]
    assert kinds.count("leak") == 1 and kinds.count("growing_leak") == 1, kinds
    leak = next(a for a in res.alarms if a.kind == "leak")
    grow = next(a for a in res.alarms if a.kind == "growing_leak")
    assert grow.time_s > leak.time_s


def test_constant_leak_is_not_growing(demo):
    res, _r, _t0 = _run(demo, _scenario(demo, leak_rate_mmhg_h=0.6, onset_h=12.0, days=0.9), 5)
    assert [a.kind for a in res.alarms] == ["leak"]


def test_ms09_reconstruction(iss, reference_readme):
    """Soyuz MS-09, 29-30 Aug 2018 (docs/reference/figures.md): 0.6 mmHg/h on iss-2018 -> an effective (ideal,
    Cd = 1) hole of ~1.1 mm and ~16 days of reserve to 520 mmHg; the alarm comes minutes after the onset.
    The simulated telemetry is sampled at 0.1 Hz (scenario file), so the ppN2 track is noisy: the alarm
    comes within the hour (benchmarks/detect_bench.py measures the 1 Hz case)."""
    assert "0.60 mmHg/h" in reference_readme and "~1.1 mm" in reference_readme and "520 mmHg" in reference_readme
    from hullbreach.sim import ms09_scenario
    sc = ms09_scenario()
    r = simulate(iss, sc, seed=0)
    res = detect(iss, check_samples(r.telemetry, iss), r.events)
    leaks = [a for a in res.alarms if a.kind == "leak"]
    assert len(leaks) == 1
    a = leaks[0]
    onset = pd.Timestamp(sc.start).timestamp() + sc.leaks[0].onset_s
    assert 0 < a.time_s - onset < 3600
    assert abs(a.onset_s.estimate - onset) < 15 * 60 and a.onset_s.contains(onset)
    d_mm = a.estimate.effective_hole_diameter_m.scale(1e3)
    assert d_mm.estimate == pytest.approx(1.1, abs=0.1) and d_mm.contains(1.1) or d_mm.estimate == pytest.approx(1.1, abs=0.08)
    rate = a.estimate.pressure_rate_pa_s.scale(-3600 / PA_PER_MMHG)
    assert rate.estimate == pytest.approx(0.6, rel=0.05)
    reserve_days = a.estimate_at_alarm.reserve_time_s.scale(1 / SECONDS_PER_DAY)
    assert 14.0 < reserve_days.estimate < 18.5
    assert reserve_days.low < reserve_days.estimate < reserve_days.high
    assert not a.active and a.end_s == pytest.approx(pd.Timestamp(sc.start).timestamp() + sc.leaks[0].end_s, abs=120)


def test_long_window_test_is_the_least_squares_slope_over_the_long_window():
    """The long-window mass-point test (issue 16, missed slow leaks): z of the least-squares loss rate over the last
    ``long_window_bins`` against the allowance, with the white and the slow-noise (OU) variance of that slope from a
    direct covariance; a steady loss too slow for one window is found over three, and before the window is full the
    long test adds nothing."""
    rng = np.random.default_rng(3)
    L, LL, sig, tau, var_ou, allow = 100, 300, 0.3, 40.0, 0.05, 0.0005
    n_tot = 400
    y = sig * rng.standard_normal(n_tot) - 0.006 * np.arange(n_tot)
    C0, Cj = _prefix(y)
    slow = ((tau,), np.array([[var_ou]]))
    n = n_tot - 1
    none = np.array([], dtype=int)
    short, _ = glr_statistic(C0, Cj, np.array([n]), np.array([sig]), L, allow, none, slow=slow)
    both, best = glr_statistic(C0, Cj, np.array([n]), np.array([sig]), L, allow, none, slow=slow, long_window_bins=LL)
    a = n - LL + 1
    u = np.arange(a, n + 1, dtype=float)
    X = np.vstack([np.ones_like(u), u]).T
    w = np.linalg.pinv(X)[1]  # the slope's weights on the values
    cov = sig * sig * np.eye(LL) + var_ou * np.exp(-np.abs(u[:, None] - u[None, :]) / tau)
    z = (-(w @ y[a:]) - allow) / math.sqrt(w @ cov @ w)
    assert both[0] == pytest.approx(max(short[0], 0.5 * z * z), rel=1e-6)
    # the loss (0.006 per bin) is below what one window can tell from this slow noise, not below three windows'
    assert short[0] < 12.0 < both[0] and best[0] == 0
    # before the window is full the long window is the window: the same statistic
    m = np.array([L - 20])
    s1, _ = glr_statistic(C0, Cj, m, np.array([sig]), L, allow, none, slow=slow)
    s2, _ = glr_statistic(C0, Cj, m, np.array([sig]), L, allow, none, slow=slow, long_window_bins=LL)
    assert s2[0] == s1[0]
