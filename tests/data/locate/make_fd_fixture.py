"""Rebuild ``fd_behind_stiffener.npz``: case 3 of ``benchmarks/locate_fd.py`` (finite-difference Mindlin plate).

Usage: PYTHONPATH=src:. python tests/data/locate/make_fd_fixture.py [--cache DIR]

Simulates (or reads from the benchmark's cache) case 3, "behind the stiffener" (0.40 x 0.30 m, 1.9 mm AMg6,
free edges, a 3 x thick 12 mm strip at y = 0.19 m, leak at (0.11, 0.25) m, loss factor 3 %, SNR -6 dB, seed 103,
12 sensors, 12 ms at 1 MHz; about 1 CPU-minute quiet) and stores its signals as float16 (the localizer's
answer on float16 and float32 signals is the same to the printed digit).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from benchmarks import locate_fd as bench  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "hb_locate_fd"))
    a = ap.parse_args(argv)
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    z = np.load(bench.record(3, cache))
    np.savez_compressed(Path(__file__).with_name("fd_behind_stiffener.npz"), fs_hz=z["fs_hz"],
                        sensor_positions_m=z["sensor_positions_m"], signals=z["signals"].astype(np.float16))


if __name__ == "__main__":
    main()
