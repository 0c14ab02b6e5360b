"""The third telemetry generator (tests/generators/thirdgen.py): its physics against closed forms and
published figures, and its output read back by hullbreach's readers."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from tests.generators.thirdgen import (
    MMHG_PA,
    LeakSpec,
    Operation,
    Scenario,
    eclipse_fraction,
    generate,
    pink_noise,
    ring_station,
)

H = 3600.0


def test_eclipse_fraction_iss():
    # ISS at ~420 km, beta 0: ~36 min of shadow in a 92.7 min orbit (NASA ISS figures), 0 above beta* ~70 deg
    assert eclipse_fraction(0.0, 420e3) == pytest.approx(36.0 / 92.7, abs=0.02)
    assert float(eclipse_fraction(math.radians(75.0), 420e3)) == 0.0
    assert float(eclipse_fraction(math.radians(50.0), 420e3)) < float(eclipse_fraction(0.0, 420e3))


def test_pink_noise_is_one_over_f():
    rng = np.random.default_rng(3)
    x = pink_noise(2 ** 16, 10.0, 0.05, 1.0 / 600.0, rng)
    assert x.std() == pytest.approx(0.05, rel=1e-9)
    f = np.fft.rfftfreq(len(x), 10.0)
    psd = np.abs(np.fft.rfft(x)) ** 2
    band = (f > 2e-5) & (f < 1e-3)
    slope = np.polyfit(np.log(f[band]), np.log(psd[band]), 1)[0]
    assert -1.4 < slope < -0.6


def test_pink_noise_corner_flattens_below_one_over_two_pi_tau():
    # tau 1 h: corner at 4.4e-5 Hz; well below it the spectrum is flat, well above it still 1/f
    rng = np.random.default_rng(4)
    n = 2 ** 17
    f = np.fft.rfftfreq(n, 10.0)
    psd = np.mean([np.abs(np.fft.rfft(pink_noise(n, 10.0, 0.05, 1.0 / 600.0, rng, tau_s=3600.0))) ** 2
                   for _ in range(12)], axis=0)  # averaged periodogram
    low = (f > 1.5e-6) & (f < 1.2e-5)
    high = (f > 2e-4) & (f < 1.5e-3)
    assert abs(np.polyfit(np.log(f[low]), np.log(psd[low]), 1)[0]) < 0.3
    assert -1.4 < np.polyfit(np.log(f[high]), np.log(psd[high]), 1)[0] < -0.6


def _quiet(**kw):
    return Scenario(duration_s=6 * H, seed=2, crew=0, cdra_air_loss_kg_per_cycle=0.0, oga_kg_per_day=0.0, start_ppco2_mmhg=0.0,
                    **kw)


def test_n2_conserved_without_leak_and_lost_with_it():
    st = ring_station()
    run = generate(st, _quiet())
    n2 = run.truth["n2_kg"].sum(axis=1)
    assert abs(n2[-1] - n2[0]) < 1e-9 * n2[0]
    run = generate(st, _quiet(leaks=(LeakSpec("lab", rate_mmhg_per_h=0.6, start_s=H),)))
    # the leak's relative mass loss at onset is the requested 0.6 mmHg/h over the zone's pressure (the zone's
    # pressure itself also swings with the orbital heating of the lumped thermal model)
    mods = list(st.modules)
    main = [mods.index(m) for m in ("hub", "lab", "hab", "airlock", "escape")]
    m_zone = run.truth["mass_kg"][:, main].sum(axis=1)
    k1, k2 = int(H / 10) + 1, int(H / 10) + 61
    rel_per_h = (m_zone[k1] - m_zone[k2]) / m_zone[k1] / ((k2 - k1) * 10.0 / H)
    p0 = run.truth["pressure_pa"][k1, mods.index("lab")] / MMHG_PA
    assert rel_per_h * p0 == pytest.approx(0.6, rel=0.02)
    total = run.truth["mass_kg"].sum(axis=1)
    assert total[0] - total[-1] == pytest.approx(run.truth["vented_leak_kg"][0], rel=1e-6)


def test_airlock_cycle_returns_air_and_vents_the_residual():
    st = ring_station()
    ops = (Operation("airlock_cycle", H, duration_s=H),)
    run = generate(st, _quiet(operations=ops))
    mods = list(st.modules)
    pa = run.truth["pressure_pa"][:, mods.index("airlock")]
    assert pa.min() < 100.0  # vented to vacuum during the hold
    assert pa[-1] > 0.99 * run.truth["pressure_pa"][-1, mods.index("hub")]  # repressed from the cabin
    lost = run.truth["mass_kg"][0].sum() - run.truth["mass_kg"][-1].sum()
    # residual at the pump floor: p V / (R T) of 34 m^3 at 13.8 kPa ~ 5.5 kg
    assert lost == pytest.approx(13.8e3 * 34.0 / (287.0 * 295.0), rel=0.1)
    kinds = list(run.events["kind"])
    assert kinds == ["hatch_close", "airlock_depress", "airlock_repress", "hatch_open"]


def test_unseen_bulk_offset_and_sensor_defects_are_there():
    st = ring_station()
    sc = replace(_quiet(), drift=(("hab.p", 0.0, 100.0),), thermometer_steps=(("lab.t", 2 * H, 0.4),),
                 dropouts=(("hub.p", H, H),))
    run = generate(st, sc)
    off = run.truth["bulk_temperature_k"] - run.truth["seen_temperature_k"]
    assert off.std(axis=0).min() > 0.005
    raw = run.raw
    hpa = raw.loc[raw["channel"] == "lab.p_hpa", "value"].to_numpy()
    assert np.allclose(hpa * 10, np.round(hpa * 10)) and 990 < np.median(hpa) < 1010
    hub = raw.loc[raw["channel"] == "hub.p", "time"]
    t_rel = (hub - hub.iloc[0]).dt.total_seconds().to_numpy()
    assert not ((t_rel > H + 60) & (t_rel < 2 * H - 60)).any()
    lab_t = raw[raw["channel"] == "lab.t"]
    t_s = (lab_t["time"] - raw["time"].iloc[0]).dt.total_seconds().to_numpy()
    jump = lab_t["value"].to_numpy()[t_s > 2 * H + 600].mean() - lab_t["value"].to_numpy()[(t_s > 2 * H - 1800) & (t_s < 2 * H)].mean()
    assert jump == pytest.approx(0.4, abs=0.15)


def test_files_read_back_by_hullbreach(tmp_path):
    from hullbreach.telemetry import read_events, read_telemetry
    st = ring_station()
    run = generate(st, replace(_quiet(), duration_s=3 * H, operations=(Operation("o2_repress", H, kg=2.0),)))
    paths = run.write(tmp_path)
    frame = read_telemetry(paths["telemetry"], st)
    assert frame.n_accepted + frame.n_quarantined == len(run.raw)
    assert set(frame.data["channel"].astype(str).unique()) == set(st.sensors)
    ev = read_events(paths["events"], st)
    assert list(ev["kind"]) == ["repress"] and float(ev["kg"].iloc[0]) == pytest.approx(2.0)
