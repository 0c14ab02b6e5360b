"""Detection benchmark: hullbreach vs three baselines and Lorden's bound, on >= 100 simulated scenarios.

Scenarios (Foundation simulator, station iss-2018, 0.2 Hz telemetry to keep the run short, thermal cycles,
6 crew with O2 feeds, a slow repress, sensor faults): leaks of 0.3 mmHg/day, 1 mmHg/day, 0.6 mmHg/h (MS-09)
and 1 mmHg/min in Destiny, several seeds each, plus leak-free runs. Every method sees the same samples.

Methods, each tuned to the same false-alarm rate on the leak-free runs (no alarm in any of them):

* hullbreach: :func:`hullbreach.detect.detect` at its default 1 false alarm/year;
* (a) fixed dP/dt alarm on raw pressure (Russian-segment style): least-squares slope of the median cabin
  pressure over a trailing window below -0.5 mmHg/h; the window is the shortest of 15 min .. 8 h with no
  alarm on the leak-free runs (the thermal swing, ~2.6 mmHg/K, forbids short windows);
* (b) ANSI/ANS-56.8 mass-point: least-squares slope of the total air mass over a 24 h window; alarm when
  the loss exceeds the largest loss seen on the leak-free runs (times 1.05);
* (c) ruptures PELT (offline, model "l2") on the 10-min increments of the tracked mass, re-run on the
  data so far every hour; alarm when it finds a change after which the mean loss exceeds the background
  allowance; penalty the smallest of a ladder with no alarm on the leak-free runs;
* Lorden's bound: delay >= log(ARL) / KL per bin for a change in the mean of the mass-rate signal (the
  per-bin increments of the tracked mass, white noise of variance 2 sigma^2), ARL = bins per year / FAR
  (kept for transparency: not a bound for a level test, see docs/benchmarks/detect-delay.md);
* the level-model bound (KL of a known drift in white level noise reaches log ARL), the composite bound
  (the same for the leak minus the background allowance, against the least favourable null: the bound for
  a detector that must not alarm on a loss within the allowance) and the composite bound for decisions at
  60 s bin ends; derivation in docs/benchmarks/detect-delay.md.

Throughput (30 days of 1 Hz x 20 channels from Parquet) is ``benchmarks/detect_throughput.py``, the streaming
update time ``benchmarks/detect_stream.py``. Usage: ``python benchmarks/detect_bench.py [--quick]``; about
4 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from hullbreach.constants import PA_PER_MMHG, R_AIR, SECONDS_PER_DAY, SECONDS_PER_YEAR
from hullbreach.physics import choked_mass_flow

RATES = {"0.3 mmHg/day": 0.3 / 24, "1 mmHg/day": 1.0 / 24, "0.6 mmHg/h (MS-09)": 0.6, "1 mmHg/min": 60.0}
ONSET_H = 14.0
HZ = 0.2
BIN = 60.0


def _station():
    from hullbreach.station import load_station
    return load_station("iss-2018")


def _area(st, rate_mmhg_h):
    z = max(st.zones(), key=st.zone_volume_m3)
    V = st.zone_volume_m3(z)
    mdot = rate_mmhg_h * PA_PER_MMHG / 3600 * V / (R_AIR * 295.15)
    return mdot / float(choked_mass_flow(1.0, st.nominal_pressure_pa, 295.15))


def scenario(rate_mmhg_h: float, days: float):
    from hullbreach.sim import Crew, Leak, Repress, Scenario, SensorFault, ThermalProfile
    st = _station()
    leaks = (Leak(module="destiny", onset_s=ONSET_H * 3600, effective_area_m2=_area(st, rate_mmhg_h)),) if rate_mmhg_h else ()
    return Scenario(start="2024-03-01T00:00:00Z", duration_s=days * SECONDS_PER_DAY, sample_rate_hz=HZ, leaks=leaks,
                    thermal=(ThermalProfile(orbital_amplitude_k=0.3, daily_amplitude_k=0.5, hvac_noise_k=0.05),),
                    crew=Crew(count=6, module="zvezda"),
                    represses=(Repress(time_s=5 * 3600, module="zvezda", mass_kg=5.0, duration_s=1800),),
                    sensor_faults=(SensorFault(sensor="node2.pressure", kind="drift", start_s=3600, magnitude=2.0),
                                   SensorFault(sensor="zarya.pressure", kind="stuck", start_s=7200)))


def _frame(raw, st):
    from hullbreach.telemetry.frame import ChannelReport, TelemetryFrame
    from hullbreach.units import to_si
    vals = raw["value"].to_numpy(dtype=float).copy()
    for ch, idx in raw.groupby("channel", observed=True).indices.items():
        vals[idx] = to_si(vals[idx], st.sensors[ch].unit)
    data = pd.DataFrame({"time": raw["time"], "channel": raw["channel"], "value": vals})
    return TelemetryFrame(data=data, channels={c: ChannelReport(c, 1, 0) for c in st.sensors}, source="<sim>")


def run_one(args):
    """Simulate one scenario and return what every method needs (small arrays)."""
    label, rate, seed, days = args
    from hullbreach.detect import detector as D
    from hullbreach.sim import simulate
    st = _station()
    sc = scenario(rate, days)
    r = simulate(st, sc, seed=seed)
    fr = _frame(r.telemetry, st)
    t0 = time.perf_counter()
    res = D.detect(st, fr, r.events, keep_series=True)
    t_det = time.perf_counter() - t0
    main = [z for z in res.series if len(z.zone) > 10]
    zm = main[0] if len(main) == 1 else None
    if zm is None:  # several periods: join
        from hullbreach.detect.airmass import concat_zone_masses
        zm = concat_zone_masses(main)[0]
    start = pd.Timestamp(sc.start).timestamp()
    onset = start + ONSET_H * 3600 if rate else None
    alarms = [a for a in res.alarms if a.kind == "leak" and len(a.zone) > 10]
    ours = alarms[0].time_s if alarms else None
    sigma = next((z.sigma_kg for z in res.zones if len(z.zone) > 10), float("nan"))
    frac = float(np.nanmedian(zm.n2_mass_kg / zm.mass_kg))
    flow = float(r.leak_mass_flow_kg_s.iloc[:, 1:].sum(axis=1).max()) if rate else 0.0
    excluded = zm.excluded.copy()
    return {"label": label, "rate": rate, "seed": seed, "t": zm.t_s, "p": zm.pressure_pa, "m": zm.mass_kg,
            "n2": zm.n2_mass_kg, "excl": excluded, "onset": onset, "ours": ours, "other_alarms": len(res.alarms) - len(alarms),
            "sigma": sigma, "frac": frac, "flow": flow, "t_det": t_det, "days": days, "vol": zm.volume_m3}


# ------------------------------------------------------------------------------------------ baselines
def _trailing_slope(t, y, w_bins):
    """LS slope of y over the trailing w bins at every bin (NaN before w) [y per s]."""
    n = len(y)
    out = np.full(n, np.nan)
    if n < w_bins:
        return out
    yy = np.where(np.isfinite(y), y, np.nan)
    yy = pd.Series(yy).interpolate(limit_direction="both").to_numpy()
    x = np.arange(n, dtype=float)
    c0 = np.concatenate([[0], np.cumsum(yy)])
    c1 = np.concatenate([[0], np.cumsum(x * yy)])
    i = np.arange(w_bins - 1, n)
    a = i - w_bins + 1
    sy = c0[i + 1] - c0[a]
    sxy = c1[i + 1] - c1[a]
    xm = (a + i) / 2.0
    sxx = w_bins * (w_bins * w_bins - 1) / 12.0
    out[i] = (sxy - xm * sy) / sxx / BIN
    return out


def baseline_dpdt(runs, w_bins):
    """First bin time where the raw-pressure slope over w bins is below -0.5 mmHg/h."""
    out = []
    for r in runs:
        s = _trailing_slope(r["t"], r["p"] / PA_PER_MMHG, w_bins) * 3600
        hit = np.nonzero(s < -0.5)[0]
        out.append(r["t"][hit[0]] + BIN / 2 if len(hit) else None)
    return out


def baseline_masspoint(runs, thr):
    out = []
    for r in runs:
        loss = -_trailing_slope(r["t"], r["m"], 1440) * SECONDS_PER_DAY  # kg/day
        hit = np.nonzero(loss > thr)[0]
        out.append(r["t"][hit[0]] + BIN / 2 if len(hit) else None)
    return out


def masspoint_stat(r):
    loss = -_trailing_slope(r["t"], r["m"], 1440) * SECONDS_PER_DAY
    return np.nanmax(loss) if np.isfinite(loss).any() else 0.0


def baseline_pelt(runs, pen, allow_kg_day, every_bins=60, agg=10):
    import ruptures as rpt
    out = []
    for r in runs:
        y = r["n2"] if r["n2"] is not None else r["m"]
        y = pd.Series(y).interpolate(limit_direction="both").to_numpy()
        excl = r["excl"]
        n = len(y) // agg
        yy = y[: n * agg].reshape(n, agg).mean(1)
        ex = excl[: n * agg].reshape(n, agg).any(1)
        inc = np.diff(yy)
        inc[ex[1:] | ex[:-1]] = 0.0  # known operations: no increment
        allow = allow_kg_day * r["frac"] * agg * BIN / SECONDS_PER_DAY
        found = None
        for end in range(every_bins // agg * 4, len(inc) + 1, every_bins // agg):
            sig = inc[:end]
            bkps = rpt.Pelt(model="l2", min_size=3, jump=2).fit(sig.reshape(-1, 1)).predict(pen=pen)
            segs = [0] + bkps
            if len(segs) > 2:
                last = sig[segs[-2]: segs[-1]]
                if -last.mean() > allow:
                    found = r["t"][min((end + 1) * agg, len(r["t"]) - 1)]
                    break
        out.append(found)
    return out


def level_bound(r):
    """Delay at which a known-onset linear loss in white level noise has accumulated log(ARL) of
    Kullback-Leibler information: delta^2 m^3 / (6 sigma^2) = log(ARL) (the level-model analogue of
    Lorden's bound; the tracked mass is white noise around a line, so its increments are not iid) [s]."""
    delta = r["flow"] * r["frac"] * BIN
    if not delta > 0:
        return float("inf")
    m = (6.0 * r["sigma"] ** 2 * LOG_ARL / delta ** 2) ** (1.0 / 3.0)
    return m * BIN


LOG_ARL = math.log(SECONDS_PER_YEAR / BIN)  # 1 false alarm per year, in 60 s bins


def _delta_track(r, allowance: bool) -> float:
    """Loss rate on the tracked (N2) mass [kg per bin]: the leak's, minus the background allowance when
    ``allowance`` (0.23 kg/day for 916 m^3, per m^3 of the zone, as the detector's)."""
    from hullbreach.detect.glr import BACKGROUND_KG_DAY, BACKGROUND_VOLUME_M3
    delta = r["flow"] * r["frac"] * BIN
    if allowance:
        delta -= BACKGROUND_KG_DAY / SECONDS_PER_DAY * BIN * r["vol"] / BACKGROUND_VOLUME_M3 * r["frac"]
    return delta


def composite_bound(r):
    """Lower bound on the delay of any detector that must not alarm on a loss within the background
    allowance [s] (docs/benchmarks/detect-delay.md): the null is composite (loss rate <= allowance at every
    time); the member closest to the leak (Kullback-Leibler) is the least favourable one, the same record
    with a loss of exactly the allowance from the onset on. Its KL information after m bins is
    (delta - allow)^2 sum_{i<=m} i^2 / (2 sigma^2) ~ (delta - allow)^2 m^3 / (6 sigma^2); the delay is at least
    the m where it reaches log(ARL) (Lai 1998, Theorem 1, for non-iid observations; Lorden 1971)."""
    d = _delta_track(r, True)
    if not d > 0:
        return float("inf")
    return (6.0 * r["sigma"] ** 2 * LOG_ARL / d ** 2) ** (1.0 / 3.0) * BIN


def composite_bound_binned(r):
    """:func:`composite_bound` for decisions at the ends of the detector's 60 s bins, from the bin means
    (the detector's input): the first bin end at which the KL information of the bin means, each shifted by
    the loss accumulated on average over its bin, reaches log(ARL) [s after the onset]."""
    d = _delta_track(r, True) / BIN  # kg/s
    if not d > 0:
        return float("inf")
    t0 = r["onset"]
    k = math.floor(t0 / BIN)
    info = 0.0
    while True:
        s0, s1 = k * BIN, (k + 1) * BIN
        if s1 > t0:
            # mean over the bin of the loss d * (t - t0)_+
            mean_dt = (s0 - t0 + BIN / 2) if s0 >= t0 else (s1 - t0) ** 2 / (2 * BIN)
            info += (d * mean_dt) ** 2 / (2.0 * r["sigma"] ** 2)
            if info >= LOG_ARL:
                return s1 - t0
        k += 1


def allan_ratios(runs, scales=(1, 2, 4, 8, 16, 32, 64, 128)):
    """Mean over runs of the variance ratio of s-bin means of the tracked mass to white noise with the
    detector's sigma (1 = white; second differences, so any linear trend drops out), over the part of each
    leak-free run after its last known operation."""
    out = []
    for r in runs:
        y = r["n2"] if r["n2"] is not None else r["m"]
        ex = np.nonzero(r["excl"])[0]
        y = y[(ex[-1] + 1 if len(ex) else 0):]
        y = y[np.isfinite(y)]
        row = []
        for sc in scales:
            nb = len(y) // sc
            mm = y[len(y) - nb * sc:].reshape(nb, sc).mean(1)
            d2 = (mm[2:] - 2 * mm[1:-1] + mm[:-2]) ** 2
            row.append(d2.mean() / (6.0 * r["sigma"] ** 2 / sc))
        out.append(row)
    return dict(zip(scales, np.mean(out, axis=0)))


def lorden(r):
    """log(ARL)/KL per bin for the per-bin increments of the tracked (N2) mass [s]."""
    delta = r["flow"] * r["frac"] * BIN  # kg per bin on the track
    sig_r2 = 2.0 * r["sigma"] ** 2
    kl = delta * delta / (2.0 * sig_r2)
    arl = SECONDS_PER_YEAR / BIN  # bins per year at 1 false alarm / year
    return math.log(arl) / kl * BIN if kl > 0 else float("inf")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seeds", type=int, default=19)
    ap.add_argument("--nominal", type=int, default=24)
    a = ap.parse_args()
    seeds = 3 if a.quick else a.seeds
    nominal = 4 if a.quick else a.nominal
    t_all = time.perf_counter()
    jobs = [("nominal", 0.0, 100 + s, 1.5) for s in range(nominal)]
    for label, rate in RATES.items():
        days = 1.5 if rate < 0.02 else 1.2 if rate < 0.1 else 0.9
        jobs += [(label, rate, s, days) for s in range(seeds)]
    with ProcessPoolExecutor(2) as ex:
        runs = list(ex.map(run_one, jobs))
    t_sim = time.perf_counter() - t_all
    nom = [r for r in runs if r["rate"] == 0]
    leak = [r for r in runs if r["rate"] > 0]
    nominal_days = sum(r["days"] for r in nom)
    ours_fa = sum(1 for r in nom if r["ours"] is not None) + sum(r["other_alarms"] for r in nom)
    # tune baselines on the nominal runs
    w_dpdt = next((w for w in (15, 30, 60, 120, 240, 480) if all(x is None for x in baseline_dpdt(nom, w))), 480)
    mp_thr = 1.05 * max(masspoint_stat(r) for r in nom)
    allow = 0.23 * 957.4 / 916.0
    pen_ladder = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0]
    pen = None
    scale = np.median([np.var(np.diff(r["n2"][~np.isnan(r["n2"])][::10])) for r in nom[:4]])
    for p in pen_ladder:
        if all(x is None for x in baseline_pelt(nom, p * scale * 100, allow)):
            pen = p * scale * 100
            break
    pen = pen if pen is not None else pen_ladder[-1]
    res_rows = []
    for label in RATES:
        rs = [r for r in leak if r["label"] == label]
        onset = np.array([r["onset"] for r in rs])

        def delays(times):
            d = np.array([(t - o) if t is not None else np.nan for t, o in zip(times, onset)])
            miss = int(np.sum(~np.isfinite(d)))
            return d, miss

        d_ours, m_ours = delays([r["ours"] for r in rs])
        d_dp, m_dp = delays(baseline_dpdt(rs, w_dpdt))
        d_mp, m_mp = delays(baseline_masspoint(rs, mp_thr))
        d_pe, m_pe = delays(baseline_pelt(rs, pen, allow))
        bound = np.array([lorden(r) for r in rs])
        lb = np.array([level_bound(r) for r in rs])
        res_rows.append((label, len(rs), d_ours, m_ours, d_dp, m_dp, d_mp, m_mp, d_pe, m_pe, bound, lb))

    def fmt(d, miss):
        ok = d[np.isfinite(d)]
        if not len(ok):
            return f"missed {miss}"
        m = np.mean(ok)
        s = f"{m / 3600:.2f} h" if m >= 3600 else f"{m / 60:.1f} min"
        return s + (f" ({miss} missed)" if miss else "")

    print(f"# detect benchmark ({len(runs)} scenarios: {len(nom)} leak-free x 1.5 days, {len(leak)} leaks; "
          f"iss-2018, {HZ} Hz, thermal cycles, crew, repress, 2 sensor faults; {t_sim:.0f} s)")
    print(f"false alarms on {nominal_days:.0f} leak-free days: hullbreach {ours_fa}; baselines tuned to 0 "
          f"(dP/dt window {w_dpdt} min, mass-point threshold {mp_thr:.3f} kg/day, PELT penalty {pen:.3g})")
    print("| leak | n | hullbreach | (a) dP/dt 0.5 mmHg/h | (b) mass-point 24 h | (c) PELT | Lorden (iid rate) | "
          "level-model bound | ours / Lorden | ours / level bound |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (label, n, d_o, m_o, d_d, m_d, d_m, m_m, d_p, m_p, b, lb) in res_rows:
        ok = np.isfinite(d_o)
        ratio = np.mean(d_o[ok]) / np.mean(b[ok]) if ok.any() else float("nan")
        ratio2 = np.mean(d_o[ok]) / np.mean(lb[ok]) if ok.any() else float("nan")
        print(f"| {label} | {n} | {fmt(d_o, m_o)} | {fmt(d_d, m_d)} | {fmt(d_m, m_m)} | {fmt(d_p, m_p)} | "
              f"{fmt(b, 0)} | {fmt(lb, 0)} | {ratio:.3g} | {ratio2:.2f} |")
    # the delay against the bounds of the problem the detector has to solve (docs/benchmarks/detect-delay.md)
    print(f"\nDelay against the bounds (log ARL = {LOG_ARL:.2f}, 1 false alarm/year in 60 s bins; sigma = the "
          "detector's white-noise estimate of the N2 track per run; allowance = 0.23 kg/day per 916 m^3)")
    print("| leak | n | hullbreach mean (sd) | level bound (no allowance) | composite bound (allowance) | "
          "composite, 60 s decisions | ours / level | ours / composite | ours / composite 60 s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (label, n, d_o, m_o, *_rest) in res_rows:
        rs = [r for r in leak if r["label"] == label]
        ok = np.isfinite(d_o)
        lb = np.array([level_bound(r) for r in rs])
        cb = np.array([composite_bound(r) for r in rs])
        cb60 = np.array([composite_bound_binned(r) for r in rs])
        mo = np.mean(d_o[ok]) if ok.any() else float("nan")
        sd = np.std(d_o[ok]) if ok.any() else float("nan")
        sds = f"{sd / 3600:.2f} h" if mo >= 3600 else f"{sd / 60:.1f} min"
        print(f"| {label} | {n} | {fmt(d_o, m_o)} ({sds}) | {fmt(lb, 0)} | {fmt(cb, 0)} | {fmt(cb60, 0)} | "
              f"{mo / np.mean(lb[ok]):.2f} | {mo / np.mean(cb[ok]):.2f} | {mo / np.mean(cb60[ok]):.2f} |")
    ar = allan_ratios(nom)
    print("noise of the N2 track on the leak-free runs, variance ratio to white noise at s bins (1 = white): "
          + ", ".join(f"s={k}: {v:.2f}" for k, v in ar.items()))
    det_t = np.mean([r["t_det"] / r["days"] for r in runs])
    print(f"\nbatch detect: {det_t:.2f} s per simulated day of iss-2018 at {HZ} Hz (80 channels)")
    print("streaming update time: python benchmarks/detect_stream.py; 30-day throughput from Parquet: "
          "python benchmarks/detect_throughput.py")
    print(f"\ntotal {time.perf_counter() - t_all:.0f} s")


if __name__ == "__main__":
    main()
