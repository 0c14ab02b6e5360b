"""Channels missing a few samples (issue 16, session 9): a zone's temperature and ppN2 across a dropout.

Called by :class:`hullbreach.detect.airmass.AirMassTracker` (batch and streaming alike, so that both give the same
numbers) on its private zone state ``st`` (fields ``t_last``, ``n2_off``, ``n2_seen``, ``n2_track``). Units: SI
(K, Pa). docs/detection.md §1.
"""

from __future__ import annotations

import math

import numpy as np

from hullbreach.detect.vote import median_list

#: Time constant of a ppN2 analyser's tracked offset from the zone's other analysers [s] (1 h: the analysers' gains
#: drift apart slowly; a fixed offset learned on one bin would carry that bin's noise, 0.5 mmHg per sample).
N2_OFFSET_TAU_S = 3600.0


def hold_last(st, t_cons: np.ndarray) -> np.ndarray:
    """The zone's temperature consensus [K] per bin with a bin that has no thermometer sample (a dropout of a sealed
    module's only thermometer) holding the last consensus, as the single-bin path does. The zone's masses in such
    a bin are unknown (NaN: the detector bridges the gap as any other): the gas temperature was not measured, and a
    held value reads a sealed module's gas cooling with the orbit as a loss (the fifth generator, iss-2018 seed
    300: beam, 13 min without its thermometer, -0.17 mmHg, a leak alarm with the temperature held).

    Until session 9 such a bin fell back to the module's nominal temperature: a sealed PMA's gas at 25.9 C read as
    22.0 C for the minutes of the dropout, a 1.3 % step of its air mass, and a leak alarm hours later (the fifth
    generator, iss-2025 seed 200, pma3)."""
    ok = np.isfinite(t_cons)
    if ok.all():
        if len(t_cons):
            st.t_last = float(t_cons[-1])
        return t_cons
    idx = np.maximum.accumulate(np.where(ok, np.arange(len(t_cons)), -1))
    out = np.where(idx >= 0, t_cons[np.maximum(idx, 0)], st.t_last)
    if len(out) and math.isfinite(out[-1]):
        st.t_last = float(out[-1])
    return out


def ppn2_bin(st, vals: list) -> float:
    """The zone's ppN2 [Pa] of one bin from its analysers' means ``vals`` [Pa] (NaN: no sample), one bin after the
    other (batch and streaming call it alike): their median when every analyser reports (each one's offset from it
    is then learned, tracked with :data:`N2_OFFSET_TAU_S`); when some do not, the mean of the others after their
    offsets.

    Until session 9 it was the median of the analysers present: two analysers 0.3 % apart in calibration (2 mmHg)
    made the zone's ppN2 step by half their difference whenever one missed a few samples, 3 mmHg of N2 track in
    3 bins, a leak alarm (the fifth generator, iss-2025 seed 201, 2.47 h after start-up)."""
    fin = [v for v in vals if math.isfinite(v)]
    if not fin:
        return math.nan
    if len(fin) == len(vals):
        med = median_list(vals)
        st.n2_seen += 1
        if not st.n2_off:
            st.n2_off = [v - med for v in vals]
        else:
            w = max(1.0 / st.n2_seen, st.n2_track)
            st.n2_off = [o + w * (v - med - o) for o, v in zip(st.n2_off, vals)]
        return med
    if not st.n2_off:
        return median_list(vals)
    return sum(v - o for v, o in zip(vals, st.n2_off) if math.isfinite(v)) / len(fin)
