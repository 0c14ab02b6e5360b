"""Pure, vectorised physics of cabin air and of air escaping through a hole. SI units throughout.

This subpackage imports nothing else of hullbreach except :mod:`hullbreach.constants` and
:mod:`hullbreach.errors`.
"""

from hullbreach.physics.blowdown import (  # noqa: F401
    adiabatic_pressure,
    adiabatic_time_to_pressure,
    constant_rate_time_to_pressure,
    isothermal_pressure,
    isothermal_time_constant,
    isothermal_time_to_pressure,
)
from hullbreach.physics.gas import air_mass, mixture_gas_constant, pressure_from_mass  # noqa: F401
from hullbreach.physics.orifice import (  # noqa: F401
    area_from_diameter,
    choked_mass_flow,
    critical_flow_factor,
    critical_pressure_ratio,
    diameter_from_area,
    effective_area_from_mass_flow,
    orifice_mass_flow,
)
