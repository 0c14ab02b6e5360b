"""hullbreach.detect on telemetry of the THIRD generator (``tests/generators/thirdgen.py``): a 6-module ring
station, lumped wall-gas thermal physics (orbit and beta-angle heating, equipment power steps, 1/f bulk
drift the thermometers do not see), ISS-like atmosphere control (crew O2/CO2, CO2 removal venting air, an
O2 generator on a ppO2 band, O2/N2 represses, an airlock cycle, a visiting vehicle at another pressure),
Student-t gauge noise, a 0.1 hPa-quantised gauge, a drifting gauge, a thermometer bias step, a channel
dropping out, cadence jitter and a port-switching mass spectrometer. Neither the generator nor this sweep
was used to tune the detector.

Runs ``hullbreach.detect.detector.detect`` (the public API: the data checks of the readers, then detect)
on each record, as ``hullbreach detect`` does after its reader (the CLI itself is not run here).

Sweep (each record = one detector start-up, 10 s cadence):

* **leak-free**, ``--days`` per record (default 2): scenario ``ops`` (every operation logged: O2 and N2
  represses, an airlock cycle with a 2 h vacuum hold, the cargo vehicle joined through its valve, a
  thermometer +0.4 K bias step, a gauge drifting 0.3 mmHg/day, the hub gauge dropped out 3 h), scenario
  ``quiet`` (no operations, same defects), scenario ``unlogged`` (the same operations, NOT in the events
  file: what the detector says about a repress or an airlock cycle nobody logged). Counted: records with
  any alarm, where (zone, hours after start), and the kind.
* **leaks** in the lab (main zone, 294 m^3): MS-09 rate 0.6 mmHg/h onset 6 h, 1 mmHg/day onset 12 h,
  0.6 mmHg/h starting 10 min after start-up, 0.6 mmHg/h starting during a logged O2 repress, adiabatic
  0.6 mmHg/h. Scored: alarm before onset, delay after onset, 95 % rate interval covering the true pressure
  rate of the leak (at the alarm: what the operator saw; and at the end), effective area within +-20 %.

Nuisance sweep (issue 16's sigma <= 0.1 K, tau 1-12 h in this generator's form): the unseen 1/f bulk drift's
common part sigma 0.02 / 0.05 / 0.1 K (per module sigma / 2), flat below 1 / (2 pi tau), tau 1 / 6 / 12 h; leak-free
``--seeds`` (3) records of ``quiet`` and of ``ops`` per cell (2 days each: 54 start-ups, 108 days, 81 logged hatch
reconfigurations) and one ``unlogged``; the two swept leaks also at sigma 0. Per leak-free record, the main zone's
unseen bulk temperature: the std of its 7-min increments and its largest 7-min fall, against an OU of the same
sigma and tau.

Decomposition of the ratio (same run): the **model oracle** (:func:`oracle_model_alarm_s`) knows everything the
oracle knows except the drift's realisation: it knows its law (this generator's spectrum, the record's sigma and
tau); the **envelope oracle** assumes the goal envelope's sigma (0.1 K) with the right structure; the **OU envelope
oracle** assumes it as the issue states it, an OU of 0.1 K with the record's tau (the detector's own model). ratio =
phys (model / exact: what not knowing the realisation costs any detector) x sig (envelope / model: not knowing
sigma) x struct (OU envelope / envelope: not knowing the spectrum) x own (hullbreach / OU envelope). ``--late`` adds the MS-09 rate starting at 30 h, after the zone's learning, so
``own`` there against ``own`` at 6 h is the start-up's share.

Oracle (:func:`oracle_n2_alarm_s`, same run): the N2-track measurement with the nuisance known EXACTLY (true bulk
temperatures, every non-leak N2 change from the same record generated without the leak, the analyser's noise, the
level before onset), one-sided GLR for a ramp of unknown onset at hullbreach's threshold: the delay ratio is
hullbreach's / the oracle's. Alarm consistency (onset after the alarm, a rate interval through zero) is counted.

Usage: ``PYTHONPATH=src:. python benchmarks/detect_thirdgen.py [--quick] [--workers 1] [--seeds N]``
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.generators.thirdgen import (  # noqa: E402
    CHOKE,
    MMHG_PA,
    R_S,
    LeakSpec,
    Operation,
    Scenario,
    generate,
    ring_station,
)

H = 3600.0
MAIN = ("airlock", "escape", "hab", "hub", "lab")


def _defects(sc: Scenario, days: float) -> Scenario:
    T = days * 86400.0
    return replace(sc, drift=(("hab.p", 0.2 * T, 0.3 * MMHG_PA),), thermometer_steps=(("lab.t", 0.55 * T, 0.4),),
                   dropouts=(("hub.p", 0.3 * T, 3 * H),))


def _ops(days: float, logged: bool) -> tuple:
    T = days * 86400.0
    return (Operation("o2_repress", 0.15 * T, kg=3.0, duration_s=1800.0, logged=logged),
            Operation("airlock_cycle", 0.4 * T, duration_s=2 * H, logged=logged),
            Operation("vehicle_join", 0.6 * T, duration_s=1200.0, logged=logged),
            Operation("n2_repress", 0.8 * T, kg=4.0, duration_s=2400.0, module="lab", logged=logged))


#: the goal envelope's top (issue 16: sigma <= 0.1 K) [K]: the envelope oracle assumes it (per module half of it)
ENVELOPE_K = 0.1
#: the nuisance sweep of issue 16 (sigma <= 0.1 K, tau 1-12 h) in this generator's form: the unseen 1/f bulk drift,
#: common part sigma and per-module part sigma / 2, flat below 1 / (2 pi tau) (``Scenario.pink_tau_s``)
SIGMAS = (0.02, 0.05, 0.1)
TAUS_H = (1.0, 6.0, 12.0)


def _nuisance(sc: Scenario, sigma: float | None, tau_h: float | None) -> Scenario:
    if sigma is None:
        return sc
    return replace(sc, pink_common_k=sigma, pink_module_k=sigma / 2.0,
                   pink_tau_s=None if tau_h is None else tau_h * H)


def scenario(kind: str, seed: int, days: float, sigma: float | None = None, tau_h: float | None = None) -> Scenario:
    base = _nuisance(_defects(Scenario(duration_s=days * 86400.0, seed=seed), days), sigma, tau_h)
    if kind == "quiet":
        return base
    if kind == "ops":
        return replace(base, operations=_ops(days, True))
    if kind == "unlogged":
        return replace(base, operations=_ops(days, False))
    raise ValueError(kind)


LEAKS = {
    "MS-09 0.6 mmHg/h @6h": dict(rate=0.6, onset=6 * H, dur=12 * H),
    "1 mmHg/day @12h": dict(rate=1.0 / 24.0, onset=12 * H, dur=12 * H + 2 * 86400.0),
    "MS-09 @10 min (start-up)": dict(rate=0.6, onset=600.0, dur=8 * H),
    "MS-09 during O2 repress": dict(rate=0.6, onset=6 * H, dur=12 * H, repress=True),
    "MS-09 adiabatic": dict(rate=0.6, onset=6 * H, dur=12 * H, thermo="adiabatic"),
    # --late: the MS-09 rate after the zone's learning ended (17 h of 120 s N2 bins): the start-up's share of the ratio
    "MS-09 0.6 mmHg/h @30h": dict(rate=0.6, onset=30 * H, dur=36 * H),
}


def _detect(run):
    from hullbreach.detect.detector import detect
    t = time.perf_counter()
    res = detect(run.station, run.frame(), run.events if len(run.events) else None, keep_series=False)
    return res, time.perf_counter() - t


def free_job(args):
    kind, seed, days, sigma, tau_h = args
    st = ring_station()
    run = generate(st, scenario(kind, seed, days, sigma, tau_h))
    res, dt = _detect(run)
    alarms = [(a.kind, "+".join(a.zone), round((a.time_s - res.start_s) / H, 2), a.track) for a in res.alarms]
    states = {"+".join(z.zone): z.state for z in res.zones}
    # the unseen bulk temperature of the main zone (volume-weighted bulk minus what the thermometers' gas sees):
    # the std of its 7-min increments and its fastest 7-min fall, against the OU envelope
    tr = run.truth
    idx = [tr["modules"].index(m) for m in MAIN]
    vol = np.array([st.modules[m].volume_m3 for m in MAIN])
    unseen = ((tr["bulk_temperature_k"][:, idx] - tr["seen_temperature_k"][:, idx]) * vol).sum(axis=1) / vol.sum()
    lag = int(round(420.0 / run.scenario.step_s))
    inc = unseen[lag:] - unseen[:-lag]
    reconf = int(run.events["kind"].isin(("hatch_open", "hatch_close")).sum()) if len(run.events) else 0
    return dict(kind=kind, seed=seed, days=days, sigma=sigma, tau_h=tau_h, alarms=alarms, n_alarms=len(alarms),
                states=states, reconf=reconf, inc7_std_k=float(inc.std()), fall7_max_k=float(-inc.min()), faults=sorted({f.sensor for f in res.sensor_faults}), detect_s=dt,
                bad=_inconsistent(res))


def _inconsistent(res) -> list:
    """Alarms that break issue 16's consistency: onset after the alarm time, or a rate interval including zero."""
    out = []
    for a in res.alarms:
        ea = a.estimate_at_alarm or a.estimate
        r = ea.pressure_rate_pa_s
        if a.onset_s.estimate > a.time_s + 1e-6:
            out.append(("onset after alarm", "+".join(a.zone)))
        if a.kind == "leak" and r.low <= 0.0 <= r.high:
            out.append(("rate interval includes 0", "+".join(a.zone)))
    return out


# ------------------------------------------------------------------------------------------------ oracle
def _n2_samples(run, zone) -> tuple:
    """The zone's modules (indices in the truth), volumes [m^3], ppN2 sensors, and the ppN2 samples' times [s after
    start] and values [Pa], in time order: what hullbreach's N2 track reads."""
    st = run.station
    mods = run.truth["modules"]
    idx = [mods.index(m) for m in zone]
    vol = np.array([st.modules[m].volume_m3 for m in zone])
    raw = run.raw
    ch = [s for s in st.sensors.values() if s.quantity == "ppn2" and s.module in zone]
    rows = raw[raw["channel"].isin([s.id for s in ch])]
    t = (rows["time"] - pd.Timestamp(run.scenario.t0)).dt.total_seconds().to_numpy()
    pp = rows["value"].to_numpy() * MMHG_PA
    order = np.argsort(t, kind="stable")
    return idx, vol, ch, t[order], pp[order]


def oracle_n2_alarm_s(run, free_run, threshold: float, zone=MAIN):
    """First time [s after start] the N2-track oracle's GLR exceeds ``threshold``, or None.

    The oracle reads what hullbreach's N2 track reads (the mass spectrometer's ppN2 samples of the zone's ports)
    and knows the nuisance EXACTLY: the true bulk gas temperature of every module at every sample (so the zone's
    N2 mass is ``ppN2 sum V_i / (R_N2 T_i)`` without any thermal error), every non-leak N2 change (the CO2 removal
    venting, represses: the same record generated without the leak, ``free_run``), the analyser's white noise and
    quantisation, and the level before onset. What is left is the leak's ramp in white noise: the one-sided GLR
    for a ramp of unknown onset and slope, ``max_k num_k^2 / (2 den_k)``, at hullbreach's own threshold. A lower
    bound on any detector's delay on this track.
    """
    tr, fr = run.truth, free_run.truth
    idx, vol, ch, t, pp = _n2_samples(run, zone)
    r_n2 = R_S[0]
    grid = tr["t_s"]
    temp = np.column_stack([np.interp(t, grid, tr["bulk_temperature_k"][:, i]) for i in idx])
    cap = (vol[None, :] / (r_n2 * temp)).sum(axis=1)  # [kg/Pa]
    m_meas = pp * cap
    m_free = np.interp(t, grid, fr["n2_kg"][:, idx].sum(axis=1))
    y = m_free - m_meas  # apparent N2 loss [kg]: the leak's loss minus white noise
    sd = max(s.noise_std for s in ch) * MMHG_PA
    q = max(s.resolution for s in ch) * MMHG_PA
    r = (sd ** 2 + q ** 2 / 12.0) * cap ** 2
    w = 1.0 / r
    # sums over j >= k of w, w t, w t^2, w y, w t y, by reverse cumulative sums, for every onset k at sample times
    for j in range(len(t)):
        tt, yy, ww = t[: j + 1], y[: j + 1], w[: j + 1]
        sw = np.cumsum((ww)[::-1])[::-1]
        swt = np.cumsum((ww * tt)[::-1])[::-1]
        swtt = np.cumsum((ww * tt * tt)[::-1])[::-1]
        swy = np.cumsum((ww * yy)[::-1])[::-1]
        swty = np.cumsum((ww * tt * yy)[::-1])[::-1]
        num = swty - tt * swy
        den = swtt - 2.0 * tt * swt + tt * tt * sw
        ok = (num > 0) & (den > 0)
        if ok.any() and float(np.max(num[ok] ** 2 / (2.0 * den[ok]))) > threshold:
            return float(t[j])
    return None


def generate_with_pink(st, sc: Scenario):
    """:func:`generate` that also returns the unseen 1/f drift it drew, ``(common, {module: own part})`` [K] on the
    truth grid (the same record: the generator's draws are untouched, only recorded)."""
    import tests.generators.thirdgen as gen

    drawn, orig = [], gen.pink_noise

    def rec(*args, **kw):
        x = orig(*args, **kw)
        drawn.append(x)
        return x
    gen.pink_noise = rec
    try:
        run = gen.generate(st, sc)
    finally:
        gen.pink_noise = orig
    mods = run.truth["modules"]
    return run, (drawn[0], {m: drawn[1 + i] for i, m in enumerate(mods)})


def ou_correlation(tau_s: float, lags_s: np.ndarray) -> np.ndarray:
    """Autocorrelation [-] of an Ornstein-Uhlenbeck process of correlation time ``tau_s`` at ``lags_s``: the
    structure issue 16 states its nuisance envelope in (and the detector's slow-noise model assumes)."""
    return np.exp(-np.abs(np.asarray(lags_s, dtype=float)) / float(tau_s))


def pink_correlation(n: int, dt_s: float, fmax_hz: float, tau_s: float | None, lags_s: np.ndarray) -> np.ndarray:
    """Autocorrelation [-] at ``lags_s`` of :func:`tests.generators.thirdgen.pink_noise` on ``n`` samples ``dt_s``
    apart: its power per frequency is ``1 / max(f, 1 / (2 pi tau))`` up to ``fmax_hz`` (Wiener-Khinchin)."""
    f = np.fft.rfftfreq(2 * n, dt_s)
    ok = (f > 0) & (f <= fmax_hz)
    pw = np.zeros(len(f))
    pw[ok] = 1.0 / (f[ok] if tau_s is None else np.maximum(f[ok], 1.0 / (2.0 * math.pi * tau_s)))
    acf = np.fft.irfft(pw, 2 * n)[: n]  # sum_k pw_k cos(2 pi f_k l dt), up to a constant, at lags l dt
    return np.interp(np.abs(np.asarray(lags_s, dtype=float)) / dt_s, np.arange(n), acf / acf[0])


def oracle_model_alarm_s(run, free_run, pink, threshold: float, sigma_k: float, module_k: float, zone=MAIN,
                         bin_s: float = 120.0, ou_tau_s: float | None = None):
    """First time [s after start] the MODEL oracle's GLR exceeds ``threshold``, or None.

    As :func:`oracle_n2_alarm_s` (the N2 track, every non-leak change and the thermometer-seen and stratification
    temperatures known), except that the unseen 1/f drift is NOT known sample by sample: the oracle measures with
    the bulk temperature minus the drift (``pink``, from :func:`generate_with_pink`) and knows only the drift's
    law: Gaussian with this generator's spectrum (:func:`pink_correlation`, the record's own corner ``tau``), a
    common part of std ``sigma_k`` and per-module parts of std ``module_k`` [K]. With the true figures this is
    the best any detector can do that knows the nuisance's model exactly (not its realisation); with the issue's
    envelope (0.1 K, 0.05 K) it is the best one that does not know sigma. Samples are averaged in ``bin_s`` bins
    (the detector's N2 bins), then the generalised-least-squares GLR for a ramp of unknown onset and slope
    (``max_k (h_k' S^-1 y)^2 / (2 h_k' S^-1 h_k)``, one-sided), whitened once by the Cholesky factor of the
    covariance ``S`` (the prefix of a whitened series is the whitened prefix: one pass gives every time)."""
    tr, fr = run.truth, free_run.truth
    idx, vol, ch, t, pp = _n2_samples(run, zone)
    grid = tr["t_s"]
    common, own = pink
    drift = np.column_stack([common + own[m] for m in zone])  # unseen part of each module's bulk temperature [K]
    known = np.column_stack([np.interp(t, grid, tr["bulk_temperature_k"][:, i] - drift[:, j]) for j, i in enumerate(idx)])
    cap = (vol[None, :] / (R_S[0] * known)).sum(axis=1)
    y_s = np.interp(t, grid, fr["n2_kg"][:, idx].sum(axis=1)) - pp * cap
    # the drift's effect on the apparent N2 loss per kelvin of each module: d/dT (p V / (R T)) = -p V / (R T^2)
    c = float(np.median(pp)) * vol / (R_S[0] * float(np.median(known)) ** 2)
    s2_drift = sigma_k ** 2 * c.sum() ** 2 + module_k ** 2 * float((c * c).sum())
    sd = max(s.noise_std for s in ch) * MMHG_PA
    q = max(s.resolution for s in ch) * MMHG_PA
    r = (sd ** 2 + q ** 2 / 12.0) * float(np.median(cap)) ** 2
    b = np.floor(t / bin_s).astype(np.int64)
    ub, inv, cnt = np.unique(b, return_inverse=True, return_counts=True)
    y = np.bincount(inv, y_s) / cnt
    tb = np.bincount(inv, t) / cnt
    lags = np.abs(tb[:, None] - tb[None, :])
    rho = (ou_correlation(ou_tau_s, lags) if ou_tau_s is not None else
           pink_correlation(len(grid), run.scenario.step_s, run.scenario.pink_fmax_hz, run.scenario.pink_tau_s, lags))
    S = rho * s2_drift + np.diag(r / cnt)
    L = np.linalg.cholesky(S)
    from scipy.linalg import solve_triangular
    wy = solve_triangular(L, y, lower=True)
    H = np.maximum(tb[:, None] - tb[None, :], 0.0)  # column k: the ramp starting at bin k
    WH = solve_triangular(L, H, lower=True)
    num = np.cumsum(WH * wy[:, None], axis=0)  # row j: h_k' S^-1 y over bins 0..j, per onset k
    den = np.cumsum(WH * WH, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where((num > 0) & (den > 0), num * num / (2.0 * den), 0.0)
    over = np.nonzero(g.max(axis=1) > threshold)[0]
    last = np.zeros(len(ub))
    np.maximum.at(last, inv, t)  # the bin's last sample: when its mean is known
    return float(last[over[0]]) if len(over) else None


def _true_rate_pa_s(run, j: int, t_rel_s: float) -> float:
    """The leak's own pressure rate [Pa/s] in its zone at ``t_rel_s`` (choked flow at the true state)."""
    tr = run.truth
    k = min(int(round(t_rel_s / run.scenario.step_s)), len(tr["t_s"]) - 1)
    mods = tr["modules"]
    lk = run.scenario.leaks[j]
    i = mods.index(lk.module)
    zone = [mods.index(m) for m in MAIN]
    p = tr["pressure_pa"][k, i]
    temp = tr["bulk_temperature_k"][k]
    vol = np.array([run.station.modules[m].volume_m3 for m in mods])
    r_mix = (tr["pressure_pa"][k, i] * vol[i] / temp[i]) / tr["mass_kg"][k, i]
    mdot = run.leak_areas_m2[j] * p * CHOKE / math.sqrt(r_mix * temp[i])
    return mdot * r_mix / float((vol[zone] / temp[zone]).sum())


def leak_job(args):
    label, seed, sigma, tau_h = args
    c = LEAKS[label]
    days = c["dur"] / 86400.0
    ops = (Operation("o2_repress", c["onset"] - 600.0, kg=3.0, duration_s=2400.0),) if c.get("repress") else ()
    free_sc = replace(_nuisance(_defects(Scenario(duration_s=c["dur"], seed=1000 + seed), days), sigma, tau_h),
                      operations=ops)
    sc = replace(free_sc, leaks=(LeakSpec("lab", rate_mmhg_per_h=c["rate"], start_s=c["onset"],
                                          thermo=c.get("thermo", "isothermal")),))
    st = ring_station()
    run, pink = generate_with_pink(st, sc)
    res, dt = _detect(run)
    onset = c["onset"]
    # the oracle: the same record without the leak gives it every non-leak change (same seed: same draws)
    free_run = generate(st, free_sc)
    o_t = oracle_n2_alarm_s(run, free_run, res.threshold)
    # the decomposition of the ratio: the model oracle knows the drift's law with the record's true sigma (what not
    # knowing the realisation costs any detector), the envelope oracle assumes the goal envelope 0.1 K (common) and
    # 0.05 K (per module) with the right structure (what not knowing sigma costs)
    m_t = oracle_model_alarm_s(run, free_run, pink, res.threshold, run.scenario.pink_common_k, run.scenario.pink_module_k)
    e_t = oracle_model_alarm_s(run, free_run, pink, res.threshold, ENVELOPE_K, ENVELOPE_K / 2.0)
    # ... and the envelope as the issue states it: an OU of 0.1 K (common; 0.05 K per module) with the record's tau
    u_t = oracle_model_alarm_s(run, free_run, pink, res.threshold, ENVELOPE_K, ENVELOPE_K / 2.0,
                               ou_tau_s=(tau_h or 6.0) * H)
    rel = [(a, a.time_s - res.start_s) for a in res.alarms]
    early = [(a.kind, "+".join(a.zone), round(t / H, 2)) for a, t in rel if t < onset]
    hits = [(a, t) for a, t in rel if a.kind == "leak" and "lab" in a.zone and t >= onset]
    out = dict(label=label, seed=seed, sigma=sigma, tau_h=tau_h, early=early, delay_min=None, cover_at_alarm=None,
               cover_end=None, hole_err=None, rate_at_alarm=None, true_rate=None, onset_err_min=None, detect_s=dt,
               oracle_min=None if o_t is None else (o_t - onset) / 60.0, bad=_inconsistent(res),
               model_min=None if m_t is None else (m_t - onset) / 60.0, env_min=None if e_t is None else (e_t - onset) / 60.0,
               ou_min=None if u_t is None else (u_t - onset) / 60.0)
    if hits:
        a, t = min(hits, key=lambda x: x[1])
        out["delay_min"] = (t - onset) / 60.0
        tr_alarm = _true_rate_pa_s(run, 0, t)
        tr_end = _true_rate_pa_s(run, 0, c["dur"])
        ea = a.estimate_at_alarm or a.estimate
        r = ea.pressure_rate_pa_s
        out["rate_at_alarm"] = (r.estimate / MMHG_PA * H, r.low / MMHG_PA * H, r.high / MMHG_PA * H)
        out["true_rate"] = tr_alarm / MMHG_PA * H
        # the alarm's pressure rate is signed (a loss is negative); _true_rate_pa_s is the loss rate (positive)
        out["cover_at_alarm"] = bool(r.low <= -tr_alarm <= r.high)
        re_ = a.estimate.pressure_rate_pa_s
        out["cover_end"] = bool(re_.low <= -tr_end <= re_.high) if a.active else None
        out["hole_err"] = a.estimate.effective_area_m2.estimate / run.leak_areas_m2[0] - 1.0
        out["onset_err_min"] = (a.onset_s.estimate - res.start_s - onset) / 60.0
    return out


def _cells(quick: bool, with_zero: bool = False) -> list:
    if quick:
        return [(0.05, 6.0)]
    return ([(0.0, None)] if with_zero else []) + [(sg, tau) for sg in SIGMAS for tau in TAUS_H]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one nuisance cell (0.05 K, 6 h), one seed, 1-day records")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per leak-free scenario and sweep cell (default 3)")
    ap.add_argument("--leak-seeds", type=int, default=1, help="seeds per leak case and sweep cell (default 1)")
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--only", choices=("free", "leaks", "all"), default="all")
    ap.add_argument("--late", action="store_true", help="also the MS-09 rate starting at 30 h, after learning, over the "
                    "sweep (the start-up's share of the delay ratio)")
    a = ap.parse_args()
    seeds = 1 if a.quick else a.seeds
    days = 1.0 if a.quick else a.days
    free_jobs = []
    if a.only != "leaks":
        for sg, tau in _cells(a.quick):
            free_jobs += [(k, s, days, sg, tau) for k in ("quiet", "ops") for s in range(seeds)]
            free_jobs.append(("unlogged", 0, days, sg, tau))
    leak_jobs = []
    if a.only != "free":
        ls = 1 if a.quick else a.leak_seeds
        for lab in LEAKS:
            if lab in LATE and not a.late:
                continue
            cells = _cells(a.quick, with_zero=True) if lab in SWEPT else [(None, None)]
            leak_jobs += [(lab, s, sg, tau) for sg, tau in cells for s in range(ls)]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        free = list(ex.map(free_job, free_jobs))
        leaks = list(ex.map(leak_job, leak_jobs))
    wall = time.perf_counter() - t0
    print(f"# detect_thirdgen quick={a.quick} wall={wall:.0f} s ({pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC)")
    if free:
        fd = pd.DataFrame(free)
        print("\n## Leak-free records (one detector start-up each; sigma/tau: the unseen 1/f bulk drift)")
        with pd.option_context("display.width", 250, "display.max_colwidth", 80):
            print(fd[["kind", "sigma", "tau_h", "seed", "days", "reconf", "n_alarms", "alarms", "bad"]].to_string(index=False))
        for k, g in fd.groupby("kind"):
            print(f"{k}: {int((g['n_alarms'] > 0).sum())} of {len(g)} records ({g['days'].sum():.0f} days, "
                  f"{int(g['reconf'].sum())} logged hatch reconfigurations) with an alarm")
        g = fd.groupby(["sigma", "tau_h"]).agg(records=("n_alarms", "size"), with_alarm=("n_alarms", lambda x: int((x > 0).sum())),
                                             inc7_std_k=("inc7_std_k", "median"), fall7_max_k=("fall7_max_k", "max"))
        g["ou_env_inc7_std_k"] = [s_ * math.sqrt(2.0 * (1.0 - math.exp(-420.0 / (t_ * H)))) for s_, t_ in g.index]
        print("\nUnseen bulk temperature of the main zone, 7-min increments (median std over records, largest fall) "
              "against an OU of the same sigma and tau (the issue's envelope):")
        print(g.to_string(float_format=lambda x: f"{x:.3f}"))
        logged = fd[fd["kind"] != "unlogged"]
        print(f"TOTAL (every operation logged): {int((logged['n_alarms'] > 0).sum())} of {len(logged)} records "
              f"(= detector start-ups), {logged['days'].sum():.0f} simulated days, {int(logged['reconf'].sum())} "
              f"hatch reconfigurations; inconsistent alarms: {int(fd['bad'].map(len).sum())}")
    if leaks:
        ld = pd.DataFrame(leaks)
        ld["ratio"] = ld["delay_min"].astype(float) / ld["oracle_min"].astype(float)
        # decomposition: exact -> model (the drift's realisation unknown: physics) -> envelope (sigma unknown) -> ours
        ld["phys"] = ld["model_min"].astype(float) / ld["oracle_min"].astype(float)
        ld["sig"] = ld["env_min"].astype(float) / ld["model_min"].astype(float)
        ld["struct"] = ld["ou_min"].astype(float) / ld["env_min"].astype(float)
        ld["own"] = ld["delay_min"].astype(float) / ld["ou_min"].astype(float)
        print("\n## Leaks in the lab (main zone 294 m^3); oracle = the N2-track oracle (exact nuisance), ratio = ours / oracle")
        cols = ["label", "sigma", "tau_h", "seed", "early", "delay_min", "oracle_min", "ratio", "model_min", "env_min", "ou_min",
                "phys", "sig", "struct", "own", "onset_err_min", "true_rate",
                "rate_at_alarm", "cover_at_alarm", "cover_end", "hole_err", "bad"]
        with pd.option_context("display.width", 300, "display.max_colwidth", 60):
            print(ld[cols].to_string(index=False, float_format=lambda x: f"{x:.3g}"))
        print(f"missed: {int(ld['delay_min'].isna().sum())} of {len(ld)}; alarms before onset: "
              f"{int((ld['early'].map(len) > 0).sum())}; inconsistent alarms: {int(ld['bad'].map(len).sum())}; "
              f"rate interval at alarm covers truth: "
              f"{int(ld['cover_at_alarm'].fillna(False).sum())} of {int(ld['cover_at_alarm'].notna().sum())}; "
              f"at end: {int(ld['cover_end'].fillna(False).sum())} of {int(ld['cover_end'].notna().sum())}; "
              f"hole within 20 %: {int((ld['hole_err'].astype(float).abs() <= 0.2).sum())} of {int(ld['hole_err'].notna().sum())}")
        for lab in SWEPT:
            g = ld[ld["label"] == lab]
            if len(g):
                print(f"{lab}: delay ratio to the oracle median {g['ratio'].median():.2f}, worst {g['ratio'].max():.2f} "
                      f"(goal <= 1.5); oracle {g['oracle_min'].min():.0f}-{g['oracle_min'].max():.0f} min")
                w = g.loc[g["ratio"].astype(float).idxmax()]
                print(f"  worst cell (sigma {w['sigma']}, tau {w['tau_h']} h) = {w['phys']:.2f} (the drift's realisation unknown:"
                      f" model oracle {w['model_min']:.0f} min, physics) x {w['sig']:.2f} (sigma unknown: envelope oracle "
                      f"{w['env_min']:.0f} min) x {w['struct']:.2f} (the spectrum unknown: the issue's OU envelope, "
                      f"{w['ou_min']:.0f} min) x {w['own']:.2f} (hullbreach vs the OU envelope oracle: its test, its "
                      f"start-up, its learned noise); over the sweep: physics {g['phys'].min():.2f}-{g['phys'].max():.2f}, "
                      f"OU envelope / exact {(g['ou_min'] / g['oracle_min']).min():.2f}-{(g['ou_min'] / g['oracle_min']).max():.2f}, "
                      f"ours / OU envelope {g['own'].min():.2f}-{g['own'].max():.2f}")
        g = ld[(ld["label"] == "MS-09 0.6 mmHg/h @6h") & (ld["sigma"].astype(float) <= 0.05)
               & ((ld["sigma"].astype(float) == 0) | (ld["tau_h"].astype(float) >= 6))]
        if len(g):
            print(f"MS-09, sigma <= 0.05 K, tau >= 6 h: alarm < 30 min after onset in "
                  f"{int((g['delay_min'].astype(float) < 30).sum())} of {len(g)} (oracle < 30 min in "
                  f"{int((g['oracle_min'].astype(float) < 30).sum())}); hole +-20 % in "
                  f"{int((g['hole_err'].astype(float).abs() <= 0.2).sum())} of {len(g)}")
    print(f"\ndetect() per record: median {pd.DataFrame(free + leaks)['detect_s'].median():.2f} s")


#: leak cases run over the nuisance sweep (the others at the generator's default nuisance)
SWEPT = ("MS-09 0.6 mmHg/h @6h", "1 mmHg/day @12h", "MS-09 0.6 mmHg/h @30h")
LATE = ("MS-09 0.6 mmHg/h @30h",)


if __name__ == "__main__":
    main()
