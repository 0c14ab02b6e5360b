"""The ISS Live feed with a fake Lightstreamer client (no network is ever contacted)."""

from __future__ import annotations

import numpy as np

from hullbreach.ops.archive import open_archive
from hullbreach.ops.feeds import CLOCK_ITEM, ISSLIVE_ADAPTER, IssLiveFeed, hours_of_year_to_ns
from hullbreach.ops.monitor import Monitor


class FakeUpdate:
    def __init__(self, item, ts, value):
        self.item, self.v = item, {"TimeStamp": ts, "Value": value}

    def getItemName(self):  # noqa: N802 (Lightstreamer's API)
        return self.item

    def getValue(self, field):  # noqa: N802
        return self.v[field]


class FakeSub:
    def __init__(self, mode, items, fields):
        self.mode, self.items, self.fields, self.listeners = mode, items, fields, []

    def addListener(self, listener):  # noqa: N802
        self.listeners.append(listener)


class FakeClient:
    made: list = []

    def __init__(self, server, adapter):
        self.server, self.adapter, self.subs, self.connected = server, adapter, [], False
        FakeClient.made.append(self)

    def subscribe(self, sub):
        self.subs.append(sub)

    def connect(self):
        self.connected = True

    def disconnect(self):
        self.connected = False


def test_updates_reach_the_archive_in_mmhg_and_a_frozen_clock_is_stale(tmp_path):
    now = [1_535_580_000.0]
    m = Monitor("iss-2018", open_archive(tmp_path / "a.sqlite"))
    feed = IssLiveFeed(m, client_factory=FakeClient, subscription_factory=FakeSub, stale_after_s=60,
                       now=lambda: now[0], year=2018)
    feed.connect()
    client = FakeClient.made[-1]
    sub = client.subs[0]
    assert client.adapter == ISSLIVE_ADAPTER and client.connected and sub.mode == "MERGE"
    assert "USLAB000058" in sub.items and CLOCK_ITEM in sub.items and sub.fields == ["TimeStamp", "Value"]
    listener = sub.listeners[0]
    h = 5780.5  # hours into 2018
    listener.onItemUpdate(FakeUpdate(CLOCK_ITEM, str(h), "0"))
    # ISS Live sends pressures in mmHg although its catalogue says psi: 755 must stay 755 (a psi reading would be ~14.6)
    listener.onItemUpdate(FakeUpdate("USLAB000058", str(h), "755.2"))
    listener.onItemUpdate(FakeUpdate("USLAB000058", "garbage", "1"))     # unreadable: dropped
    listener.onItemUpdate(FakeUpdate("NOT_A_SENSOR01", str(h), "1"))     # not a station sensor: dropped
    assert feed.flush() == 1
    t, v = m.archive.history("USLAB000058")
    assert v.tolist() == [755.2] and t[0] == hours_of_year_to_ns(h, 2018)
    assert m.feed["stale"] is False
    now[0] += 61.0   # the clock item does not move for 61 s
    listener.onItemUpdate(FakeUpdate(CLOCK_ITEM, str(h), "0"))
    feed.flush()
    assert m.feed["stale"] is True and "frozen" in m.feed["reason"]
    listener.onItemUpdate(FakeUpdate(CLOCK_ITEM, str(h + 0.02), "0"))  # it moves again
    feed.flush()
    assert m.feed["stale"] is False
    assert np.all(np.isfinite(v))


def test_hours_of_year():
    assert hours_of_year_to_ns(0.0, 2018) == 1514764800 * 10**9
    assert hours_of_year_to_ns(24.0, 2018) == (1514764800 + 86400) * 10**9
