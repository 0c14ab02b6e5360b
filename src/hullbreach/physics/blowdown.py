"""Closed-form depressurization of a single volume through a choked hole, and times to a threshold.

References
----------
.. [1] Isothermal blowdown: with T constant, dm/dt = -Cd A p sqrt(gamma/(R T)) G and p = m R T / V give
   p(t) = p0 exp(-t/tau), tau = V / (Cd A sqrt(gamma R T) G) (docs/design.md §4; follows from the choked flow
   of J. D. Anderson, *Modern Compressible Flow*, 3rd ed., 2003, §5.4). Slow leaks (hours to weeks) are
   isothermal because the cabin air is held at temperature by the walls and the thermal control system.
.. [2] Adiabatic (isentropic) blowdown: rho/rho0 = [1 + (gamma-1)/2 t/tau0]^(-2/(gamma-1)),
   p/p0 = (rho/rho0)^gamma, with tau0 evaluated at the initial temperature (A. H. Shapiro, *The Dynamics
   and Thermodynamics of Compressible Fluid Flow*, vol. 1, Ronald Press, 1953, ch. 4, discharge from a
   tank). Fast venting (Soyuz 11, Mir Spektr scale) is closer to this.
.. [3] Reserve time: "how fast the pressure inside the Station is dropping and then figure out how much
   time you have before you need to evacuate" (S. Cristoforetti, logbook 30 Sep 2013): at the current
   rate, i.e. a constant-rate extrapolation; the constant-hole (exponential) answer is longer.
"""

from __future__ import annotations

import numpy as np

from hullbreach.constants import GAMMA_AIR, R_AIR
from hullbreach.errors import PhysicsError
from hullbreach.physics.orifice import critical_flow_factor


def isothermal_time_constant(volume_m3, cd_area_m2, temperature_k, gamma=GAMMA_AIR, r_specific=R_AIR):
    """tau = V / (Cd A sqrt(gamma R T) G) [s] ([1]); infinite for a zero area."""
    v = np.asarray(volume_m3, dtype=float)
    a = np.asarray(cd_area_m2, dtype=float)
    if np.any(v <= 0):
        raise PhysicsError("volume must be positive")
    with np.errstate(divide="ignore"):
        return v / (a * np.sqrt(gamma * r_specific * np.asarray(temperature_k, dtype=float)) * critical_flow_factor(gamma))


def isothermal_pressure(t_s, p0_pa, tau_s):
    """p(t) = p0 exp(-t / tau) [Pa] ([1])."""
    return np.asarray(p0_pa, dtype=float) * np.exp(-np.asarray(t_s, dtype=float) / np.asarray(tau_s, dtype=float))


def isothermal_time_to_pressure(p0_pa, threshold_pa, tau_s):
    """Time for an isothermal blowdown to fall from p0 to the threshold, tau ln(p0/p_th) [s] ([1]).

    Zero when already at or below the threshold; infinite for an infinite tau (no hole).
    """
    p0 = np.asarray(p0_pa, dtype=float)
    pt = np.asarray(threshold_pa, dtype=float)
    if np.any(pt <= 0):
        raise PhysicsError("threshold pressure must be positive")
    with np.errstate(invalid="ignore"):
        out = np.asarray(tau_s, dtype=float) * np.log(np.maximum(p0 / pt, 1.0))
    return np.where(p0 <= pt, 0.0, out)


def adiabatic_pressure(t_s, p0_pa, tau0_s, gamma=GAMMA_AIR):
    """Isentropic blowdown pressure p(t) = p0 [1 + (gamma-1)/2 t/tau0]^(-2 gamma/(gamma-1)) [Pa] ([2]).

    ``tau0_s`` is :func:`isothermal_time_constant` at the initial temperature.
    """
    x = 1.0 + 0.5 * (gamma - 1.0) * np.asarray(t_s, dtype=float) / np.asarray(tau0_s, dtype=float)
    return np.asarray(p0_pa, dtype=float) * x ** (-2.0 * gamma / (gamma - 1.0))


def adiabatic_temperature(t_s, t0_k, tau0_s, gamma=GAMMA_AIR):
    """Gas temperature during isentropic blowdown, T0 [1 + (gamma-1)/2 t/tau0]^-2 [K] ([2])."""
    x = 1.0 + 0.5 * (gamma - 1.0) * np.asarray(t_s, dtype=float) / np.asarray(tau0_s, dtype=float)
    return np.asarray(t0_k, dtype=float) * x ** -2.0


def adiabatic_time_to_pressure(p0_pa, threshold_pa, tau0_s, gamma=GAMMA_AIR):
    """Time for an isentropic blowdown to reach the threshold,
    2 tau0/(gamma-1) [(p0/p_th)^((gamma-1)/(2 gamma)) - 1] [s] ([2])."""
    p0 = np.asarray(p0_pa, dtype=float)
    pt = np.asarray(threshold_pa, dtype=float)
    ratio = np.maximum(p0 / pt, 1.0)
    return 2.0 * np.asarray(tau0_s, dtype=float) / (gamma - 1.0) * (ratio ** ((gamma - 1.0) / (2.0 * gamma)) - 1.0)


def constant_rate_time_to_pressure(p0_pa, threshold_pa, rate_pa_s):
    """Time to the threshold at a constant rate of pressure loss, (p0 - p_th) / rate [s] ([3]).

    ``rate_pa_s`` is the loss rate as a positive number; zero or negative rates give infinity.
    """
    p0 = np.asarray(p0_pa, dtype=float)
    pt = np.asarray(threshold_pa, dtype=float)
    r = np.asarray(rate_pa_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(r > 0, (p0 - pt) / np.where(r > 0, r, 1.0), np.inf)
    return np.where(p0 <= pt, 0.0, t)
