"""Two sources closer than CLEAN's residue distance: a second source resolved by the pairs, or leftovers?

CLEAN (:mod:`hullbreach.locate.sources`) takes a map peak within :data:`~hullbreach.locate.sources.RESIDUE_M`
(8 cm) of a source it has found for what it left of that source: where the wall is not what its file says,
a source's pair lobes are chirped and their subtraction leaves something that peaks again a few cm away.
But a second real source 1–8 cm away peaks there too, and was dropped with the leftovers (issue 13's worst
case: band noise as loud as the leak 5–8 cm from it, answered "found", P 1, at the noise).

What tells them apart is the *pairs*, not the map. The map resolves two sources only as far as its
broadband envelope does; each pair resolves them when their path differences differ by more than the
pair's lobe width. Two point sources at x₁ and x₂ give pair (i, j) lobes at Δ_ij(x₁) and Δ_ij(x₂),
Δ_ij(x) = |x − s_i| − |x − s_j|, which differ by up to 2|x₁ − x₂| (|∇Δ_ij| ≤ 2). A lobe's width is the
point-spread kernel's, K(u) = Σ w_m e^{i k_m u} / Σ w_m over the tables' A0 wavenumbers: half-width at half
maximum w₀ ≈ 2π / (k_max − k_min) for the Hann taper (9.1 mm in 2 mm aluminium over 30–300 kHz, where A0
runs from 0.25 to 0.94 rad/mm: about the A0 wavelength at the band's centre, 9.7 mm at 165 kHz; so the
best-placed pairs separate sources ~1 cm apart, the others need more), plus the chirp a wavenumber
model error ε spreads it by, ε|Δ| (:func:`lobe_widths`). In the pairs where the two lobes lie more than
two widths apart (:func:`resolved_pairs`), what CLEAN left of the first source is only the tail of its
chirped lobe, so a peak built from leftovers has a significant lobe at its own predicted path difference in
a few of them, and a real source in most. On the independent generator (``benchmarks/locate_mismatch.py``):
the 76 residue peaks of ``sweep`` #0–15 and ``loud`` #0–7 (one source, or two far apart) 0–64 % (median
~1/3); the 19 real second sources of ``near`` #0–9 and ``close`` #0–15, 53–99 % (16 of them ≥ 2/3).
:func:`second_source` asks for two thirds of at least :data:`MIN_RESOLVED_PAIRS` resolved pairs (a fitted
threshold, checked on held-out ``close`` #16–31), and a coherence comparable to the first source's
(:data:`~hullbreach.locate.sources.COMPARABLE_COHERENCE`: leftovers median 0.10 of the loudest's).

This is the Rayleigh criterion applied pair by pair (two lobes are separate when they are further apart
than the main lobe's width; Born & Wolf, *Principles of Optics*, §7.6.3) rather than on the map, and the
significance is the one CLEAN already uses for a source's own pairs (lobe ≥ 3 x the pair's median
envelope). Units: metres.
"""

from __future__ import annotations

import math

import numpy as np

#: Fraction of the resolved pairs [-] that must carry a significant lobe at the peak's own path difference
#: for it to be a second source rather than leftovers of the first (leftovers 0–64 %, real 53–99 %: see the
#: module docstring).
SECOND_SOURCE_PAIR_FRACTION = 2.0 / 3.0

#: At least this many resolved pairs are needed to call a second source (with fewer, nothing is said).
MIN_RESOLVED_PAIRS = 6


def lobe_half_width(kern) -> float:
    """Half-width at half maximum [m] of the pair point-spread kernel |K(u)|.

    ``kern`` = (u0, du, K) as made by :func:`hullbreach.locate.sources.kernel_table` (K on a grid of step
    du [m] centred on u = 0).
    """
    _, du, K = kern
    a = np.abs(K)
    c = len(K) // 2
    below = np.flatnonzero(a[c:] < 0.5 * a[c])
    return float((below[0] if len(below) else len(K) - c) * du)


def lobe_widths(half_width_m: float, rel_scale_error: float, *deltas: np.ndarray) -> np.ndarray:
    """Per pair, the half-width [m] of a lobe: the kernel's ``half_width_m`` plus the spread ε·|Δ| that a
    relative wavenumber error ``rel_scale_error`` = ε gives a lobe at path difference Δ [m] (the largest of
    ``deltas``)."""
    big = np.max(np.abs(np.stack(deltas)), axis=0)
    return half_width_m + abs(rel_scale_error) * big


def resolved_pairs(delta_new: np.ndarray, delta_old: np.ndarray, widths_m: np.ndarray) -> np.ndarray:
    """Pairs (bool (P,)) whose lobes at path differences ``delta_new`` and ``delta_old`` [m] are separate:
    more than two lobe half-widths ``widths_m`` [m] apart."""
    return np.abs(np.asarray(delta_new) - np.asarray(delta_old)) > 2.0 * np.asarray(widths_m)


def second_source(delta_new: np.ndarray, significant: np.ndarray, olds: list[np.ndarray], half_width_m: float,
                  rel_scale_error: float, coherence_ratio: float, comparable: float) -> tuple[bool, int, float]:
    """Whether a map peak within CLEAN's residue distance of found source(s) is a second source.

    Parameters
    ----------
    delta_new : (P,) path differences [m] the peak predicts (in the tables' units: scaled).
    significant : (P,) bool, the pairs whose lobe at ``delta_new`` is significant (≥ 3 x the pair's median
        envelope, as for a source's own pairs).
    olds : the measured lobe positions δ̂ (P,) [m] of each found source the peak is near.
    half_width_m : the kernel's half-width [m] (:func:`lobe_half_width`).
    rel_scale_error : relative error ε [-] of the wall's A0 wavenumber model (its chirp, :func:`lobe_widths`).
    coherence_ratio : the peak's coherence score over the loudest source's [-].
    comparable : the ratio from which a source counts as comparable (``sources.COMPARABLE_COHERENCE``).

    Returns
    -------
    (is a second source, number of pairs resolving it from every nearby source, the fraction of those
    with a significant lobe [-]).
    """
    res = np.ones(len(delta_new), dtype=bool)
    for d_old in olds:
        res &= resolved_pairs(delta_new, d_old, lobe_widths(half_width_m, rel_scale_error, delta_new, d_old))
    n = int(res.sum())
    frac = float(np.sum(significant & res)) / n if n else 0.0
    ok = n >= MIN_RESOLVED_PAIRS and frac >= SECOND_SOURCE_PAIR_FRACTION and coherence_ratio >= comparable
    return bool(ok), n, frac


def separation_m(a, b) -> float:
    """Distance [m] between two positions."""
    return math.hypot(float(a[0]) - float(b[0]), float(a[1]) - float(b[1]))


def close_rival(cands: list, second_sources: set, within_m: float) -> tuple[float, float] | None:
    """The best candidate's closest rival among the second sources the pairs resolved, if any.

    ``cands``: ranked candidates (``position_m`` [m], ``uncertainty_radius_m`` [m], ``source``), best first;
    ``second_sources``: the source numbers :func:`second_source` admitted; ``within_m``: CLEAN's residue
    distance [m]. A rival is a candidate of another source within ``within_m`` of the best, where one of the
    two sources is such a second source. Returns (its separation [m], the radius [m] around the best
    position that covers the rival's own 95 % disc: separation + its radius), for the farthest such rival;
    None when there is none.
    """
    if not cands:
        return None
    best = cands[0]
    out = None
    for c in cands[1:]:
        if c.source == best.source or not ({c.source, best.source} & set(second_sources)):
            continue
        d = separation_m(best.position_m, c.position_m)
        if d < within_m and (out is None or d + c.uncertainty_radius_m > out[1]):
            out = (d, d + c.uncertainty_radius_m)
    return out


def unresolved_extent(position_m, peaks: list) -> tuple[float, float] | None:
    """(distance [m], covering radius [m]) of the farthest of ``peaks`` from ``position_m`` [m], or None.

    ``peaks``: (position [m], its own 95 % radius [m]) of map peaks as coherent as a source that the pairs
    did not separate from the source at ``position_m`` (:func:`second_source` false): the covering radius
    is the distance plus that radius, so the answer's disc holds the peak's.
    """
    out = None
    for x, r in peaks:
        d = separation_m(position_m, x)
        if out is None or d + r > out[1]:
            out = (d, d + r)
    return out


#: Half-side [m] of the square searched by :func:`bootstrap_radius`: half of CLEAN's residue distance
#: (:data:`~hullbreach.locate.sources.RESIDUE_M`, 8 cm), within which map peaks count as one source.
BOOTSTRAP_HALF_M = 0.04
#: Grid step [m] of that search (the radius is floored elsewhere at the fine step; this only needs to
#: resolve a few millimetres against radii of centimetres).
BOOTSTRAP_STEP_M = 2e-3


def bootstrap_radius(tabs, real: np.ndarray, sensors: np.ndarray, wall, x, scales, wpairs: np.ndarray,
                     half_m: float = BOOTSTRAP_HALF_M, step_m: float = BOOTSTRAP_STEP_M,
                     coverage: float = 0.95) -> float:
    """Radius [m] holding ``coverage`` of the map maximum's positions when the sensors are resampled.

    The bootstrap over sensors (Efron & Tibshirani 1993, ch. 6; ``wpairs`` (B, P): each resample's pair
    weights) of :func:`hullbreach.locate.srp.refine` searches ±8 mm around the peak, so it can never say
    more than ~11 mm. Here each resample's map (Re R, ``real`` (P, D) float32, at path differences scaled
    by each of ``scales`` [-]: the scale free within its own interval) is maximised over the square of
    half-side ``half_m`` [m] around the answer ``x`` (2,) [m], on a ``step_m`` grid, and the radius is the
    ``coverage`` quantile of the displacements. When each sensor pair shows the source's lobe clearly
    (a wall as its model says, enough record) the resamples agree within millimetres; when the peak rests
    on lobes below the noise, or on pairs a scatterer (a stiffener) has shifted, the resamples scatter
    over centimetres, and a quantile at ``half_m`` means the data do not place the source within it.
    """
    from hullbreach.locate import srp

    if len(wpairs) == 0:
        return 0.0
    pts = srp.patch(wall, float(x[0]), float(x[1]), half_m, step_m)
    scales = np.atleast_1d(np.asarray(scales, dtype=float))
    _, vals = srp.lookup(real, tabs.d0, tabs.dd, srp.pair_deltas(sensors, tabs.pi, tabs.pj, pts), scales,
                         want_vals=True)  # (S, G, P)
    bm = srp.bootstrap_scores(wpairs, vals.reshape(-1, vals.shape[2]).astype(np.float32))  # (B, S·G)
    return srp.bootstrap_spread(bm, pts, (float(x[0]), float(x[1])), coverage=coverage)
