"""A leak's hole on the third generator (``tests/generators/thirdgen.py``, issue 16) is the hole's, not the CO2
removal's venting nor a thermometer's bias step's (see ``test_thermometer_step.py`` for the parts). Fails on
c3455ae by its assertions (no new name is imported)."""

from __future__ import annotations

H = 3600.0


def _lab_leak(**kw):
    from hullbreach.detect.detector import detect
    from tests.generators.thirdgen import LeakSpec, Scenario, generate, ring_station

    st = ring_station()
    onset = kw.pop("onset_s")
    sc = Scenario(seed=1000, pink_common_k=0.0, pink_module_k=0.0,
                  leaks=(LeakSpec("lab", rate_mmhg_per_h=1.0 / 24.0, start_s=onset),), **kw)
    run = generate(st, sc)
    res = detect(st, run.frame(), run.events if len(run.events) else None, keep_series=False)
    hits = [a for a in res.alarms if a.kind == "leak" and "lab" in a.zone]
    assert hits, [z.state for z in res.zones]
    return hits[0], run.leak_areas_m2[0], res


def test_thermometer_step_and_venting_are_not_the_hole():
    """1 mmHg/day in the lab from 12 h, the lab thermometer +0.4 K from 28 h, CO2 removal venting 0.1 kg/day: on
    c3455ae the hole came out +80 % [+41, +119 %] (truth outside); now within 20 %, its interval holding the truth,
    and the step is reported as a thermometer suspicion."""
    a, area, res = _lab_leak(duration_s=40 * H, onset_s=12 * H, thermometer_steps=(("lab.t", 28 * H, 0.4),))
    e = a.estimate.effective_area_m2
    assert abs(e.estimate / area - 1.0) <= 0.2, (e, area)
    assert e.low <= area <= e.high, (e, area)
    assert any(n.startswith("thermometer suspicion") for n in a.estimate.notes), a.estimate.notes
    assert any("thermometer suspicion" in n for n in res.notes)  # said in the result's notes too
    assert any(n.startswith("rate and hole relative to the loss before the onset") for n in a.estimate.notes)
    # the reserve time counts the whole loss: shorter than at the leak's own rate
    r = a.estimate
    own = (r.pressure_pa - r.threshold_pressure_pa) / -r.pressure_rate_pa_s.estimate
    assert r.reserve_time_s.estimate < own


def test_leak_older_than_the_record_is_not_split_without_history():
    """1 mmHg/day in the lab from the record's first second (a leak older than the monitoring), CO2 removal venting
    0.1 kg/day: nothing before the onset tells the background from the leak. The estimate stays the whole loss (the
    leak is not subtracted from itself) and its interval now reaches down to the station's nominal background taken
    off; on c3455ae it was +26 % [+12, +40 %], the truth outside."""
    a, area, _res = _lab_leak(duration_s=30 * H, onset_s=0.0)
    e = a.estimate.effective_area_m2
    assert e.low <= area <= e.high, (e, area)
    assert e.estimate >= area  # the whole loss: never less than the leak's own
