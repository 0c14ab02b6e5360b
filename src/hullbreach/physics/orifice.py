"""Compressible flow of a gas through a hole (orifice), choked and subsonic.

References
----------
.. [1] J. D. Anderson, *Modern Compressible Flow*, 3rd ed., McGraw-Hill, 2003, §5.4 (isentropic nozzle flow,
   choked mass flow mdot = A p0 sqrt(gamma/(R T0)) (2/(gamma+1))^((gamma+1)/(2(gamma-1)))).
.. [2] ISO 6358-1:2013 / the standard orifice equation with a discharge coefficient Cd: the real flow is
   Cd times the ideal isentropic flow; a measured leak rate therefore gives only the *effective* area Cd*A.
.. [3] docs/design.md §4 of this project.
"""

from __future__ import annotations

import numpy as np

from hullbreach.constants import GAMMA_AIR, R_AIR
from hullbreach.errors import PhysicsError


def critical_flow_factor(gamma=GAMMA_AIR):
    """G = (2/(gamma+1))^((gamma+1)/(2(gamma-1))) [-]; 0.5787 for gamma = 1.4 ([1])."""
    g = np.asarray(gamma, dtype=float)
    return (2.0 / (g + 1.0)) ** ((g + 1.0) / (2.0 * (g - 1.0)))


def critical_pressure_ratio(gamma=GAMMA_AIR):
    """p_down/p_up below which the flow chokes, (2/(gamma+1))^(gamma/(gamma-1)) [-]; 0.5283 for air ([1])."""
    g = np.asarray(gamma, dtype=float)
    return (2.0 / (g + 1.0)) ** (g / (g - 1.0))


def choked_mass_flow(cd_area_m2, pressure_pa, temperature_k, gamma=GAMMA_AIR, r_specific=R_AIR):
    """Choked (sonic) mass flow through an orifice into vacuum [kg s^-1] ([1], [2]).

    mdot = Cd A p sqrt(gamma / (R T)) G.

    Parameters
    ----------
    cd_area_m2 : array_like
        Effective area Cd*A [m^2].
    pressure_pa : array_like
        Upstream (cabin) stagnation pressure [Pa].
    temperature_k : array_like
        Upstream stagnation temperature [K].
    gamma : float
        Ratio of specific heats [-].
    r_specific : float
        Specific gas constant [J kg^-1 K^-1].
    """
    t = np.asarray(temperature_k, dtype=float)
    if np.any(t <= 0):
        raise PhysicsError("temperature must be positive kelvin")
    return (np.asarray(cd_area_m2, dtype=float) * np.asarray(pressure_pa, dtype=float)
            * np.sqrt(gamma / (r_specific * t)) * critical_flow_factor(gamma))


def orifice_mass_flow(cd_area_m2, p_up_pa, t_up_k, p_down_pa=0.0, gamma=GAMMA_AIR, r_specific=R_AIR):
    """Mass flow through an orifice, choked or subsonic, from ``p_up`` to ``p_down`` [kg s^-1] ([1], [2]).

    Flow runs from the higher to the lower pressure; the sign is positive when ``p_up_pa > p_down_pa``
    (``t_up_k`` is then used as the upstream temperature; for reversed flow pass the other side's).
    Subsonic branch: mdot = Cd A p_up sqrt(2 gamma / ((gamma-1) R T) (r^(2/gamma) - r^((gamma+1)/gamma))),
    r = p_down/p_up; choked when r <= critical_pressure_ratio(gamma). The two branches meet continuously.
    """
    p_up = np.asarray(p_up_pa, dtype=float)
    p_dn = np.asarray(p_down_pa, dtype=float)
    sign = np.where(p_up >= p_dn, 1.0, -1.0)
    hi = np.maximum(p_up, p_dn)
    lo = np.minimum(p_up, p_dn)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(hi > 0, lo / np.where(hi > 0, hi, 1.0), 1.0)
    rc = critical_pressure_ratio(gamma)
    re = np.maximum(r, rc)
    t = np.asarray(t_up_k, dtype=float)
    flow = (np.asarray(cd_area_m2, dtype=float) * hi
            * np.sqrt(np.maximum(2.0 * gamma / ((gamma - 1.0) * r_specific * t)
                                 * (re ** (2.0 / gamma) - re ** ((gamma + 1.0) / gamma)), 0.0)))
    return sign * flow


def effective_area_from_mass_flow(mass_flow_kg_s, pressure_pa, temperature_k, gamma=GAMMA_AIR, r_specific=R_AIR):
    """Effective area Cd*A [m^2] of a choked leak to vacuum that passes ``mass_flow_kg_s`` (inverse of
    :func:`choked_mass_flow`; [1], [2])."""
    return np.asarray(mass_flow_kg_s, dtype=float) / choked_mass_flow(1.0, pressure_pa, temperature_k, gamma, r_specific)


def area_from_diameter(diameter_m):
    """Area of a circular hole, pi d^2 / 4 [m^2]."""
    return np.pi * np.asarray(diameter_m, dtype=float) ** 2 / 4.0


def diameter_from_area(area_m2):
    """Diameter of the circle of area ``area_m2`` [m]; of an effective area Cd*A this is the
    *equivalent ideal-orifice* (Cd = 1) diameter, not the physical hole."""
    a = np.asarray(area_m2, dtype=float)
    return np.sqrt(4.0 * np.maximum(a, 0.0) / np.pi)
