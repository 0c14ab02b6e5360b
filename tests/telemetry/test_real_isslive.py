"""A real ISS Live recording of station cabin pressure (tests/data/real/README.md, second section).

Source: github.com/iss-dashboard/ISS-Telemetry-Data, ``life_support/airlock_pressures.csv`` at commit
d24ad0172bbc777a8fac109e3a5e78697e555847: a hobby archive of NASA's public ISS Live (Lightstreamer
``ISSLIVE``) feed, one row a minute. The slice kept is 2025-08-07 09:14-17:48 UTC, the two Quest airlock
gauges (crew lock and equipment lock, open to the station), in mmHg although the ISS Live catalogue lists
psi. No leak was reported on the ISS that day.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hullbreach.cli.main import main
from hullbreach.station import load_station
from hullbreach.telemetry import read_telemetry

REAL = Path(__file__).resolve().parents[1] / "data" / "real"
CSV = REAL / "isslive-airlock-2025-08-07.csv"
STATION = REAL / "isslive-airlock.toml"


def test_provenance_is_written_down():
    text = (REAL / "README.md").read_text(encoding="utf-8")
    for needle in ("iss-dashboard/ISS-Telemetry-Data", "d24ad0172bbc777a8fac109e3a5e78697e555847",
                   "life_support/airlock_pressures.csv", "17 U.S.C.", "isslive-airlock-2025-08-07.csv"):
        assert needle in text


def test_fixture_is_the_slice_the_docs_describe():
    t = pd.read_csv(CSV)
    assert list(t.columns) == ["time", "AIRLOCK000049", "AIRLOCK000054"]
    assert len(t) == 515 and set(np.diff(t["time"].to_numpy())) == {60}
    assert pd.Timestamp(int(t["time"].iloc[0]), unit="s") == pd.Timestamp("2025-08-07T09:14:00")
    # quantized gauges: two levels 0.634 mmHg apart on one, five levels 0.101 mmHg apart on the other
    assert sorted(t["AIRLOCK000049"].unique()) == [756.36151, 756.99597]
    steps = np.diff(np.sort(t["AIRLOCK000054"].unique()))
    assert len(steps) == 4 and np.allclose(steps, 0.101, atol=2e-4)


def test_reader_takes_every_sample_and_the_quantized_gauges_are_not_stuck():
    """A sensor whose steps are coarser than its noise, flipping between two levels, is quantized, not
    stuck (issue 16, detector bullet "quantization")."""
    st = load_station(STATION)
    frame = read_telemetry(CSV, st)
    assert frame.n_accepted == 2 * 515 and len(frame.quarantined) == 0
    assert sorted(frame.trusted_channels()) == ["AIRLOCK000049", "AIRLOCK000054"]


def test_detect_says_no_leak_on_a_day_without_one(tmp_path, capsys):
    """hullbreach detect on 8.6 h of a leak-free day: no alarm, the zone is monitored from pressure alone
    (there is no thermometer in the file) and says how small a leak it could see."""
    import json

    assert main(["detect", str(STATION), str(CSV), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["status"] != "leak" and not d["alarms"]
    zone = d["zones"][0]
    assert zone["state"] in ("learning", "nominal")
    assert zone["min_detectable_pressure_rate_pa_s"] > 0


def test_declared_in_psi_as_the_catalogue_says_gives_no_verdict(tmp_path, capsys):
    """The ISS Live catalogue lists these gauges in psi; the feed carries mmHg. Declared in psi every
    sample reads ~756 psi, impossible for a cabin: nothing is accepted and there is no verdict (never
    "nominal")."""
    text = STATION.read_text(encoding="utf-8").replace('unit = "mmHg"', 'unit = "psi"')
    psi = tmp_path / "psi.toml"
    psi.write_text(text, encoding="utf-8")
    code = main(["detect", str(psi), str(CSV), "--json"])
    out = capsys.readouterr()
    assert code == 1 and "no accepted telemetry samples" in out.err + out.out
