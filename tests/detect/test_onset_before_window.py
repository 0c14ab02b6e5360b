"""A leak already under way when a known operation restarts the test window (issue 16, third generator
``tests/generators/thirdgen.py``): an MS-09-rate leak that began 10 min before a logged O2 repress. After the
repress the window restarts on a track that falls in a straight line from its first bin: no loss kink inside
it. The onset MLE then returned the crossing's own bin: an onset interval of zero width hours after the truth
(10.4 h [10.37, 10.43] for a leak of 6.0 h), and the confirmation fitted 3 bins after it and failed for an hour
(a8bc68b + the sparse-ppN2 binning). The onset is now the window's start, its interval reaching back to the
track's first bin (``AlarmFitting._onset_mle``)."""

from __future__ import annotations

from hullbreach.detect.detector import detect
from tests.generators.thirdgen import LeakSpec, Operation, Scenario, generate, ring_station

H = 3600.0


def test_leak_under_way_before_a_known_operation():
    st = ring_station()
    onset = 6 * H
    # a dense analyser (each port every 10 s) keeps this test on the onset alone, not on the sparse-ppN2 binning
    sc = Scenario(duration_s=12 * H, seed=1000, ms_port_period_s=5.0,
                  operations=(Operation("o2_repress", onset - 600.0, kg=3.0, duration_s=2400.0),),
                  leaks=(LeakSpec("lab", rate_mmhg_per_h=0.6, start_s=onset),))
    run = generate(st, sc)
    res = detect(st, run.frame(), run.events, keep_series=False)
    hits = [a for a in res.alarms if a.kind == "leak" and "lab" in a.zone]
    assert hits, [z.state for z in res.zones]
    a = hits[0]
    t0 = res.start_s + onset
    assert a.time_s > t0  # no alarm before the leak
    assert a.onset_s.low <= t0 <= a.onset_s.high, (a.onset_s.low - t0, a.onset_s.high - t0)
    assert abs(a.onset_s.estimate - t0) < 0.5 * H
    assert a.onset_s.estimate <= a.time_s
    r = (a.estimate_at_alarm or a.estimate).pressure_rate_pa_s
    assert r.high < 0.0  # the rate interval at the alarm excludes zero
