"""Sensor realism: from the true state to what the telemetry shows (vectorised, seeded).

First, in SI, the nuisance of :class:`~hullbreach.sim.scenario.Nuisance`: temperature sensors follow the
gas through a first-order lag and read high by their self-heating; pressure-like sensors drift (a linear
rate per sensor and a random walk). Then, per sensor, in the sensor's unit: bias and slow drift faults, Gaussian white noise
(``Sensor.noise_std``), spikes, quantization (``Sensor.resolution``), stuck (the reported value frozen),
dead (NaN or a constant), dropouts (samples removed), and clock jitter on the time stamps.

References
----------
.. [1] Quantization of a digitized channel: the reported value is the nearest multiple of the resolution
   (ISS Live pressure channels report 0.1 mmHg steps; station files give ``resolution``).
.. [3] First-order sensor lag sampled at interval dt: y_k = a y_(k-1) + (1 - a) x_k, a = exp(-dt / tau)
   (exact for an input held over each interval; E. O. Doebelin, *Measurement Systems*, 5th ed., 2004, §3.3).
.. [2] Sensor fault taxonomy (bias, drift, stuck, spikes, dropouts): A. B. Sharma, L. Golubchik,
   R. Govindan, "Sensor faults: detection methods and prevalence in real-world datasets", ACM TOSN 6(3), 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scipy.signal import lfilter

from hullbreach.sim.scenario import Nuisance, SensorFault
from hullbreach.units import from_si

#: Order of the truth quantities a sensor can read.
QUANTITIES = ("pressure", "temperature", "ppo2", "ppn2", "ppco2", "pph2o")
_DAY = 86400.0


@dataclass
class SensorBank:
    """All sensors of a station as arrays, plus the fault state carried from chunk to chunk.

    Attributes
    ----------
    ids : list[str]
        Channel ids in station order.
    module_index, quantity_index : numpy.ndarray
        Module (station order) and quantity (:data:`QUANTITIES`) of each sensor.
    scale, offset : numpy.ndarray
        Linear conversion from SI to the sensor's unit: value_unit = scale * value_si + offset.
    noise_std, resolution : numpy.ndarray
        In the sensor's unit.
    faults : list[tuple[int, SensorFault]]
        Faults with the column of their sensor.
    """

    ids: list
    module_index: np.ndarray
    quantity_index: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    noise_std: np.ndarray
    resolution: np.ndarray
    faults: list
    dropout_probability: float = 0.0
    clock_jitter_s: float = 0.0
    lag_s: float = 0.0
    self_heating_k: np.ndarray | None = None
    power_on_s: float | None = None
    self_heating_tau_s: float = 1800.0
    drift_pa_per_day: np.ndarray | None = None
    random_walk_pa_per_sqrt_day: float = 0.0

    @classmethod
    def from_station(cls, station, faults=(), dropout_probability: float = 0.0, clock_jitter_s: float = 0.0,
                     nuisance: Nuisance | None = None, rng: np.random.Generator | None = None) -> "SensorBank":
        """Build the bank for every sensor of ``station`` (faults name sensors by id); ``nuisance`` draws each
        sensor's self-heating and drift rate from ``rng``."""
        mods = list(station.modules)
        sensors = list(station.sensors.values())
        ids = [s.id for s in sensors]
        col = {sid: i for i, sid in enumerate(ids)}
        scale = np.array([float(from_si(1.0, s.unit)) - float(from_si(0.0, s.unit)) for s in sensors])
        offset = np.array([float(from_si(0.0, s.unit)) for s in sensors])
        qidx = np.array([QUANTITIES.index(s.quantity) for s in sensors], dtype=np.int64)
        resolution = np.array([float(s.resolution) for s in sensors])
        extra: dict = {}
        if nuisance is not None and nuisance.active:
            rng = rng if rng is not None else np.random.default_rng(0)
            step = nuisance.value("pressure_resolution_pa")
            if step:
                resolution = np.where(qidx == 0, step * scale, resolution)
            sh = float(nuisance.value("thermometer_self_heating_k"))
            drift = float(nuisance.value("pressure_drift_pa_per_day"))
            extra = dict(lag_s=float(nuisance.value("thermometer_lag_s")),
                         self_heating_k=np.where(qidx == 1, sh * rng.uniform(0.5, 1.5, len(ids)), 0.0) if sh else None,
                         power_on_s=nuisance.value("thermometer_power_on_s"),
                         self_heating_tau_s=float(nuisance.value("thermometer_self_heating_tau_s")),
                         drift_pa_per_day=np.where(qidx != 1, drift * rng.standard_normal(len(ids)), 0.0) if drift else None,
                         random_walk_pa_per_sqrt_day=float(nuisance.value("pressure_random_walk_pa_per_sqrt_day")))
        return cls(
            ids=ids,
            module_index=np.array([mods.index(s.module) for s in sensors], dtype=np.int64),
            quantity_index=qidx,
            scale=scale, offset=offset,
            noise_std=np.array([float(s.noise_std) for s in sensors]),
            resolution=resolution,
            faults=[(col[f.sensor], f) for f in faults],
            dropout_probability=float(dropout_probability),
            clock_jitter_s=float(clock_jitter_s),
            **extra,
        )

    def __post_init__(self) -> None:
        self._stuck: dict[int, float] = {}
        self._spike_state: dict[int, int] = {}
        self._lag_state: np.ndarray | None = None
        self._walk = np.zeros(len(self.ids))

    def _nuisance(self, t_s: np.ndarray, v: np.ndarray, rng: np.random.Generator) -> None:
        """Thermometer lag and self-heating, pressure drift: in place on the SI values ``v`` (n, k)."""
        temp = self.quantity_index == 1
        if self.lag_s > 0 and temp.any() and t_s.size:
            dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else self.lag_s
            a = float(np.exp(-dt / self.lag_s))
            cols = np.nonzero(temp)[0]
            if self._lag_state is None:  # the sensors have settled before the start
                self._lag_state = v[0, cols].copy()
            y = lfilter([1.0 - a], [1.0, -a], v[:, cols], axis=0, zi=(a * self._lag_state)[None, :])[0]
            v[:, cols] = y
            self._lag_state = y[-1].copy()
        if self.self_heating_k is not None:
            if self.power_on_s is None:
                v += self.self_heating_k
            else:
                age = np.maximum(t_s - self.power_on_s, 0.0)
                v += np.outer(np.where(t_s >= self.power_on_s, 1.0 - np.exp(-age / self.self_heating_tau_s), 0.0),
                              self.self_heating_k)
        press = ~temp
        if self.drift_pa_per_day is not None:
            v += np.outer(t_s / _DAY, self.drift_pa_per_day)
        if self.random_walk_pa_per_sqrt_day > 0 and t_s.size:
            dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 1.0
            steps = rng.standard_normal((t_s.size, len(self.ids))) * (self.random_walk_pa_per_sqrt_day * np.sqrt(dt / _DAY))
            steps[:, ~press] = 0.0
            walk = self._walk + np.cumsum(steps, axis=0)
            v += walk
            self._walk = walk[-1].copy()

    def measure(self, t_s: np.ndarray, truth: np.ndarray, rng: np.random.Generator):
        """Telemetry for sample times ``t_s`` [s after start].

        Parameters
        ----------
        t_s : numpy.ndarray, shape (n,)
            Sample times [s], increasing; successive calls must cover successive spans.
        truth : numpy.ndarray, shape (n, n_sensors)
            True value each sensor sees, in SI [Pa, K] (overwritten).
        rng : numpy.random.Generator

        Returns
        -------
        (time_ns, channel_index, value) : three 1-D arrays, time-major (all channels at the first time,
        then the next), dropouts removed. ``time_ns`` [ns after start, int64] includes the clock jitter
        (rounded to 1 ms).
        """
        n = t_s.size
        k = len(self.ids)
        if n == 0 or k == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int32), np.empty(0)
        v = truth
        self._nuisance(t_s, v, rng)
        v *= self.scale
        v += self.offset
        if np.any(self.noise_std > 0):
            e = rng.standard_normal((n, k))
            e *= self.noise_std
            v += e
            del e
        keep = None
        dead_cols: list[tuple[int, np.ndarray, float | None]] = []
        stuck_cols: list[tuple[int, np.ndarray, SensorFault]] = []
        for c, f in self.faults:
            end = np.inf if f.end_s is None else f.end_s
            win = (t_s >= f.start_s) & (t_s < end)
            if not win.any():
                continue
            if f.kind == "bias":
                v[win, c] += f.magnitude
            elif f.kind == "drift":
                v[win, c] += f.magnitude * (t_s[win] - f.start_s) / _DAY
            elif f.kind == "spike":
                p = min(f.rate_per_h / 3600.0 * (np.median(np.diff(t_s)) if n > 1 else 1.0), 1.0)
                hit = win & (rng.random(n) < p)
                v[hit, c] += f.magnitude * rng.choice([-1.0, 1.0], size=int(hit.sum()))
            elif f.kind == "stuck":
                stuck_cols.append((c, win, f))
            elif f.kind == "dead":
                dead_cols.append((c, win, f.value))
            elif f.kind == "dropout":
                miss = win & (rng.random(n) < f.magnitude)
                if keep is None:
                    keep = np.ones((n, k), dtype=bool)
                keep[miss, c] = False
        res = self.resolution
        q = res > 0
        if q.any():
            # nearest multiple of the resolution; for resolutions 1/N (0.1, 0.05, 1) divide by N so that the
            # result is the double nearest to the decimal (754.9, not 754.90000000000009)
            inv = 1.0 / res[q]
            whole = np.abs(inv - np.round(inv)) < 1e-9 * inv
            cols = np.nonzero(q)[0]
            if whole.all() and cols.size == k:
                n_inv = np.round(inv)
                v *= n_inv
                np.round(v, out=v)
                v /= n_inv
            elif whole.all():
                n_inv = np.round(inv)
                v[:, cols] = np.round(v[:, cols] * n_inv) / n_inv
            else:
                v[:, cols] = np.round(v[:, cols] / res[q]) * res[q]
        for c, win, f in stuck_cols:
            key = id(f)
            if key not in self._stuck:
                self._stuck[key] = float(v[np.argmax(win), c])
            v[win, c] = self._stuck[key]
        for c, win, value in dead_cols:
            v[win, c] = np.nan if value is None else value
        if self.dropout_probability > 0:
            if keep is None:
                keep = np.ones((n, k), dtype=bool)
            keep &= rng.random((n, k)) >= self.dropout_probability
        times = np.repeat(np.round(t_s * 1e9).astype(np.int64), k)
        if self.clock_jitter_s > 0:
            times += np.round(rng.normal(0.0, self.clock_jitter_s * 1e3, times.size)).astype(np.int64) * 1_000_000
        chans = np.tile(np.arange(k, dtype=np.int32), n)
        vals = v.reshape(-1)
        if keep is not None:
            m = keep.reshape(-1)
            return times[m], chans[m], vals[m]
        return times, chans, vals
