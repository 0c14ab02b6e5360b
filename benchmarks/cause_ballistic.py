"""Benchmark: probabilistic ballistic limits against real hypervelocity shots, grouped cross-validation.

Data: tests/data/hvi (pyBLOSSUM training split, MIT licence; 797 Whipple, 101 stuffed-Whipple shots, split
by test report). Every score is leave-one-source-out: the model is refitted without a test report and scored
on that report's shots, so each number is for laboratories the fit has not seen.

Compared, in the same run:
* handbook BLE: P = 1 if d >= d_c else 0 (NASA/TM-2009-214785 eqs. 4-23..4-26, 4-48..4-50);
* logistic on the BLE margin: P = logistic(a + b ln(d/d_c)), refitted per fold;
* candidate probit models (offset per regime or one; thickness terms or not; monotone in speed or not);
* the shipped model: chosen by cross-validated log loss among the monotone ones, then shifted
  conservative by the smallest k (0.05 steps) that brings the cross-validated non-conservative rate to
  <= 0.06.

Also: reliability plot (PNG), bootstrap-by-source band of the threshold, and the time of 10^6
flux-weighted penetration samples with the probabilistic limit vs the hard-limit Monte Carlo.
Run: ``python benchmarks/cause_ballistic.py [--write-model] [--plot PATH]`` (--write-model rewrites
src/hullbreach/cause/data/perforation_model.json).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

from hullbreach.cause import ballistic, perforation as pf
from hullbreach.cause.shots import read_shots

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "hvi"
MODEL_PATH = ROOT / "src" / "hullbreach" / "cause" / "data" / "perforation_model.json"
NC_GOAL = 0.06
#: Left out of the stuffed-Whipple *fit* (still scored): 33 shots of 1.35-1.6 mm aluminium spheres at
#: ~3-6.6 km/s on a 2.5 mm bumper + 0.85 g/cm^2 blanket + 4.8 mm wall, half of them "perforated", sit a
#: factor ~9 below the handbook limit and far below every other source's perforations: most likely a
#: diameter-unit slip in the database. Reported in docs/cause.md.
SUSPECT = {"stuffed-whipple": ("Schneider_IAC_2004",)}
B_BOOT = 60
K_MAX = 1.0
#: Weak prior (around the full fit) for bootstrap refits [same units as each parameter].
PRIOR_SD = 1.0


def load(name):
    s = read_shots(DATA / name)
    return s, np.array(s.source)


def loso(X, y, src, nmu, thick, exclude=()):
    """Leave-one-source-out predictions (each source predicted by a fit without it)."""
    p = np.zeros(len(y))
    keep = ~np.isin(src, exclude)
    for u in np.unique(src):
        tr = keep & (src != u)
        th = pf.fit(pf.subset(X, tr), y[tr], nmu, thick)
        te = src == u
        p[te] = pf.predict(th, nmu, pf.subset(X, te))
    return p


def logistic_margin_cv(ln_margin, y, src):
    from scipy.optimize import minimize

    p = np.zeros(len(y))
    for u in np.unique(src):
        tr = src != u

        def nll(ab):
            z = ab[0] + ab[1] * ln_margin[tr]
            return float(np.sum(np.logaddexp(0, -z) * y[tr] + np.logaddexp(0, z) * (1 - y[tr])))

        ab = minimize(nll, [0.0, 1.0], method="Nelder-Mead").x
        p[~tr] = 1 / (1 + np.exp(-(ab[0] + ab[1] * ln_margin[~tr])))
    return p


def shift_for(p, y):
    """Smallest conservative shift k (0.05 steps, at most K_MAX) with cross-validated non-conservative rate
    <= goal; if the goal cannot be met within K_MAX, the k with the best accuracy (the data do not support a
    larger shift)."""
    z = ndtri(np.clip(p, 1e-12, 1 - 1e-12))
    ks = np.round(np.arange(0.0, K_MAX + 1e-9, 0.05), 2)
    for k in ks:
        if pf.scores(ndtr(z + k), y)["non_conservative_rate"] <= NC_GOAL:
            return float(k)
    return float(max(ks, key=lambda k: (pf.scores(ndtr(z + k), y)["accuracy"], -k)))


def worst_source(p, y, src):
    rows = []
    for u in np.unique(src):
        m = src == u
        rows.append((pf.scores(p[m], y[m])["accuracy"], u, int(m.sum()), pf.scores(p[m], y[m])["brier"]))
    return sorted(rows)


def fmt(sc):
    return (f"{sc['accuracy']:.3f} | {sc['brier']:.3f} | {sc['log_loss']:.3f} | "
            f"{sc['non_conservative_rate']:.3f}")


def family_report(family, fname, structures, rows, plots, models, boot_rng):
    s, src = load(fname)
    y = s.perforated.astype(float)
    excl = SUSPECT.get(family, ())
    Xm = pf.design(list(s.walls), s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, True)
    Xn = pf.design(list(s.walls), s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, False)
    ln_margin = Xn.ln_d - Xn.ell[:, 0]
    tag = f"{family} ({len(y)} shots, {len(np.unique(src))} sources)"
    ble = (ln_margin >= 0).astype(float)
    rows.append((tag, "handbook BLE (hard limit)", pf.scores(ble, y)))
    p_log = logistic_margin_cv(ln_margin, y, src)
    rows.append((tag, "logistic on ln(d/d_c)", pf.scores(p_log, y)))
    keep = ~np.isin(src, excl)
    if excl:
        tag2 = f"{family} without {', '.join(excl)} ({int(keep.sum())} shots)"
        rows.append((tag2, "handbook BLE (hard limit)", pf.scores(ble[keep], y[keep])))
        rows.append((tag2, "logistic on ln(d/d_c)", pf.scores(p_log[keep], y[keep])))
    cands = []
    for mono, nmu, thick in structures:
        X = Xm if mono else Xn
        p = loso(X, y, src, nmu, thick, excl)
        label = f"probit: {'monotone' if mono else 'NOT monotone'}, {nmu} offset(s), thickness terms {'yes' if thick else 'no'}"
        rows.append((tag, label, pf.scores(p, y)))
        if excl:
            rows.append((tag2, label, pf.scores(p[keep], y[keep])))
        if mono:
            cands.append((pf.scores(p[keep], y[keep])["log_loss"], nmu + 1 + 2 * thick, nmu, thick, p))
    # parsimony: the simplest monotone structure within 0.005 of the best cross-validated log loss
    best_ll = min(c[0] for c in cands)
    _, _, nmu, thick, p = min((c for c in cands if c[0] <= best_ll + 0.005), key=lambda c: c[1])
    k = shift_for(p[keep], y[keep])
    p_ship = ndtr(ndtri(np.clip(p, 1e-12, 1 - 1e-12)) + k)
    rows.append((tag, f"SHIPPED: monotone, {nmu} offset(s), thickness {'yes' if thick else 'no'}, shift k = {k}",
                 pf.scores(p_ship, y)))
    if excl:
        rows.append((tag2, "SHIPPED", pf.scores(p_ship[keep], y[keep])))
    plots.append((family, p_ship, y, p_log, ble))
    theta = pf.fit(pf.subset(Xm, keep), y[keep], nmu, thick)
    # bootstrap by source: spread of the median threshold at the training shots
    m0, _ = pf._median_ln(theta, nmu, Xm)
    srcs = np.unique(src[keep])
    dev = []
    for _ in range(B_BOOT):
        pick = boot_rng.choice(srcs, len(srcs))
        idx = np.concatenate([np.where(src == u)[0] for u in pick])
        if y[idx].min() == y[idx].max():
            continue  # a resample with one outcome only says nothing about the threshold
        th_b = pf.fit(pf.subset(Xm, idx), y[idx], nmu, thick, theta0=theta, prior_sd=PRIOR_SD)
        mb, _ = pf._median_ln(th_b, nmu, Xm)
        dev.append(np.abs(mb - m0)[keep])
    band = float(np.percentile(np.concatenate(dev), 95))
    model = pf.LimitModel(family, tuple(theta[:nmu]), float(theta[nmu]),
                          float(theta[nmu + 1]) if thick else 0.0, float(theta[nmu + 2]) if thick else 0.0,
                          k, True, float(s.speed_m_s[keep].max()), round(band, 4), thick, int(keep.sum()),
                          int(len(srcs)), tuple(sorted(srcs)))
    models[family] = model
    return worst_source(p_ship, y, src), pf.scores(p_ship[keep], y[keep])


def transfer_model(models, rng):
    """One offset, one width, monotone, on the Whipple shots: the model for walls without shots."""
    s, src = load("whipple_train.csv")
    y = s.perforated.astype(float)
    X = pf.design(list(s.walls), s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, True)
    p = loso(X, y, src, 1, False)
    k = shift_for(p, y)
    theta = pf.fit(X, y, 1, False)
    m0, _ = pf._median_ln(theta, 1, X)
    srcs = np.unique(src)
    dev = []
    for _ in range(B_BOOT):
        pick = rng.choice(srcs, len(srcs))
        idx = np.concatenate([np.where(src == u)[0] for u in pick])
        mb, _ = pf._median_ln(pf.fit(pf.subset(X, idx), y[idx], 1, False, theta0=theta, prior_sd=PRIOR_SD), 1, X)
        dev.append(np.abs(mb - m0))
    band = float(np.percentile(np.concatenate(dev), 95))
    models["transfer"] = pf.LimitModel("transfer", (float(theta[0]),), float(theta[1]), 0.0, 0.0, k, True,
                                       float(s.speed_m_s.max()), round(band, 4), False, len(y), len(srcs),
                                       tuple(sorted(srcs)))
    return pf.scores(ndtr(ndtri(np.clip(p, 1e-12, 1 - 1e-12)) + k), y)


def reliability_png(plots, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(plots), figsize=(5.2 * len(plots), 4.6))
    edges = np.linspace(0, 1, 11)
    for ax, (family, p, y, p_log, _ble) in zip(np.atleast_1d(axes), plots):
        for q, lab, col in ((p, "shipped model", "#cc3311"), (p_log, "logistic on BLE margin", "#0077bb")):
            b = np.clip(np.digitize(q, edges) - 1, 0, 9)
            xs, ys, ns = [], [], []
            for i in range(10):
                m = b == i
                if m.sum() >= 3:
                    xs.append(q[m].mean())
                    ys.append(y[m].mean())
                    ns.append(m.sum())
            ax.plot(xs, ys, "o-", color=col, label=lab)
            for xx, yy, nn in zip(xs, ys, ns):
                ax.annotate(str(nn), (xx, yy), fontsize=6, color=col, xytext=(3, -8), textcoords="offset points")
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.set_xlabel("predicted P(perforation), leave-one-source-out")
        ax.set_ylabel("observed perforated fraction")
        ax.set_title(f"{family}: reliability (bins of 0.1; n per bin)", fontsize=9)
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def timing():
    from hullbreach.cause import penetration

    wall = ballistic.SoyuzOrbitalModuleWall()
    exp = penetration.Exposure(area_m2=17.0, duration_s=84 * 86400.0, year=2018.5, altitude_m=408e3)
    model = pf.load_model("transfer")
    out = []
    for pop in penetration.POPULATIONS:
        pf.threshold_table.cache_clear()  # the first call builds the threshold table: timed on its own
        t0, c0 = time.perf_counter(), time.process_time()
        penetration.expected_penetrations_mc(wall, exp, pop, n=1_000_000, seed=1, limit=model)
        t_first, c_first = time.perf_counter() - t0, time.process_time() - c0
        t_new = t_old = c_new = c_old = math.inf
        for _ in range(3):  # best of 3 (wall clock and CPU time): the machine is shared
            t0, c0 = time.perf_counter(), time.process_time()
            r_new = penetration.expected_penetrations_mc(wall, exp, pop, n=1_000_000, seed=1, limit=model)
            t_new, c_new = min(t_new, time.perf_counter() - t0), min(c_new, time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            r_old = penetration.expected_penetrations_mc(wall, exp, pop, n=1_000_000, seed=1, limit=None)
            t_old, c_old = min(t_old, time.perf_counter() - t0), min(c_old, time.process_time() - c0)
        q = penetration.expected_penetrations_analytic(wall, exp, pop, limit=model)
        out.append((pop, t_new, t_old, c_new, c_old, r_new.expected_number, r_new.std_error, q.expected_number,
                    r_old.expected_number, t_first, c_first))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--write-model", action="store_true")
    ap.add_argument("--plot", default=str(ROOT / "docs" / "benchmarks" / "cause_reliability.png"))
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--band-check", action="store_true", help="only the per-source check of the band")
    a = ap.parse_args()
    if a.timing_only:
        print_timing()
        return
    if a.band_check:
        band_check()
        return
    rng = np.random.default_rng(14)
    rows, plots, models = [], [], {}
    structures = [(m, n, t) for m in (True, False) for n in (1, 3) for t in (False, True)]
    t0 = time.perf_counter()
    worst_w, ship_w = family_report("whipple", "whipple_train.csv", structures, rows, plots, models, rng)
    worst_s, ship_s = family_report("stuffed-whipple", "stuffedWhipple_train.csv",
                                    [(True, 1, False), (True, 3, False), (False, 1, False), (False, 3, False)],
                                    rows, plots, models, rng)
    tr = transfer_model(models, rng)
    print("# cause_ballistic: leave-one-source-out scores on the pyBLOSSUM training split (tests/data/hvi)")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, "
          f"numpy {np.__version__}; fits and CV took {time.perf_counter() - t0:.0f} s; load {os.getloadavg()[0]:.1f}")
    print("| shots | model | accuracy | Brier | log loss | non-conservative rate |")
    print("|---|---|---|---|---|---|")
    for tag, label, sc in rows:
        print(f"| {tag} | {label} | {fmt(sc)} |")
    print(f"| whipple (797) | transfer model (1 offset, no thickness terms; used for single wall and Soyuz OM) | {fmt(tr)} |")
    allp = np.concatenate([plots[0][1], plots[1][1]])
    ally = np.concatenate([plots[0][2], plots[1][2]])
    print(f"| all 897 | SHIPPED (whipple + stuffed-whipple) | {fmt(pf.scores(allp, ally))} |")
    print("\ngoals on unseen sources: accuracy >= 0.80, non-conservative rate <= 0.06, Brier <= 0.13")
    for fam, worst in (("whipple", worst_w), ("stuffed-whipple", worst_s)):
        print(f"\n{fam}: per source (shipped model, leave-one-source-out), worst first:")
        for acc, u, n, br in worst:
            print(f"  {u:24s} n={n:4d} accuracy {acc:.2f} Brier {br:.3f}")
    reliability_png(plots, a.plot)
    print(f"\nreliability plot: {a.plot}")
    for fam, m in models.items():
        print(f"model {fam}: {json.dumps(m.to_json())}")
    if a.write_model:
        payload = {"provenance": {
            "data": "pyBLOSSUM databases (S. Ryan, github.com/shannonjryan/pyBLOSSUM, data/, snapshot 2024-08-26), "
                    "MIT licence; training split only (tests/data/hvi: 797 Whipple shots from 14 test reports, "
                    "100 stuffed-Whipple shots from 8); original reports in tests/data/hvi/data_sources.bib",
            "backbone": "NASA/TM-2009-214785 ballistic limit equations (hullbreach.cause.ballistic)",
            "command": "python benchmarks/cause_ballistic.py --write-model",
            "date": time.strftime("%Y-%m-%d", time.gmtime()),
            "excluded_from_fit": {k: list(v) for k, v in SUSPECT.items()},
            "cv_scores_shipped": {"whipple": ship_w, "stuffed-whipple": ship_s, "transfer_on_whipple": tr},
            "note": "scores are leave-one-source-out on the training split; see docs/cause.md",
        }, "models": {k: m.to_json() for k, m in models.items()}}
        MODEL_PATH.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        pf._shipped.cache_clear()
        print(f"wrote {MODEL_PATH}")
    if not a.no_timing and MODEL_PATH.exists():
        print_timing()


def band_check():
    """Per held-out source: observed perforated fraction vs the mean predicted P and its band (the model
    refitted without the source), widened by the binomial 95 % of the observed fraction."""
    print("\n| family | held-out source | shots | observed fraction | mean P | mean band | inside band | inside band +- binomial |")
    print("|---|---|---|---|---|---|---|---|")
    for fam, fname in (("whipple", "whipple_train.csv"), ("stuffed-whipple", "stuffedWhipple_train.csv")):
        m = pf.load_model(fam)
        s, src = load(fname)
        y = s.perforated.astype(float)
        X = pf.design(list(s.walls), s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, True)
        nmu = len(m.mu)
        for u in np.unique(src):
            te = src == u
            tr = ~te & ~np.isin(src, SUSPECT.get(fam, ()))
            th = pf.fit(pf.subset(X, tr), y[tr], nmu, m.thickness_terms)
            Xt = pf.subset(X, te)
            med, slope = pf._median_ln(th, nmu, Xt)
            sd = math.exp(th[nmu]) / slope
            h = pf._band(m, Xt.speed_m_s)
            p, lo, hi = (float(ndtr((Xt.ln_d - med + dh) / sd + m.shift).mean()) for dh in (0.0, -h, h))
            obs, n = float(y[te].mean()), int(te.sum())
            se = 1.96 * math.sqrt(max(obs * (1 - obs), 0.25 / n) / n)
            print(f"| {fam} | {u} | {n} | {obs:.2f} | {p:.2f} | [{lo:.2f}, {hi:.2f}] | "
                  f"{'yes' if lo <= obs <= hi else ('no (P too high)' if obs < lo else 'no (P too low)')} | "
                  f"{'yes' if lo - se <= obs <= hi + se else 'no'} |")


def print_timing():
    print(f"\n# 10^6 flux-weighted samples, Soyuz MS-09 orbital module (17 m^2, 84 days, 2018), transfer model; "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (uptime: {_uptime()}); best of 3")
    print("| population | ours: MC 1e6, probabilistic limit, wall [s] (CPU [s]) | first call, with the table build, wall "
          "[s] (CPU [s]) | baseline: MC 1e6, hard BLE, wall [s] (CPU [s]) | ratio (CPU) | N (prob., MC) | std err | "
          "N (prob., quadrature) | N (hard BLE) | under 1 s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for pop, tn, to, cn, co, n_new, se, nq, n_old, tf, cf in timing():
        print(f"| {pop} | {tn:.3f} ({cn:.3f}) | {tf:.3f} ({cf:.3f}) | {to:.3f} ({co:.3f}) | {cn / co:.2f} | {n_new:.4e} | "
              f"{se:.1e} | {nq:.4e} | {n_old:.4e} | {'yes' if tn < 1 else 'NO'} |")
    print(f"# after: uptime {_uptime()}")


def _uptime() -> str:
    import subprocess

    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"load average {os.getloadavg()}"


if __name__ == "__main__":
    main()
