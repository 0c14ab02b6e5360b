"""Compiled kernels of the streaming step (Numba), one bin at a time.

The streaming detector completes one 60 s bin per minute and must answer within the issue's latency goal
(a streaming update under 1 ms). Its per-bin work is a few hundred floating-point operations spread over
arrays of a few dozen elements (the change ages of the GLR statistic, the channels of a zone's vote), where
NumPy's per-call overhead (~1 us per operation) and Python's per-float overhead dominate. These kernels do
that work in compiled loops.

Every kernel performs *the same IEEE-754 operations in the same order* as the NumPy or Python code it stands
for (no ``fastmath``: no reassociation, no fused multiply-add; ``error_model="numpy"``: a division by zero
gives inf/NaN as in NumPy), so its results are bit for bit those of the batch path. That is tested
(``tests/detect/test_kernels.py``, and the streaming-equals-batch tests of ``tests/detect``).

Numba (Lam, Pitrou and Seibert, "Numba: a LLVM-based Python JIT compiler", LLVM-HPC 2015) is imported only
when a kernel is first needed (the batch path never needs it), and compiled code is cached beside this file
(``cache=True``), so only the first use on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _compiled():
    """The compiled kernels (imports Numba and loads or compiles them on first use), by name."""
    from hullbreach.detect import _kernels_jit as k

    return {"zone_bin_one": k.zone_bin_one, "median": k.median, "fast_scan": k.fast_scan, "fast_scan_run": k.fast_scan_run,
            "stream_add": k.stream_add}


def zone_bin_one(xall, cnts, k: int, prow, p_offs, p_flag, p_noise, p_atol: float, p_dev, p_carry, p_track: float, trow,
                 t_offs, t_flag, t_noise, t_atol: float, t_dev, t_carry, t_track: float, t_single, vols, tnom, six: float):
    """Compiled core of :meth:`hullbreach.detect.airmass.AirMassTracker._zone_bin_scalars` for a zone whose modules
    have at most one temperature channel each: the zone's pressure vote and temperature vote
    (:meth:`~hullbreach.detect.vote.Consensus.run_one`: median of the channels after their offsets,
    channels further than their tolerance flagged from bin ``k``, repeated until none is) and
    ``sum_i V_i / T_i`` over the modules.

    Parameters
    ----------
    xall, cnts : ndarray
        Channel means of the bin [SI] and sample counts, station sensor order.
    k : int
        Bin index.
    prow, trow : ndarray of int
        Rows of the zone's pressure and temperature channels.
    p_offs, p_flag, t_offs, t_flag : ndarray
        Vote state: offsets [Pa], [K] and the bin from which each channel is flagged (inf: never); the
        flags are updated in place.
    p_noise, t_noise : ndarray
        Channel noise [Pa], [K]; ``p_atol``, ``t_atol``: the fault tolerances [Pa], [K].
    p_dev, p_carry, t_dev, t_carry : ndarray
        :attr:`~hullbreach.detect.vote.Consensus.dev` and ``carry`` of each vote [Pa], [K], updated in place.
    p_track, t_track : float
        :attr:`~hullbreach.detect.vote.Consensus.track` of each vote [-]: when not 0, each voting channel's
        offset moves by this share of its departure (``p_offs``/``t_offs`` updated in place).
    t_single : ndarray of int
        Per module, its temperature channel (index into ``trow``) or -1.
    vols, tnom : ndarray
        Module volumes [m^3] and nominal temperatures [K]. ``six``: ``6 sqrt(2)``.

    Returns
    -------
    status : int
        0, or -1 when a valid channel has no offset yet (nothing done: take the Python path).
    p : float
        Zone pressure [Pa]. ``t_cons``: temperature consensus [K]; ``inv_t``: sum V_i / T_i [m^3/K].
    flagged : bool
        A channel was flagged in this bin. ``change``: some channel's flag is this bin.
    """
    return _compiled()["zone_bin_one"](xall, cnts, k, prow, p_offs, p_flag, p_noise, p_atol, p_dev, p_carry, float(p_track),
                                       trow, t_offs, t_flag, t_noise, t_atol, t_dev, t_carry, float(t_track), t_single,
                                       vols, tnom, six)


def fast_scan(X, act, off, ratio, excl, j0: int, jf: int, windows, allow: float, thr: float, noise_sub: int,
              noise_every: int, noise_min: int, m_ring, d2_ring, ex_ring, st, gate_rel: float, gate_sub: int):
    """Compiled scan of the fast path over a run of sub-bins (:class:`hullbreach.detect.fastpath.FastZone`:
    the parameters and units are documented there). Returns the statistic per sub-bin [-]."""
    return _compiled()["fast_scan"](X, act, off, ratio, excl, j0, jf, windows, allow, thr, noise_sub, noise_every,
                                    noise_min, m_ring, d2_ring, ex_ring, st, float(gate_rel), int(gate_sub))


def fast_scan_run(*args):
    """:func:`fast_scan` over a run of sub-bins of one zone with its inputs built in compiled code
    (:meth:`hullbreach.detect.fastpath.FastPaths.process` documents the arguments). Returns the statistic
    per sub-bin [-]."""
    return _compiled()["fast_scan_run"](*args)


def stream_add(t_ns, codes, lut, value, si: bool, scale, offset, bin_ns: int, k_open: int, sums, counts, pslot,
               sub_ns: int, j_open: int, ssums, scounts):
    """Add a usual streaming batch to the open bins and sub-bins in one compiled pass (in place): times [ns],
    channel codes (int64; -1 missing) and their station rows ``lut`` (last entry -1), values in the sensor's
    unit (``si`` False: converted by ``scale``, ``offset``) or SI; ``k_open``, ``j_open``: first open bin and
    sub-bin (-1: none yet); ``pslot``: each row's slot among the pressure channels (-1: none). Returns
    (status, last bin, first sub-bin, last sub-bin); status 0 added, 1 not usual (nothing added), 2 the arrays
    are too short (nothing added)."""
    return _compiled()["stream_add"](t_ns, codes, lut, value, si, scale, offset, bin_ns, k_open, sums, counts, pslot,
                                     sub_ns, j_open, ssums, scounts)


def warm_up() -> None:
    """Compile the kernels, or load them from the cache, now, for the argument types of the streaming step (a
    streaming detector calls this when it is built, so that its first bin step does not pay for it)."""
    f = _compiled()
    z = np.zeros(4)
    rows = np.zeros(1, dtype=np.int64)
    f["zone_bin_one"](z, z.copy(), 0, rows, z[:1].copy(), z[:1].copy(), z[:1].copy(), 1.0, z[:1].copy(), z[:1].copy(),
                      0.0, rows, z[:1].copy(), z[:1].copy(), z[:1].copy(), 1.0, z[:1].copy(), z[:1].copy(), 0.0, rows,
                      z[:1].copy(), z[:1].copy(), 1.0)
    f["fast_scan"](np.zeros((3, 1)), np.zeros((3, 1), dtype=bool), np.zeros(3), np.zeros(1), np.zeros(1, dtype=bool), 0,
                   0, np.array([3], dtype=np.int64), 0.0, 1.0, 4, 2, 1, np.zeros(8), np.zeros(8), np.zeros(8, dtype=bool),
                   np.zeros(7), 0.0, 0)
    f["fast_scan_run"](np.zeros((3, 1)), np.zeros((3, 1)), 0, np.arange(3, dtype=np.int64), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(1),
                       np.zeros(1, dtype=bool), 1, 0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 0, 1, 6, 0,
                       np.array([3], dtype=np.int64), 0.0, 1.0, 4, 2, 1, np.zeros(8), np.zeros(8), np.zeros(8, dtype=bool),
                       np.zeros(7), 0.0, 0)
    i1 = np.zeros(1, dtype=np.int64)
    for si in (True, False):
        f["stream_add"](i1, i1, np.array([0, -1], dtype=np.int64), np.zeros(1), si, np.ones(1), np.zeros(1), 60, 0,
                        np.zeros((1, 1)), np.zeros((1, 1)), i1, 10, -1, np.zeros((1, 1)), np.zeros((1, 1)))
