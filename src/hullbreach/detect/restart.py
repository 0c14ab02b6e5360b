"""Thermometers that restart after a logger gap (issue 16): their power-on warming is no change of the gas.

A logger that stops and comes back (a loss of signal, a board's power cycle) brings its thermometers back
warming with their own electronics: a self-heated sensor board reads high for tens of minutes after power-on
(the Astro Pi board's thermometers warmed 2 K in 16 minutes after it started, tests/data/real/README.md; the
second generator models it as ``dT_sh (1 - exp(-t / tau_sh))``, tau_sh 30 min, tests/generators/independent.py).
The gas does not share that warming, and a track that divides the pressure by it reads a loss of ``m dT / T``
(0.6 K is 2e-3 of the zone's mass: on iss-2025, 6 of 6 leak-free 12 h records with a 2 h gap alarmed,
docs/benchmarks/robust.md, session 8).

:class:`ThermometerRestarts` (one per zone, owned by :class:`~hullbreach.detect.airmass.AirMassTracker`) watches
each temperature channel's samples bin by bin: a channel with no sample for :data:`RESTART_GAP_S` or more, while
the zone's pressure too had none for that long (a logger gap, not a quiet item of a change-only feed such as ISS
Live, whose thermometers update only when their reading changes), has restarted at its next sample, unless the
zone's pressure changed across that gap by more than the gas temperature can explain (a hole that emptied the zone
during the gap: the thermometers do not matter for it, and the detector sees the loss at once). For
:data:`RESTART_WARMUP_S` from there its readings are withheld (no sample in the zone's vote; the bins are flagged
``restart``) and then it is re-anchored: from its first sample after the warm-up on, it reads with an offset that
makes it continue its last value before the gap. Across the gap and the warm-up
the zone's temperature is thus taken as unchanged: the track's step there is the pressure's own step, which the
detector (:meth:`~hullbreach.detect.detector.ZoneDetector.feed`) bridges within the thermal allowance of the
gap's length (:func:`gap_temperature_sigma_k`), while the pressure channels keep their history. Units: bins,
seconds [s], kelvin [K].
"""

from __future__ import annotations

import math

#: A temperature channel without a sample for this long or longer has restarted at its next sample [s]: its
#: board had time to cool (a self-heated board cools with the same tens of minutes it warms with).
RESTART_GAP_S = 1800.0
#: After a restart a thermometer's readings are withheld for this long [s]: three time constants of the
#: power-on warming (30 min; the second generator's tau_sh; the Astro Pi board warmed 2 K in 16 min), leaving
#: 5 % of it (0.015-0.045 K for a 0.3-0.9 K warming). The zone's track is blind for that long: a leak that
#: starts in the gap is found that much later (2 h instead of 1.5 h: 0.6-1.1 h later on iss-2025, robust.md).
RESTART_WARMUP_S = 5400.0


def gap_temperature_sigma_k(dt_s: float, swings: tuple) -> float:
    """Standard deviation [K] of the gas temperature's change over ``dt_s`` [s] that no thermometer measured,
    for unmeasured swings ``((amplitude [K], period [s]), ...)`` each modelled as an Ornstein-Uhlenbeck process of
    the sine's variance ``a^2 / 2`` and correlation time ``period / 2 pi`` (as
    :func:`~hullbreach.detect.crosscheck.unmeasured_swing_pa` models them): the change of an OU over ``dt`` has
    variance ``2 v (1 - exp(-dt / theta))`` (Gillespie, Phys. Rev. E 54, 2084, 1996): it grows with the gap and
    saturates at twice the swing's variance."""
    var = 0.0
    for a, period in swings:
        var += a * a * -math.expm1(-2.0 * math.pi * max(dt_s, 0.0) / period)
    return math.sqrt(var)


class ThermometerRestarts:
    """Restart state of one zone's temperature channels (see the module docstring).

    Parameters
    ----------
    n_channels : int
        The zone's temperature channels (the order of its vote).
    bin_s : float
        Bin length [s].
    """

    def __init__(self, n_channels: int, bin_s: float, swings: tuple | None = None):
        self.bin_s = float(bin_s)
        self.swings = swings  # unmeasured temperature swings (gap_temperature_sigma_k); None: no pressure check
        self.gap_bins = int(math.ceil(RESTART_GAP_S / bin_s))
        self.warm_bins = int(math.ceil(RESTART_WARMUP_S / bin_s))
        self.last_k: list = [None] * n_channels  # last bin with a sample
        self.last_value = [math.nan] * n_channels  # the channel's last value as read out (after its offset) [K]
        self.ref = [math.nan] * n_channels  # the value it continues after its warm-up [K]
        self.warm_end: list = [None] * n_channels  # first bin after the warm-up (None: not warming)
        self.offset = [0.0] * n_channels  # subtracted from the channel's readings [K]
        self.p_last = None  # last bin with a zone pressure
        self.p_back = None  # bin at which the zone pressure came back after its latest gap (None: none yet)
        self.p_value = math.nan  # the zone pressure at its last bin [Pa]
        self.p_jump = 0.0  # relative change of the zone pressure across its latest gap [-]
        self.p_gap_s = 0.0  # that gap's length [s]
        #: restarts seen: (channel index, bin of its first sample after the gap)
        self.restarts: list = []

    def step(self, x: list, k: int, p: float = math.nan) -> bool:
        """Bin ``k``'s channel means ``x`` [K] (NaN: no sample), changed in place: a warming channel's mean becomes
        NaN, the others lose their offset; ``p``: the zone pressure at ``k`` [Pa] (NaN: none). True when a channel of
        the zone is warming at ``k``."""
        if p == p:
            if self.p_last is not None and k - self.p_last > self.gap_bins:
                self.p_back = k
                self.p_jump = p / self.p_value - 1.0 if self.p_value > 0 else math.inf  # from vacuum: moved
                self.p_gap_s = (k - self.p_last) * self.bin_s
            self.p_last, self.p_value = k, p
        warming = False
        for j, v in enumerate(x):
            if v == v:  # a sample
                last = self.last_k[j]
                if (last is not None and k - last > self.gap_bins and self.p_back is not None and self.p_back > last
                        and not self._pressure_moved(self.last_value[j])):
                    if self.warm_end[j] is None:  # a restart inside a warm-up keeps the first reference
                        self.ref[j] = self.last_value[j]
                    self.warm_end[j] = k + self.warm_bins
                    self.restarts.append((j, k))
                self.last_k[j] = k
                we = self.warm_end[j]
                if we is not None:
                    if k < we:
                        x[j] = math.nan
                        warming = True
                        continue
                    if self.ref[j] == self.ref[j]:
                        self.offset[j] = v - self.ref[j]
                    self.warm_end[j] = None
                c = v - self.offset[j]
                x[j] = c
                self.last_value[j] = c
            elif self.warm_end[j] is not None and k < self.warm_end[j]:
                warming = True
        return warming

    def _pressure_moved(self, t_k: float) -> bool:
        """Did the zone pressure change across its latest gap by more than :data:`RESTART_STEP_Z` standard deviations
        of what the gas temperature (about ``t_k`` [K]) can do unmeasured over it (:func:`gap_temperature_sigma_k`)?"""
        if self.swings is None or not t_k > 0:
            return False
        return abs(self.p_jump) > RESTART_STEP_Z * gap_temperature_sigma_k(self.p_gap_s, self.swings) / t_k


#: A pressure step across a restart is kept as a change of the track only beyond this many standard deviations
#: of the unmeasured gas temperature's change over the gap [-] (as the pressure check's 3 standard errors).
RESTART_STEP_Z = 3.0


def bridge_step(step_kg: float, mass_kg: float, temperature_k: float, dt_s: float, swings: tuple) -> float:
    """The part [kg] of a track's step ``step_kg`` across a restart (gap and warm-up, ``dt_s`` [s] from the last
    measured bin to the re-anchored ones) that the gas temperature cannot have made.

    Across a restart the zone's temperature is taken as unchanged (:class:`ThermometerRestarts`), so the track's
    step is the pressure's own: a leak during the gap plus ``m dT / T`` of the gas's unmeasured change ``dT``
    (``mass_kg`` the track's mass [kg], ``temperature_k`` the zone's [K], ``swings`` as
    :func:`gap_temperature_sigma_k` takes them). The step is kept beyond :data:`RESTART_STEP_Z` standard deviations
    of that thermal part (shrunk towards zero by them): a hole that emptied the zone faster than any temperature
    swing during the gap shows at once; a smaller loss shows in the slope after the restart, on the history the
    pressure keeps."""
    sig = abs(mass_kg) * gap_temperature_sigma_k(dt_s, swings) / temperature_k
    return math.copysign(max(abs(step_kg) - RESTART_STEP_Z * sig, 0.0), step_kg)
