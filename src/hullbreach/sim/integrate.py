"""Integration of the zone masses between events (used by :mod:`hullbreach.sim.simulator`).

* :func:`linear_decay` solves m_{n+1} = exp(-lambda_n dt) m_n + b_n for all steps at once: the exact solution of
  dm/dt = -lambda m + s for coefficients constant over each step (choked leak to vacuum, first-order CO2
  scrubber, constant sources).
* :func:`integrate_zone` applies it to one uncoupled zone (isothermal), or the exact adiabatic blowdown
  solution (thermo = "adiabatic").
* :func:`integrate_cluster` handles zones coupled by open equalization valves: orifice flow
  (:func:`hullbreach.physics.orifice.orifice_mass_flow`) written as a conductance G = |w|/sqrt(|dp|) (smooth,
  tending to Cd A sqrt(2 rho) as dp -> 0); over each sub-step the difference the zones would reach without
  the valve (leaks, sources, temperature change) relaxes by the exact solution of dp' = -c G sqrt(dp) (the
  sqrt law equalizes in finite time, without overshoot) with G averaged by Heun's method; sub-steps of at most
  1/200 of the valve time constant and VALVE_MAX_STEP_S; the leaks stay exact within each sub-step.

References
----------
.. [1] Exact integration of linear ODEs with piecewise-constant coefficients (exponential integrator):
   M. Hochbruck, A. Ostermann, "Exponential integrators", Acta Numerica 19 (2010) 209-286, §2.
.. [2] Adiabatic tank discharge: A. H. Shapiro, *The Dynamics and Thermodynamics of Compressible Fluid Flow*,
   vol. 1, 1953, ch. 4 (as in :mod:`hullbreach.physics.blowdown`).
.. [3] Heun's method: E. Hairer, S. P. Norsett, G. Wanner, *Solving Ordinary Differential Equations I*,
   2nd ed., Springer, 1993, §II.1.
"""

from __future__ import annotations

import numpy as np

from hullbreach.constants import GAMMA_AIR, MOLAR_MASS_KG_MOL, R_UNIVERSAL
from hullbreach.physics.blowdown import isothermal_time_constant
from hullbreach.physics.orifice import critical_flow_factor, orifice_mass_flow

#: Gas species tracked, in this order.
SPECIES = ("o2", "n2", "co2", "h2o")
MOLAR = np.array([MOLAR_MASS_KG_MOL[s] for s in SPECIES])
_MOLAR = MOLAR
#: Choked-flow factor G of air [-].
G_AIR = float(critical_flow_factor(GAMMA_AIR))
#: Relaxation time of adiabatically cooled gas back to the wall temperature after a leak stops [s] (estimate).
ADIABATIC_RELAX_S = 1800.0
#: Longest valve sub-step while pressures equalize [s].
VALVE_MAX_STEP_S = 10.0
#: Valve step once the zones are equal (the relaxation is exact and cannot overshoot) [s].
VALVE_TRACK_STEP_S = 60.0


def mixture_r(m: np.ndarray) -> np.ndarray:
    """Specific gas constant of species masses ``m`` (..., 4) [J kg^-1 K^-1]."""
    tot = m.sum(-1)
    mol = (m / _MOLAR).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = R_UNIVERSAL * mol / tot
    return np.where(tot > 0, r, R_UNIVERSAL / 28.9644e-3)


def linear_decay(m0: np.ndarray, lamh: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact solution of m_{n+1} = exp(-lamh_n) m_n + b_n for all n at once.

    ``m0`` (k,), ``lamh`` and ``b`` (L, k); returns (L+1, k). Rebased every e^-400 to avoid overflow.
    """
    L = lamh.shape[0]
    out = np.empty((L + 1,) + m0.shape)
    out[0] = m0
    start = 0
    cur = m0.astype(float).copy()
    while start < L:
        lam_c = np.cumsum(lamh[start:], axis=0)
        top = lam_c.max(axis=1) if lam_c.ndim > 1 else lam_c
        over = np.nonzero(top > 400.0)[0]
        stop = L if over.size == 0 else start + max(int(over[0]), 1)
        lc = lam_c[: stop - start]
        if not np.any(b[start:stop]):
            seg = cur * np.exp(-lc)
        else:
            e = np.exp(lc)
            seg = np.exp(-lc) * (cur + np.cumsum(b[start:stop] * e, axis=0))
        out[start + 1: stop + 1] = seg
        cur = seg[-1].copy()
        start = stop
    return out




def _book_sinks(run, sinks, out_share_fn, L):
    """Book first-order sinks: airlock venting into ``run.airlock_vented``; transfers returned per step."""
    transfers = []
    for k_s, cat, to_zone in sinks:
        amounts = out_share_fn(k_s)  # (L, 4) per step
        if cat == "airlock_vented":
            run.airlock_vented += float(np.sum(amounts))
        else:
            transfers.append((to_zone, amounts))
    return transfers


def integrate_zone(run, z, src: np.ndarray, krm: np.ndarray, kl: list, L: int, h: float, thermo: str,
                   sinks=(), extra_in=None):
    """Species masses of an uncoupled zone over L steps (exact for piecewise-constant coefficients).

    Parameters
    ----------
    src : (4,) constant source rates [kg/s] (negative = sink); krm : (4,) first-order removal [1/s] (scrubber);
    kl : ``[(leak_id, k_l (L,))]`` leak coefficients [1/s]; sinks : ``[(k [1/s], category, to_zone)]``
    first-order outflows (airlock pump, vent, repress donor); extra_in : (L, 4) mass entering in each step
    [kg] (from another zone's transfer).

    Returns ``(m (L+1, 4), theta (L+1,), transfers [(to_zone, (L, 4) amounts)])``.
    """
    m0 = run.zmass[z]
    th0 = run.theta[z]
    k = np.sum([a for _, a in kl], axis=0) if kl else np.zeros(L)
    ks_tot = float(sum(k_s for k_s, _, _ in sinks))
    inflow = np.zeros((L, 4)) if extra_in is None else extra_in
    if thermo == "adiabatic" and kl:
        g1 = GAMMA_AIR - 1.0
        beta = 0.5 * g1
        M0 = float(m0.sum())
        u0 = th0 ** (1.0 / g1)  # M0 / Mref
        kt = k + ks_tot
        K = np.concatenate([[0.0], np.cumsum(kt * h)])
        u = (u0 ** -beta + beta * K) ** (-1.0 / beta)
        Mleak = M0 * u / u0
        cum_src = np.arange(L + 1, dtype=float)[:, None] * (src * h)[None, :]
        cum_src[1:] += np.cumsum(inflow, axis=0)
        frac = m0 / M0 if M0 > 0 else np.zeros(4)
        m = Mleak[:, None] * frac[None, :] + cum_src
        out = -np.diff(Mleak)[:, None] * frac[None, :]  # (L, 4)
        with np.errstate(invalid="ignore", divide="ignore"):
            inv = np.where(kt > 0, 1.0 / np.where(kt > 0, kt, 1.0), 0.0)[:, None]
        for lid, a in kl:
            run.vented[lid] += float(np.sum(out * a[:, None] * inv))
        transfers = _book_sinks(run, sinks, lambda k_s: out * k_s * inv, L)
        return m, u ** g1, transfers
    lam = k[:, None] + krm[None, :] + ks_tot
    lamh = lam * h
    with np.errstate(invalid="ignore", divide="ignore"):
        phi = np.where(lamh > 1e-12, -np.expm1(-lamh) / np.where(lam > 0, lam, 1.0), h)
    a_step = np.exp(-lamh)
    b = phi * src[None, :] + a_step * inflow  # the inflow of a step enters at its start
    m = linear_decay(m0, lamh, b)
    transfers = []
    if kl or np.any(krm > 0) or sinks:
        out = m[:-1] - m[1:] + inflow + src[None, :] * h
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
        for lid, a in kl:
            run.vented[lid] += float(np.sum(out * (a[:, None] * share)))
        if np.any(krm > 0):
            run.removed += float(np.sum(out * (krm[None, :] * share)))
        transfers = _book_sinks(run, sinks, lambda k_s: out * (k_s * share), L)
    if thermo == "adiabatic" and th0 != 1.0:
        t = np.arange(L + 1) * h
        theta = 1.0 + (th0 - 1.0) * np.exp(-t / ADIABATIC_RELAX_S)
    else:
        theta = np.full(L + 1, th0)
    return m, theta, transfers


def integrate_cluster(run, zones: list, couplings: list, src: dict, krm: dict, kz: dict, tg: np.ndarray, L: int, h: float,
                      sinks: dict | None = None, extra_in: dict | None = None):
    """Species masses of zones coupled by open valves over ``L`` physics steps of ``h`` seconds (grid ``tg``).

    ``couplings``: ``(hatch, cd_area_m2, zone_a, zone_b, module_index_a, module_index_b)``; ``sinks`` and
    ``extra_in`` per zone as in :func:`integrate_zone`. The valve sub-step is at most 1/200 of the fastest valve
    time constant and :data:`VALVE_MAX_STEP_S` (finer than the physics step when needed, with the temperatures
    evaluated at the sub-step nodes). Returns ``({zone: (L+1, 4) array}, transfers)``; between sub-step nodes the
    physics grid is filled by linear interpolation.
    """
    sinks = sinks or {}
    extra_in = extra_in or {}
    nz = len(zones)
    zi = {z: i for i, z in enumerate(zones)}
    m = np.array([run.zmass[z] for z in zones], dtype=float)
    th = np.array([run.theta[z] for z in zones])
    idxs = [run._idx(z) for z in zones]
    ca = np.array([zi[c[2]] for c in couplings])
    cb = np.array([zi[c[3]] for c in couplings])
    area = np.array([c[1] for c in couplings])
    ja = np.array([c[4] for c in couplings])
    jb = np.array([c[5] for c in couplings])
    vol = np.array([run.V[ix].sum() for ix in idxs])
    T0 = run.thermal.temperature(tg[:1])[0]
    tau = float(np.min(isothermal_time_constant(np.minimum(vol[ca], vol[cb]), area, T0[ja])))
    target = min(tau / 200.0, VALVE_MAX_STEP_S)

    def cond_at(mm, Trow, Srow):
        """dp = p_a - p_b [Pa], dp per kg moved from a to b [Pa/kg], conductance G = |w|/sqrt(|dp|)
        [kg s^-1 Pa^-1/2] (smooth, tends to CdA sqrt(2 rho) as dp -> 0; w = orifice flow, Anderson 2003 §5.4)."""
        R = mixture_r(mm)
        p = (mm / MOLAR).sum(axis=1) * R_UNIVERSAL / Srow * th
        pa, pb = p[ca], p[cb]
        dp = pa - pb
        fwd = dp >= 0
        tup = np.where(fwd, Trow[ja], Trow[jb])
        rup = np.where(fwd, R[ca], R[cb])
        hi = np.maximum(pa, pb)
        adp = np.maximum(np.abs(dp), 1e-9 * hi)
        w = np.abs(orifice_mass_flow(area, hi, tup, hi - adp, GAMMA_AIR, rup))
        c = R[ca] * th[ca] / Srow[ca] + R[cb] * th[cb] / Srow[cb]
        return dp, c, w / np.sqrt(adp), fwd

    # fine sub-steps while the pressures equalize (about 2 sqrt(dp)/(c G) for the sqrt law, with margin),
    # then steps of VALVE_TRACK_STEP_S: the exact relaxation keeps the zones equal without overshoot
    S0 = np.array([np.sum(run.V[ix] / T0[ix]) for ix in idxs])
    dp0, c0, G0_, _ = cond_at(m, T0, S0)
    t_eq = float(np.max(2.0 * np.sqrt(np.abs(dp0)) / (c0 * G0_)))
    fine_end = min(float(L), (3.0 * t_eq + 20.0 * target) / h)
    if target >= h:
        d_f = float(max(1, np.floor(target / h)))
    else:
        d_f = 1.0 / np.ceil(h / target)
    pos_f = np.arange(0.0, fine_end, d_f)
    start_c = pos_f[-1] + d_f if pos_f.size else 0.0
    start_c = float(np.ceil(start_c - 1e-9))
    d_c = float(max(1, np.floor(VALVE_TRACK_STEP_S / h)))
    pos_c = np.arange(start_c, L, d_c)
    pos = np.unique(np.concatenate([pos_f, pos_c, [float(L)]]))
    grid = np.arange(L + 1, dtype=float)
    Tn = run.thermal.temperature(tg[0] + pos * h)  # (nodes, n_modules)
    Sz = np.stack([(run.V[ix][None, :] / Tn[:, ix]).sum(axis=1) for ix in idxs], axis=1)  # (nodes, nz)
    k = np.zeros((L, nz))
    klist = []
    for z in zones:
        for lid, a in kz[z]:
            k[:, zi[z]] += a
            klist.append((lid, zi[z], a))
    krm_a = np.array([krm[z] for z in zones])  # (nz, 4)
    zsinks = [(zi[z], k_s, cat, to) for z in zones for (k_s, cat, to) in sinks.get(z, ())]
    ks_a = np.zeros(nz)
    for i, k_s, _, _ in zsinks:
        ks_a[i] += k_s
    inflow = np.zeros((L, nz, 4))
    for z in zones:
        if z in extra_in:
            inflow[:, zi[z], :] = extra_in[z]

    def cum_at(per_step):  # cumulative sum of a per-physics-step array, at the node positions (piecewise linear)
        c = np.concatenate([np.zeros((1,) + per_step.shape[1:]), np.cumsum(per_step, axis=0)])
        flat = c.reshape(L + 1, -1)
        return np.stack([np.interp(pos, grid, flat[:, j]) for j in range(flat.shape[1])], axis=1).reshape((pos.size,) + per_step.shape[1:])

    ck = cum_at(k)  # (nodes, nz), in units of k * steps
    cka = {lid: cum_at(a[:, None])[:, 0] for lid, _, a in klist}
    cin = cum_at(inflow)
    tr_cum = [np.zeros((pos.size, 4)) for _ in zsinks]
    base = np.array([src[z] for z in zones])
    hist_nodes = np.empty((pos.size, nz, 4))
    hist_nodes[0] = m

    def conductance(mm, n):
        dp, c, G, fwd = cond_at(mm, Tn[n], Sz[n])
        return dp, c, G, fwd, None

    def transfer(mm, dp, c, G, fwd, tot, H):
        """Mass rates per zone [kg/s] that move, over H, what dp' = -c G sqrt(dp) moves (exact for constant G:
        sqrt(dp) falls linearly and reaches 0 in finite time, so the pressures equalize without overshoot)."""
        adp = np.abs(dp)
        root = np.maximum(np.sqrt(adp) - 0.5 * c * G * H, 0.0)
        x = (adp - root * root) / c / H
        up = np.where(fwd, ca, cb)
        fr = mm[up] / np.where(tot[up] > 0, tot[up], 1.0)[:, None]
        w = np.where(fwd, x, -x)
        d = np.zeros((nz, 4))
        np.add.at(d, ca, -w[:, None] * fr)
        np.add.at(d, cb, w[:, None] * fr)
        return d

    for q in range(pos.size - 1):
        dpos = pos[q + 1] - pos[q]
        H = dpos * h
        kbar = (ck[q + 1] - ck[q]) / dpos  # mean leak coefficient per zone [1/s]
        lam = kbar[:, None] + krm_a + ks_a[:, None]  # (nz, 4)
        m_in = cin[q + 1] - cin[q]
        lh = lam * H
        ea = np.exp(-lh)
        phi = np.where(lh > 1e-12, -np.expm1(-lh) / np.where(lam > 0, lam, 1.0), H)
        # what the pressure difference would become over the step without the valve (leaks, sources and the
        # temperature change act on it), then the exact sqrt-law relaxation of that difference
        m_free = (m + m_in) * ea + phi * base
        dpf, cf, _, fwdf, _ = conductance(m_free, q + 1)
        G0 = conductance(m, q)[2]
        tot0 = m.sum(axis=1)
        d1 = transfer(m, dpf, cf, G0, fwdf, tot0, H)
        G1 = conductance(np.maximum(m_free + phi * d1, 0.0), q + 1)[2]
        s_ = base + transfer(m, dpf, cf, 0.5 * (G0 + G1), fwdf, tot0, H)  # Heun on the conductance
        mn = (m + m_in) * ea + phi * s_
        out = m + m_in - mn + s_ * H
        share = np.where(lam > 0, 1.0 / np.where(lam > 0, lam, 1.0), 0.0)
        for lid, i, _ in klist:
            abar = (cka[lid][q + 1] - cka[lid][q]) / dpos
            run.vented[lid] += float(np.sum(out[i] * abar * share[i]))
        if np.any(krm_a > 0):
            run.removed += float(np.sum(out * krm_a * share))
        for j, (i, k_s, cat, _) in enumerate(zsinks):
            amt = out[i] * k_s * share[i]
            if cat == "airlock_vented":
                run.airlock_vented += float(amt.sum())
            tr_cum[j][q + 1] = tr_cum[j][q] + amt
        m = mn
        hist_nodes[q + 1] = m
    hist = np.empty((L + 1, nz, 4))
    for i in range(nz):
        for s2 in range(4):
            hist[:, i, s2] = np.interp(grid, pos, hist_nodes[:, i, s2])
    transfers = []
    for j, (_, _, cat, to) in enumerate(zsinks):
        if cat != "airlock_vented":
            c = np.stack([np.interp(grid, pos, tr_cum[j][:, s2]) for s2 in range(4)], axis=1)
            transfers.append((to, np.diff(c, axis=0)))
    return {z: hist[:, zi[z], :] for z in zones}, transfers
