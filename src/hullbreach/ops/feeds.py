"""Feeds that push telemetry into a :class:`~hullbreach.ops.monitor.Monitor` besides HTTP ingest.

- :class:`ReplayFeed`: any file the readers accept (``--replay FILE --speed X``), paced at X times real time;
  after a restart it resumes after the newest archived sample.
- :class:`IssLiveFeed`: NASA's public ISS Live stream through ``lightstreamer-client-lib`` (server
  ``https://push.lightstreamer.com``, adapter set ``ISSLIVE``, items such as ``USLAB000058``). ISS Live
  pressures are in mmHg although NASA's public catalogue says psi (reference README, "public telemetry");
  the station files give those sensors in mmHg, so values pass as they are. The clock item ``TIME_000001``
  (hours since the start of the UTC year) stops advancing when the feed is stale: the feed is then marked
  stale (``feed.stale`` in ``/api/state`` and every update) and its samples are not trusted as live.

Units: times [ns since the epoch, UTC] or [s]; values in the sensor's unit.
"""

from __future__ import annotations

import threading
import time
import numpy as np
import pandas as pd

from hullbreach.ops.monitor import Monitor

#: ISS Live's Lightstreamer server and adapter set (public, no account).
ISSLIVE_SERVER = "https://push.lightstreamer.com"
ISSLIVE_ADAPTER = "ISSLIVE"
#: The ISS Live clock item: hours since 00:00 UTC on 1 January of the current year.
CLOCK_ITEM = "TIME_000001"


def raw_from_file(path, station) -> pd.DataFrame:
    """Read a telemetry file with the project's readers and give its accepted samples back in sensor units
    (``time`` datetime64[ns, UTC], ``channel``, ``value``), sorted by time (what a replay sends)."""
    from hullbreach.telemetry.readers import read_telemetry
    from hullbreach.units import from_si

    fr = read_telemetry(path, station)
    d = fr.data
    ch = np.asarray(d["channel"].astype(str))
    val = d["value"].to_numpy(dtype=float).copy()
    for c in pd.unique(ch):
        sel = ch == c
        val[sel] = np.asarray(from_si(val[sel], station.sensors[c].unit), dtype=float)
    return pd.DataFrame({"time": d["time"].to_numpy(), "channel": ch, "value": val})


class ReplayFeed:
    """Replays a recorded file into the monitor at ``speed`` times real time, one batch every ``tick_s``.

    :meth:`run` blocks; :meth:`start` runs it in a
    daemon thread. ``done`` is set at the end of the file.
    """

    def __init__(self, monitor: Monitor, path, *, speed: float = 120.0, tick_s: float = 0.5):
        if not (speed > 0):
            from hullbreach.errors import HullbreachError

            raise HullbreachError(f"--speed must be positive, got {speed}")
        self.monitor, self.path, self.speed, self.tick_s = monitor, path, float(speed), float(tick_s)
        self.done = threading.Event()
        self.stop = threading.Event()
        self.raw = raw_from_file(path, monitor.station)

    def run(self) -> None:
        m = self.monitor
        t = np.asarray(pd.DatetimeIndex(self.raw["time"]).asi8, dtype=np.int64)
        ch = self.raw["channel"].to_numpy(dtype=object)
        v = self.raw["value"].to_numpy(dtype=float)
        _, newest = m.archive.time_range()
        i = 0 if newest is None else int(np.searchsorted(t, newest, side="right"))
        m.feed.update({"source": f"replay x{self.speed:g}", "stale": False})
        if i >= len(t):
            self.done.set()
            return
        t_data0, t_wall0 = int(t[i]), time.monotonic()
        while i < len(t) and not self.stop.is_set():
            upto = t_data0 + int((time.monotonic() - t_wall0 + self.tick_s) * self.speed * 1e9)
            j = int(np.searchsorted(t, upto, side="right"))
            if j > i:
                m.ingest(t[i:j], ch[i:j], v[i:j])
                m.feed.update({"last_wall": time.time(), "stale": False})
                i = j
            self.stop.wait(self.tick_s)
        m.feed.update({"source": f"replay x{self.speed:g} (finished)"})
        self.done.set()

    def start(self) -> threading.Thread:
        th = threading.Thread(target=self.run, name="hullbreach-replay", daemon=True)
        th.start()
        return th


def hours_of_year_to_ns(hours: float, year: int) -> int:
    """ISS Live time stamp (hours since 00:00 UTC on 1 January of ``year``) -> ns since the epoch."""
    return int(pd.Timestamp(year=year, month=1, day=1, tz="UTC").value + round(float(hours) * 3600e9))


class IssLiveFeed:
    """Subscription to ISS Live; batches the updates into the monitor every ``tick_s`` and watches the clock.

    Parameters
    ----------
    monitor : Monitor
    items : list of str, optional
        ISS Live items (default: the station's sensors that look like ISS Live item names).
    client_factory : callable, optional
        ``(server, adapter) -> client`` with ``subscribe(sub)``, ``connect()``, ``disconnect()`` (the
        Lightstreamer client's API); tests pass a fake, nothing here opens a connection by itself.
    subscription_factory : callable, optional
        ``(mode, items, fields) -> subscription`` with ``addListener(listener)``.
    stale_after_s : float
        Wall-clock time [s] without the clock item advancing after which the feed is stale.
    now : callable
        Wall clock [s] (tests pass a fake).
    """

    def __init__(self, monitor: Monitor, items=None, *, client_factory=None, subscription_factory=None,
                 stale_after_s: float = 60.0, tick_s: float = 1.0, now=time.time, year: int | None = None):
        self.monitor = monitor
        self.items = list(items) if items else [c for c in monitor.station.sensors if _isslive_name(c)]
        self.client_factory = client_factory
        self.subscription_factory = subscription_factory
        self.stale_after_s = float(stale_after_s)
        self.tick_s = float(tick_s)
        self.now = now
        self.year = year
        self._buf: list = []
        self._lock = threading.Lock()
        self._clock: float | None = None        # last clock value [h]
        self._clock_wall: float | None = None   # wall time it last advanced [s]
        self.stop = threading.Event()
        self.client = None

    # -------------------------------------------------------------------------------- listener API
    def onItemUpdate(self, update) -> None:  # noqa: N802 (Lightstreamer's listener interface)
        """Called by the Lightstreamer client for each item update (fields ``TimeStamp``, ``Value``)."""
        item = update.getItemName()
        ts, val = update.getValue("TimeStamp"), update.getValue("Value")
        try:
            hours = float(ts)
        except (TypeError, ValueError):
            return
        if item == CLOCK_ITEM:
            self._on_clock(hours)
            return
        try:
            x = float(val)
        except (TypeError, ValueError):
            return
        year = self.year or pd.Timestamp(self.now(), unit="s", tz="UTC").year
        with self._lock:
            self._buf.append((hours_of_year_to_ns(hours, year), item, x))

    def onSubscriptionError(self, code, message) -> None:  # noqa: N802
        self.monitor.feed.update({"stale": True, "reason": f"ISS Live subscription error {code}: {message}"})

    def _on_clock(self, hours: float) -> None:
        now = self.now()
        if self._clock is None or hours > self._clock:
            self._clock, self._clock_wall = hours, now

    def check_stale(self) -> bool:
        """Mark the feed stale when the clock item has not advanced for ``stale_after_s``; return the flag."""
        now = self.now()
        if self._clock_wall is None:
            stale, why = True, f"no {CLOCK_ITEM} clock received yet"
        else:
            age = now - self._clock_wall
            stale = age > self.stale_after_s
            why = f"ISS Live clock {CLOCK_ITEM} frozen for {age:.0f} s" if stale else ""
        self.monitor.feed.update({"source": "isslive", "stale": stale, "reason": why,
                                  "clock_hours": self._clock})
        return stale

    def flush(self) -> int:
        """Ingest the buffered samples (one batch); return how many."""
        with self._lock:
            buf, self._buf = self._buf, []
        self.check_stale()
        known = self.monitor.known
        buf = [b for b in buf if b[1] in known]
        if not buf:
            return 0
        t = np.array([b[0] for b in buf], dtype=np.int64)
        self.monitor.ingest(t, np.array([b[1] for b in buf], dtype=object), np.array([b[2] for b in buf], dtype=float))
        return len(buf)

    # -------------------------------------------------------------------------------- running
    def connect(self) -> None:
        """Create the client and subscription (the real Lightstreamer library unless factories are given)."""
        if self.client_factory is None or self.subscription_factory is None:
            from lightstreamer.client import LightstreamerClient, Subscription

            self.client_factory = self.client_factory or LightstreamerClient
            self.subscription_factory = self.subscription_factory or Subscription
        self.client = self.client_factory(ISSLIVE_SERVER, ISSLIVE_ADAPTER)
        sub = self.subscription_factory("MERGE", self.items + [CLOCK_ITEM], ["TimeStamp", "Value"])
        sub.addListener(self)
        self.client.subscribe(sub)
        self.client.connect()

    def run(self) -> None:
        self.connect()
        try:
            while not self.stop.wait(self.tick_s):
                self.flush()
        finally:
            try:
                self.client.disconnect()
            except Exception:  # noqa: BLE001 (the library's own errors; the feed is stopping anyway)
                pass

    def start(self) -> threading.Thread:
        th = threading.Thread(target=self.run, name="hullbreach-isslive", daemon=True)
        th.start()
        return th


def _isslive_name(channel: str) -> bool:
    import re

    return re.fullmatch(r"[A-Z0-9]+[0-9]{6}", channel) is not None
