"""Telemetry generators that share no code with :mod:`hullbreach.sim` (used to check hullbreach on data it
did not make). See :mod:`tests.generators.independent`."""
