"""Hatch-closure isolation: which module is leaking?

``from hullbreach.isolate import IsolationSession`` is the entry point (see :mod:`.session`); the
planner is in :mod:`.plan` and :mod:`.policies`, the inference in :mod:`.infer`, the hard constraints
in :mod:`.constraints`.
"""

from hullbreach.isolate.constraints import Rules
from hullbreach.isolate.session import IsolationSession, Result, Step, StepOutcome

__all__ = ["IsolationSession", "Result", "Rules", "Step", "StepOutcome"]
