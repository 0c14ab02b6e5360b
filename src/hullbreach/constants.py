"""Physical constants and reference values, each with its source. SI units throughout."""

from __future__ import annotations

#: Molar gas constant [J mol^-1 K^-1]. CODATA 2018 (exact since the 2019 SI redefinition).
R_UNIVERSAL = 8.314462618

#: Molar masses [kg mol^-1]. IUPAC standard atomic weights (CIAAW 2021): O 15.999, N 14.007, C 12.011, H 1.008.
MOLAR_MASS_KG_MOL = {
    "o2": 31.998e-3,
    "n2": 28.014e-3,
    "co2": 44.009e-3,
    "h2o": 18.015e-3,
    "ar": 39.948e-3,
}

#: Dry air molar mass [kg mol^-1]. ISO 2533:1975 Standard Atmosphere.
MOLAR_MASS_AIR = 28.9644e-3

#: Specific gas constant of dry air [J kg^-1 K^-1] = R_UNIVERSAL / MOLAR_MASS_AIR.
R_AIR = R_UNIVERSAL / MOLAR_MASS_AIR

#: Ratio of specific heats of air [-], diatomic ideal gas near 300 K (NIST webbook: 1.400 at 300 K).
GAMMA_AIR = 1.4

#: Pascal per mmHg [Pa mmHg^-1]. 1 mmHg = 13.5951 kg/L * 9.80665 m/s^2 * 1 mm (NIST SP 811, B.8: 133.3224).
PA_PER_MMHG = 133.322387415

#: Pascal per psi [Pa psi^-1]. NIST SP 811, B.8.
PA_PER_PSI = 6894.757293168

#: Standard atmosphere [Pa]. ISO 2533.
STANDARD_ATMOSPHERE_PA = 101325.0

#: ISS crew physiological limit used in leak response [Pa] = 520 mmHg.
#: Source: D. Pettit, Oregon State capstone project 415 (2017), "currently at 520mmHg";
#: see docs/reference/figures.md.
ISS_EVACUATION_PRESSURE_PA = 520.0 * PA_PER_MMHG

#: Nominal ISS cabin temperature [K] (about 22 C). ISS ECLSS operates 18.3-26.7 C (SSP 41000); 295 K is the
#: temperature used in the 2.6 mmHg/K derivation of docs/reference/figures.md.
ISS_NOMINAL_TEMPERATURE_K = 295.15

#: ISS nominal total pressure band [Pa]: 730-755 mmHg (Pettit, 2017; docs/reference/figures.md).
ISS_NOMINAL_PRESSURE_BAND_PA = (730.0 * PA_PER_MMHG, 755.0 * PA_PER_MMHG)

#: Seconds per day / hour / Julian year.
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
SECONDS_PER_YEAR = 365.25 * 86400.0
