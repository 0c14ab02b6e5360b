"""Sensor placement on a wall: greedy minimisation of the expected localization error (CRLB coverage map).

Model. For a leak at x, sensor i sees a band SNR  SNR_i(x) = SNR_1m · (1 m / r_i) · exp(-2 α r_i)
(cylindrical spreading and damping of A0, as in :mod:`hullbreach.locate.signals`). A pair (i, j)
measures the path difference Δ_ij = r_i - r_j through the cross-spectrum phase k(f) Δ, so its
Cramér–Rao variance is (Carter, "Coherence and time delay estimation", Proc. IEEE 75(2), 1987, eq. 29,
with the phase slope k(f) in place of 2πf):

    1 / var(Δ_ij) = 2 T Σ_f k(f)² γ²_ij / (1 - γ²_ij) δf,   γ²/(1-γ²) = SNR_i SNR_j / (1 + SNR_i + SNR_j)

The Fisher information of the position is Σ_pairs g gᵀ / var(Δ_ij) with g = ∇Δ_ij = u_i - u_j (unit
vectors from the sensors), treating pairs as independent (an optimistic approximation: pairs share
sensors). A model-error variance σ_m² is added to every pair's variance (``model_error_m``) so the
map reflects geometry (GDOP) where the SNR is high. The 95 % radius is sqrt(5.99 λ_max(FIM⁻¹)) (the 95 % χ²₂ ellipse's semi-major axis).
Placement is greedy (add the sensor that most reduces the 90th percentile of that radius over the
wall), a standard heuristic for this submodular-like design problem (Krause & Guestrin, "Near-optimal
sensor placements", JMLR 9, 2008).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hullbreach.errors import LocalizationError
from hullbreach.locate.localize import DEFAULT_BAND_HZ
from hullbreach.locate.wall import Wall

CHI2_2_95 = 5.991464547107979
#: Per-pair path-difference error that no averaging removes (unmodelled reflections, stiffeners, dispersion
#: model error) [m]. An assumption, set near the sub-millimetre errors the benchmark measures; the pure CRLB
#: alone predicts micrometres for 0.5 s of 30–300 kHz noise, which no real wall delivers.
DEFAULT_MODEL_ERROR_M = 1e-3


@dataclass(frozen=True)
class Plan:
    """Proposed sensors and the coverage map.

    Attributes
    ----------
    sensor_positions_m : np.ndarray
        (N, 2) proposed positions [m].
    grid_x_m, grid_y_m : np.ndarray
        Coverage grid [m].
    radius_m : np.ndarray
        (ny, nx) expected 95 % localization radius [m] (CRLB, optimistic).
    """

    sensor_positions_m: np.ndarray = field(repr=False)
    grid_x_m: np.ndarray = field(repr=False)
    grid_y_m: np.ndarray = field(repr=False)
    radius_m: np.ndarray = field(repr=False)

    @property
    def median_radius_m(self) -> float:
        """Median over the wall of the expected 95 % radius [m]."""
        return float(np.median(self.radius_m))

    @property
    def p90_radius_m(self) -> float:
        """90th percentile over the wall [m]."""
        return float(np.quantile(self.radius_m, 0.9))

    @property
    def max_radius_m(self) -> float:
        """Worst point of the wall [m]."""
        return float(np.max(self.radius_m))

    def to_json(self) -> dict:
        """JSON dict."""
        return {
            "sensor_positions_m": self.sensor_positions_m.round(4).tolist(),
            "median_radius_m": self.median_radius_m,
            "p90_radius_m": self.p90_radius_m,
            "max_radius_m": self.max_radius_m,
            "grid_x_m": self.grid_x_m.round(4).tolist(),
            "grid_y_m": self.grid_y_m.round(4).tolist(),
            "radius_m": self.radius_m.round(6).tolist(),
        }


def _pair_info(wall: Wall, band_hz, duration_s: float, n_freq: int = 32):
    """Per-pair phase-slope information 2 T Σ k² δf [1/m²] split so SNR weighting can be applied later."""
    disp = wall.dispersion(f_max_hz=max(2 * band_hz[1], 1e5))
    f = np.linspace(band_hz[0], band_hz[1], n_freq)
    k = disp.wavenumber(f, "A0")
    df = (band_hz[1] - band_hz[0]) / n_freq
    fc = 0.5 * (band_hz[0] + band_hz[1])
    return 2 * duration_s * float(np.sum(k**2) * df), float(disp.group(fc, "A0")), fc


def expected_radius(wall: Wall, sensors_m, points_m, *, snr_db: float = 0.0, duration_s: float = 0.5,
                    band_hz=DEFAULT_BAND_HZ, loss_factor: float = 2e-3,
                    model_error_m: float = DEFAULT_MODEL_ERROR_M) -> np.ndarray:
    """Expected 95 % radius [m] at ``points_m`` (G, 2) for sensors ``sensors_m`` (N, 2) (CRLB model above).

    ``snr_db`` is the per-sensor band SNR [dB] at 1 m from the leak; ``duration_s`` the record length [s].
    """
    s = np.asarray(sensors_m, dtype=float)
    x = np.asarray(points_m, dtype=float)
    if s.shape[0] < 3:
        raise LocalizationError(f"need at least 3 sensors for a 2-D position, got {s.shape[0]}")
    fim = _fim(wall, s, x, snr_db, duration_s, band_hz, loss_factor, model_error_m)
    return _radius(fim)


def _fim(wall, s, x, snr_db, duration_s, band_hz, loss_factor, model_error_m):
    info, cg, fc = _pair_info(wall, band_hz, duration_s)
    alpha = loss_factor * 2 * math.pi * fc / (2 * cg)
    d = x[:, None, :] - s[None, :, :]  # (G, N, 2)
    r = np.maximum(np.linalg.norm(d, axis=2), 1e-3)
    u = d / r[..., None]
    snr = 10 ** (snr_db / 10) / r * np.exp(-2 * alpha * r)  # (G, N)
    i, j = np.triu_indices(s.shape[0], 1)
    w = _weight(info * snr[:, i] * snr[:, j] / (1 + snr[:, i] + snr[:, j]), model_error_m)  # (G, P)
    g = u[:, i, :] - u[:, j, :]  # (G, P, 2)
    return np.einsum("gp,gpa,gpb->gab", w, g, g)


def _radius(fim: np.ndarray, prior: float = 1e-6) -> np.ndarray:
    fim = fim + prior * np.eye(2)[None]
    ev = np.linalg.eigvalsh(fim)  # ascending
    return np.sqrt(CHI2_2_95 / ev[:, 0])


def plan_sensors(wall: Wall, n_sensors: int, *, snr_db: float = 0.0, duration_s: float = 0.5,
                 band_hz=DEFAULT_BAND_HZ, margin_m: float = 0.03, n_candidates: int = 12, n_eval: int = 16,
                 loss_factor: float = 2e-3, model_error_m: float = DEFAULT_MODEL_ERROR_M, progress=None) -> Plan:
    """Greedy sensor placement on ``wall`` for ``n_sensors`` sensors (module docstring for the model).

    Candidates are a ``n_candidates`` x ``n_candidates`` grid inset by ``margin_m`` [m]; the objective is
    the 90th percentile of the expected 95 % radius on an ``n_eval`` x ``n_eval`` grid over the wall.
    ``progress(placed, n_sensors)``, if given, is called after each sensor is placed.
    """
    if n_sensors < 3:
        raise LocalizationError(f"a sensor budget of {n_sensors} cannot locate a point on a wall", hint="use 3 or more")
    if n_sensors > 64:
        raise LocalizationError(f"sensor budget {n_sensors} is more than this planner handles (64)")
    cx = np.linspace(margin_m, wall.width_m - margin_m, n_candidates)
    cy = np.linspace(margin_m, wall.height_m - margin_m, max(2, int(round(n_candidates * wall.height_m / wall.width_m))))
    C = np.stack(np.meshgrid(cx, cy), axis=-1).reshape(-1, 2)
    gx = np.linspace(0, wall.width_m, n_eval)
    gy = np.linspace(0, wall.height_m, max(2, int(round(n_eval * wall.height_m / wall.width_m))))
    X = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)
    info, cg, fc = _pair_info(wall, band_hz, duration_s)
    alpha = loss_factor * 2 * math.pi * fc / (2 * cg)
    d = X[:, None, :] - C[None, :, :]  # (G, C, 2)
    r = np.maximum(np.linalg.norm(d, axis=2), 1e-3)
    u = d / r[..., None]
    snr = 10 ** (snr_db / 10) / r * np.exp(-2 * alpha * r)  # (G, C)
    chosen: list[int] = []
    fim = np.zeros((X.shape[0], 2, 2))
    # seed: the three candidates nearest three corners give a well-posed start
    for corner in ((0, 0), (wall.width_m, 0), (wall.width_m / 2, wall.height_m)):
        chosen.append(int(np.argmin(np.hypot(*(C - np.array(corner)).T))))
    for a in range(3):
        for b in range(a + 1, 3):
            fim += _pair_fim(info, snr, u, chosen[a], chosen[b], model_error_m)
    while len(chosen) < n_sensors:
        if progress is not None:
            progress(len(chosen), n_sensors)
        o = np.array(chosen)
        so = snr[:, o]  # (G, K)
        w = _weight(info * snr[:, :, None] * so[:, None, :] / (1 + snr[:, :, None] + so[:, None, :]),
                    model_error_m)  # (G, C, K)
        g0 = u[:, :, None, 0] - u[:, None, o, 0]  # (G, C, K)
        g1 = u[:, :, None, 1] - u[:, None, o, 1]
        a00 = fim[:, None, 0, 0] + np.sum(w * g0 * g0, axis=2)
        a01 = fim[:, None, 0, 1] + np.sum(w * g0 * g1, axis=2)
        a11 = fim[:, None, 1, 1] + np.sum(w * g1 * g1, axis=2)
        tr = a00 + a11 + 2e-6
        det = (a00 + 1e-6) * (a11 + 1e-6) - a01**2
        lam_min = 0.5 * (tr - np.sqrt(np.maximum(tr**2 - 4 * det, 0.0)))
        radius = np.sqrt(CHI2_2_95 / np.maximum(lam_min, 1e-300))  # (G, C)
        val = np.quantile(radius, 0.9, axis=0)
        val[o] = np.inf
        best = int(np.argmin(val))
        chosen.append(best)
        fim = np.stack([np.stack([a00[:, best], a01[:, best]], -1), np.stack([a01[:, best], a11[:, best]], -1)], -2)
    rad = _radius(fim).reshape(len(gy), len(gx))
    return Plan(C[chosen], gx, gy, rad)


def _weight(crlb_info, model_error_m: float):
    """1 / (CRLB variance + model-error variance) of a pair's path difference [1/m²]."""
    return 1.0 / (1.0 / np.maximum(crlb_info, 1e-300) + model_error_m**2)


def _pair_fim(info, snr, u, a, b, model_error_m):
    w = _weight(info * snr[:, a] * snr[:, b] / (1 + snr[:, a] + snr[:, b]), model_error_m)
    g = u[:, a, :] - u[:, b, :]
    return w[:, None, None] * g[:, :, None] * g[:, None, :]


def plot_coverage(plan: Plan, wall: Wall, path) -> str:
    """PNG of the expected 95 % radius over the wall [mm] with the proposed sensors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 6.0 * wall.height_m / wall.width_m + 0.6), dpi=110)
    im = ax.imshow(plan.radius_m * 1000, origin="lower", extent=(0, wall.width_m, 0, wall.height_m), cmap="viridis_r",
                   aspect="equal")
    fig.colorbar(im, ax=ax, shrink=0.8, label="expected 95 % radius [mm] (CRLB)")
    for st in wall.stiffeners:
        (ax.axhline if st.direction == "x" else ax.axvline)(st.position_m, color="white", lw=1.2, ls="--")
    p = plan.sensor_positions_m
    ax.plot(p[:, 0], p[:, 1], "^", color="red", ms=8, label="proposed sensors")
    ax.set_xlabel("x [m]")
    ax.set_ylabel("y [m]")
    ax.set_title(f"{len(p)} sensors: median {plan.median_radius_m * 1000:.2f} mm, "
                 f"p90 {plan.p90_radius_m * 1000:.2f} mm")
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return str(path)
