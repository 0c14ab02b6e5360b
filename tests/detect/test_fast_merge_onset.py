"""An alarm first seen by the fast path and then by the 60 s test keeps the fast path's earlier time; its onset
came from the 60 s test unchanged and could fall after that time (issue 16's consistency: an alarm's onset is
never after its time). Seen on the third generator (``tests/generators/thirdgen.py``, 2-day records) when an
airlock was repressed from cabin air without a log entry: alarm 21.87 h, onset 21.90 h (a8bc68b + the
sparse-ppN2 binning, whose 120 s N2 bins put the 60 s test's onset edges further from the fast sub-bin)."""

from __future__ import annotations

from types import SimpleNamespace

from hullbreach.detect.estimate import estimate_from_rate
from hullbreach.detect.fastpath import FastAlarm, merge_fast_alarms
from hullbreach.detect.result import Alarm
from hullbreach.uncertain import Interval

ZONE = ("hub", "lab")


def _alarm(time_s: float, onset: Interval) -> Alarm:
    est = estimate_from_rate(zone=ZONE, volume_m3=175.0, pressure_pa=100_000.0, temperature_k=295.0,
                             loss_rate_pa_s=1.0, loss_rate_std_pa_s=0.1, threshold_pa=69_000.0, r_specific=287.05,
                             seed=0, n_samples=200)
    return Alarm(kind="leak", zone=ZONE, time_s=time_s, onset_s=onset, statistic=400.0, threshold=12.1, track="n2",
                 estimate=est, estimate_at_alarm=est)


def _engine(fa: FastAlarm):
    return SimpleNamespace(fast=SimpleNamespace(n_alarms=1, alarms=lambda: [fa]), detectors={}, finished=[])


def test_merged_fast_alarm_onset_not_after_its_time():
    t_fast = 100_000.0
    fa = FastAlarm(zone=ZONE, j=int(t_fast / 10) - 1, time_s=t_fast, z=50.0, threshold=11.0, loss_pa_s=5.0,
                   loss_se_pa_s=0.5, window_s=60.0)
    # the 60 s test alarms 4 min later with an onset 2 min after the fast path's time (its bin edges)
    alarms = [_alarm(t_fast + 240.0, Interval(t_fast + 120.0, t_fast + 60.0, t_fast + 180.0))]
    notes = merge_fast_alarms(_engine(fa), alarms)
    a = alarms[0]
    assert a.time_s == t_fast and notes
    assert a.onset_s.low <= a.onset_s.estimate <= a.onset_s.high <= a.time_s, a.onset_s
    assert a.onset_s.low <= t_fast - fa.window_s  # the fast window's own onset is inside


def test_merged_onset_before_the_fast_time_is_kept():
    t_fast = 100_000.0
    fa = FastAlarm(zone=ZONE, j=int(t_fast / 10) - 1, time_s=t_fast, z=50.0, threshold=11.0, loss_pa_s=5.0,
                   loss_se_pa_s=0.5, window_s=60.0)
    onset = Interval(t_fast - 600.0, t_fast - 900.0, t_fast - 300.0)
    alarms = [_alarm(t_fast + 240.0, onset)]
    merge_fast_alarms(_engine(fa), alarms)
    assert alarms[0].onset_s == onset and alarms[0].time_s == t_fast
