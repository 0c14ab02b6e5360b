"""Robustness benchmark (issue 16): hullbreach.detect on telemetry from the INDEPENDENT generator
(``tests/generators/independent.py``: own gas law, leak ODE and noise models), against an oracle detector
that knows the nuisance exactly, over the issue's sweep.

Sweep (every record is one detector start-up; 10 s cadence; toy 4-module station unless ``--station``):

* **leak-free**: unmeasured bulk-gas offset OU sigma in {0.02, 0.05, 0.1} K (common to all modules, plus a
  per-module part of half that sigma), tau in {1, 6, 12} h; thermometer lag 120 s and self-heating 0.3 K
  (steady), pressure-sensor drift 1 Pa/day sigma + random walk; two hatch reconfigurations per record (the
  escape capsule's hatch closed and reopened, logged as events). Counted: records with any alarm.
* **leaks** in ``lab`` (toy) at 1 mmHg/day and at the MS-09 rate 0.6 mmHg/h (zone rate at onset), sigma in
  {0, 0.02, 0.05, 0.1} K, tau in {1, 6, 12} h. Onset 6 h (MS-09) / 12 h (1 mmHg/day) after start-up.
  Scored: alarm before onset (a false alarm), delay after onset, hole (effective area, Cd = 1) of the
  alarm's latest estimate within +-20 % of the truth, delay ratio to the oracle.

Oracle: knows the nuisance exactly — each pressure sensor's drift (removed), each thermometer's lag and
self-heating (it divides by the true temperature the thermometers follow), and the MODEL of the unmeasured
bulk offset (OU with the record's sigma and tau; the realisation it cannot know, no detector can), plus the
sensors' white noise and quantisation. It bins the zone air mass to 60 s, takes the true air mass at start-up
as the reference, whitens with the Kalman filter of "ramp + a x_OU + white noise" (from the OU's stationary
prior) and runs a
one-sided GLR for a ramp of unknown onset and slope on the innovations, alarming at hullbreach's own
threshold for 1 false alarm per year (the log-likelihood ratio hullbreach reports). Its false alarms on the
leak-free records are counted too (they must be 0 for the delays to mean anything).

Usage: ``python benchmarks/robust_detect.py [--quick] [--station toy|iss-2025] [--workers N]``
(run from the repository root; ``PYTHONPATH=src:.``). Full run: ~108 leak-free days (54 start-ups, 108 hatch
reconfigurations) and 72 leak records.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import replace
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from tests.generators.independent import (  # noqa: E402
    R_AIR_J_KG_K,
    GenConfig,
    Leak,
    advance,
    effective_area_for_rate,
    mmhg_per_day_to_pa_per_s,
    mmhg_per_h_to_pa_per_s,
    start,
    toy_station,
)

PA_PER_MMHG = 101325.0 / 760.0
BIN_S = 60.0
#: the envelope oracle's offset model (``oracle_env_min``): the top of the issue's sigma <= 0.1 K at the prior's 6 h
ENV_SIGMA_K = 0.1
ENV_TAU_S = 6 * 3600.0
RATES = {"1 mmHg/day": ("day", 1.0), "0.6 mmHg/h (MS-09)": ("h", 0.6)}


def _station(name):
    if name == "toy":
        return toy_station(), "lab", "hab-capsule"
    from hullbreach.station import load_station
    return load_station(name), "destiny", "pma2-crew-dragon" if name == "iss-2025" else "node1-destiny"


def _cfg(sigma, tau_h):
    return GenConfig(cadence_s=10.0, ou_common_sigma_k=sigma, ou_common_tau_s=tau_h * 3600.0,
                     ou_module_sigma_k=sigma / 2, ou_module_tau_s=tau_h * 3600.0, thermometer_lag_s=120.0,
                     self_heating_k=0.3, self_heating_tau_s=1e-9, pressure_drift_sigma_pa_per_day=1.0,
                     pressure_random_walk_pa_per_sqrt_day=1.0)


# ------------------------------------------------------------------------------------------------ oracle
def oracle_alarm_s(station, seg, zone_modules, threshold, cfg, track="air"):
    """First time [s after start] the oracle's GLR exceeds ``threshold`` on the air mass of ``zone_modules``,
    or None.

    The oracle knows the nuisance exactly: each pressure sensor's drift (removed), each thermometer's lag and
    self-heating (it uses the true temperature the thermometers follow, ``truth.visible_temperature_k``), and
    the unmeasured bulk offset's model (OU, sigma and tau of the common and per-module parts, so the zone's
    apparent mass carries ``a x_t``, ``a = M / T``, x an OU of variance sigma_c^2 + sigma_m^2 sum w_i^2), plus
    the sensors' white noise and quantisation. It whitens with the Kalman filter of that model (from the stationary prior) and
    runs the GLR for a ramp of unknown onset and slope on the innovations (one-sided, a loss).

    ``track="n2"``: the same oracle on the measurement hullbreach's N2 track uses, the N2 mass from the zone's ppN2
    analysers (``ppN2 sum V_i / (R_N2 T_i)``, their white noise and quantisation; no drift in the generator), to
    separate what the choice of track costs (one 0.5 mmHg analyser against four 0.05 mmHg gauges) from what the
    noise model costs. None when the zone has no ppN2 analyser.
    """
    tr = seg.truth
    mods = [m for m in tr.modules if m in zone_modules]
    idx = [tr.modules.index(m) for m in mods]
    raw = seg.raw
    quantity = "pressure" if track == "air" else "ppn2"
    psens = [s for s in station.sensors.values() if s.quantity == quantity and s.module in zone_modules]
    if not psens:
        return None
    pv = {}
    for s in psens:
        v = raw.loc[raw["channel"] == s.id, "value"].to_numpy() * _pa_per_unit(s.unit)
        pv[s.id] = v - tr.sensor_drift_pa[s.id] if s.id in tr.sensor_drift_pa else v  # the oracle knows each drift
    wsens = {s.id: 1.0 / _sensor_var_pa2(s, cfg) for s in psens}
    vol = np.array([station.modules[m].volume_m3 for m in mods])
    r_gas = R_AIR_J_KG_K if track == "air" else 8.314462618 / 0.0280134
    inv_t = vol[None, :] / (r_gas * tr.visible_temperature_k[:, idx])  # V_i / (R T_i) [kg/Pa]
    # one pressure per zone (the zones as they were at each sample): inverse-variance mean of its sensors
    codes = tr.zone[:, idx]
    pats, inv = np.unique(codes, axis=0, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    mass = np.zeros(len(tr.time))
    var_rows = np.zeros(len(pats))
    for j, pat in enumerate(pats):
        rows = inv == j
        for c in np.unique(pat):
            cols = np.nonzero(pat == c)[0]
            zs = [s for s in psens if mods.index(s.module) in cols]
            if not zs:
                return None  # a zone of the period without the measurement
            w = np.array([wsens[s.id] for s in zs])
            pz = sum(wsens[s.id] * pv[s.id][rows] for s in zs) / w.sum()
            mass[rows] += pz * inv_t[np.ix_(rows, cols)].sum(axis=1)
            var_rows[j] += float(inv_t[0, cols].sum()) ** 2 / w.sum()
    t = (tr.time - tr.time[0]).total_seconds().to_numpy()
    k = (t // BIN_S).astype(np.int64)
    nb = int(k.max()) + 1
    cnt = np.bincount(k, None, nb)
    mb = np.bincount(k, mass, nb) / np.maximum(cnt, 1)
    # the state it starts from (N2: its mole fraction times the ratio of molar masses)
    m0 = float(tr.mass_kg[0, idx].sum()) * (1.0 if track == "air" else cfg.n2_fraction * R_AIR_J_KG_K / r_gas)
    y = m0 - mb  # apparent loss [kg]
    # model: y_t = ramp + a x_t + e_t; x OU (K), e white (kg)
    r_e = float(np.max(var_rows) / np.median(np.maximum(cnt, 1)))  # white noise of a bin's mass [kg^2]
    w = tr.mass_kg[0, idx] / float(tr.mass_kg[0, idx].sum())
    var_x = cfg.ou_common_sigma_k ** 2 + cfg.ou_module_sigma_k ** 2 * float((w ** 2).sum())
    phi = math.exp(-BIN_S / cfg.ou_common_tau_s)
    a = m0 / 295.0
    q = var_x * (1.0 - phi ** 2)
    # Kalman filter from the stationary prior (x_0 ~ N(0, var_x)); for every candidate onset k the innovation
    # signature g_k(j) of a unit ramp (1 kg per bin from k) through the same filter, all k at once
    p_ = var_x
    xh = 0.0
    xg = np.zeros(nb)
    num = np.zeros(nb)
    den = np.zeros(nb)
    win = int(4 * 86400 / BIN_S)
    for j in range(nb):
        s_var = a * a * p_ + r_e
        gain = p_ * a / s_var
        nu = y[j] - a * xh
        lo = max(0, j - win)
        gk = (j - np.arange(lo, j + 1)) - a * xg[lo:j + 1]
        num[lo:j + 1] += gk * nu / s_var
        den[lo:j + 1] += gk * gk / s_var
        xg[lo:j + 1] = phi * (xg[lo:j + 1] + gain * gk)
        xh = phi * (xh + gain * nu)
        p_ = phi * phi * p_ * (1.0 - gain * a) + q
        nn, dd = num[lo:j + 1], den[lo:j + 1]
        ok = (nn > 0) & (dd > 0)
        if ok.any() and float(np.max(nn[ok] ** 2 / (2.0 * dd[ok]))) > threshold:
            return float((j + 1) * BIN_S)
    return None


# ------------------------------------------------------------------------------------------------ runs
def _detect(station, seg):
    from hullbreach.detect.detector import detect
    t = time.perf_counter()
    res = detect(station, seg.frame(), seg.events, keep_series=False)
    return res, time.perf_counter() - t


def _pa_per_unit(unit: str) -> float:
    u = unit.lower()
    return PA_PER_MMHG if u in ("mmhg", "torr") else 100.0 if u in ("hpa", "mbar") else 1000.0 if u == "kpa" else 1.0


def _sensor_var_pa2(sensor, cfg) -> float:
    """White noise plus quantisation variance of one pressure sensor [Pa^2] (step^2 / 12)."""
    f = _pa_per_unit(sensor.unit)
    noise = cfg.pressure_noise_pa if cfg.pressure_noise_pa is not None else sensor.noise_std * f
    step = cfg.pressure_step_pa if cfg.pressure_step_pa is not None else sensor.resolution * f
    return noise ** 2 + step ** 2 / 12.0


def leak_free(args):
    name, sigma, tau_h, seed, days = args
    st, _, hatch = _station(name)
    cfg = _cfg(sigma, tau_h)
    s = start(st, cfg, seed=seed)
    total = days * 86400.0
    # two reconfigurations: close the hatch at 1/3, reopen at 2/3 of the record
    a = advance(s, total / 3)
    b = advance(a.state, total / 3, closed=set(st.closed_hatches()) | {hatch})
    c = advance(b.state, total / 3, closed=set(st.closed_hatches()))
    from tests.generators.independent import concat
    seg = concat([a, b, c])
    res, dt = _detect(st, seg)
    alarms = [(al.kind, "+".join(al.zone), (al.time_s - res.start_s) / 3600.0) for al in res.alarms]
    oracle = oracle_alarm_s(st, seg, set(st.modules), res.threshold, cfg)
    return dict(kind="free", station=name, sigma=sigma, tau_h=tau_h, seed=seed, days=days, reconf=2,
                alarms=alarms, first_alarm_h=min((x[2] for x in alarms), default=None),
                oracle_alarm_h=None if oracle is None else oracle / 3600.0, detect_s=dt)


def long_free(args):
    """A leak-free record of ``days`` with no hatch change (one zone detector for the whole record): the 2-day sweep
    re-forms its zones every 16 h and so never runs a zone detector longer than that."""
    name, sigma, tau_h, seed, days = args
    st, _, _ = _station(name)
    seg = advance(start(st, _cfg(sigma, tau_h), seed=seed), days * 86400.0)
    res, dt = _detect(st, seg)
    alarms = [(al.kind, "+".join(al.zone), (al.time_s - res.start_s) / 3600.0) for al in res.alarms]
    return dict(sigma=sigma, tau_h=tau_h, seed=seed, days=days, alarms=alarms,
                first_alarm_h=min((x[2] for x in alarms), default=None),
                thermometers_left=sorted(f.sensor for f in res.sensor_faults if "temperature" in f.sensor))


def leak_run(args):
    name, sigma, tau_h, seed, rate_label = args
    st, module, _ = _station(name)
    unit, value = RATES[rate_label]
    rate = mmhg_per_day_to_pa_per_s(value) if unit == "day" else mmhg_per_h_to_pa_per_s(value)
    onset = 12 * 3600.0 if unit == "day" else 6 * 3600.0
    dur = onset + (3 * 86400.0 if unit == "day" else 6 * 3600.0)
    area = effective_area_for_rate(st, module, rate)
    cfg = _cfg(sigma, tau_h)
    seg = advance(start(st, cfg, seed=seed, leaks=[Leak(module, area, start_s=onset)]), dur)
    res, dt = _detect(st, seg)
    zone = set(next(z for z in st.zones() if module in z))
    early = [(al.kind, (al.time_s - res.start_s) / 3600.0) for al in res.alarms if (al.time_s - res.start_s) < onset]
    hits = [al for al in res.alarms if al.kind == "leak" and module in al.zone and (al.time_s - res.start_s) >= onset]
    delay = hole_err = None
    if hits:
        al = min(hits, key=lambda a: a.time_s)
        delay = (al.time_s - res.start_s - onset) / 60.0
        est = al.estimate.effective_area_m2.estimate
        hole_err = est / area - 1.0
    oracle = oracle_alarm_s(st, seg, zone, res.threshold, cfg)
    o_delay = None if oracle is None else (oracle - onset) / 60.0
    o_n2 = oracle_alarm_s(st, seg, zone, res.threshold, cfg, track="n2")
    o_n2_delay = None if o_n2 is None else (o_n2 - onset) / 60.0
    # the same N2 oracle knowing only the goal envelope, not the record's nuisance: an offset of sigma 0.1 K (the
    # top of the sigma <= 0.1 K) at the prior's 6 h (hb3-noise): what a detector that must hold its
    # false-alarm goal over the whole envelope can do before it has measured the record's own slow noise
    o_env = oracle_alarm_s(st, seg, zone, res.threshold, replace(cfg, ou_common_sigma_k=ENV_SIGMA_K,
                                                                   ou_module_sigma_k=ENV_SIGMA_K / 2,
                                                                   ou_common_tau_s=ENV_TAU_S, ou_module_tau_s=ENV_TAU_S),
                           track="n2")
    o_env_delay = None if o_env is None else (o_env - onset) / 60.0
    return dict(kind="leak", station=name, sigma=sigma, tau_h=tau_h, seed=seed, rate=rate_label,
                early=early, delay_min=delay, hole_err=hole_err, oracle_delay_min=o_delay,
                oracle_n2_delay_min=o_n2_delay, oracle_env_delay_min=o_env_delay, detect_s=dt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a few records only (~1-2 min)")
    ap.add_argument("--station", default="toy")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--long", action="store_true",
                    help="only 4-day leak-free records without hatch changes (sigma 0.05/0.1 K, tau 6/12 h, 4 seeds)")
    a = ap.parse_args()
    if a.long:
        jobs = [(a.station, s, t, 100 + sd, 4.0) for s in (0.1, 0.05) for t in (12.0, 6.0) for sd in range(4)]
        with ProcessPoolExecutor(a.workers) as ex:
            rows = list(ex.map(long_free, jobs))
        df = pd.DataFrame(rows)
        print(f"# robust_detect --long  station={a.station}  ({pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC)")
        print(df[["sigma", "tau_h", "seed", "first_alarm_h", "thermometers_left"]].to_string(index=False))
        print(f"TOTAL: {int(df['first_alarm_h'].notna().sum())} of {len(df)} 4-day leak-free records raised an alarm")
        return
    sigmas_free = (0.05, 0.1) if a.quick else (0.02, 0.05, 0.1)
    taus = (6.0,) if a.quick else (1.0, 6.0, 12.0)
    seeds = (0,) if a.quick else tuple(range(6))
    days = 1.0 if a.quick else 2.0
    free_jobs = [(a.station, s, t, sd, days) for s in sigmas_free for t in taus for sd in seeds]
    sig_leak = (0.0, 0.05, 0.1) if a.quick else (0.0, 0.02, 0.05, 0.1)
    leak_jobs = [(a.station, s, t, sd, r) for r in RATES for s in sig_leak for t in taus
                 for sd in ((0,) if a.quick else (0, 1)) if not (s == 0.0 and t != taus[0])]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        free = list(ex.map(leak_free, free_jobs))
        leaks = list(ex.map(leak_run, leak_jobs))
    wall = time.perf_counter() - t0
    fd = pd.DataFrame(free)
    ld = pd.DataFrame(leaks)
    print(f"# robust_detect  station={a.station}  quick={a.quick}  wall={wall:.0f} s  "
          f"({pd.Timestamp.now(tz='UTC'):%Y-%m-%d %H:%M} UTC)")
    print("\n## Leak-free (each record = one detector start-up, 2 hatch reconfigurations)")
    print(f"records {len(fd)}, simulated days {fd['days'].sum():.0f}, reconfigurations {fd['reconf'].sum()}")
    g = fd.groupby(["sigma", "tau_h"]).agg(records=("seed", "size"),
                                           with_alarm=("first_alarm_h", lambda x: int(x.notna().sum())),
                                           first_alarm_h_median=("first_alarm_h", "median"),
                                           oracle_alarms=("oracle_alarm_h", lambda x: int(x.notna().sum())))
    print(g.to_string())
    print(f"TOTAL hullbreach: {int(fd['first_alarm_h'].notna().sum())} of {len(fd)} leak-free records raised an alarm "
          f"(goal 0); oracle: {int(fd['oracle_alarm_h'].notna().sum())}")
    print("\n## Leaks (delay after onset [min]; ratio = hullbreach / oracle; hole = effective area error)")
    ld["ratio"] = ld["delay_min"] / ld["oracle_delay_min"]
    ld["ratio_n2"] = ld["delay_min"] / ld["oracle_n2_delay_min"].astype(float)
    # (an envelope oracle alarming before the onset, a false alarm of that wrong model, gives no ratio)
    ld["ratio_env"] = ld["delay_min"] / ld["oracle_env_delay_min"].astype(float).where(ld["oracle_env_delay_min"].astype(float) > 0)
    ld["early_alarm"] = ld["early"].map(len) > 0
    ld["hole_ok"] = ld["hole_err"].abs() <= 0.2
    g2 = ld.groupby(["rate", "sigma", "tau_h"]).agg(
        records=("seed", "size"), early=("early_alarm", "sum"), detected=("delay_min", lambda x: int(x.notna().sum())),
        delay_min=("delay_min", "median"), oracle_min=("oracle_delay_min", "median"), ratio=("ratio", "median"),
        oracle_n2_min=("oracle_n2_delay_min", "median"), ratio_n2=("ratio_n2", "median"),
        oracle_env_min=("oracle_env_delay_min", "median"), ratio_env=("ratio_env", "median"),
        hole_err_pct=("hole_err", lambda x: 100 * float(np.nanmedian(np.abs(x))) if x.notna().any() else np.nan),
        hole_ok=("hole_ok", "sum"))
    with pd.option_context("display.float_format", "{:.2f}".format):
        print(g2.to_string())
    for r in RATES:
        sub = ld[ld["rate"] == r]
        worst = sub["ratio"].max()
        print(f"{r}: early alarms {int(sub['early_alarm'].sum())}/{len(sub)}, missed {int(sub['delay_min'].isna().sum())}, "
              f"worst delay ratio {worst:.2f} (goal <= 1.5), vs the oracle on the N2 track {sub['ratio_n2'].max():.2f}, "
              f"oracle on the N2 track missed {int(sub['oracle_n2_delay_min'].isna().sum())}, "
              f"vs the envelope N2 oracle (0.1 K, 6 h) {sub['ratio_env'].max():.2f} (median {sub['ratio_env'].median():.2f}), "
              f"hole within 20 %: {int(sub['hole_ok'].sum())}/{len(sub)}")
    ms = ld[(ld["rate"].str.contains("MS-09")) & (ld["sigma"] <= 0.05) & (ld["tau_h"] >= 6)]
    if len(ms):
        print(f"MS-09, sigma <= 0.05 K, tau >= 6 h: alarm < 30 min after onset in "
              f"{int(((ms['delay_min'] < 30) & ~ms['early_alarm']).sum())}/{len(ms)}, hole +-20 % in {int(ms['hole_ok'].sum())}/{len(ms)}")
    print(f"\ndetect() time per record: median {np.median(list(fd['detect_s']) + list(ld['detect_s'])):.2f} s")


if __name__ == "__main__":
    main()
