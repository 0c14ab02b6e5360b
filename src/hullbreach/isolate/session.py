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
and counts the time only up to there; the rest of the frame is not used. The session stops when one
module holds ``confidence`` (default 0.99), or when the reserve time of the crewed zones says to close off
the suspected zone and leave, or when no allowed configuration can split the candidates further.

Units: SI (kg s^-1, Pa, s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hullbreach.constants import R_AIR
from hullbreach.errors import IsolationError
from hullbreach.isolate import infer
from hullbreach.isolate.constraints import Rules
from hullbreach.isolate.plan import PlanState, TestDesign
from hullbreach.isolate.policies import get_policy
from hullbreach.station import Station

#: Crew O2 use [kg s^-1 per person]: 0.84 kg/day (NASA BVAD, NASA/TP-2015-218570). With the CO2 scrubbed
#: and O2 feeds held during the search, this is a loss of gas from the zone where the crew waits.
CREW_O2_KG_S_PER_PERSON = 0.84 / 86400.0
#: Relative uncertainty of the crew's O2 use [-] (activity level; estimate).
CREW_O2_REL_STD = 0.25
#: Residual floor on a crewed zone's total-pressure trend [kg s^-1] (metabolic water, feeds; estimate).
CREW_ABS_STD_KG_S = 1.0e-6


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

    def instructions(self, fmt=None) -> list:
        """Plain-language instructions for the crew."""
        from hullbreach.cli.common import fmt_duration

        f = fmt or fmt_duration
        lines = []
        for h in self.equalize:
            lines.append(f"equalize pressure across hatch {h} with its valve")
        for h in self.open:
            lines.append(f"open hatch {h}")
        for h in self.close:
            lines.append(f"close hatch {h}")
        if not self.open and not self.close:
            lines.append("keep the hatches as they are")
        lines.append(f"crew waits in {', '.join(sorted(self.crew_zone)) or '(anywhere)'}; "
                     f"then wait about {f(self.expected_dwell_s)} (at most {f(self.dwell_s)})")
        return lines

    def to_json(self) -> dict:
        return {"index": self.index, "closed_hatches": sorted(self.closed_hatches), "close": list(self.close),
                "open": list(self.open), "equalize": list(self.equalize), "dwell_s": self.dwell_s,
                "expected_dwell_s": self.expected_dwell_s, "operations_s": self.operations_s,
                "crew_zone": sorted(self.crew_zone), "zones": [sorted(z) for z in self.zones],
                "info_bits": self.info_bits}


@dataclass(frozen=True)
class StepOutcome:
    """What a step's telemetry said.

    ``decided`` True when the sequential test reached ``step_confidence`` at ``decision_s`` [s into the
    step]; ``leaking_zone`` the most probable leaking zone; ``zone_probability`` its probability;
    ``rates`` the fitted zone air-mass trends at the decision.
    """

    step: int
    decided: bool
    decision_s: float
    span_s: float
    leaking_zone: frozenset
    zone_probability: float
    rates: tuple
    posterior_top: tuple

    def to_json(self) -> dict:
        return {"step": self.step, "decided": self.decided, "decision_s": self.decision_s, "span_s": self.span_s,
                "leaking_zone": sorted(self.leaking_zone), "zone_probability": self.zone_probability,
                "zone_rates": [{"zone": sorted(r.zone), "quantity": r.quantity, "rate_kg_s": r.rate_kg_s,
                                "std_kg_s": r.std_kg_s} for r in self.rates],
                "posterior_top": [list(x) for x in self.posterior_top]}


@dataclass(frozen=True)
class Result:
    """Outcome of a session.

    ``module`` the leaking module (or ``None``); ``probability`` its posterior; ``elapsed_s`` time since
    the start [s] (hatch operations + waits); ``status`` ``isolated`` | ``close-off`` | ``no-leak`` |
    ``two-modules`` | ``in-progress`` | ``stuck``; ``advice`` a sentence for the crew; ``posterior`` the
    labels with their probabilities; ``air_lost_kg`` the expected air lost meanwhile [kg].
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

    def to_json(self) -> dict:
        return {"module": self.module, "probability": self.probability, "elapsed_s": self.elapsed_s,
                "status": self.status, "advice": self.advice, "steps": self.steps,
                "posterior": dict(list(self.posterior.items())[:8]), "air_lost_kg": self.air_lost_kg,
                "close_off": list(self.close_off)}


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
        Stop and close off when the crewed zones' reserve time falls below the next step's time plus
        this margin [s] (default 2 h).
    closed_hatches : iterable of str, optional
        Hatches closed now, when they differ from the station file.
    """

    def __init__(self, station: Station, leak_mass_flow_kg_s: float, seed: int = 0, *, policy: str = "hullbreach",
                 confidence: float = 0.99, step_confidence: float = 0.999, rules: Rules | None = None,
                 crew_count: int = 0, crew: dict | None = None, leak_rel_log_std: float = 0.5, pressures_pa: dict | None = None,
                 reserve_margin_s: float = 7200.0, none_prior: float = 0.01, pair_prior: float = 0.005,
                 closed_hatches=None):
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
        self._done = False
        self._status = "in-progress"
        self._advice = ""
        self._close_off: tuple = ()
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

    @property
    def done(self) -> bool:
        """True when the session has an answer (or must stop)."""
        return self._done

    def _best(self) -> tuple:
        post = self.posterior
        singles = {k: v for k, v in post.items() if k != "none" and "+" not in k}
        mod, p = max(singles.items(), key=lambda kv: kv[1])
        return mod, p, post

    @property
    def result(self) -> Result:
        """The current answer (final once :attr:`done`)."""
        mod, p, post = self._best()
        status = self._status
        module = mod if status == "isolated" else None
        if status == "close-off":
            module = None
        advice = self._advice or (f"leak in {mod} ({p:.1%})" if status == "isolated" else f"most likely {mod} ({p:.1%})")
        return Result(module, float(p), float(self.elapsed_s), status, advice, len(self.history), post,
                      float(self.air_lost_kg), self._close_off)

    # ----------------------------------------------------------------------------------------------- steps
    def _state(self) -> PlanState:
        return PlanState(self.closed, self.module_weights(), self.mdot, dict(self.pressures), self.step_confidence,
                         frozenset(self.crew))

    def next_step(self) -> Step:
        """The next configuration to set up, or raise :class:`IsolationError` when the session is done.

        Calling it again before :meth:`observe` returns the same step.
        """
        if self._done:
            raise IsolationError("the isolation session is finished", hint=f"read session.result ({self.result.advice})")
        if self._pending is not None:
            return self._pending[0]
        design = self._policy(self.station, self._state(), self.rules, self.crew_plan_std)
        if design is None:
            self._finish_close_off("no allowed hatch configuration can split the suspected modules further")
            raise IsolationError("no further test is possible", hint=self._advice)
        # reserve check: time to the crewed zones' evacuation pressure at the leak rate
        res = self._reserve_s(design)
        if res < design.expected_time_s + self.reserve_margin_s:
            self._finish_close_off(f"reserve time {res / 3600:.1f} h is shorter than the next test plus margin")
            raise IsolationError("stop the search: reserve time is short", hint=self._advice)
        tr = design.transition
        step = Step(len(self.history) + 1, set(design.closed), tuple(tr.closes), tuple(tr.opens), tuple(tr.equalize),
                    float(design.dwell_s), float(design.expected_dwell_s), float(tr.time_s), set(design.crew_zone),
                    tuple(design.zones), float(design.info_bits))
        self._pending = (step, design)
        return step

    def _reserve_s(self, design: TestDesign) -> float:
        """Reserve time [s]: time until the zone most likely holding the leak (in the current configuration)
        reaches the evacuation pressure at the estimated flow (Cristoforetti's "reserve time", reference
        README). The crew must still work in or next to that zone to go on searching."""
        w = self.module_weights()
        zones = self.station.zones(self.closed)
        z = max(zones, key=lambda zz: sum(w.get(m, 0.0) for m in zz))
        p0 = min(self.pressures[m] for m in z)
        t_k = float(np.mean([self.station.modules[m].temperature_k for m in z]))
        rate = self.mdot * R_AIR * t_k / self.station.zone_volume_m3(z)
        return (p0 - self.station.evacuation_pressure_pa) / rate

    def _finish_close_off(self, why: str) -> None:
        mod, p, _ = self._best()
        zone = self.station.zone_of(mod, self.closed)
        hatches = tuple(sorted(h.id for m in zone for o, h in self.station.neighbours(m) if o not in zone))
        self._done = True
        self._status = "close-off"
        self._close_off = hatches
        self._advice = (f"{why}: close off {', '.join(sorted(zone))} (hatches {', '.join(hatches) or 'none'}) "
                        f"and leave; most likely {mod} ({p:.0%})")

    def check(self, frame) -> StepOutcome:
        """Evaluate telemetry of the pending step without committing (for a growing file)."""
        if self._pending is None:
            raise IsolationError("no step in progress", hint="call next_step() first")
        return self._evaluate(self._pending[0], frame)[0]

    def _evaluate(self, step: Step, frame) -> tuple:
        wide = infer.raw_to_wide(self.station, frame)
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
        checkpoints = np.unique(np.concatenate([np.arange(start, min(span, 1800.0) + 1e-9, 60.0),
                                                np.geomspace(max(start, 60.0), max(span, 61.0), 40)]))
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
        n_single = len(self.hyps.module_ids)
        for tcp in checkpoints:
            use, r_arr, sd_arr = [], [], []
            for k, s in enumerate(series):
                sel = s.t <= tcp + 1e-9
                if sel.sum() < 3:
                    continue
                slope, se = infer._fit(s.t[sel], s.y[sel], s.floor_per_sqrt)
                if math.isfinite(se):
                    use.append(k)
                    r_arr.append(slope)
                    sd_arr.append(se)
            if use:
                ui = np.array(use)
                # hypotheses with the same shares per observed zone have the same likelihood
                uniq, inv = np.unique(obs_shares[:, ui], axis=0, return_inverse=True)
                ll_u = infer.step_loglik_matrix(uniq, np.array(r_arr), np.array(sd_arr), offs[ui],
                                                extra[ui], self.grid, self.model)
                ll_step = ll_u[np.asarray(inv).reshape(-1)]
            else:
                ll_step = np.zeros_like(self.ll)
            post = infer.posterior(self.hyps, self.ll + ll_step, self.log_w)
            gmass = np.array([post[g].sum() for g in groups])
            top = int(gmass.argmax())
            singles = post[1: 1 + n_single]
            chosen = (tcp, use, r_arr, sd_arr, ll_step, post, gmass, top)
            if use and tcp >= start and (gmass[top] >= self.step_confidence or singles.max() >= self.confidence):
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
        outcome = StepOutcome(step.index, decided, float(tcp), span, leak_zone, float(gmass[top]), tuple(rates),
                              tuple(list(summ.items())[:5]))
        return outcome, ll_step, wide, tcp

    def observe(self, frame, closed_hatches=None) -> StepOutcome:
        """Take the telemetry of the pending step (long DataFrame ``time, channel, value`` in sensor units).

        ``closed_hatches`` (optional) reports the configuration the crew actually set up when it differs
        from the plan (a hatch that would not close, say); the telemetry is then read against it.

        Raises :class:`IsolationError` when no step is pending, when the telemetry has channels the
        station lacks, or when the step was reported done although its test has not decided and its
        telemetry covers less than the step's longest wait.
        """
        if self._done:
            raise IsolationError("the isolation session is finished", hint="read session.result")
        if self._pending is None:
            raise IsolationError("observe() called before next_step()", hint="ask for the next step, set it up, then send its telemetry")
        step, design = self._pending
        if closed_hatches is not None:
            actual = self._check_hatches(closed_hatches)
            if actual != frozenset(step.closed_hatches):
                from dataclasses import replace as _replace

                from hullbreach.isolate.constraints import crew_zones as _cz

                zones = tuple(self.station.zones(actual))
                crew = set().union(*_cz(self.station, actual)) if self.station.escape_vehicles() else set()
                step = _replace(step, closed_hatches=set(actual), zones=zones, crew_zone=crew)
        outcome, ll_step, wide, tcp = self._evaluate(step, frame)
        if not outcome.decided and outcome.span_s < 0.9 * step.dwell_s - 60.0:
            raise IsolationError(
                f"step {step.index} is not done: its telemetry covers {outcome.span_s / 60:.0f} min of the "
                f"{step.dwell_s / 60:.0f} min wait and the test has not decided yet",
                hint="keep waiting and send the telemetry again when it covers the wait (or the test decides)")
        # commit
        self.ll = self.ll + ll_step
        self.closed = frozenset(step.closed_hatches)
        duration = step.operations_s + tcp
        self.elapsed_s += duration
        self.air_lost_kg += self.mdot * duration
        self._update_pressures(wide.loc[: tcp], step)
        self.history.append((step, outcome))
        self._pending = None
        mod, p, post = self._best()
        if p >= self.confidence:
            self._done = True
            self._status = "isolated"
            z = self.station.zone_of(mod, self.closed)
            self._advice = (f"leak in {mod} ({p:.1%}); it is {'alone' if len(z) == 1 else 'with ' + ', '.join(sorted(z - {mod}))} "
                            "behind the closed hatches: search it with the ultrasonic detector")
        elif post.get("none", 0.0) >= self.confidence:
            self._done = True
            self._status = "no-leak"
            self._advice = f"no leak found ({post['none']:.1%}): check the detection (sensor fault, repress, temperature)"
        elif len(self.history) >= 40:
            self._done = True
            self._status = "stuck"
            self._advice = f"40 steps without a decision: most likely {mod} ({p:.0%})"
        return outcome

    def _update_pressures(self, wide: pd.DataFrame, step: Step) -> None:
        if len(wide) == 0:
            return
        tail = wide.loc[wide.index[-1] - 120.0:]
        for z in step.zones:
            chans = [s.id for s in self.station.sensors_in(z, "pressure") if s.id in tail.columns]
            if chans:
                p = float(np.nanmean(tail[chans].to_numpy()))
                if math.isfinite(p):
                    for m in z:
                        self.pressures[m] = p


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
