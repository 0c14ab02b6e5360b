"""Cabin gas temperature per module: orbital and daily cycles, HVAC noise and step changes.

T_i(t) = mean_i + A_orb sin(2 pi t / P_orb + phase) + A_day sin(2 pi t / 86400 s) + n_i(t) + sum of steps [K]

with n_i a first-order Gauss-Markov process (std ``hvac_noise_k``, correlation time ``hvac_tau_s``), plus
the *unmeasured* bulk offsets of :class:`~hullbreach.sim.scenario.Nuisance` (a Gauss-Markov process common to
all modules and one per module) that move the gas, and so the pressure, but not the thermometers
(:meth:`ThermalModel.offset` gives them so that the sensors can leave them out),
generated exactly on a coarse grid and interpolated linearly, so that the temperature at any time is a
deterministic function of the seed (the physics and the telemetry evaluate it at different times).

References
----------
.. [1] ISS orbital period ~92.6 min (NASA ISS facts and figures); the cabin air sees a fraction of a kelvin
   per orbit and a larger day-night (crew activity, lights) cycle. Amplitudes are scenario inputs.
.. [2] Gauss-Markov (Ornstein-Uhlenbeck) process sampled exactly: x_{k+1} = phi x_k + sqrt(1 - phi^2) sigma e_k,
   phi = exp(-dt/tau) (A. Gelb, *Applied Optimal Estimation*, MIT Press, 1974, §3.8).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from hullbreach.sim.scenario import ThermalProfile

_DAY = 86400.0


class ThermalModel:
    """Temperatures of all modules of a station at arbitrary times (vectorised).

    Parameters
    ----------
    module_ids : sequence of str
        Modules in station order.
    nominal_k : array_like
        Nominal temperature of each module [K] (used when a profile has no ``mean_k``).
    profiles : sequence of ThermalProfile
        A profile per module id, or ``"*"`` for every module without its own.
    duration_s : float
        Span to cover [s].
    rng : numpy.random.Generator
        Source of the HVAC noise.
    """

    def __init__(self, module_ids, nominal_k, profiles, duration_s: float, rng: np.random.Generator, nuisance=None):
        n = len(module_ids)
        by_id = {p.module: p for p in profiles}
        star = by_id.get("*")
        self.n = n
        self.mean = np.asarray(nominal_k, dtype=float).copy()
        self.a_orb = np.zeros(n)
        self.w_orb = np.zeros(n)
        self.ph_orb = np.zeros(n)
        self.a_day = np.zeros(n)
        self.steps: list[tuple[int, float, float]] = []
        noise_std = np.zeros(n)
        noise_tau = np.ones(n)
        for i, mid in enumerate(module_ids):
            p: ThermalProfile | None = by_id.get(mid, star)
            if p is None:
                continue
            if p.mean_k is not None:
                self.mean[i] = p.mean_k
            self.a_orb[i] = p.orbital_amplitude_k
            self.w_orb[i] = 2.0 * np.pi / p.orbital_period_s
            self.ph_orb[i] = p.orbital_phase_rad
            self.a_day[i] = p.daily_amplitude_k
            noise_std[i] = p.hvac_noise_k
            noise_tau[i] = p.hvac_tau_s
            for t_s, dk in p.steps:
                self.steps.append((i, float(t_s), float(dk)))
        self.has_cycles = bool(np.any(self.a_orb > 0) or np.any(self.a_day > 0))
        self.has_steps = bool(self.steps)
        self.noise = None
        if np.any(noise_std > 0):
            dt = float(max(min(np.min(noise_tau[noise_std > 0]) / 10.0, 60.0), 1.0))
            m = int(np.ceil(duration_s / dt)) + 2
            self.noise_dt = dt
            phi = np.exp(-dt / noise_tau)
            e = rng.standard_normal((m, n))
            x = np.empty((m, n))
            for i in range(n):
                if noise_std[i] <= 0:
                    x[:, i] = 0.0
                    continue
                drive = e[:, i] * noise_std[i] * np.sqrt(1.0 - phi[i] ** 2)
                drive[0] = e[0, i] * noise_std[i]  # stationary start
                x[:, i] = lfilter([1.0], [1.0, -phi[i]], drive)
            self.noise = x
        self.offsets = None
        if nuisance is not None:
            self._offsets(nuisance, n, duration_s, rng)

    def _offsets(self, nu, n: int, duration_s: float, rng: np.random.Generator) -> None:
        """Draw the unmeasured bulk offsets (common + per module) on a grid of at most 60 s [K] ([2])."""
        sc, tc = float(nu.value("common_offset_k")), float(nu.value("common_offset_tau_s"))
        sm, tm = float(nu.value("module_offset_k")), float(nu.value("module_offset_tau_s"))
        if sc <= 0 and sm <= 0:
            return
        taus = [t for s, t in ((sc, tc), (sm, tm)) if s > 0]
        dt = float(max(min(min(taus) / 10.0, 60.0), 1.0))
        m = int(np.ceil(duration_s / dt)) + 2
        x = np.zeros((m, n))
        for sigma, tau, cols in ((sc, tc, 1), (sm, tm, n)):
            if sigma <= 0:
                continue
            phi = np.exp(-dt / tau)
            drive = rng.standard_normal((m, cols)) * sigma * np.sqrt(1.0 - phi ** 2)
            drive[0] = drive[0] / np.sqrt(1.0 - phi ** 2)  # stationary start
            x += lfilter([1.0], [1.0, -phi], drive, axis=0)
        self.offset_dt = dt
        self.offsets = x

    @property
    def constant(self) -> bool:
        """True when every temperature is constant in time."""
        return not (self.has_cycles or self.has_steps or self.noise is not None or self.offsets is not None)

    def offset(self, t_s) -> np.ndarray | None:
        """Unmeasured bulk offset of every module at times ``t_s`` [K], shape ``(len(t_s), n_modules)``, or
        None when there is none. Included in :meth:`temperature`; thermometers do not see it."""
        if self.offsets is None:
            return None
        return _interp_rows(self.offsets, np.asarray(t_s, dtype=float).reshape(-1) / self.offset_dt)

    def temperature(self, t_s) -> np.ndarray:
        """Gas temperature of every module at times ``t_s`` [K], shape ``(len(t_s), n_modules)``."""
        t = np.asarray(t_s, dtype=float).reshape(-1)
        out = np.broadcast_to(self.mean, (t.size, self.n)).copy()
        if self.has_cycles:
            if np.any(self.a_orb > 0):
                if np.ptp(self.w_orb) == 0 and np.ptp(self.ph_orb) == 0:  # one orbit for all: one sine
                    out += np.outer(np.sin(t * self.w_orb[0] + self.ph_orb[0]), self.a_orb)
                else:
                    out += self.a_orb * np.sin(np.outer(t, self.w_orb) + self.ph_orb)
            if np.any(self.a_day > 0):
                out += np.outer(np.sin(2.0 * np.pi * t / _DAY), self.a_day)
        if self.noise is not None:
            out += _interp_rows(self.noise, t / self.noise_dt)
        if self.offsets is not None:
            out += _interp_rows(self.offsets, t / self.offset_dt)
        for i, ts, dk in self.steps:
            out[:, i] += np.where(t >= ts, dk, 0.0)
        return out


def _interp_rows(grid: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Rows of ``grid`` interpolated linearly at fractional row positions ``x``."""
    k = np.clip(np.floor(x).astype(np.int64), 0, grid.shape[0] - 2)
    w = (x - k)[:, None]
    return grid[k] * (1.0 - w) + grid[k + 1] * w
