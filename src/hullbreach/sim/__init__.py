"""Scenario simulator: true state and realistic sensor telemetry of a station during a scenario.

Public API::

    from hullbreach.sim import Scenario, Leak, HatchEvent, Repress, AirlockCycle, ThermalProfile, Crew, \
        SensorFault, load_scenario, simulate, SimResult
    res = simulate(station, scenario, seed=0)
    res.telemetry, res.events, res.truth, res.vented_kg, res.leak_mass_flow_kg_s
    res.write(out_dir)          # telemetry.csv, events.csv, truth.csv
"""

from hullbreach.sim.scenario import (
    AirlockCycle,
    Crew,
    HatchEvent,
    Leak,
    Nuisance,
    Repress,
    Scenario,
    SensorFault,
    ThermalProfile,
    load_scenario,
    ms09_scenario,
    parse_scenario,
)
from hullbreach.sim.simulator import SPECIES, SimResult, check_scenario, simulate

__all__ = ["AirlockCycle", "Crew", "HatchEvent", "Leak", "Nuisance", "Repress", "Scenario", "SensorFault", "SimResult",
           "SPECIES", "ThermalProfile", "check_scenario", "load_scenario", "ms09_scenario", "parse_scenario",
           "simulate"]
