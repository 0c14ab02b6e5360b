"""Sensor realism: from the true state to what the telemetry shows (vectorised, seeded).

Applied in this order, per sensor, in the sensor's unit: bias and slow drift, Gaussian white noise
(``Sensor.noise_std``), spikes, quantization (``Sensor.resolution``), stuck (the reported value frozen),
dead (NaN or a constant), dropouts (samples removed), and clock jitter on the time stamps.

References
----------
.. [1] Quantization of a digitized channel: the reported value is the nearest multiple of the resolution
   (ISS Live pressure channels report 0.1 mmHg steps; station files give ``resolution``).
.. [2] Sensor fault taxonomy (bias, drift, stuck, spikes, dropouts): A. B. Sharma, L. Golubchik,
   R. Govindan, "Sensor faults: detection methods and prevalence in real-world datasets", ACM TOSN 6(3), 2010.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hullbreach.sim.scenario import SensorFault
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

    @classmethod
    def from_station(cls, station, faults=(), dropout_probability: float = 0.0, clock_jitter_s: float = 0.0) -> "SensorBank":
        """Build the bank for every sensor of ``station`` (faults name sensors by id)."""
        mods = list(station.modules)
        sensors = list(station.sensors.values())
        ids = [s.id for s in sensors]
        col = {sid: i for i, sid in enumerate(ids)}
        scale = np.array([float(from_si(1.0, s.unit)) - float(from_si(0.0, s.unit)) for s in sensors])
        offset = np.array([float(from_si(0.0, s.unit)) for s in sensors])
        return cls(
            ids=ids,
            module_index=np.array([mods.index(s.module) for s in sensors], dtype=np.int64),
            quantity_index=np.array([QUANTITIES.index(s.quantity) for s in sensors], dtype=np.int64),
            scale=scale, offset=offset,
            noise_std=np.array([float(s.noise_std) for s in sensors]),
            resolution=np.array([float(s.resolution) for s in sensors]),
            faults=[(col[f.sensor], f) for f in faults],
            dropout_probability=float(dropout_probability),
            clock_jitter_s=float(clock_jitter_s),
        )

    def __post_init__(self) -> None:
        self._stuck: dict[int, float] = {}
        self._spike_state: dict[int, int] = {}

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
