"""A zone whose ppN2 comes from a mass spectrometer visiting its sample ports in turn (issue 16, third
generator ``tests/generators/thirdgen.py``): with 60 s bins most N2-track bins were empty, the track never got a
noise estimate and an MS-09-rate leak went unseen ("learning" for ever, status nominal; a8bc68b). The detector
now bins at the analyser's revisit (``hullbreach.detect.binning.track_bin_multiple``)."""

from __future__ import annotations

import numpy as np

from hullbreach.detect.binning import BIN_MULTIPLES, track_bin_multiple
from hullbreach.detect.detector import detect
from tests.generators.thirdgen import LeakSpec, Scenario, generate, ring_station

H = 3600.0


def test_bin_multiple_covers_the_revisit():
    t = np.arange(0.0, 86400.0, 240.0) + 30.0  # one sample every 4 min
    assert track_bin_multiple([t]) == 4
    assert track_bin_multiple([np.arange(0.0, 86400.0, 10.0)]) == 1  # dense: unchanged
    assert track_bin_multiple([]) == 1
    # an outage of 3 h is a gap, not the cadence
    dense = np.arange(0.0, 86400.0, 30.0)
    assert track_bin_multiple([dense[(dense < 20000) | (dense > 30800)]]) == 1
    assert track_bin_multiple([np.arange(0.0, 86400.0, 3600.0)]) == BIN_MULTIPLES[-1]


def test_ms09_leak_seen_with_a_port_switching_analyser():
    st = ring_station()
    sc = Scenario(duration_s=10 * H, seed=11, ms_port_period_s=120.0,
                  leaks=(LeakSpec("lab", rate_mmhg_per_h=0.6, start_s=3 * H),))
    run = generate(st, sc)
    res = detect(st, run.frame(), None, keep_series=False)
    main = [z for z in res.zones if "lab" in z.zone][0]
    assert main.track == "n2"
    hits = [a for a in res.alarms if a.kind == "leak" and "lab" in a.zone]
    assert hits, f"no alarm; zone state {main.state}, sigma {main.sigma_kg}"
    t_rel = min(a.time_s for a in hits) - res.start_s
    assert 3 * H < t_rel < 7 * H
    assert any("sparsely" in n for n in res.notes)
