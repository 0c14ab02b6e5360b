"""Real recording: the localizer and GCC-PHAT on Vallen's steel-plate event vs Vallen's own localisation.

The plate thickness is not stated, so the declared thickness is swept (1–8 mm, generic steel, 0.8 m x
0.8 m). Prints status, position, 95 % radius and the distance to Vallen's example result (0.222, 0.366) m.

Usage: python benchmarks/locate_real.py
"""

from __future__ import annotations

import math
from pathlib import Path

from hullbreach.locate.lamb import Material
from hullbreach.locate.localize import locate
from hullbreach.locate.signals import load_recording
from hullbreach.locate.wall import Wall

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "locate" / "vallen_steel_plate_burst.npz"
VALLEN = (0.222, 0.366)


def main() -> None:
    rec = load_recording(DATA)
    steel = Material("steel (generic)", 200e9, 0.29, 7850.0)
    print("| declared thickness | method | status | position [m] | 95 % radius [mm] | distance to Vallen [mm] |")
    print("|---|---|---|---|---|---|")
    for h in (0.001, 0.002, 0.003, 0.005, 0.008):
        wall = Wall(h, 0.8, 0.8, steel, name="Vallen steel plate")
        for m in ("dispersive", "gcc-phat"):
            r = locate(wall, rec, method=m)
            if r.position_m is None:
                print(f"| {h * 1e3:.0f} mm | {m} | {r.status} | – | – | – |")
                continue
            d = math.hypot(r.position_m[0] - VALLEN[0], r.position_m[1] - VALLEN[1])
            print(f"| {h * 1e3:.0f} mm | {m} | {r.status} | ({r.position_m[0]:.3f}, {r.position_m[1]:.3f}) | "
                  f"{r.uncertainty_radius_m * 1e3:.1f} | {d * 1e3:.0f} |")


if __name__ == "__main__":
    main()
