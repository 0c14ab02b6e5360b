"""Make ``astropi-columbus-2015-08.csv`` from the Astro Pi flight-recorder file (run once; provenance in README.md).

Source: github.com/raspberrypilearning/astro-pi-flight-data-analysis, ``data/astro_pi_data_20150824_085954.zip``
(commit f6e7dcd282e2242074d924186f7624fadd5028bb, CC BY-SA 4.0, Raspberry Pi Foundation). The Astro Pi "Ed"
in the Columbus module logged its Sense HAT every ~10 s from 2015-08-20 23:58 to 2015-08-24 08:57 UTC.

Kept: two 6 h windows (a flat stretch, and a stretch where the board's thermometers warm by ~3 K while the
cabin pressure falls), the columns ``pressure`` [mbar = hPa, 0.01 steps], ``temp_h`` and ``temp_p`` [degC,
the humidity and pressure sensors' own thermometers, warmed by the Raspberry Pi]. Written as a wide CSV
(ISO 8601 UTC times; the file's times are UTC: ISS time is GMT) that ``hullbreach`` reads as it is.

Usage: python make_astropi_fixture.py path/to/astro_pi_data_20150824_085954.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

WINDOWS = (("2015-08-21T00:00:00", "2015-08-21T06:00:00"), ("2015-08-22T08:00:00", "2015-08-22T14:00:00"))


def main(src: str) -> None:
    d = pd.read_csv(src)
    d["time"] = pd.to_datetime(d["time_stamp"], utc=True)
    parts = [d[(d["time"] >= pd.Timestamp(a, tz="UTC")) & (d["time"] < pd.Timestamp(b, tz="UTC"))] for a, b in WINDOWS]
    out = pd.concat(parts)[["time", "pressure", "temp_h", "temp_p"]]
    out = out.rename(columns={"pressure": "columbus.pressure", "temp_h": "columbus.temp_h", "temp_p": "columbus.temp_p"})
    out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(Path(__file__).with_name("astropi-columbus-2015-08.csv"), index=False, float_format="%.2f")


if __name__ == "__main__":
    main(sys.argv[1])
