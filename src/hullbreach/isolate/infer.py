"""Inference for hatch-closure isolation: which module leaks, from the telemetry of every configuration.

Hypotheses are "no leak", "leak in module k" and "leaks in two modules j, k" (the leak mass flow split
between them). Each configuration of closed hatches divides the station into pressure zones; the air
mass of every zone is tracked over the step (mass-point method, m = p V / (R T) per zone) and its trend
fitted. A hypothesis predicts the trend of every zone (minus the share of the leak flow in that zone);
the likelihood of the fitted trends gives the posterior, accumulated over all configurations so far.
Total pressure (with temperature correction) and ppN2 (immune to O2 metabolism and feeds) are both used
where the station has the channels.

Units: SI inside (Pa, K, kg, s). The raw telemetry given to :func:`raw_to_wide` is in sensor units.

References
----------
.. [1] ANSI/ANS-56.8-2020, *Containment System Leakage Testing Requirements*, mass-point method: the
   contained air mass m = p V / (R T) at each time, leak rate = slope of a least-squares line.
.. [2] NASA NTRS 20050217416 (SAE 2004-01-2597): ISS leaks are tracked on the ppN2 trend because O2
   varies with metabolism and O2 feeds while N2 does not.
.. [3] Least-squares slope standard error and the AR(1) effective sample size correction
   n_eff = n (1 - rho) / (1 + rho) (e.g. G. E. P. Box, G. M. Jenkins, *Time Series Analysis*, 1976).
.. [4] Sequential probability ratio test: A. Wald, *Sequential Analysis*, Wiley, 1947 (stop as soon as
   the posterior odds cross the bound; here the Bayesian form on the posterior of each outcome).
.. [5] Ornstein-Uhlenbeck process, covariance sigma^2 exp(-|dt|/tau): C. W. Gardiner, *Stochastic
   Methods*, 4th ed., Springer 2009, §3.8.4. The least-squares slope of a process with covariance K over
   times t_i has variance w^T K w, w_i = (t_i - mean t) / sum (t_j - mean t)^2 (linear estimator).
.. [6] Rank-one update of a covariance (Sherman-Morrison): (D + s^2 m m^T)^-1 = D^-1 - s^2 D^-1 m m^T D^-1
   / (1 + s^2 m^T D^-1 m), det = det D (1 + s^2 m^T D^-1 m) (G. H. Golub, C. F. Van Loan, *Matrix
   Computations*, 4th ed., 2013, §2.1.4).
.. [7] Outlier-robust likelihood as a mixture with a small probability that one observation is
   corrupted: A. O'Hagan, "On outlier rejection phenomena in Bayes inference", JRSS B 41 (1979) 358-367;
   here one step's telemetry is the observation and a corrupted step favours no hypothesis.
.. [8] A thermometer error that appears once inside a fitting window (a power-on self-heating rise, a
   step, a drift starting): a step of size A at a uniformly random time u T of a window T moves the
   least-squares slope by 6 A u (1 - u) / T, of rms 6 A / (sqrt(30) T) (from the slope weights of [5]).
   Its size is unknown: a hierarchical prior over a few amplitudes, the step's likelihood marginalized
   over them (A. Gelman et al., *Bayesian Data Analysis*, 3rd ed., 2013, ch. 5), so the data of the
   step (the scatter of all its zone rates) say how far the thermometers can be trusted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np
import pandas as pd

from hullbreach.constants import R_AIR
from hullbreach.errors import IsolationError
from hullbreach.station import Station
from hullbreach.units import to_si

#: Relative model error of a predicted zone mass rate [-]: free gas volumes are known to ~3 %
#: (detect.estimate.DEFAULT_VOLUME_REL_STD), temperatures to ~1 %; 5 % is an estimate covering both.
MODEL_REL_STD = 0.05
#: Absolute floor of the unexplained zone mass rate [kg s^-1]: about half the whole-ISS background
#: leakage of 0.227 kg/day in 2011 (NASA NTRS 20110012997, docs/reference/figures.md), 1.3e-6 kg/s.
MODEL_ABS_STD_KG_S = 1.3e-6
#: Trailing window of the temperature smoothing [s]. 0: none. Smoothing does not reduce the noise of a
#: fitted slope (the low-frequency content of white noise is unchanged) but a trailing window lags the
#: orbital temperature cycle and leaves a spurious air-mass trend, so temperatures are used as measured.
TEMPERATURE_SMOOTHING_S = 0.0
#: Block length for the trend fit [s]: block means remove quantization steps and most short correlation.
BLOCK_S = 60.0
#: Mole fraction of N2 assumed when a zone has no total pressure channel [-] (ISS air ~ 78 %).
DEFAULT_X_N2 = 0.78
#: Assumed sd of the bulk gas temperature offset that the thermometers do not see, COMMON to all modules
#: [K]: the top of the range 0.02-0.1 K named in issue 16 (a thermometer samples one point of a module
#: whose air is stirred by one cabin fan loop; estimate). It makes every zone's air mass look as if it
#: changed by M_z dT/T together: a common-mode term with a rank-one covariance ([6]).
NUISANCE_COMMON_SD_K = 0.1
#: Assumed sd of the same kind of offset independent per module [K] (local heat loads; estimate).
NUISANCE_MODULE_SD_K = 0.03
#: Correlation time of both offsets [s] (6 h, issue 16; the thermal mass of the cabin, estimate).
NUISANCE_TAU_S = 6.0 * 3600.0
#: Amplitude of the error a thermometer leaves on the orbital temperature cycle [K]: a sensor lagging the
#: air by ~2 min on a 0.3 K cycle of 92 min reads 0.3 x 2 pi x 120 / 5560 = 0.04 K wrong, with each
#: module's own phase (issue 16: "a thermometer that does not represent the gas"; cycle and lag are
#: estimates). Over a window shorter than an orbit it is a slope error per module.
THERMAL_RESIDUAL_K = 0.04
#: ISS orbital period [s] (about 92.7 min).
ORBITAL_PERIOD_S = 5560.0
#: Probability that one step's telemetry is corrupted in a way the noise model does not cover (a hatch
#: that did not seal, a sensor fault, an unmodelled thermal transient) [-]. It bounds the evidence one
#: step gives against any hypothesis to a factor 1/eps, so that a later step can overturn an earlier
#: one ([7]); estimate.
STEP_OUTLIER_PROB = 1.0e-6
#: Amplitudes [K] of a thermometer transient per thermometer inside one step's window ([8]), and their
#: prior weights [-]. 0 K: thermometers as declared (noise, quantization, the terms above); 0.1 K: the
#: steady self-heating of a powered cabin temperature sensor (the simulator's realistic default,
#: docs/simulator.md, an estimate); 0.3 K and 1 K: a power-on transient or a sensor that warms with its own
#: electronics (the Astro Pi Sense HAT in Columbus reads ~5 K above the cabin air, tests/data/real and
#: docs/detection.md; a transient of a fifth of that is the top level). Weights: an estimate favouring
#: thermometers that behave; the data of each step re-weigh them.
THERMOMETER_TRANSIENT_K = (0.0, 0.1, 0.3, 1.0)
THERMOMETER_TRANSIENT_WEIGHTS = (0.4, 0.3, 0.2, 0.1)
#: rms slope of a unit step at a uniformly random time of a unit window ([8]): 6 / sqrt(30) [-].
STEP_SLOPE_RMS = 6.0 / math.sqrt(30.0)
#: Number of points of the time grid on which the OU slope variance is evaluated ([5]) [-].
OU_GRID_POINTS = 64


# ---------------------------------------------------------------------------------------------------------------
# hypotheses

@dataclass(frozen=True)
class Hypotheses:
    """The hypothesis set.

    Attributes
    ----------
    module_ids : tuple[str, ...]
        Station modules, in file order.
    labels : tuple[str, ...]
        One label per row: ``"none"``, ``"<module>"`` or ``"<a>+<b>"``. Pair rows repeat the label once
        per split of the flow.
    shares : numpy.ndarray
        (n_rows, n_modules): share of the leak mass flow in each module (rows sum to 1, or 0 for none).
    log_prior : numpy.ndarray
        (n_rows,) log prior probability.
    """

    module_ids: tuple
    labels: tuple
    shares: np.ndarray = field(repr=False)
    log_prior: np.ndarray = field(repr=False)

    @property
    def n(self) -> int:
        return len(self.labels)

    def single_index(self) -> dict:
        """Row index of each single-module hypothesis."""
        return {lab: i for i, lab in enumerate(self.labels) if lab != "none" and "+" not in lab}


def build_hypotheses(station: Station, *, none_prior: float = 0.01, pair_prior: float = 0.005,
                     pair_splits: tuple = (0.25, 0.5, 0.75), module_prior: dict | None = None) -> Hypotheses:
    """Hypotheses with priors from ``Module.leak_prior`` (or ``module_prior`` overrides).

    ``none_prior`` and ``pair_prior`` are the total prior of "no leak" and of "two leaking modules" [-];
    a detection already says there is a leak, so both are small. Pair priors are proportional to the
    product of the two modules' weights.
    """
    ids = tuple(station.modules)
    w = np.array([float((module_prior or {}).get(m, station.modules[m].leak_prior)) for m in ids])
    if np.any(w < 0) or w.sum() <= 0:
        raise IsolationError("module leak priors must be >= 0 with a positive sum", hint="check leak_prior in the station file")
    w = w / w.sum()
    n = len(ids)
    labels = ["none"]
    shares = [np.zeros(n)]
    prior = [none_prior]
    single = 1.0 - none_prior - pair_prior
    for i, m in enumerate(ids):
        labels.append(m)
        row = np.zeros(n)
        row[i] = 1.0
        shares.append(row)
        prior.append(single * w[i])
    if pair_prior > 0 and n > 1:
        pw = {(i, j): w[i] * w[j] for i, j in combinations(range(n), 2)}
        tot = sum(pw.values())
        for (i, j), p in pw.items():
            for f in pair_splits:
                row = np.zeros(n)
                row[i], row[j] = f, 1.0 - f
                labels.append(f"{ids[i]}+{ids[j]}")
                shares.append(row)
                prior.append(pair_prior * p / tot / len(pair_splits))
    prior_arr = np.asarray(prior)
    with np.errstate(divide="ignore"):
        lp = np.log(prior_arr / prior_arr.sum())
    return Hypotheses(ids, tuple(labels), np.asarray(shares), lp)


def mdot_grid(leak_mass_flow_kg_s: float, rel_log_std: float = 0.5, n: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """Grid over the leak mass flow [kg s^-1] with log weights: lognormal around the estimate.

    ``rel_log_std`` is the one-sigma uncertainty of ln(mdot) [-] (0.5: a factor 1.65).
    """
    if not (leak_mass_flow_kg_s > 0 and math.isfinite(leak_mass_flow_kg_s)):
        raise IsolationError(f"leak mass flow must be a positive number of kg/s, got {leak_mass_flow_kg_s!r}",
                             hint="give the detector's estimate, e.g. 2.4e-4 for the Soyuz MS-09 rate")
    z = np.linspace(-3.0, 3.0, n)
    g = leak_mass_flow_kg_s * np.exp(rel_log_std * z)
    lw = -0.5 * z ** 2
    return g, lw - np.logaddexp.reduce(lw)


# ---------------------------------------------------------------------------------------------------------------
# unmeasured temperature offsets (common mode)

def ou_slope_sd(sigma_k: float, tau_s: float, span_s: float) -> float:
    """Sd of the least-squares slope [K s^-1] of a stationary OU process (sd ``sigma_k`` [K], correlation
    time ``tau_s`` [s]) fitted over a window of ``span_s`` [s] sampled evenly ([5]).

    About sigma sqrt(12 / (5 tau T)) for T << tau (the process is then a random walk) and
    sigma sqrt(24 tau / T^3) for T >> tau (white noise of density 2 sigma^2 tau)."""
    if sigma_k <= 0 or span_s <= 0:
        return 0.0
    t = np.linspace(0.0, span_s, OU_GRID_POINTS)
    tc = t - t.mean()
    w = tc / float(np.dot(tc, tc))
    k = sigma_k ** 2 * np.exp(-np.abs(t[:, None] - t[None, :]) / tau_s)
    return float(math.sqrt(max(float(w @ k @ w), 0.0)))


def sine_slope_sd(amplitude_k: float, period_s: float, span_s: float) -> float:
    """Sd of the least-squares slope [K s^-1] of a sinusoid of amplitude ``amplitude_k`` [K] and period
    ``period_s`` [s] with a uniformly random phase, fitted over ``span_s`` [s] ([5]: the slope is linear
    in the signal, so its variance is a^2 / 2 |sum w_i exp(i omega t_i)|^2). About a 2 pi / (P sqrt 2)
    for a window much shorter than the period, falling as 1/T over many periods."""
    if amplitude_k <= 0 or span_s <= 0:
        return 0.0
    t = np.linspace(0.0, span_s, OU_GRID_POINTS)
    tc = t - t.mean()
    w = tc / float(np.dot(tc, tc))
    z = np.dot(w, np.exp(2j * math.pi * t / period_s))
    return float(amplitude_k * abs(z) / math.sqrt(2.0))


@dataclass(frozen=True)
class Nuisance:
    """Unmeasured bulk-gas temperature offsets the inference allows for ([5]).

    ``common_sd_k`` [K] shared by all modules, ``module_sd_k`` [K] independent per module, both
    Ornstein-Uhlenbeck with correlation time ``tau_s`` [s]; ``thermal_residual_k`` [K] the error each
    module's thermometer leaves on the orbital cycle of period ``period_s`` [s]. All zero: independent
    zone errors (the model before issue 16).

    ``transient_k`` [K] with ``transient_weights`` [-]: the prior over the amplitude of a thermometer
    error appearing inside a step's window (self-heating after power-on, a step, a drift), independent
    per thermometer ([8], :func:`transient_slope_sd`); ``(0.0,)`` leaves it out (the model of session 2).
    """

    common_sd_k: float = NUISANCE_COMMON_SD_K
    module_sd_k: float = NUISANCE_MODULE_SD_K
    tau_s: float = NUISANCE_TAU_S
    thermal_residual_k: float = THERMAL_RESIDUAL_K
    period_s: float = ORBITAL_PERIOD_S
    transient_k: tuple = THERMOMETER_TRANSIENT_K
    transient_weights: tuple = THERMOMETER_TRANSIENT_WEIGHTS

    def __post_init__(self):
        if len(self.transient_k) != len(self.transient_weights) or not self.transient_k \
                or any(a < 0 for a in self.transient_k) or any(w <= 0 for w in self.transient_weights):
            raise IsolationError("Nuisance.transient_k and transient_weights must be non-empty, of equal length, "
                                 f"amplitudes >= 0 K and weights > 0 (got {self.transient_k}, {self.transient_weights})",
                                 hint="e.g. transient_k=(0.0, 0.3), transient_weights=(0.7, 0.3)")

    def slope_sds(self, span_s: float) -> tuple[float, float]:
        """(common, per-module) sd of the temperature-error slope over a window [K s^-1]; the per-module
        one combines the OU offset and the thermometers' orbital residual (:func:`sine_slope_sd`).
        The window is rounded to 1 % (log scale) and the values memoized: the planner asks often."""
        return _slope_sds(self, round(math.log(max(span_s, 1.0)), 2))


@lru_cache(maxsize=65536)
def _slope_sds(nz: "Nuisance", log_span: float) -> tuple[float, float]:
    span_s = math.exp(log_span)
    mod = math.hypot(ou_slope_sd(nz.module_sd_k, nz.tau_s, span_s),
                     sine_slope_sd(nz.thermal_residual_k, nz.period_s, span_s))
    return ou_slope_sd(nz.common_sd_k, nz.tau_s, span_s), mod


def transient_slope_sd(amplitude_k: float, span_s: float) -> float:
    """rms least-squares slope [K s^-1] of a thermometer error step of ``amplitude_k`` [K] at a random time
    inside a window of ``span_s`` [s] ([8]): 6 A / (sqrt(30) T). A rise with a time constant shorter than the
    window (a self-heating transient) moves the slope as a step does; a longer one moves it less (this
    bound is then conservative)."""
    if amplitude_k <= 0 or span_s <= 0:
        return 0.0
    return STEP_SLOPE_RMS * amplitude_k / span_s


def zone_loadings(station: Station, zones: list, pressures_pa: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per zone: the apparent air-mass rate per unit temperature-offset slope, sum of M_m / T_m [kg K^-1]
    (common mode), and the root sum of squares of the same per module [kg K^-1] (independent offsets).

    M_m = p V / (R T) is the module's air mass at its current pressure ``pressures_pa`` (nominal by
    default): an unmeasured offset dT makes it look like M_m (1 + dT / T)."""
    common, own = [], []
    for z in zones:
        lm = []
        for m in z:
            mod = station.modules[m]
            p = (pressures_pa or {}).get(m, station.nominal_pressure_pa)
            lm.append(p * mod.volume_m3 / (R_AIR * mod.temperature_k) / mod.temperature_k)
        common.append(sum(lm))
        own.append(math.sqrt(sum(x * x for x in lm)))
    return np.asarray(common), np.asarray(own)


# ---------------------------------------------------------------------------------------------------------------
# data checks (the ones `detect` runs)

def check_step_telemetry(station: Station, frame) -> tuple:
    """Run the telemetry data checks that ``detect`` runs on a step's raw telemetry.

    The one place the isolation calls the telemetry checks (retarget it here when they move). Returns
    ``(si_frame, notes)``: the accepted samples as a :class:`~hullbreach.telemetry.frame.TelemetryFrame`
    (SI) and plain-text notes about what was quarantined or distrusted. Raises :class:`IsolationError`
    when a channel is in the wrong unit (e.g. psi for mmHg) or no trusted pressure channel is left
    (never a silent "no leak").
    """
    from hullbreach.errors import TelemetryError
    from hullbreach.telemetry.checks import check_samples

    if hasattr(frame, "data") and hasattr(frame, "quarantined"):  # already checked (a TelemetryFrame)
        tf = frame
    else:
        if not isinstance(frame, pd.DataFrame):
            raise IsolationError(f"telemetry must be a pandas DataFrame with columns time, channel, value, got {type(frame).__name__}")
        missing = [c for c in ("time", "channel", "value") if c not in frame.columns]
        if missing:
            raise IsolationError(f"telemetry lacks column(s) {', '.join(missing)}",
                                 hint="give a long table with columns time, channel, value (docs/design.md §3.2)")
        if len(frame) == 0:
            raise IsolationError("telemetry for the step is empty", hint="send the samples recorded during the step")
        chans = pd.unique(frame["channel"].astype(str))
        unknown = [c for c in chans if c not in station.sensors]
        if unknown:
            shown = ", ".join(sorted(unknown)[:5]) + (" ..." if len(unknown) > 5 else "")
            raise IsolationError(f"telemetry has {len(unknown)} channel(s) that station {station.name!r} does not have: {shown}",
                                 hint="is this telemetry from another station? load the matching station file")
        raw = frame[["time", "channel", "value"]]
        try:
            tf = check_samples(raw, station, source="<step telemetry>")
        except TelemetryError as exc:
            raise IsolationError(f"step telemetry fails the data checks: {exc}", hint="fix the telemetry (see the message)") from None
    notes = []
    for name, n in sorted(tf.counts.items()):
        if n:
            notes.append(f"{n} sample(s) {name.replace('_', ' ')}")
    bad = {c: r for c, r in tf.channels.items() if not r.trusted}
    for c, r in sorted(bad.items()):
        notes.append(f"channel {c} not trusted: {r.reason or 'failed the checks'}")
    slips = sorted(c for c, r in bad.items() if r.reason.startswith("unit"))
    if slips:
        raise IsolationError(f"step telemetry is in the wrong unit on {len(slips)} channel(s) "
                             f"({', '.join(slips[:4])}{' ...' if len(slips) > 4 else ''}): {bad[slips[0]].reason}",
                             hint="convert the file to the units of the station file (or fix the sensor's unit "
                                  "there); the isolation does not guess units")
    trusted_p = [c for c, r in tf.channels.items() if r.trusted and r.accepted > 0 and c in station.sensors
                 and station.sensors[c].quantity in ("pressure", "ppn2")]
    if not trusted_p:
        why = "; ".join(notes[:4]) or "no pressure channel in the data"
        raise IsolationError(f"step telemetry has no trusted pressure channel ({why})",
                             hint="check the units (pressures in the station file's unit, e.g. mmHg not psi) and the "
                                  "sensors; the isolation cannot conclude anything without pressures")
    if bad:
        keep = [c for c in tf.data["channel"].astype(str).unique() if c not in bad]
        tf = _drop_channels(tf, keep)
    return tf, tuple(notes)


def _drop_channels(tf, keep: list):
    from dataclasses import replace

    d = tf.data
    d = d[d["channel"].astype(str).isin(keep)]
    return replace(tf, data=d, grid=None) if hasattr(tf, "grid") else replace(tf, data=d)


# ---------------------------------------------------------------------------------------------------------------
# telemetry -> zone air-mass trends

def raw_to_wide(station: Station, frame, notes: list | None = None) -> pd.DataFrame:
    """Long raw telemetry (time, channel, value in sensor units) -> wide SI table indexed by seconds.

    The samples first pass the data checks ``detect`` runs (:func:`check_step_telemetry`); what they set
    aside is appended to ``notes`` (a list) when given. The index is seconds since the first sample [s];
    columns are channel ids; values in Pa or K. Raises :class:`IsolationError` for missing columns,
    channels not in the station (telemetry from the wrong station), an empty frame, or no trusted
    pressure channel.
    """
    tf, msgs = check_step_telemetry(station, frame)
    if notes is not None:
        notes.extend(msgs)
    df = tf.data
    epoch = pd.Timestamp("1970-01-01T00:00:00Z")
    ts = (pd.to_datetime(df["time"], utc=True) - epoch).dt.total_seconds().to_numpy()
    vals = df["value"].to_numpy(dtype=float)
    ch = df["channel"].astype(str).to_numpy()
    long = pd.DataFrame({"t": ts - np.nanmin(ts), "channel": ch, "value": vals})
    wide = long.pivot_table(index="t", columns="channel", values="value", aggfunc="mean").sort_index()
    return wide.ffill()


@dataclass(frozen=True)
class ZoneRate:
    """Fitted air-mass trend of one zone over (a prefix of) a step.

    ``rate_kg_s`` is d(air mass)/dt [kg s^-1], negative for a loss; ``std_kg_s`` its one-sigma error;
    ``quantity`` is ``pressure`` (total pressure, temperature-corrected) or ``ppn2``. ``offset_kg_s`` is
    the expected trend without any leak (crew O2 use in the zone, negative) with sd ``offset_std_kg_s``;
    it applies to total pressure only (ppN2 does not see O2 use).
    """

    zone: frozenset
    rate_kg_s: float
    std_kg_s: float
    quantity: str
    duration_s: float
    crewed: bool = False
    offset_kg_s: float = 0.0
    offset_std_kg_s: float = 0.0


@dataclass(frozen=True)
class _Series:
    zone_index: int
    quantity: str
    t: np.ndarray       # block centre times [s]
    y: np.ndarray       # block mean air-mass equivalent [kg], minus the first value
    floor_per_sqrt: float  # theoretical slope sd * T^1.5 [kg s^-1 s^1.5]
    thermo_per_sqrt: float = 0.0  # the thermometers' part of it (shared by a zone's series) [kg s^-1 s^1.5]


def _sensor_var_si(sensor) -> float:
    """Per-sample variance of a sensor in SI [Pa^2 or K^2]: white noise plus quantization res^2 / 12."""
    sd = to_si(sensor.noise_std, sensor.unit) - to_si(0.0, sensor.unit)
    res = to_si(sensor.resolution, sensor.unit) - to_si(0.0, sensor.unit)
    return float(sd ** 2 + res ** 2 / 12.0)


def _zone_series(station: Station, zones: list, wide: pd.DataFrame) -> list:
    """Block-averaged air-mass series per zone and quantity."""
    t = wide.index.to_numpy(dtype=float)
    if t.size < 2:
        return []
    dt = float(np.median(np.diff(t))) if t.size > 1 else 1.0
    dt = dt if dt > 0 else 1.0
    win = max(1, int(round(TEMPERATURE_SMOOTHING_S / dt)))
    temp_ch = {s.id: s for s in station.sensors.values() if s.quantity == "temperature" and s.id in wide.columns}
    smooth_t = {c: (wide[c].rolling(win, min_periods=1).mean().to_numpy() if win > 1 else wide[c].to_numpy()) for c in temp_ch}
    nb = max(1, int(round(BLOCK_S / dt)))
    nblocks = t.size // nb
    out = []
    for zi, zone in enumerate(zones):
        # per-module temperature
        zone_temps = [smooth_t[s.id] for s in station.sensors_in(zone, "temperature") if s.id in smooth_t]
        zone_mean_t = np.nanmean(np.vstack(zone_temps), axis=0) if zone_temps else None
        v_over_rt = np.zeros(t.size)
        v_over_rt_nom = 0.0
        # per-sample air-mass noise [kg^2] from the thermometers: M_m sd_T / T per module (noise and
        # quantization; a 0.1 K step in a 30 m3 module is 4 g of apparent air, as much as a 1 mmHg/day
        # leak moves it in 5 min)
        t_var_kg2 = 0.0
        for m in zone:
            mod = station.modules[m]
            ts_m = [s for s in station.sensors_in([m], "temperature") if s.id in smooth_t] or \
                [s for s in station.sensors_in(zone, "temperature") if s.id in smooth_t]
            if ts_m:
                var_t = np.mean([_sensor_var_si(s) for s in ts_m]) / len(ts_m)
                m_kg_per_k = station.nominal_pressure_pa * mod.volume_m3 / (R_AIR * mod.temperature_k ** 2)
                t_var_kg2 += m_kg_per_k ** 2 * var_t
        for m in zone:
            mod = station.modules[m]
            mts = [smooth_t[s.id] for s in station.sensors_in([m], "temperature") if s.id in smooth_t]
            if mts:
                tm = np.nanmean(np.vstack(mts), axis=0)
            elif zone_mean_t is not None:
                tm = zone_mean_t
            else:
                tm = np.full(t.size, mod.temperature_k)
            tm = np.where(np.isfinite(tm), tm, mod.temperature_k)
            v_over_rt += mod.volume_m3 / (R_AIR * tm)
            v_over_rt_nom += mod.volume_m3 / (R_AIR * mod.temperature_k)
        p_sens = [s for s in station.sensors_in(zone, "pressure") if s.id in wide.columns]
        n2_sens = [s for s in station.sensors_in(zone, "ppn2") if s.id in wide.columns]
        p_zone = None
        if p_sens:
            p_zone = np.nanmean(np.vstack([wide[s.id].to_numpy() for s in p_sens]), axis=0)
            # per-sample noise of the zone mean [Pa] (noise and quantization of each sensor)
            var = np.mean([_sensor_var_si(s) for s in p_sens]) / len(p_sens)
            out.append(_block_series(zi, "pressure", t, p_zone * v_over_rt, nb, nblocks,
                                     math.sqrt(var * v_over_rt_nom ** 2 + t_var_kg2), dt, math.sqrt(t_var_kg2)))
        if n2_sens:
            n2 = np.nanmean(np.vstack([wide[s.id].to_numpy() for s in n2_sens]), axis=0)
            if p_zone is not None and np.nanmedian(p_zone) > 0:
                x_n2 = float(np.nanmedian(n2) / np.nanmedian(p_zone))
                x_n2 = x_n2 if 0.3 < x_n2 < 1.0 else DEFAULT_X_N2
            else:
                x_n2 = DEFAULT_X_N2
            var = np.mean([_sensor_var_si(s) for s in n2_sens]) / len(n2_sens)
            out.append(_block_series(zi, "ppn2", t, n2 / x_n2 * v_over_rt, nb, nblocks,
                                     math.sqrt(var * (v_over_rt_nom / x_n2) ** 2 + t_var_kg2), dt, math.sqrt(t_var_kg2)))
    return [s for s in out if s is not None]


def _block_series(zi, quantity, t, y, nb, nblocks, sample_sd_kg, dt, thermo_sd_kg=0.0):
    good = np.isfinite(y)
    if good.sum() < 2 or nblocks < 1:
        return None
    if nblocks >= 3:
        tb = t[: nblocks * nb].reshape(nblocks, nb).mean(axis=1)
        yb = np.nanmean(y[: nblocks * nb].reshape(nblocks, nb), axis=1)
    else:
        tb, yb = t[good], y[good]
    keep = np.isfinite(yb)
    tb, yb = tb[keep], yb[keep]
    if tb.size < 3:
        return None
    # theoretical slope sd of white noise sampled every dt over T: sd * sqrt(12 dt) / T^1.5
    return _Series(zi, quantity, tb, yb - yb[0], sample_sd_kg * math.sqrt(12.0 * dt), thermo_sd_kg * math.sqrt(12.0 * dt))


def merge_zone_series(zone_index: np.ndarray, rates: np.ndarray, stds: np.ndarray, offsets: np.ndarray,
                      offset_var: np.ndarray, shared_std: np.ndarray) -> tuple:
    """One observation per zone from its total-pressure and ppN2 trends, by generalized least squares.

    A zone's two air-mass series divide by the same thermometers, so the thermometers' white noise moves
    both slopes alike: their errors are correlated, and two series of one zone are not two independent
    measurements. Counting them as independent over-states the evidence when the thermometers dominate
    (a 0.1 K thermometer against 0.1 mmHg gauges: the ppN2 series then adds almost nothing). The errors'
    covariance is ``[[s1^2 + v_off, c], [c, s2^2]]`` with ``c = shared_std^2`` (capped below both
    variances), the GLS estimate of the common rate is ``w . y`` with ``w = S^-1 1 / (1^T S^-1 1)`` and
    variance ``1 / (1^T S^-1 1)`` (Aitken 1935; any weights summing to 1 carry the zone's temperature offsets
    in full, so those are added once per zone afterwards).

    Parameters (n_obs,): ``zone_index`` of each series, ``rates`` [kg s^-1], ``stds`` their standard errors
    [kg s^-1], ``offsets`` the expected trend without a leak (crew O2 use, pressure only) [kg s^-1] and
    ``offset_var`` its variance [kg^2 s^-2], ``shared_std`` the thermometers' part of each standard error
    [kg s^-1]. Returns ``(keep, rates, stds, offsets, offset_var)``: ``keep`` the index of the series that
    represents each zone (the first of it), then the merged observations (a merged zone's offset is
    subtracted, its offset variance folded into its standard error).
    """
    zone_index = np.asarray(zone_index)
    keep, r_out, s_out, o_out, v_out = [], [], [], [], []
    for z in dict.fromkeys(zone_index.tolist()):
        k = np.flatnonzero(zone_index == z)
        if k.size == 1:
            i = int(k[0])
            keep.append(i)
            r_out.append(rates[i])
            s_out.append(stds[i])
            o_out.append(offsets[i])
            v_out.append(offset_var[i])
            continue
        y = rates[k] - offsets[k]
        var = stds[k] ** 2 + offset_var[k]
        c = min(float(np.min(shared_std[k])) ** 2, 0.95 * float(np.min(stds[k] ** 2)))
        S = np.full((k.size, k.size), c) + np.diag(var - c)
        si1 = np.linalg.solve(S, np.ones(k.size))
        info = float(si1.sum())
        keep.append(int(k[0]))
        r_out.append(float(si1 @ y) / info)
        s_out.append(math.sqrt(1.0 / info))
        o_out.append(0.0)
        v_out.append(0.0)
    return np.array(keep, dtype=int), np.array(r_out), np.array(s_out), np.array(o_out), np.array(v_out)


def _fit(tb: np.ndarray, yb: np.ndarray, floor_per_sqrt: float) -> tuple[float, float]:
    """OLS slope [kg s^-1] and its standard error, with an AR(1) correction and the white-noise floor ([3])."""
    n = tb.size
    tc = tb - tb.mean()
    sxx = float(np.dot(tc, tc))
    if n < 3 or sxx <= 0:
        return 0.0, math.inf
    slope = float(np.dot(tc, yb - yb.mean()) / sxx)
    res = yb - yb.mean() - slope * tc
    s2 = float(np.dot(res, res) / (n - 2))
    se = math.sqrt(s2 / sxx)
    if n >= 6:
        r0 = float(np.dot(res, res))
        rho = float(np.dot(res[1:], res[:-1]) / r0) if r0 > 0 else 0.0
        rho = min(max(rho, 0.0), 0.9)
        se *= math.sqrt((1 + rho) / (1 - rho))
    else:
        se *= 2.0  # few blocks: the residual variance itself is poorly known
    span = float(tb[-1] - tb[0]) + (tb[1] - tb[0])
    floor = floor_per_sqrt / span ** 1.5
    return slope, max(se, floor)


def zone_rates(station: Station, closed, frame, *, crew_zone=(), until_s: float | None = None,
               wide: pd.DataFrame | None = None) -> list:
    """Fitted air-mass trends of every observable zone of a configuration ([1], [2]).

    Parameters
    ----------
    closed : iterable of str
        Hatches closed during the step.
    frame : pandas.DataFrame
        Raw telemetry of the step (time, channel, value in sensor units).
    crew_zone : iterable of str
        Modules holding crew (their total pressure also moves with O2 use; ppN2 does not).
    until_s : float, optional
        Use only the first ``until_s`` seconds of the step.

    Returns
    -------
    list of ZoneRate
    """
    wide = raw_to_wide(station, frame) if wide is None else wide
    if until_s is not None:
        wide = wide.loc[: until_s]
    zones = station.zones(closed)
    crew = set(crew_zone)
    out = []
    for s in _zone_series(station, zones, wide):
        slope, se = _fit(s.t, s.y, s.floor_per_sqrt)
        if math.isfinite(se):
            z = zones[s.zone_index]
            out.append(ZoneRate(z, slope, se, s.quantity, float(s.t[-1] - s.t[0]), bool(crew & set(z))))
    return out


# ---------------------------------------------------------------------------------------------------------------
# likelihood and posterior

@dataclass(frozen=True)
class ObservationModel:
    """Error model of a zone mass-rate observation.

    ``rel_std`` relative model error [-]; ``abs_std_kg_s`` absolute floor [kg s^-1];
    ``crew_abs_std_kg_s`` extra floor on the *total pressure* trend of a crewed zone [kg s^-1] (O2 use
    and feeds; ppN2 is immune, [2]).
    """

    rel_std: float = MODEL_REL_STD
    abs_std_kg_s: float = MODEL_ABS_STD_KG_S
    crew_abs_std_kg_s: float = 0.0


def step_loglik(hyps: Hypotheses, rates: list, grid: np.ndarray, model: ObservationModel = ObservationModel()) -> np.ndarray:
    """Log-likelihood (n_rows, n_grid) of the zone trends of one step under every hypothesis and leak size.

    Each observation is Gaussian around the predicted zone rate -mdot * share(zone), with variance
    se^2 + (rel_std * predicted)^2 + abs_std^2 (+ crew term for total pressure in a crewed zone).
    """
    ll = np.zeros((hyps.n, grid.size))
    if not rates:
        return ll
    idx = {m: i for i, m in enumerate(hyps.module_ids)}
    for r in rates:
        cols = [idx[m] for m in r.zone]
        share = hyps.shares[:, cols].sum(axis=1)            # (n_rows,)
        mu = -share[:, None] * grid[None, :]                 # (n_rows, n_grid)
        extra = model.crew_abs_std_kg_s ** 2 if (r.crewed and r.quantity == "pressure") else 0.0
        if r.quantity == "pressure" and r.offset_kg_s:
            mu = mu + r.offset_kg_s
            extra += r.offset_std_kg_s ** 2
        var = r.std_kg_s ** 2 + (model.rel_std * mu) ** 2 + model.abs_std_kg_s ** 2 + extra
        ll += -0.5 * (r.rate_kg_s - mu) ** 2 / var - 0.5 * np.log(var)
    return ll


def share_matrix(hyps: Hypotheses, zones: list) -> np.ndarray:
    """(n_rows, n_zones): share of the leak flow each hypothesis puts in each zone."""
    idx = {m: i for i, m in enumerate(hyps.module_ids)}
    member = np.zeros((len(hyps.module_ids), len(zones)))
    for zi, z in enumerate(zones):
        for m in z:
            member[idx[m], zi] = 1.0
    return hyps.shares @ member


def step_loglik_matrix(shares_by_obs: np.ndarray, rates: np.ndarray, stds: np.ndarray, offsets: np.ndarray,
                       extra_var: np.ndarray, grid: np.ndarray, model: ObservationModel = ObservationModel(),
                       common_loading: np.ndarray | None = None, common_var: float = 0.0) -> np.ndarray:
    """Vectorized :func:`step_loglik`: observations as arrays (n_obs,), shares (n_rows, n_obs).

    With ``common_loading`` (n_obs,) [kg K^-1] and ``common_var`` [K^2 s^-2] the observations share a
    common-mode term: covariance D + common_var m m^T (D the independent variances), evaluated exactly by
    the rank-one update ([6]). ``extra_var`` carries independent per-observation terms (per-module
    temperature offsets, crew) [kg^2 s^-2]; given as (L, n_obs) it evaluates L sets of them at once and
    returns (L, n_rows, n_grid).
    """
    mu = -shares_by_obs[:, None, :] * grid[None, :, None] + offsets[None, None, :]
    var = stds[None, None, :] ** 2 + (model.rel_std * mu) ** 2 + model.abs_std_kg_s ** 2
    r = rates[None, None, :] - mu
    extra_var = np.asarray(extra_var, dtype=float)
    if extra_var.ndim == 2:  # one set of independent terms per level (L, n_obs): output (L, n_rows, n_grid)
        var = var[None] + extra_var[:, None, None, :]
    else:
        var = var + extra_var[None, None, :]
    inv = 1.0 / var
    ll = -0.5 * (r * r * inv).sum(axis=-1) - 0.5 * np.log(var).sum(axis=-1)
    if common_loading is not None and common_var > 0:
        mi = common_loading * inv
        a = (common_loading * mi).sum(axis=-1)
        b = (r * mi).sum(axis=-1)
        denom = 1.0 + common_var * a
        ll = ll + 0.5 * common_var * b ** 2 / denom - 0.5 * np.log(denom)
    return ll


def step_loglik_thermometers(shares_by_obs: np.ndarray, rates: np.ndarray, stds: np.ndarray, offsets: np.ndarray,
                             extra_var: np.ndarray, grid: np.ndarray, model: ObservationModel,
                             common_loading: np.ndarray, common_var: float, module_load2: np.ndarray,
                             nuisance: "Nuisance", span_s: float) -> np.ndarray:
    """:func:`step_loglik_matrix` marginalized over the amplitude of a thermometer transient ([8]).

    ``module_load2`` (n_obs,) [kg^2 K^-2] is the sum over the zone's modules of (M_m / T_m)^2 (each
    thermometer errs on its own); at amplitude A every observation gets the independent extra variance
    module_load2 x :func:`transient_slope_sd` (A, ``span_s``)^2. The levels share one amplitude per step (a
    step whose zones scatter more than declared raises it for all) and are weighted by
    ``nuisance.transient_weights``. Returns the log-likelihood (n_rows, n_grid).
    """
    lw = np.log(np.asarray(nuisance.transient_weights, dtype=float))
    lw = lw - np.logaddexp.reduce(lw)
    sd2 = np.array([transient_slope_sd(float(a), span_s) ** 2 for a in nuisance.transient_k])
    ll = step_loglik_matrix(shares_by_obs, rates, stds, offsets, extra_var[None, :] + sd2[:, None] * module_load2[None, :],
                            grid, model, common_loading, common_var)
    return np.logaddexp.reduce(ll + lw[:, None, None], axis=0)


def robust_step_loglik(ll_step: np.ndarray, eps: float = STEP_OUTLIER_PROB) -> np.ndarray:
    """One step's log-likelihood as a mixture: with probability ``eps`` the step is corrupted and favours no
    hypothesis (it takes the best row's likelihood) ([7]). No hypothesis then loses more than a factor
    about 1/eps from one step, so later steps can overturn it."""
    if eps <= 0 or ll_step.size == 0:
        return ll_step
    top = float(np.max(ll_step))
    return np.logaddexp(math.log1p(-eps) + ll_step, math.log(eps) + top)


def posterior(hyps: Hypotheses, loglik: np.ndarray, log_w: np.ndarray) -> np.ndarray:
    """Posterior probability of every hypothesis row, the leak size marginalized on its grid."""
    lj = hyps.log_prior[:, None] + log_w[None, :] + loglik
    lm = np.logaddexp.reduce(lj, axis=1)
    lm = lm - np.logaddexp.reduce(lm)
    return np.exp(lm)


def summarize(hyps: Hypotheses, probs: np.ndarray) -> dict:
    """Posterior per label (pair splits summed), largest first."""
    out: dict = {}
    for lab, p in zip(hyps.labels, probs):
        out[lab] = out.get(lab, 0.0) + float(p)
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def module_marginals(hyps: Hypotheses, probs: np.ndarray) -> dict:
    """Probability that each module leaks (alone or with another) [-]."""
    m = (hyps.shares > 0).astype(float).T @ probs
    return {mid: float(v) for mid, v in zip(hyps.module_ids, m)}


def outcome_classes(hyps: Hypotheses, station: Station, closed) -> tuple:
    """Group hypothesis rows by the set of zones that leak in a configuration.

    Returns ``(zones, keys)``: the zones and, per row, a hashable key (tuple of leaking zone indices).
    """
    zones = station.zones(closed)
    idx = {m: i for i, m in enumerate(hyps.module_ids)}
    member = np.zeros((len(hyps.module_ids), len(zones)))
    for zi, z in enumerate(zones):
        for m in z:
            member[idx[m], zi] = 1.0
    zs = hyps.shares @ member > 0
    keys = [tuple(np.flatnonzero(row)) for row in zs]
    return zones, keys
