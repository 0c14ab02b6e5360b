"""The fourth generator (tests/generators/fourthgen.py): its physics and its recorder's defects, and what
hullbreach's reader and detector make of a short record. Kept short (6 h records); the sweep is
benchmarks/detect_fourthgen.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hullbreach.telemetry import read_events, read_telemetry
from tests.generators.fourthgen import MMHG, MODULES, MOLAR, Config, Leak, choked_kg_s, generate, station, sunlit_fraction

H6 = 6 * 3600.0


@pytest.fixture(scope="module")
def quiet():
    return generate(Config(duration_s=H6, seed=3, defects=False, represses=False))


def test_sunlit_fraction_limits():
    # beta 0 at 420 km: ~61 % sunlit (eclipse ~36 of 92.6 min); above beta* ~70.2 deg: always sunlit
    assert 0.58 < sunlit_fraction(0.0) < 0.64
    assert sunlit_fraction(75.0) == 1.0
    assert sunlit_fraction(0.0) < sunlit_fraction(50.0) < 1.0


def test_choked_flow_matches_the_textbook_figure():
    # 1 mm^2 of air at 101.325 kPa, 293 K: 0.0404 * p * A / sqrt(T) = 0.239 g/s (White §9.4, Cd = 1)
    assert choked_kg_s(1e-6, 101325.0, 293.0, 0.02897) == pytest.approx(0.0404 * 101325.0 * 1e-6 / 293.0 ** 0.5, rel=0.01)


def test_quiet_cabin_stays_in_its_control_bands(quiet):
    p = quiet.truth["pressure_pa"] / MMHG
    assert 740 < p.min() and p.max() < 780
    t = quiet.truth["temperature_k"] - 273.15
    assert np.all(np.abs(t[:, [0, 2]] - 22.5) < 1.6)  # thermostats hold the lab and hab near the band
    x = quiet.truth["lab_fractions"]
    ppco2 = p[:, 0] * x[:, 2]
    assert 1.5 < ppco2[-360:].mean() < 5.0  # CO2 removal balances 4 crew at a few mmHg
    ppo2 = p[:, 0] * x[:, 1]
    assert 145 < ppo2.min() and ppo2.max() < 180


def test_open_hatches_share_one_pressure_but_not_one_composition(quiet):
    p = quiet.truth["pressure_pa"]
    assert np.max(np.abs(p[:, 0] - p[:, 1])) < 1e-6 * p.max()  # lab and node through an open hatch
    # the thermometers miss part of the gas temperature (lag and the warm layer of the heat load)
    miss = quiet.truth["temperature_k"][:, 0] - quiet.truth["thermometer_k"][:, 0]
    assert miss.std() > 0.01


def test_the_leak_removes_the_mass_its_area_implies():
    rec = generate(Config(duration_s=H6, seed=4, leak=Leak("lab", 0.6, 2 * 3600.0), defects=False, represses=False))
    assert rec.leak_area_m2 > 0
    kg = rec.truth["leak_kg"]
    t = rec.truth["t_s"]
    assert kg[t < 2 * 3600.0].max() == 0.0
    # 0.6 mmHg/h of the 356 m^3 main zone (424 kg of air) is 0.6 / 760 x 424 = 0.335 kg/h
    rate = (kg[-1] - kg[t >= 2 * 3600.0][0]) / ((t[-1] - 2 * 3600.0) / 3600.0)
    assert 0.30 < rate < 0.37


def test_recorder_defects_reach_the_file_and_the_reader_accounts_for_every_sample(tmp_path):
    rec = generate(Config(duration_s=H6, seed=5))
    paths = rec.write(tmp_path)
    head = paths["telemetry"].read_text(encoding="utf-8").splitlines()[0]
    assert head.startswith("time,LAB_P,NODE_P,")
    frame = read_telemetry(paths["telemetry"], station())
    cells = int(rec.wide.drop(columns="time").notna().to_numpy().sum())
    assert frame.n_accepted + frame.n_quarantined == cells
    assert frame.counts.get("duplicate", 0) > 0 and frame.counts.get("out_of_order", 0) > 0
    # units at the edge: the psi and torr gauges read the same cabin within their offsets
    d = frame.data
    med = {c: float(d[d["channel"] == c]["value"].median()) for c in ("LAB_P", "NODE_P", "HAB_P")}
    assert max(med.values()) - min(med.values()) < 2.0 * MMHG
    ev = read_events(paths["events"], station())
    assert set(ev["kind"]) <= {"hatch_open", "hatch_close", "repress"}


def test_detect_on_a_short_leak_free_record_raises_no_alarm(tmp_path):
    """6 h after start-up, a leak-free cabin with every defect: no alarm; the zones say they are learning."""
    from hullbreach.detect.detector import detect
    rec = generate(Config(duration_s=H6, seed=6))
    paths = rec.write(tmp_path)
    st = station()
    res = detect(st, read_telemetry(paths["telemetry"], st), read_events(paths["events"], st), keep_series=False)
    assert not res.alarms, [(a.kind, a.zone, a.time_s) for a in res.alarms]
    assert {z.state for z in res.zones} <= {"learning", "nominal"}
    assert set(MODULES) == {m for z in res.zones for m in z.zone}
    assert pd.Timestamp(res.start_s, unit="s", tz="UTC").year == 2026


def test_molar_masses_are_the_gases():
    assert MOLAR[0] == pytest.approx(0.028013, rel=1e-4) and MOLAR[1] == pytest.approx(0.031999, rel=1e-4)
