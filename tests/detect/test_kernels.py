"""One implementation per streaming step (issue 16): the streaming detector's sums are the batch's binning bit
for bit, and streaming runs without a compiled twin (Numba is not imported by ``hullbreach.detect``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hullbreach.detect.binning import bin_channels
from hullbreach.detect.fastpath import SUB_BINS
from hullbreach.detect.stream import StreamingDetector
from hullbreach.station import load_station
from hullbreach.units import to_si

ROOT = Path(__file__).resolve().parents[2]
STATION = load_station("iss-2018")
K0 = 28_400_000  # a detector bin [60 s] in 2023


def _raw(seed: int, n: int, p_bad: float):
    """``n`` samples over ~5 bins of random iss-2018 channels (sensor units), in time order, with a share
    ``p_bad`` of them of an unknown channel or NaN."""
    rng = np.random.default_rng(seed)
    chans = list(STATION.sensors)
    t = np.sort(rng.uniform(0.0, 300.0, n))
    ch = rng.choice(chans + ["no.such.channel"], n, p=[(1 - p_bad / 2) / len(chans)] * len(chans) + [p_bad / 2])
    v = np.array([{"pressure": 745.0, "temperature": 22.0}.get(STATION.sensors[c].quantity, 150.0)
                  if c in STATION.sensors else 1.0 for c in ch]) + rng.standard_normal(n)
    v[rng.random(n) < p_bad / 2] = np.nan
    return pd.DataFrame({"time": pd.to_datetime(np.round((K0 * 60.0 + t) * 1e9).astype(np.int64), utc=True),
                         "channel": pd.Categorical(ch), "value": v})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), n=st.integers(1, 3000), p_bad=st.sampled_from([0.0, 0.05]),
       batches=st.integers(1, 40))
def test_streaming_sums_are_the_batch_binning_bit_for_bit(seed, n, p_bad, batches):
    """Samples fed in random batches (numpy.add.at, each sample in order) give, for every completed bin, the
    sums and counts of one ``numpy.bincount`` over the whole record (the batch path), exactly; the fast path's
    sub-bins of the pressure channels the same at 10 s."""
    raw = _raw(seed, n, p_bad)
    sd = StreamingDetector(STATION, checks=False)
    got, got_sub = {}, {}
    eng = sd.engine

    def process(k0, sums, counts):
        for j in range(sums.shape[1]):
            got[k0 + j] = (sums[:, j].copy(), counts[:, j].copy())

    def fast_process(j0, sums, counts, rows, m=None):
        m = sums.shape[1] if m is None else m
        for j in range(m):
            got_sub[j0 + j] = (sums[:, j].copy(), counts[:, j].copy())

    eng.process = process
    eng.fast.process = fast_process
    cuts = np.sort(np.random.default_rng(seed).integers(0, n + 1, batches - 1))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, n]):
        if b > a:
            sd.update(raw.iloc[a:b])
    si = raw.copy()
    known = si["channel"].isin(list(STATION.sensors)).to_numpy()
    si = si[known].reset_index(drop=True)
    si["value"] = [float(to_si(v, STATION.sensors[c].unit)) for c, v in zip(si["channel"], si["value"])]
    if not got:
        return
    k0, sums, counts = bin_channels(si, list(STATION.sensors), 60.0, (min(got), max(got) + 1))
    for k, (s, c) in got.items():
        assert s.tobytes() == sums[:, k - k0].tobytes() and c.tobytes() == counts[:, k - k0].tobytes()
    prow = [c for c in STATION.sensors if STATION.sensors[c].quantity == "pressure"]
    j_done = [j for j in got_sub if j < (max(got) + 1) * SUB_BINS]
    if j_done:
        j0, ssum, scnt = bin_channels(si, prow, 60.0 / SUB_BINS, (min(j_done), max(j_done) + 1))
        for j in j_done:
            assert got_sub[j][0].tobytes() == ssum[:, j - j0].tobytes()
            assert got_sub[j][1].tobytes() == scnt[:, j - j0].tobytes()


def test_streaming_detection_imports_no_compiled_twin():
    """A streaming run and a batch detection with the fast path never import Numba: each step has one
    implementation (NumPy/Python), the one batch and streaming share (17f9473 compiled Numba kernels when a
    StreamingDetector was built)."""
    code = (
        "import sys\n"
        "from tests.detect.test_kernels import _raw, STATION\n"
        "from hullbreach.detect.stream import StreamingDetector\n"
        "sd = StreamingDetector(STATION, checks=False)\n"
        "raw = _raw(1, 4000, 0.0)\n"
        "for a in range(0, 4000, 97):\n"
        "    sd.update(raw.iloc[a:a + 97])\n"
        "assert sd.engine.k_next is not None\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**__import__("os").environ,
                              "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
