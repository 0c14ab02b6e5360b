"""Build tests/data/locate/vallen_steel_plate_burst.npz from pyVallenAE's examples/steel_plate (MIT)."""
# Usage: python make_vallen_fixture.py PATH/TO/pyVallenAE/examples/steel_plate   (numpy, scipy, sqlite3 only)
import sqlite3
import sys
from pathlib import Path

import numpy as np
import scipy.signal as ss

VALLEN = Path(sys.argv[1])
c = sqlite3.connect(VALLEN / "sample_plain.tradb")
par = {r[0]: r[1] for r in c.execute("select ID, TR_mV from tr_params")}
rows = c.execute("select Time, Chan, ParamID, Pretrigger, SampleRate, Samples, Data from tr_data order by Chan").fetchall()
fs = rows[0][4]
starts = np.array([r[0] * 1e-7 - r[3] / fs for r in rows])  # first sample time of each record [s]
t0 = starts.min()
sigs = [np.frombuffer(r[6], dtype="<i2").astype(float) * par[r[2]] * 1e-3 for r in rows]  # V
T = min(len(s) for s in sigs)
off = (starts - t0) * fs
n0 = int(np.ceil(off.max()))
f = np.fft.rfftfreq(T)
al = np.array([np.fft.irfft(np.fft.rfft(s[:T]) * np.exp(-2j * np.pi * f * o), n=T)[n0:n0 + 5 * 8192]
               for s, o in zip(sigs, off)])
x = ss.decimate(al, 5, ftype="fir", axis=1, zero_phase=True)  # 5 MHz -> 1 MHz
pos = {1: (0.6, 0.6), 2: (0.15, 0.6), 3: (0.15, 0.15), 4: (0.6, 0.15)}  # sample.vaex ChannelPos (m)
p = sqlite3.connect(VALLEN / "sample.pridb")
hits = p.execute("select Time, Chan from ae_data where SetType = 2 order by Time").fetchall()
np.savez_compressed(
    Path(__file__).with_name("vallen_steel_plate_burst.npz"),
    fs_hz=np.float64(1e6),
    sensor_positions_m=np.array([pos[r[1]] for r in rows]),
    signals=x.astype(np.float32),
    channels=np.array([r[1] for r in rows]),
    start_time_s=np.float64(t0 + n0 / fs),
    vallen_hit_channels=np.array([h[1] for h in hits]),
    vallen_hit_times_s=np.array([h[0] * 1e-7 for h in hits]),
    vallen_threshold_v=np.float64(66 * 1.5222644109346688e-6),
    vallen_velocity_m_s=np.float64(5000.0),
)
print(x.shape, t0 + n0 / fs, [h for h in hits])
