"""Benchmark: every candidate structure tried for the probabilistic ballistic limit, leave-one-source-out.

The shipped model (``benchmarks/cause_ballistic.py``) is a probit on the monotone BLE margin with the
thickness terms. This script scores the other structures that were tried to reach the issue-14 goals
(accuracy >= 0.80, non-conservative rate <= 0.06, Brier <= 0.13 on unseen sources), so that what failed is
on record and can be rerun. Data: tests/data/hvi (pyBLOSSUM training split, MIT licence). Every score is
leave-one-test-report-out: refitted without a source, scored on that source (the Schneider_IAC_2004
stuffed-Whipple shots are left out of every fit and of the stuffed-Whipple scores, as in the shipped
benchmark).

Each candidate is a probit with linear predictor z = a * margin + b + sum_j c_j x_j (a > 0):

* margin: ln(d / d_c) with d_c the running minimum over speed of the handbook BLE (monotone), the raw BLE
  (NOT monotone: the handbook's Whipple and stuffed-Whipple curves rise through the shatter regime), or a
  mix lambda * lower + (1 - lambda) * upper of the running minimum and the running maximum from above
  (both non-increasing in speed, so every mix is monotone);
* covariates x_j: ln(d/t_b), ln(d/t_w), ln(d/S) (bumper, wall, standoff over projectile: the total
  coefficient on ln d is kept > 0, so a larger projectile never lowers P), ln(rho_p/rho_b) (coefficient
  >= -a/3, the smallest density exponent of the BLEs, so a denser projectile never lowers P), cos(angle);
* regime intercepts (one per speed regime of the BLE at the shot's speed; only with the raw margin: on a
  monotone margin a downward step at a boundary would break monotonicity unless ordered);
* a width that depends on the wall alone (z * exp(-g . w), w = centred ln t_b, ln t_w, ln S: independent of
  d, speed, angle and density, so monotonicity is kept);
* a between-laboratory random intercept (variance tau^2, marginal likelihood by 20-node Gauss-Hermite;
  a new laboratory is predicted with the marginal z / sqrt(1 + tau^2));
* the logit link instead of the probit.

For each: scores at k = 0 (calibrated) and with the conservative shift k (smallest, 0.05 steps) that brings
the cross-validated non-conservative rate to <= 0.06, as the shipped model does.
Run: ``python benchmarks/cause_candidates.py`` (about 2-4 min on a loaded 2-CPU machine);
``--oracle``: in-sample bounds (all shots; with one offset per laboratory).
"""

from __future__ import annotations

import math
import os
import platform
import time

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr, ndtri

from cause_ballistic import SUSPECT, load, shift_for
from hullbreach.cause import ballistic, perforation as pf

GH_X, GH_W = np.polynomial.hermite_e.hermegauss(20)
GH_W = GH_W / GH_W.sum()


def features(fname):
    """Per-shot margins and covariates (dict of arrays), outcomes, sources."""
    s, src = load(fname)
    y = s.perforated.astype(float)
    walls = list(s.walls)
    X1 = pf.design(walls, s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, True, 1)
    Xn = pf.design(walls, s.diameter_m, s.speed_m_s, s.angle_rad, s.density_kg_m3, False, 3)
    lower = np.where(X1.use, X1.ell, np.inf).min(-1)
    raw = Xn.ell[:, 0]
    # running maximum from above: max(d_c(v), d_c(upper boundary)) below the upper boundary, d_c(v) above
    upper = raw.copy()
    for i, (w, th, rho, v) in enumerate(zip(walls, s.angle_rad, s.density_kg_m3, s.speed_m_s)):
        hi = ballistic.regime_speeds_m_s(w, th)[1]
        if v < hi:
            upper[i] = max(raw[i], math.log(ballistic.critical_diameter_m(w, hi * (1 - 1e-12), th, rho)))
    ln_d = X1.ln_d
    tb = np.log([w.bumper_thickness_m for w in walls])
    tw = np.log([w.rear_wall_thickness_m for w in walls])
    S = np.log([w.standoff_m for w in walls])
    rb = np.array([w.bumper_density_kg_m3 for w in walls])
    F = {"lower": lower, "upper": upper, "raw": raw, "ln_d": ln_d, "reg": Xn.regs[:, 0],
         "d_tb": ln_d - tb, "d_tw": ln_d - tw, "d_S": ln_d - S, "rho": np.log(s.density_kg_m3 / rb),
         "cos": np.cos(s.angle_rad), "w_tb": tb, "w_tw": tw, "w_S": S}
    return F, y, src


def matrix(F, spec):
    """Columns of the linear predictor, the ln d coefficient of each column, and their names."""
    lam = spec.get("lam")
    if spec["margin"] == "raw":
        ell = F["raw"]
    else:
        lam = 1.0 if lam is None else lam
        ell = lam * F["lower"] + (1 - lam) * F["upper"]
    cols, dco, names = [F["ln_d"] - ell], [1.0], ["a"]
    if spec.get("regime_intercepts"):
        for r in range(3):
            cols.append((F["reg"] == r).astype(float))
            dco.append(0.0)
            names.append(f"b{r}")
    else:
        cols.append(np.ones_like(ell))
        dco.append(0.0)
        names.append("b")
    for x in spec.get("x", ()):
        cols.append(F[x])
        dco.append(1.0 if x.startswith("d_") else 0.0)
        names.append(x)
    return np.column_stack(cols), np.array(dco), names


def admissible(th, names, dco) -> bool:
    """a > 0, P non-decreasing in d (total ln d coefficient > 0) and in projectile density."""
    if th[0] <= 0.05 or th @ dco <= 0.05:
        return False
    return all(th[i] >= -th[0] / 3 for i, n in enumerate(names) if n == "rho")


def _nll(z, y, link):
    if link == "logit":
        return float((np.logaddexp(0, -z) * y + np.logaddexp(0, z) * (1 - y)).sum())
    return float(-(y * log_ndtr(z) + (1 - y) * log_ndtr(-z)).sum())


def _minimize(f, x0):
    r = minimize(f, x0, method="Nelder-Mead", options={"maxiter": 40000, "xatol": 1e-6, "fatol": 1e-9})
    return minimize(f, r.x, method="Nelder-Mead", options={"maxiter": 40000, "xatol": 1e-7, "fatol": 1e-10}).x


def fit_predict(F, y, src, tr, te, spec):
    """Fit on rows ``tr``, P(perforation) on rows ``te``."""
    A, dco, names = matrix(F, spec)
    link = spec.get("link", "probit")
    x0 = np.zeros(A.shape[1])
    x0[0] = 1.5

    def f(th):  # tiny ridge on everything but a: keeps separable folds finite
        return _nll(A[tr] @ th, y[tr], link) + 1e-3 * float(th[1:] @ th[1:]) if admissible(th, names, dco) else 1e12

    th = _minimize(f, x0)
    if spec.get("width_by_wall"):
        W = np.column_stack([F[f"w_{c}"] for c in spec["width_by_wall"]])
        W = W - W[tr].mean(axis=0)  # centred on the training fold

        def g(q):
            t, gg = q[:len(th)], q[len(th):]
            if not admissible(t, names, dco):
                return 1e12
            return _nll((A[tr] @ t) * np.exp(-(W[tr] @ gg)), y[tr], link) + 0.5 * float(gg @ gg) / 0.5**2

        q = _minimize(g, np.r_[th, np.zeros(W.shape[1])])
        z = (A[te] @ q[:len(th)]) * np.exp(-(W[te] @ q[len(th):]))
    elif spec.get("lab_effect"):
        groups = [np.where(tr & (src == u))[0] for u in np.unique(src[tr])]

        def h(q):
            t, lt = q[:-1], q[-1]
            if not admissible(t, names, dco):
                return 1e12
            eta, tau, tot = A @ t, math.exp(lt), 0.0
            for ii in groups:
                zz = eta[ii, None] + tau * GH_X[None, :]
                ll = (y[ii, None] * log_ndtr(zz) + (1 - y[ii, None]) * log_ndtr(-zz)).sum(0)
                mx = ll.max()
                tot += mx + math.log(float(GH_W @ np.exp(ll - mx)))
            return -tot + 0.5 * ((lt + 1) / 2) ** 2  # weak prior on ln tau around -1

        q = _minimize(h, np.r_[th, -1.0])
        z = (A[te] @ q[:-1]) / math.sqrt(1 + math.exp(2 * q[-1]))
    else:
        z = A[te] @ th
    return ndtr(z) if link == "probit" else 1 / (1 + np.exp(-z))


def loso(F, y, src, spec, exclude=()):
    keep = ~np.isin(src, exclude)
    p = np.zeros(len(y))
    for u in np.unique(src):
        te = src == u
        p[te] = fit_predict(F, y, src, keep & ~te, te, spec)
    return p


WHIPPLE = [
    ("monotone margin, 1 offset", {"margin": "mono"}),
    ("monotone + ln(d/t_b), ln(d/t_w)  [= SHIPPED structure]", {"margin": "mono", "x": ("d_tb", "d_tw")}),
    ("monotone + ln(d/t_b), ln(d/t_w), ln(d/S)", {"margin": "mono", "x": ("d_tb", "d_tw", "d_S")}),
    ("monotone + ln(d/t_b), ln(d/t_w), ln(rho_p/rho_b)", {"margin": "mono", "x": ("d_tb", "d_tw", "rho")}),
    ("monotone + ln(d/t_b), ln(d/t_w), cos(angle)", {"margin": "mono", "x": ("d_tb", "d_tw", "cos")}),
    ("monotone + ln(d/t_b), ln(d/t_w), ln(d/S), ln(rho_p/rho_b), cos", {"margin": "mono",
                                                                      "x": ("d_tb", "d_tw", "d_S", "rho", "cos")}),
    ("monotone + thickness terms, logit link", {"margin": "mono", "x": ("d_tb", "d_tw"), "link": "logit"}),
    ("monotone + thickness terms + between-lab random intercept", {"margin": "mono", "x": ("d_tb", "d_tw"),
                                                                   "lab_effect": True}),
    ("monotone + thickness terms, width ~ wall (ln t_w)", {"margin": "mono", "x": ("d_tb", "d_tw"),
                                                          "width_by_wall": ("tw",)}),
    ("monotone + thickness terms, width ~ wall (ln t_b, ln t_w, ln S)", {"margin": "mono", "x": ("d_tb", "d_tw"),
                                                                        "width_by_wall": ("tb", "tw", "S")}),
    ("envelope mix lambda = 0 (running max from above) + thickness", {"margin": "mix", "lam": 0.0,
                                                                      "x": ("d_tb", "d_tw")}),
    ("envelope mix lambda = 0.5 + thickness", {"margin": "mix", "lam": 0.5, "x": ("d_tb", "d_tw")}),
    ("NOT monotone: raw BLE + regime intercepts + thickness", {"margin": "raw", "regime_intercepts": True,
                                                               "x": ("d_tb", "d_tw")}),
    ("NOT monotone: raw BLE + regime intercepts + thickness + random intercept",
     {"margin": "raw", "regime_intercepts": True, "x": ("d_tb", "d_tw"), "lab_effect": True}),
]
STUFFED = [
    ("monotone margin, 1 offset  [= SHIPPED structure]", {"margin": "mono"}),
    ("monotone + ln(d/t_b), ln(d/t_w)", {"margin": "mono", "x": ("d_tb", "d_tw")}),
    ("monotone + ln(rho_p/rho_b)", {"margin": "mono", "x": ("rho",)}),
    ("monotone + ln(d/S)", {"margin": "mono", "x": ("d_S",)}),
    ("monotone, 1 offset + between-lab random intercept", {"margin": "mono", "lab_effect": True}),
    ("NOT monotone: raw BLE + regime intercepts", {"margin": "raw", "regime_intercepts": True}),
]


def oracle() -> None:
    """In-sample scores on all Whipple shots (optimistic), without and with one offset per laboratory (an
    oracle that knows every laboratory's offset), and the between-laboratory tau of the random intercept."""
    F, y, src = features("whipple_train.csv")
    every = np.ones(len(y), bool)
    us = np.unique(src)
    for u in us:
        F[f"src_{u}"] = (src == u).astype(float)
    print("| structure | in-sample accuracy | Brier | log loss | non-cons. |")
    print("|---|---|---|---|---|")
    for label, spec in (("shipped structure (monotone + thickness)", {"margin": "mono", "x": ("d_tb", "d_tw")}),
                        ("NOT monotone: raw BLE + regime intercepts + thickness",
                         {"margin": "raw", "regime_intercepts": True, "x": ("d_tb", "d_tw")})):
        for tag, extra in (("", ()), (" + one offset per laboratory (oracle)", tuple(f"src_{u}" for u in us[1:]))):
            sp = dict(spec, x=spec["x"] + extra)
            sc = pf.scores(fit_predict(F, y, src, every, every, sp), y)
            print(f"| {label}{tag} | {sc['accuracy']:.3f} | {sc['brier']:.3f} | {sc['log_loss']:.3f} | "
                  f"{sc['non_conservative_rate']:.3f} |")


def main() -> None:
    import sys

    if "--oracle" in sys.argv[1:]:
        oracle()
        return
    t0 = time.perf_counter()
    print("# cause_candidates: leave-one-source-out scores of every candidate structure (tests/data/hvi)")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, Python {platform.python_version()}, "
          f"numpy {np.__version__}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| shots | candidate | accuracy (k=0) | Brier (k=0) | log loss (k=0) | non-cons. (k=0) | k | accuracy | Brier "
          "| log loss | non-cons. | goals met |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fname, fam, cands in (("whipple_train.csv", "whipple", WHIPPLE),
                              ("stuffedWhipple_train.csv", "stuffed-whipple", STUFFED)):
        F, y, src = features(fname)
        excl = SUSPECT.get(fam, ())
        keep = ~np.isin(src, excl)
        tag = f"{fam} ({int(keep.sum())} shots, {len(np.unique(src[keep]))} sources)"
        for label, spec in cands:
            p = loso(F, y, src, spec, excl)[keep]
            yk = y[keep]
            k = shift_for(p, yk)
            s0 = pf.scores(p, yk)
            s1 = pf.scores(ndtr(ndtri(np.clip(p, 1e-12, 1 - 1e-12)) + k), yk)
            met = (s1["accuracy"] >= 0.80) + (s1["non_conservative_rate"] <= 0.06) + (s1["brier"] <= 0.13)
            print(f"| {tag} | {label} | {s0['accuracy']:.3f} | {s0['brier']:.3f} | {s0['log_loss']:.3f} | "
                  f"{s0['non_conservative_rate']:.3f} | {k} | {s1['accuracy']:.3f} | {s1['brier']:.3f} | "
                  f"{s1['log_loss']:.3f} | {s1['non_conservative_rate']:.3f} | {met} of 3 |", flush=True)
    print(f"\n# {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
