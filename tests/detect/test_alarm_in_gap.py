"""An alarm is raised only at a bin with data: a bin filled across a data gap is not a measurement (hb7-dreal's
Astro Pi Columbus recording: on 17f9473 the LEAK alarm was dated inside its 26 h gap, with a zero-width rate
interval fitted to the fill)."""

import pandas as pd

from hullbreach.detect.detector import detect


def test_no_alarm_is_dated_inside_a_data_gap(demo, synth, to_frame):
    # a 3 mmHg/h leak from 2 h; no samples at all from 2.25 h to 7 h: the fill across the gap carries the loss
    raw = synth(demo, hours=9, rate_hz=0.1, leak_mmhg_per_h=3.0, onset_h=2.0, seed=21)
    t0 = raw["time"].min()
    gap = (t0 + pd.Timedelta(hours=2.25), t0 + pd.Timedelta(hours=7))
    raw = raw[(raw["time"] < gap[0]) | (raw["time"] >= gap[1])]
    res = detect(demo, to_frame(raw, demo), keep_series=False)
    leaks = [a for a in res.alarms if a.kind == "leak"]
    assert leaks  # the leak is found (after the gap at the latest)
    for a in res.alarms:
        t = pd.Timestamp(a.time_s, unit="s", tz="UTC")
        assert not gap[0] < t < gap[1], (a.kind, t)
        r = (a.estimate_at_alarm or a.estimate).pressure_rate_pa_s
        assert r.high > r.low
