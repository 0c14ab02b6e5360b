"""Ideal-gas relations for cabin air and its mixture of O2, N2, CO2 and H2O.

References
----------
.. [1] Ideal gas law, p V = m R T with R = R_u / M (any thermodynamics text, e.g. Cengel & Boles,
   *Thermodynamics: An Engineering Approach*, 9th ed., 2019, §3-6).
.. [2] Dalton's law of partial pressures; mixture molar mass M = sum x_i M_i with x_i = p_i / p
   (Cengel & Boles §13-1).
.. [3] ANSI/ANS-56.8-2020, *Containment System Leakage Testing Requirements*: the mass-point method
   computes the contained air mass m = p V / (R T) at each time and fits its trend.
"""

from __future__ import annotations

import numpy as np

from hullbreach.constants import MOLAR_MASS_KG_MOL, R_AIR, R_UNIVERSAL
from hullbreach.errors import PhysicsError


def air_mass(pressure_pa, volume_m3, temperature_k, r_specific=R_AIR):
    """Mass of gas in a volume, m = p V / (R T) [kg] ([1], [3]).

    Parameters
    ----------
    pressure_pa : array_like
        Total pressure [Pa].
    volume_m3 : array_like
        Volume [m^3].
    temperature_k : array_like
        Gas temperature [K].
    r_specific : array_like
        Specific gas constant of the mixture [J kg^-1 K^-1]; dry air by default.

    Returns
    -------
    numpy.ndarray or float
        Mass [kg].
    """
    t = np.asarray(temperature_k, dtype=float)
    if np.any(t <= 0):
        raise PhysicsError("temperature must be positive kelvin", hint="convert degC to K (add 273.15)")
    return np.asarray(pressure_pa, dtype=float) * np.asarray(volume_m3, dtype=float) / (np.asarray(r_specific) * t)


def pressure_from_mass(mass_kg, volume_m3, temperature_k, r_specific=R_AIR):
    """Pressure of a mass of gas in a volume, p = m R T / V [Pa] ([1])."""
    return np.asarray(mass_kg, dtype=float) * np.asarray(r_specific) * np.asarray(temperature_k, dtype=float) / np.asarray(volume_m3, dtype=float)


def mixture_molar_mass(ppo2_pa, ppn2_pa, ppco2_pa=0.0, pph2o_pa=0.0):
    """Molar mass of a cabin gas mixture from its partial pressures [kg mol^-1] ([2]).

    Parameters are partial pressures [Pa] of O2, N2, CO2 and H2O; their sum is the total pressure.
    """
    parts = {
        "o2": np.asarray(ppo2_pa, dtype=float),
        "n2": np.asarray(ppn2_pa, dtype=float),
        "co2": np.asarray(ppco2_pa, dtype=float),
        "h2o": np.asarray(pph2o_pa, dtype=float),
    }
    total = sum(parts.values())
    if np.any(total <= 0):
        raise PhysicsError("partial pressures must add up to a positive total pressure")
    return sum(parts[k] * MOLAR_MASS_KG_MOL[k] for k in parts) / total


def mixture_gas_constant(ppo2_pa, ppn2_pa, ppco2_pa=0.0, pph2o_pa=0.0):
    """Specific gas constant of a cabin mixture, R = R_u / M_mix [J kg^-1 K^-1] ([1], [2])."""
    return R_UNIVERSAL / mixture_molar_mass(ppo2_pa, ppn2_pa, ppco2_pa, pph2o_pa)


def pressure_temperature_sensitivity(pressure_pa, temperature_k):
    """dp/dT at constant mass and volume, p / T [Pa K^-1] ([1]).

    At 760 mmHg and 295 K this is 2.58 mmHg per K (docs/reference/figures.md: "~2.6 mmHg per K").
    """
    return np.asarray(pressure_pa, dtype=float) / np.asarray(temperature_k, dtype=float)
