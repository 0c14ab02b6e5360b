"""A guided isolation session: plan a configuration, read its telemetry, update the posterior, repeat.

    from hullbreach.isolate import IsolationSession
    s = IsolationSession(station, leak_mass_flow_kg_s=2.4e-4, seed=0)
    while not s.done:
        step = s.next_step()          # step.closed_hatches, step.dwell_s, step.crew_zone
        ... close the hatches, wait, record telemetry ...
        s.observe(frame)              # long DataFrame time, channel, value (sensor units)
    s.result.module, s.result.probability, s.result.elapsed_s

Each step's wait is a sequential test ([4] of :mod:`hullbreach.isolate.infer`): :meth:`observe` finds the
earliest checkpoint at which the step's question (which zone leaks) was decided at ``step_confidence``
and counts the time only up to there; the rest of the frame is not used.

Every step is a :class:`Step` with a ``state``: ``continue`` (set it up and wait), or a terminal state
with its advice: ``found`` (one module holds ``confidence``, default 0.99), ``stop`` (stop the search now:
the reserve time is short or no allowed configuration can split the candidates; the crew shelters with
an escape vehicle on its side), ``undecided`` (:data:`MAX_STEPS_WITHOUT_PROGRESS` steps without progress,
or :data:`MAX_STEPS`), ``no-leak``. Stopping is a result: :meth:`IsolationSession.next_step` raises only
on misuse. The zone rates share a common-mode term from the unmeasured bulk temperature
(:class:`hullbreach.isolate.infer.Nuisance`), each step's evidence is bounded
(:func:`hullbreach.isolate.infer.robust_step_loglik`) so a later step can overturn an earlier one, and a
configuration is never proposed twice in a row when the first time brought no progress. A leak likely
in the crew's zone or in an escape vehicle is said first (``alert``).

Units: SI (kg s^-1, Pa, s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hullbreach.constants import PA_PER_MMHG, R_AIR
from hullbreach.errors import IsolationError
from hullbreach.isolate import crew as crewmod
from hullbreach.isolate import infer
from hullbreach.isolate.constraints import Rules, crew_floor_pa, crew_zones
from hullbreach.isolate.crew import (  # noqa: F401 - re-exported: the crew constants' old home
    CREW_ABS_STD_KG_S, CREW_ALERT_PROB, CREW_O2_KG_S_PER_PERSON, CREW_O2_PLAN_SDS, CREW_O2_REL_STD,
    CREW_ZONE_ALERT_VOLUME_FRACTION)
from hullbreach.isolate.plan import PlanState, TestDesign, entropy_bits
from hullbreach.isolate.policies import get_policy
from hullbreach.station import Station
from hullbreach.units import fmt_duration

#: Checkpoints of the sequential test: every CHECKPOINT_FINE_STEP_S during the first CHECKPOINT_FINE_S of a
#: step (a fast leak decides in minutes), then CHECKPOINT_GEOM_N geometrically spaced up to the end (a
#: slow one in hours; the look-ups cost little) [s], [s], [-].
CHECKPOINT_FINE_S = 1800.0
CHECKPOINT_FINE_STEP_S = 60.0
CHECKPOINT_GEOM_N = 40
#: A step reported done before its test decided must cover this fraction of its longest wait, less
#: EARLY_SLACK_S for the hatch work's timing (crews report the end of a wait to the minute) [-], [s].
EARLY_COVER_FRACTION = 0.9
EARLY_SLACK_S = 60.0
#: The current zone pressures are the mean of each zone's pressure channels over the last PRESSURE_TAIL_S
#: of a step [s] (two minutes: long enough to average the sensor noise, short against the leak drift).
PRESSURE_TAIL_S = 120.0
#: A crewed zone has reached its pressure floor (:attr:`Step.floor_pa`) when its pressure, averaged over
#: the trailing PRESSURE_TAIL_S, is within this of it [Pa] (0.5 mmHg: a reading the crew calls "at the
#: floor"; the trailing mean lags a 10 mmHg/h fall by 0.2 mmHg, the floor's margin is 10 mmHg).
FLOOR_READ_TOLERANCE_PA = 0.5 * PA_PER_MMHG
#: Hard cap on the steps of one session [-] (a 27-module station splits in < 10 steps; 40 means a fault).
MAX_STEPS = 40
#: A step "progresses" when it lowers the entropy of the leaking-module posterior by at least this [bit]
#: (0.05 bit: a 1 % shift between two equally likely modules; smaller changes are noise).
PROGRESS_MIN_BITS = 0.05
#: Steps in a row without progress after which the session ends ``undecided`` [-] (the same configuration
#: is not repeated meanwhile, so three stalls mean three different tests taught nothing).
MAX_STEPS_WITHOUT_PROGRESS = 3
#: A step ends early only when its own telemetry, read with the station's prior alone (not with what the
#: earlier steps said), gives the zone it ends on at least this probability [-]. Otherwise a step would
#: "decide" at its first look whenever the earlier steps already agreed: lock-in (issue 16).
STEP_OWN_EVIDENCE = 0.9
#: A crewed zone limits the reserve time when it holds the leak with at least this probability [-]
#: (1 %: below, the zone's own pressure readings would show a leak within the next test).
RESERVE_MIN_PROB = 0.01
#: Session states (:attr:`Step.state`, :attr:`Result.state`).
STATES = ("continue", "found", "stop", "undecided", "no-leak")
#: Old ``Result.status`` word of each state.
_STATUS = {"continue": "in-progress", "found": "isolated", "stop": "close-off", "undecided": "stuck", "no-leak": "no-leak"}


@dataclass(frozen=True)
class Step:
    """One configuration to set up and watch.

    Attributes
    ----------
    index : int
        1-based step number.
    closed_hatches : set
        Hatch ids closed during the step (the whole configuration).
    close : tuple
        Hatches to close now, in order (far from the crew first).
    open : tuple
        Hatches to open first (after equalizing those in ``equalize``).
    equalize : tuple
        Hatches whose pressure must be equalized through their valve before opening.
    dwell_s : float
        Longest wait [s]; the test usually decides sooner (:attr:`expected_dwell_s`).
    expected_dwell_s : float
        Mean wait of the sequential test [s].
    operations_s : float
        Time for the hatch operations and equalization [s].
    crew_zone : set
        Module ids where the crew waits.
    zones : tuple
        Pressure zones (frozensets of module ids).
    state : str
        ``continue`` (a test to set up and watch) or the terminal state ``found``, ``stop``, ``undecided``,
        ``no-leak`` (nothing to watch: read ``advice``; a ``stop`` step's ``close`` lists the open hatches
        to close and ``crew_zone`` the shelter, which always holds an escape vehicle).
    advice : str
        One plain-language sentence for the crew ("" on a ``continue`` step).
    alert : str
        Said first: the leak is likely in the crew's zone or in an escape vehicle ("" if not).
    sequence : tuple
        The hatch work in the order the crew does it, ``(action, hatch, seconds)`` with action
        ``equalize`` | ``open`` | ``close``: each hatch is equalized right before it is opened, after
        the openings before it (:attr:`hullbreach.isolate.constraints.Transition.sequence`).
    floor_pa : float or None
        The crewed zone's pressure floor [Pa] (evacuation + margin,
        :func:`hullbreach.isolate.constraints.crew_floor_pa`) when the crew's zone may reach it before the
        longest wait ends (its O2 use and the leak's high end): the crew ends the wait at once when its
        zone's pressure falls to it, and :meth:`IsolationSession.observe` reads the step only up to there.
        ``None`` when it cannot be reached. (The session cuts any step at that floor.)
    """

    index: int
    closed_hatches: set
    close: tuple
    open: tuple
    equalize: tuple
    dwell_s: float
    expected_dwell_s: float
    operations_s: float
    crew_zone: set
    zones: tuple
    info_bits: float = 0.0
    state: str = "continue"
    advice: str = ""
    alert: str = ""
    sequence: tuple = ()
    floor_pa: float | None = None

    def instructions(self, fmt=None) -> list:
        """Plain-language instructions for the crew (the alert first)."""
        f = fmt or fmt_duration
        lines = [self.alert] if self.alert else []
        if self.state != "continue":
            for h in self.close:
                lines.append(f"close hatch {h}")
            lines.append(self.advice)
            return lines
        for action, h in self.operations():
            lines.append(f"equalize pressure across hatch {h} with its valve" if action == "equalize"
                         else f"{action} hatch {h}")
        if not self.open and not self.close:
            lines.append("keep the hatches as they are")
        lines.append(f"crew waits in {', '.join(sorted(self.crew_zone)) or '(anywhere)'}; "
                     f"then wait about {f(self.expected_dwell_s)} (at most {f(self.dwell_s)})")
        if self.floor_pa is not None:
            lines.append(f"end the wait at once if the pressure where the crew waits falls to "
                         f"{self.floor_pa / PA_PER_MMHG:.0f} mmHg (evacuation pressure + margin; the crew's "
                         "breathing lowers it)")
        return lines

    def operations(self) -> list:
        """``[(action, hatch)]`` in the order the crew does them (``equalize`` | ``open`` | ``close``)."""
        if self.sequence:
            return [(a, h) for a, h, _s in self.sequence]
        return ([("equalize", h) for h in self.equalize] + [("open", h) for h in self.open]
                + [("close", h) for h in self.close])

    def to_json(self) -> dict:
        return {"index": self.index, "closed_hatches": sorted(self.closed_hatches), "close": list(self.close),
                "open": list(self.open), "equalize": list(self.equalize),
                "sequence": [[a, h, float(t)] for a, h, t in self.sequence], "dwell_s": self.dwell_s,
                "expected_dwell_s": self.expected_dwell_s, "operations_s": self.operations_s,
                "crew_zone": sorted(self.crew_zone), "zones": [sorted(z) for z in self.zones],
                "info_bits": self.info_bits, "state": self.state, "advice": self.advice, "alert": self.alert,
                "floor_pa": self.floor_pa}


@dataclass(frozen=True)
class StepOutcome:
    """What a step's telemetry said.

    ``decided`` True when the sequential test reached ``step_confidence`` at ``decision_s`` [s into the
    step]; ``leaking_zone`` the most probable leaking zone; ``zone_probability`` its probability;
    ``rates`` the fitted zone air-mass trends at the decision. ``data_notes`` what the telemetry data
    checks set aside (quarantined samples, distrusted channels); ``contradicts`` True when the zone this
    step found losing air had less than 1 % before it (earlier steps are then being overturned);
    ``alert`` set by :meth:`IsolationSession.observe` when the leak is likely in the crew's zone or an
    escape vehicle; ``floor_reached`` True when a crewed zone reached its pressure floor
    (:attr:`Step.floor_pa`) and the step was read only up to there (``span_s``).
    """

    step: int
    decided: bool
    decision_s: float
    span_s: float
    leaking_zone: frozenset
    zone_probability: float
    rates: tuple
    posterior_top: tuple
    data_notes: tuple = ()
    contradicts: bool = False
    alert: str = ""
    floor_reached: bool = False

    def to_json(self) -> dict:
        return {"step": self.step, "decided": self.decided, "decision_s": self.decision_s, "span_s": self.span_s,
                "leaking_zone": sorted(self.leaking_zone), "zone_probability": self.zone_probability,
                "zone_rates": [{"zone": sorted(r.zone), "quantity": r.quantity, "rate_kg_s": r.rate_kg_s,
                                "std_kg_s": r.std_kg_s} for r in self.rates],
                "posterior_top": [list(x) for x in self.posterior_top], "data_notes": list(self.data_notes),
                "contradicts": self.contradicts, "alert": self.alert, "floor_reached": self.floor_reached}


@dataclass(frozen=True)
class Result:
    """Outcome of a session.

    ``module`` the leaking module (or ``None``); ``probability`` its posterior; ``elapsed_s`` time since
    the start [s] (hatch operations + waits); ``state`` ``continue`` | ``found`` | ``stop`` | ``undecided`` |
    ``no-leak`` (see :class:`Step`); ``status`` the same in the old words (``in-progress`` | ``isolated``
    | ``close-off`` | ``stuck`` | ``no-leak``); ``advice`` a sentence for the crew (the alert first);
    ``posterior`` the labels with their probabilities; ``air_lost_kg`` the expected air lost meanwhile
    [kg]; ``close_off`` the hatches to close (``stop``); ``alert`` the crew-zone / escape-vehicle warning.
    """

    module: str | None
    probability: float
    elapsed_s: float
    status: str
    advice: str
    steps: int
    posterior: dict
    air_lost_kg: float
    close_off: tuple = ()
    state: str = "continue"
    alert: str = ""

    def to_json(self) -> dict:
        return {"module": self.module, "probability": self.probability, "elapsed_s": self.elapsed_s,
                "state": self.state, "status": self.status, "advice": self.advice, "alert": self.alert,
                "steps": self.steps, "posterior": dict(list(self.posterior.items())[:8]),
                "air_lost_kg": self.air_lost_kg, "close_off": list(self.close_off)}


class IsolationSession:
    """Step-by-step isolation of a leaking module by hatch closures.

    Parameters
    ----------
    station : Station
        From :func:`hullbreach.station.load_station`.
    leak_mass_flow_kg_s : float
        Detected leak mass flow [kg s^-1] (outflow, positive).
    seed : int
        Seed for tie-breaking (the session is otherwise deterministic).
    policy : str
        ``hullbreach`` (default) or ``iss`` (the ISS procedure).
    confidence : float
        Posterior a module must reach to stop [-] (0.99).
    step_confidence : float
        Posterior a step's outcome must reach to end its wait [-] (0.999).
    rules : Rules
        Hatch-operation times and safety margins.
    crew_count : int
        People aboard, waiting in the escape vehicles (spread evenly) unless ``crew`` says where. Their
        O2 use lowers the total pressure of the zone they wait in (O2 feeds held, CO2 scrubbed); the
        inference subtracts it (ppN2 is immune).
    crew : dict, optional
        Module id -> people waiting there (each module must be in every step's crew zone: give escape
        vehicles).
    leak_rel_log_std : float
        Uncertainty of ln(leak flow) [-].
    pressures_pa : dict, optional
        Current pressure per module [Pa]; station nominal by default.
    reserve_margin_s : float
        Stop (shelter with an escape vehicle) when the reserve time of the zone most likely leaking falls
        below the next step's time plus this margin [s] (default 2 h).
    closed_hatches : iterable of str, optional
        Hatches closed now, when they differ from the station file.
    nuisance : infer.Nuisance, optional
        Unmeasured bulk-temperature offsets and thermometer transients to allow for (default: common
        0.1 K, per module 0.03 K, tau 6 h; a transient per thermometer of 0-1 K, its size read from each
        step's data); ``infer.Nuisance(0, 0, thermal_residual_k=0, transient_k=(0.0,),
        transient_weights=(1.0,))`` gives the old independent-error model.
    """

    def __init__(self, station: Station, leak_mass_flow_kg_s: float, seed: int = 0, *, policy: str = "hullbreach",
                 confidence: float = 0.99, step_confidence: float = 0.999, rules: Rules | None = None,
                 crew_count: int = 0, crew: dict | None = None, leak_rel_log_std: float = 0.5, pressures_pa: dict | None = None,
                 reserve_margin_s: float = 7200.0, none_prior: float = 0.01, pair_prior: float = 0.005,
                 closed_hatches=None, nuisance: infer.Nuisance | None = None):
        if not isinstance(station, Station):
            raise IsolationError("IsolationSession needs a Station", hint="use hullbreach.station.load_station(name_or_path)")
        if not (0.5 < confidence < 1.0 and 0.5 < step_confidence < 1.0):
            raise IsolationError("confidence levels must lie between 0.5 and 1")
        self.station = station
        self.seed = seed
        self.rules = rules or Rules()
        self.policy_name = policy
        self._policy = get_policy(policy)
        self.confidence = confidence
        self.step_confidence = step_confidence
        self.reserve_margin_s = reserve_margin_s
        self.nuisance = infer.Nuisance() if nuisance is None else nuisance
        self.hyps = infer.build_hypotheses(station, none_prior=none_prior, pair_prior=pair_prior)
        self.grid, self.log_w = infer.mdot_grid(leak_mass_flow_kg_s, leak_rel_log_std)
        self.mdot = float(leak_mass_flow_kg_s)
        if crew:
            bad = [m for m in crew if m not in station.modules]
            if bad:
                raise IsolationError(f"crew placed in unknown module(s) {', '.join(bad)}", hint="give module ids of the station")
            self.crew = {m: float(n) for m, n in crew.items()}
        elif crew_count:
            evs = station.escape_vehicles() or list(station.modules)[:1]
            self.crew = {m: crew_count / len(evs) for m in evs}
        else:
            self.crew = {}
        self.crew_abs_std = CREW_ABS_STD_KG_S if self.crew else 0.0
        # what the planner must allow for in a crewed zone: the floor and the uncertain O2 use
        self.crew_plan_std = math.hypot(self.crew_abs_std, CREW_O2_REL_STD * CREW_O2_KG_S_PER_PERSON * sum(self.crew.values()))
        self.model = infer.ObservationModel(crew_abs_std_kg_s=self.crew_abs_std)
        self.ll = np.zeros((self.hyps.n, self.grid.size))
        self.closed = frozenset(station.closed_hatches()) if closed_hatches is None else self._check_hatches(closed_hatches)
        self.pressures = {m: station.nominal_pressure_pa for m in station.modules}
        if pressures_pa:
            unknown = set(pressures_pa) - set(station.modules)
            if unknown:
                raise IsolationError(f"pressures given for unknown module(s) {', '.join(sorted(unknown))}")
            self.pressures.update({k: float(v) for k, v in pressures_pa.items()})
        self.elapsed_s = 0.0
        self.air_lost_kg = 0.0
        self.history: list = []
        self._pending: tuple | None = None  # (Step, TestDesign)
        self._final: Step | None = None
        self._state_word = "continue"
        self._advice = ""
        self._alert = ""
        self._close_off: tuple = ()
        self._stalled = 0
        self._found: tuple | None = None  # (module, probability it leaks) once found
        self._exclude: frozenset = frozenset()  # configurations not to propose next (no new information)
        self._rng = np.random.default_rng(seed)

    def _check_hatches(self, hatches) -> frozenset:
        if isinstance(hatches, str):
            hatches = [hatches]
        hs = frozenset(hatches)
        unknown = sorted(h for h in hs if h not in self.station.hatches)
        if unknown:
            raise IsolationError(f"unknown hatch(es) {', '.join(unknown)} in station {self.station.name!r}",
                                 hint=f"hatch ids are like {', '.join(list(self.station.hatches)[:4])}")
        return hs

    # ----------------------------------------------------------------------------------------------- state
    def posterior_rows(self) -> np.ndarray:
        """Posterior probability of every hypothesis row."""
        return infer.posterior(self.hyps, self.ll, self.log_w)

    @property
    def posterior(self) -> dict:
        """Posterior per hypothesis label (``none``, module id, ``a+b``), largest first."""
        return infer.summarize(self.hyps, self.posterior_rows())

    def module_weights(self) -> dict:
        """Probability that each module leaks, renormalized over modules (planning weights)."""
        marg = infer.module_marginals(self.hyps, self.posterior_rows())
        tot = sum(marg.values())
        w = {m: (v / tot if tot > 0 else 0.0) for m, v in marg.items()}
        # modules below 1e-6 are ruled out for planning
        w = {m: (v if v >= 1e-6 else 0.0) for m, v in w.items()}
        tot = sum(w.values())
        return {m: v / tot for m, v in w.items()} if tot > 0 else w

    def _entropy_bits(self) -> float:
        """Entropy of the leaking-module posterior [bit] (progress is measured on it)."""
        marg = infer.module_marginals(self.hyps, self.posterior_rows())
        p = np.array(list(marg.values()) + [self.posterior.get("none", 0.0)])
        return entropy_bits(p) if p.sum() > 0 else 0.0

    @property
    def done(self) -> bool:
        """True when the session has an answer (or must stop): :attr:`state` is not ``continue``."""
        return self._state_word != "continue"

    @property
    def state(self) -> str:
        """``continue`` | ``found`` | ``stop`` | ``undecided`` | ``no-leak``."""
        return self._state_word

    def _best(self) -> tuple:
        post = self.posterior
        singles = {k: v for k, v in post.items() if k != "none" and "+" not in k}
        mod, p = max(singles.items(), key=lambda kv: kv[1])
        return mod, p, post

    @property
    def result(self) -> Result:
        """The current answer (final once :attr:`done`)."""
        mod, p, post = self._best()
        state = self._state_word
        if state == "found" and self._found is not None:
            mod, p = self._found
        module = mod if state == "found" else None
        advice = self._advice or f"most likely {mod} ({p:.1%})"
        if self._alert and not advice.startswith(self._alert):
            advice = f"{self._alert} {advice}"
        return Result(module, float(p), float(self.elapsed_s), _STATUS[state], advice, len(self.history), post,
                      float(self.air_lost_kg), self._close_off, state, self._alert)

    # ----------------------------------------------------------------------------------------------- alert
    def _crew_alert(self) -> str:
        """The warning said first when the leak is likely in the crew's zone or in an escape vehicle
        (:func:`hullbreach.isolate.crew.crew_alert`)."""
        w = infer.module_marginals(self.hyps, self.posterior_rows())
        return crewmod.crew_alert(self.station, self.crew, self.closed, w, self.pressures, self.rules)

    # ----------------------------------------------------------------------------------------------- steps
    def _plan_state(self) -> PlanState:
        return PlanState(self.closed, self.module_weights(), self.mdot, dict(self.pressures), self.step_confidence,
                         frozenset(self.crew), self._exclude, self.nuisance, self._sinks() or None,
                         crewmod.crew_sinks(self.crew, self.rules, always=True) or None)

    def _sinks(self) -> dict:
        """The crew's O2 use per module as a ``(low, high)`` range [kg s^-1] when ``Rules.plan_crew_o2`` is
        set, else empty (:func:`hullbreach.isolate.crew.crew_sinks`)."""
        return crewmod.crew_sinks(self.crew, self.rules)

    def next_step(self) -> Step:
        """The next configuration to set up (``state == "continue"``), or the terminal step with its advice
        once the session has ended (``found``, ``stop``, ``undecided``, ``no-leak``).

        Calling it again before :meth:`observe` returns the same step. It never raises for a finished
        session: stopping is a result.
        """
        if self._final is not None:
            return self._final
        if self._pending is not None:
            return self._pending[0]
        design = self._policy(self.station, self._plan_state(), self.rules, self.crew_plan_std)
        if design is None:
            return self._finish_stop("no allowed hatch configuration can split the suspected modules further")
        # reserve check: time to the crewed zones' evacuation pressure at the leak rate
        res = self._reserve_s(design)
        if res < design.expected_time_s + self.reserve_margin_s:
            return self._finish_stop(f"reserve time {res / 3600:.1f} h is shorter than the next test plus margin")
        tr = design.transition
        floor = crew_floor_pa(self.station, self.rules) if design.floor_s < design.dwell_s else None
        step = Step(len(self.history) + 1, set(design.closed), tuple(tr.closes), tuple(tr.opens), tuple(tr.equalize),
                    float(design.dwell_s), float(design.expected_dwell_s), float(tr.time_s), set(design.crew_zone),
                    tuple(design.zones), float(design.info_bits), "continue", "", self._alert, tuple(tr.sequence),
                    floor)
        self._pending = (step, design)
        return step

    def _reserve_s(self, design: TestDesign) -> float:
        """Reserve time [s]: time until a crewed zone that may hold the leak reaches the evacuation pressure
        at the estimated flow plus the high end of the crew's O2 use in that zone (Cristoforetti's "reserve
        time", reference README). Crewed zones are those
        holding the declared crew (without one: an escape vehicle) in the current configuration (the next
        configuration's crewed zones are vetted by :func:`~hullbreach.isolate.constraints.crew_pressure_ok`
        when it is planned); a zone counts when
        it holds the leak with probability >= :data:`RESERVE_MIN_PROB`. A leak sealed away from every crew
        does not shorten the search (issue 16 sweep: a fast leak in a sealed PMA ended the search ``stop``
        at 98 % on that PMA)."""
        w = self.module_weights()
        ev = set(self.crew) or set(self.station.escape_vehicles())
        zones = [z for z in self.station.zones(self.closed) if z & ev]
        sinks = self._sinks()
        out = math.inf
        for z in zones:
            if sum(w.get(m, 0.0) for m in z) < RESERVE_MIN_PROB:
                continue
            p0 = min(self.pressures[m] for m in z)
            t_k = float(np.mean([self.station.modules[m].temperature_k for m in z]))
            q = self.mdot + sum(sinks[m][1] for m in z if m in sinks)
            rate = q * R_AIR * t_k / self.station.zone_volume_m3(z)
            out = min(out, (p0 - self.station.evacuation_pressure_pa) / rate)
        return out

    def _terminal(self, state: str, advice: str, close: tuple = (), crew_zone=None) -> Step:
        """End the session in ``state`` with ``advice``; returns the terminal :class:`Step`."""
        self._alert = self._crew_alert()
        self._state_word = state
        self._advice = advice
        self._close_off = tuple(close)
        closed = set(self.closed) | set(close)
        zones = tuple(self.station.zones(closed))
        if crew_zone is None:
            crew_zone = set().union(*crew_zones(self.station, closed)) if self.station.escape_vehicles() else set()
        self._final = Step(len(self.history) + 1, closed, tuple(close), (), (), 0.0, 0.0,
                           self.rules.close_s * len(close), set(crew_zone), zones, 0.0, state, advice, self._alert)
        return self._final

    def _finish_stop(self, why: str) -> Step:
        """End the session ``stop`` with the shelter advice (:func:`hullbreach.isolate.crew.stop_plan`)."""
        mod, p, _ = self._best()
        advice, close, zone = crewmod.stop_plan(self.station, self.crew, self.closed, self.module_weights(),
                                                self.pressures, self.rules, why, mod, p)
        return self._terminal("stop", advice, close, zone)

    def check(self, frame) -> StepOutcome:
        """Evaluate telemetry of the pending step without committing (for a growing file)."""
        if self._pending is None:
            raise IsolationError("no step in progress", hint="call next_step() first")
        return self._evaluate(self._pending[0], frame)[0]

    def _evaluate(self, step: Step, frame) -> tuple:
        notes: list = []
        wide = infer.raw_to_wide(self.station, frame, notes)
        t_floor = self._floor_crossing_s(wide, step)
        if t_floor is not None:
            # the crew ended the wait there: what follows did not happen (issue 16 session 9)
            wide = wide.loc[:t_floor]
            notes.append(f"a crewed zone reached its pressure floor "
                         f"({crew_floor_pa(self.station, self.rules) / PA_PER_MMHG:.0f} mmHg) after "
                         f"{fmt_duration(t_floor)}: the step is read up to there")
        span = float(wide.index[-1] - wide.index[0]) if len(wide) > 1 else 0.0
        zones = list(step.zones)
        series = infer._zone_series(self.station, zones, wide)
        zones_h, keys = infer.outcome_classes(self.hyps, self.station, step.closed_hatches)
        key_arr = {}
        for i, k in enumerate(keys):
            key_arr.setdefault(k, []).append(i)
        groups = [np.array(v) for v in key_arr.values()]
        glabels = list(key_arr)
        start = min(self.rules.min_dwell_s, span)
        checkpoints = np.unique(np.concatenate([
            np.arange(start, min(span, CHECKPOINT_FINE_S) + 1e-9, CHECKPOINT_FINE_STEP_S),
            np.geomspace(max(start, CHECKPOINT_FINE_STEP_S), max(span, CHECKPOINT_FINE_STEP_S + 1.0), CHECKPOINT_GEOM_N)]))
        checkpoints = checkpoints[(checkpoints >= start) & (checkpoints <= span + 1e-9)]
        if checkpoints.size == 0 or checkpoints[-1] < span:
            checkpoints = np.append(checkpoints, span)
        crew = set(step.crew_zone)
        decided = False
        chosen = None
        smat = infer.share_matrix(self.hyps, zones)
        obs_shares = np.array([smat[:, s.zone_index] for s in series]).T if series else np.zeros((self.hyps.n, 0))
        offs = np.array([(-CREW_O2_KG_S_PER_PERSON * sum(n for m, n in self.crew.items() if m in zones[s.zone_index]))
                         if s.quantity == "pressure" else 0.0 for s in series])
        crewed = np.array([bool(crew & set(zones[s.zone_index])) for s in series], dtype=bool)
        extra = np.where(crewed & np.array([s.quantity == "pressure" for s in series], dtype=bool),
                         self.crew_abs_std ** 2, 0.0) + (CREW_O2_REL_STD * offs) ** 2 if series else np.zeros(0)
        # unmeasured temperature offsets: a common mode (rank one) and independent per module; a zone's
        # series (pressure, ppN2) are merged into one observation first (infer.merge_zone_series), which
        # carries the zone's offsets once
        load_c, load_m = infer.zone_loadings(self.station, zones, self.pressures)
        s_zone = np.array([s.zone_index for s in series], dtype=int)
        s_load_c = np.array([load_c[s.zone_index] for s in series])
        s_load_m2 = np.array([load_m[s.zone_index] ** 2 for s in series])
        pre = infer.posterior(self.hyps, self.ll, self.log_w)
        pre_g = np.array([pre[g].sum() for g in groups])
        n_single = len(self.hyps.module_ids)
        for tcp in checkpoints:
            use, r_arr, sd_arr, th_arr = [], [], [], []
            for k, s in enumerate(series):
                sel = s.t <= tcp + 1e-9
                if sel.sum() < 3:
                    continue
                slope, se = infer._fit(s.t[sel], s.y[sel], s.floor_per_sqrt)
                if math.isfinite(se):
                    use.append(k)
                    r_arr.append(slope)
                    sd_arr.append(se)
                    span_k = float(s.t[sel][-1] - s.t[sel][0]) + float(s.t[1] - s.t[0])
                    th_arr.append(s.thermo_per_sqrt / span_k ** 1.5)
            if use:
                ui = np.array(use)
                sd_c, sd_m = self.nuisance.slope_sds(float(tcp))
                # one observation per zone: its pressure and ppN2 series share the thermometers' noise
                keep, r_m, sd_mg, off_m, xv_m = infer.merge_zone_series(
                    s_zone[ui], np.array(r_arr), np.array(sd_arr), offs[ui], extra[ui], np.array(th_arr))
                ui = ui[keep]
                # hypotheses with the same shares per observed zone have the same likelihood
                uniq, inv = np.unique(obs_shares[:, ui], axis=0, return_inverse=True)
                ll_u = infer.step_loglik_thermometers(uniq, r_m, sd_mg, off_m,
                                                      xv_m + s_load_m2[ui] * sd_m ** 2, self.grid, self.model,
                                                      s_load_c[ui], sd_c ** 2, s_load_m2[ui], self.nuisance,
                                                      float(tcp))
                ll_step = infer.robust_step_loglik(ll_u[np.asarray(inv).reshape(-1)])
            else:
                ll_step = np.zeros_like(self.ll)
            post = infer.posterior(self.hyps, self.ll + ll_step, self.log_w)
            gmass = np.array([post[g].sum() for g in groups])
            top = int(gmass.argmax())
            singles = post[1: 1 + n_single]
            chosen = (tcp, use, r_arr, sd_arr, ll_step, post, gmass, top)
            if use and tcp >= start and (gmass[top] >= self.step_confidence or singles.max() >= self.confidence):
                own = infer.posterior(self.hyps, ll_step, self.log_w)
                if own[groups[top]].sum() >= STEP_OWN_EVIDENCE:
                    decided = True
                    break
        tcp, use, r_arr, sd_arr, ll_step, post, gmass, top = chosen
        rates = []
        for k, slope, se in zip(use, r_arr, sd_arr):
            s = series[k]
            z = zones[s.zone_index]
            sel = s.t <= tcp + 1e-9
            rates.append(infer.ZoneRate(z, slope, se, s.quantity, float(s.t[sel][-1] - s.t[sel][0]), bool(crewed[k]),
                                        float(offs[k]), abs(float(offs[k])) * CREW_O2_REL_STD))
        key = glabels[top]
        leak_zone = frozenset().union(*[zones_h[i] for i in key]) if key else frozenset()
        summ = infer.summarize(self.hyps, post)
        contradicts = bool(decided and pre_g[top] < 0.01)
        if not use:
            notes.append("no zone of this configuration could be read (no usable pressure series)")
        outcome = StepOutcome(step.index, decided, float(tcp), span, leak_zone, float(gmass[top]), tuple(rates),
                              tuple(list(summ.items())[:5]), tuple(notes), contradicts,
                              floor_reached=t_floor is not None)
        return outcome, ll_step, wide, tcp

    def _floor_crossing_s(self, wide: pd.DataFrame, step: Step) -> float | None:
        """When a crewed zone of ``step`` reached its pressure floor (evacuation + margin,
        :func:`~hullbreach.isolate.constraints.crew_floor_pa`) [s on the index of ``wide``], or None.

        A zone's pressure is the mean of its pressure channels (Pa), averaged over the trailing
        :data:`PRESSURE_TAIL_S`; it has reached the floor within :data:`FLOOR_READ_TOLERANCE_PA`. Any step is
        cut there, whatever its plan said: the crew's O2 use (planned within 0.5-1.5 times the BVAD figure)
        and the leak are known only within bounds, their measured sum is what counts (issue 16 session 9)."""
        crew = set(step.crew_zone)
        if not crew or len(wide) == 0:
            return None
        floor = crew_floor_pa(self.station, self.rules) + FLOOR_READ_TOLERANCE_PA
        out = None
        for z in step.zones:
            if not set(z) & crew:
                continue
            chans = [s.id for s in self.station.sensors_in(z, "pressure") if s.id in wide.columns]
            if not chans:
                continue
            p = pd.Series(wide[chans].mean(axis=1).to_numpy(), index=pd.to_timedelta(wide.index.to_numpy(), unit="s"))
            mean = p.rolling(f"{int(PRESSURE_TAIL_S)}s", min_periods=1).mean().to_numpy()
            hit = np.flatnonzero(mean <= floor)
            if hit.size:
                t = float(wide.index[hit[0]])
                out = t if out is None else min(out, t)
        return out

    def observe(self, frame, closed_hatches=None) -> StepOutcome:
        """Take the telemetry of the pending step (long DataFrame ``time, channel, value`` in sensor units).

        The samples pass the data checks ``detect`` runs first (quarantined samples are listed in the
        outcome's ``data_notes``). ``closed_hatches`` (optional) reports the configuration the crew actually
        set up when it differs from the plan (a hatch that would not close, say); the telemetry is then
        read against it.

        Raises :class:`IsolationError` on misuse: no step pending (or the session finished), telemetry
        with channels the station lacks or without any trusted pressure channel, or a step reported done
        although its test has not decided, no crewed zone reached its pressure floor (:attr:`Step.floor_pa`)
        and its telemetry covers less than the step's longest wait.
        """
        if self.done:
            raise IsolationError("the isolation session is finished", hint=f"read session.result ({self.result.advice})")
        if self._pending is None:
            raise IsolationError("observe() called before next_step()", hint="ask for the next step, set it up, then send its telemetry")
        step, design = self._pending
        if closed_hatches is not None:
            actual = self._check_hatches(closed_hatches)
            if actual != frozenset(step.closed_hatches):
                from dataclasses import replace as _replace

                zones = tuple(self.station.zones(actual))
                crew = set().union(*crew_zones(self.station, actual)) if self.station.escape_vehicles() else set()
                step = _replace(step, closed_hatches=set(actual), zones=zones, crew_zone=crew)
        outcome, ll_step, wide, tcp = self._evaluate(step, frame)
        if (not outcome.decided and not outcome.floor_reached
                and outcome.span_s < EARLY_COVER_FRACTION * step.dwell_s - EARLY_SLACK_S):
            raise IsolationError(
                f"step {step.index} is not done: its telemetry covers {outcome.span_s / 60:.0f} min of the "
                f"{step.dwell_s / 60:.0f} min wait and the test has not decided yet",
                hint="keep waiting and send the telemetry again when it covers the wait (or the test decides)")
        # commit
        h_before = self._entropy_bits()
        self.ll = self.ll + ll_step
        self.closed = frozenset(step.closed_hatches)
        duration = step.operations_s + tcp
        self.elapsed_s += duration
        self.air_lost_kg += self.mdot * duration
        self._update_pressures(wide.loc[: tcp], step)
        progress = h_before - self._entropy_bits() >= PROGRESS_MIN_BITS
        self._stalled = 0 if progress else self._stalled + 1
        # never the same configuration twice in a row without new information
        self._exclude = frozenset() if progress else frozenset({self.closed})
        self._alert = self._crew_alert()
        from dataclasses import replace as _replace

        outcome = _replace(outcome, alert=self._alert)
        self.history.append((step, outcome))
        self._pending = None
        mod, p, post = self._best()
        hit = found_module(post, infer.module_marginals(self.hyps, self.posterior_rows()), self.confidence)
        if hit is not None:
            mod, p = hit
            z = self.station.zone_of(mod, self.closed)
            second = p - post.get(mod, 0.0)
            also = (f"; a second leak elsewhere is possible ({second:.0%}): keep watching the other zones"
                    if second >= 0.01 else "")
            self._found = (mod, float(p))
            own = crewmod.own_vehicle_found_advice(self.station, self.crew, self.closed, mod, self.module_weights(),
                                                   self.pressures, self.rules)
            self._terminal("found", f"leak in {mod} ({p:.1%}); it is "
                           f"{'alone' if len(z) == 1 else 'with ' + ', '.join(sorted(z - {mod}))} "
                           f"behind the closed hatches: search it with the ultrasonic detector{also}"
                           + (f". {own}" if own else ""))
        elif post.get("none", 0.0) >= self.confidence:
            self._terminal("no-leak", f"no leak found ({post['none']:.1%}): check the detection (sensor fault, "
                           "repress, temperature)")
        elif self._stalled >= MAX_STEPS_WITHOUT_PROGRESS or len(self.history) >= MAX_STEPS:
            n = self._stalled if self._stalled >= MAX_STEPS_WITHOUT_PROGRESS else len(self.history)
            top = ", ".join(f"{k} {v:.0%}" for k, v in list(post.items())[:3])
            self._terminal("undecided", f"undecided after {n} step(s) without progress: most likely {top}. "
                           "The pressures do not separate these: check the sensors and the thermal state, close "
                           f"off {mod} if it can be closed from the crew's side, or search it with the "
                           "ultrasonic detector")
        return outcome

    def _update_pressures(self, wide: pd.DataFrame, step: Step) -> None:
        if len(wide) == 0:
            return
        tail = wide.loc[wide.index[-1] - PRESSURE_TAIL_S:]
        for z in step.zones:
            chans = [s.id for s in self.station.sensors_in(z, "pressure") if s.id in tail.columns]
            if chans:
                p = float(np.nanmean(tail[chans].to_numpy()))
                if math.isfinite(p):
                    for m in z:
                        self.pressures[m] = p


def found_module(posterior: dict, marginals: dict, confidence: float) -> tuple[str, float] | None:
    """The module the search has found, with the probability that it leaks [-], or None.

    ``posterior``: probability per hypothesis label (module, ``a+b``, ``none``); ``marginals``: probability
    that each module leaks, alone or with another. A module is found when it holds the leak alone at
    ``confidence``, or when it leaks (alone or with a second leak) at ``confidence``: a second, smaller
    apparent loss elsewhere (a thermometer transient, say) must not hold back a module that leaks for
    certain (issue 16 wide sweep: the sealed PMA-3 at 98 % alone and 99.9 % in all ended ``stop``)."""
    singles = {k: v for k, v in posterior.items() if k != "none" and "+" not in k}
    if singles:
        mod = max(singles, key=singles.get)
        if singles[mod] >= confidence:
            return mod, float(singles[mod])
    if marginals:
        mod = max(marginals, key=marginals.get)
        if marginals[mod] >= confidence:
            return mod, float(marginals[mod])
    return None


def step_window(t0_s: float, step: Step) -> tuple[float, float]:
    """Telemetry window of a step [s]: it starts once the hatch operations are done (``t0_s`` is when
    they begin) and lasts at most the step's longest wait. Returns ``(start, end)``."""
    start = float(math.ceil(t0_s + step.operations_s)) + 1.0
    return start, start + step.dwell_s


def leak_mass_flow_from_rate(station: Station, rate_pa_s: float) -> float:
    """Leak mass flow [kg s^-1] that lowers the station's main zone (its largest zone at the start) by
    ``rate_pa_s`` [Pa s^-1] (positive for a loss): mdot = V/(R T) dp/dt, ideal gas at constant T."""
    zone = max(station.zones(), key=station.zone_volume_m3)
    t = float(np.mean([station.modules[m].temperature_k for m in zone]))
    return float(rate_pa_s * station.zone_volume_m3(zone) / (R_AIR * t))
