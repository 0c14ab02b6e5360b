"""Make ``astropi-mk2-ir-2022-01-31.csv`` from the Astro Pi Mark II commissioning file (run once; provenance in README.md).

Source: github.com/raspberrypilearning/astro-pi-flight-data-analysis, ``en/resources/Astro PI Mark II
commissioning data - IR.csv`` (added in commit c682efe8ec6a194d3a11e6c00826e68a3d580ef8, 28 Jul 2022; read at
dbf74aff3a4844a4265e87c7ff397e9321d22cbd), CC BY-SA 4.0, Raspberry Pi Foundation. The Astro Pi Mark II "IR"
flight unit logged its Sense HAT every 5-6 s from 2022-01-31 12:21:15 to 2022-02-01 07:51:17 (19.5 h).

Kept: every row, the columns ``Date/Time`` (verbatim: no time zone in the file; Astro Pi logs UTC),
``Temperature`` [degC], ``Humidity`` [%RH] and ``Pressure`` [mbar = hPa], values verbatim. Dropped: the ISS
position, compass, magnetometer, attitude, accelerometer, colour and motion columns (not cabin air; they
would triple the size).

Usage: python make_astropi_mk2_fixture.py "path/to/Astro PI Mark II commissioning data - IR.csv"
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

KEEP = ("Date/Time", "Temperature", "Humidity", "Pressure")


def main(src: str) -> None:
    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    idx = [rows[0].index(k) for k in KEEP]
    out = Path(__file__).with_name("astropi-mk2-ir-2022-01-31.csv")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        for r in rows:
            w.writerow([r[i] for i in idx])


if __name__ == "__main__":
    main(sys.argv[1])
