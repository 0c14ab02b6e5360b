"""The real Astro Pi recording fixture (tests/data/real/README.md): provenance and what the data show.

Source: github.com/raspberrypilearning/astro-pi-flight-data-analysis, data/astro_pi_data_20150824_085954.zip
(commit f6e7dcd2, CC BY-SA 4.0). These tests pin the fixture itself (the facts the docs state about it), so
that the detector's tests can rely on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hullbreach.station import load_station
from hullbreach.telemetry import read_telemetry

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
CSV = REAL / "astropi-columbus-2015-08.csv"
STATION = REAL / "astropi-columbus.toml"


@pytest.fixture(scope="module")
def table():
    return pd.read_csv(CSV, parse_dates=["time"])


def test_provenance_is_written_down():
    text = (REAL / "README.md").read_text(encoding="utf-8")
    for needle in ("raspberrypilearning/astro-pi-flight-data-analysis", "f6e7dcd282e2242074d924186f7624fadd5028bb",
                   "CC BY-SA 4.0", "astro_pi_data_20150824_085954"):
        assert needle in text


def test_reader_takes_every_sample():
    st = load_station(STATION)
    frame = read_telemetry(CSV, st)
    n = len(pd.read_csv(CSV))
    assert frame.n_accepted == 3 * n
    assert len(frame.quarantined) == 0


def test_windows_show_what_the_docs_say(table):
    # window 1 flat (pressure within +0.6 hPa), window 2 falling ~4 hPa while the board warms ~2 K
    w1 = table[table["time"] < pd.Timestamp("2015-08-21T06:00Z")]
    w2 = table[table["time"] >= pd.Timestamp("2015-08-22T08:00Z")]
    assert len(w1) > 2000 and len(w2) > 2000
    p1, p2 = w1["columbus.pressure"].to_numpy(), w2["columbus.pressure"].to_numpy()
    assert 0.0 < p1[-60:].mean() - p1[:60].mean() < 0.6
    assert -4.5 < p2[-60:].mean() - p2[:60].mean() < -3.5
    t2 = w2["columbus.temp_h"].to_numpy()
    assert 1.8 < t2[-60:].mean() - t2[:60].mean() < 2.6
    # quantised at 0.01 hPa: steps of one count dominate, the sensor is never constant for long
    steps = np.round(np.diff(p1) / 0.01)
    assert np.all(steps == np.round(steps)) and np.mean(steps == 0) < 0.7
    dt = w1["time"].diff().dt.total_seconds().dropna()
    assert 9.0 <= dt.median() <= 11.0
