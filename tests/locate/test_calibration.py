"""Issue 13 §2–3: the candidates' leak probabilities are calibrated, bounded likelihood ratios.

Until a8bc68b the spectral leak odds were assumptions (×8 for a source coherent over the whole band, ×4
for a flat top of the band: ×1024 between two sources on spectrum alone) and the loudness term measured
candidates against the strongest of their own CLEAN layer; blind, the first candidate got P 0.69
(``loud``) / 0.56 (``band``) while it was the leak 38 % / 25 % of the time. Now the constants are a MAP
fit of the log score on training recordings (``benchmarks/locate_calibration.py fit``); these tests check
them on held-out ones. The captured inputs (``tests/data/locate/calibration_*.jsonl``, README there) come
from ``benchmarks/locate_calibration.py capture`` on the independent generator
``tests/generators/plate_images.py``. Failing on a8bc68b: the spectrum bound, the coin toss, the held-out
calibration (blind), the log-score comparison and the two end-to-end cases.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.locate import sources as srcs
from hullbreach.locate.sources import SourceInfo, leak_likelihood, leak_probabilities

DATA = Path(__file__).parents[1] / "data" / "locate"


def _bench():
    """benchmarks/locate_calibration.py (its ranking of captured inputs and its calibration figures)."""
    root = Path(__file__).parents[2]
    if "locate_calibration" not in sys.modules:
        sys.path.insert(0, str(root / "benchmarks"))
        spec = importlib.util.spec_from_file_location("locate_calibration", root / "benchmarks" / "locate_calibration.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules["locate_calibration"] = mod
        spec.loader.exec_module(mod)
    return sys.modules["locate_calibration"]


@settings(max_examples=200, deadline=None)
@given(bf1=st.floats(0, 1), hf1=st.floats(-40, 10), bf2=st.floats(0, 1), hf2=st.floats(-40, 10))
def test_spectrum_alone_is_a_weak_cue(bf1, hf1, bf2, hf2):
    """Two stationary sources with no other cue: their spectra (band fraction, top of the band) may not make
    one more than 16 times likelier the leak than the other (×4 each way at most, the bound of the fit:
    equipment can hiss broadband in the ultrasound, and a masked leak measures narrow). a8bc68b allowed
    ×1024."""
    a = leak_likelihood(SourceInfo(-3.0, (30e3, 300e3), True, bf1, hf1), False, None)[0]
    b = leak_likelihood(SourceInfo(-3.0, (30e3, 300e3), True, bf2, hf2), False, None)[0]
    odds = (a / (1 - a)) / (b / (1 - b))
    assert 1 / 16 - 1e-9 <= odds <= 16.0 + 1e-9
    assert srcs.LR_SPECTRUM_MAX <= 4.0


def test_two_comparable_sources_with_no_cue_are_a_coin_toss_and_a_reference_settles_it():
    """A machine and a leak 8 dB under it (coherence ratio 0.35: the median of the leaks under a louder
    source in the benchmark's training recordings), both stationary and broadband, no cue: neither may get
    more than 0.6 (a8bc68b: 0.80 to the louder). With a reference recording where the louder one is heard and
    the quieter is absent, the quieter's probability rises above 0.9."""
    info = SourceInfo(-3.0, (30e3, 300e3), True, 1.0, -7.0)
    ll = leak_likelihood(info, False, None)[0]
    p = leak_probabilities([(0.30, "leak", ll, 1.0, 0), (0.105, "leak", ll, 1.0, 0)])
    assert max(p) <= 0.6
    ll_eq = leak_likelihood(info, False, True)[0]
    ll_leak = leak_likelihood(info, False, False)[0]
    p = leak_probabilities([(0.30, "equipment", ll_eq, 1.0, 0), (0.105, "leak", ll_leak, 1.0, 0)])
    assert p[1] >= 0.9


def test_found_needs_a_probable_first_and_no_comparable_rival():
    """`candidate_status`: "found" only with P ≥ FOUND_PROBABILITY and no other unidentified source that
    is comparable; the reasons say what is missing."""
    from types import SimpleNamespace as C

    lone = [C(score=0.3, kind="leak", probability=0.95, source=0), C(score=0.02, kind="leak", probability=0.005, source=1)]
    assert srcs.candidate_status(lone, 16, False) == ("found", [])
    st_, why = srcs.candidate_status([C(score=0.3, kind="leak", probability=0.7, source=0),
                                      C(score=0.02, kind="leak", probability=0.005, source=1)], 16, False)
    assert st_ == "ambiguous" and any("70% probability" in w for w in why)
    st_, why = srcs.candidate_status([C(score=0.3, kind="leak", probability=0.9, source=0),
                                      C(score=0.1, kind="equipment", probability=0.1, source=1),
                                      C(score=0.05, kind="leak", probability=0.005, source=2)], 16, False)
    assert st_ == "ambiguous" and any("could be the leak" in w for w in why)  # a comparable rival (≥ 10 %)
    assert srcs.candidate_status([], 16, False)[0] == "no source"
    assert srcs.candidate_status(lone, 4, False)[0] == "ambiguous"


def test_a_comparable_source_is_listed_however_unlikely_the_leak():
    """`rank_candidates` leaves out only weak peaks (echoes, residue) that are also improbable; the loudest
    source is listed even at P ≈ 0 (sweep ``machine`` #2: a modulated, cycling fan got P 0.08 % and went
    unlisted, so the crew was not told it was heard)."""
    C = _bench()._Cand  # (position, score, kind, leak likelihood, share, source, layer, radius)
    fan = C((0.37, 0.64), 0.08, "leak", 0.004, 1.0, 0, 0, 0.02)
    leak = C((0.58, 0.18), 0.04, "leak", 0.72, 1.0, 1, 0, 0.02)
    echo = C((0.3, 0.3), 0.004, "leak", 0.7, 1.0, 2, 1, 0.02)
    listed, weak = srcs.rank_candidates([fan, leak, echo])
    assert [c.source for c in listed] == [1, 0] and [c.source for c in weak] == [2]
    assert listed[1].probability < srcs.UNLISTED_PROBABILITY
    assert sum(c.probability for c in listed) == pytest.approx(1.0)


def _rows(name):
    return [json.loads(x) for x in (DATA / name).read_text().splitlines()]


@pytest.mark.parametrize("group,cases", [
    ("blind", ("loud", "band", "machine")),
    ("cues", ("loud+ref", "band+ref", "loud+eq", "band+eq")),
    ("one leak", ("sweep",)),
])
def test_probabilities_are_calibrated_on_held_out_recordings(group, cases):
    """Held-out recordings (benchmark seeds #32–43, never fitted on): the mean probability of the first
    candidate lies within 0.1 of the Wilson 95 % interval of how often it is the leak, every reliability
    bin with ≥ 10 candidates has its mean P within 0.1 of its interval, and "found" is never said
    wrongly. a8bc68b, blind: P(first) 0.70 against 39 % [25, 55] right, and its 0.8–1.0 bin 0.91 against
    62 % (this test fails there)."""
    b = _bench()
    rows = [r for r in _rows("calibration_heldout.jsonl") if r["case"] in cases]
    assert len(rows) >= 12
    m = b._metrics([(r, *b.rank_after(r)) for r in rows])
    assert m["first_lo"] - 0.1 <= m["p_first"] <= m["first_hi"] + 0.1, m
    for bin_ in m["reliability"]:
        if bin_["n"] >= 10:
            lo, hi = bin_["interval"]
            assert lo - 0.1 <= bin_["mean_p"] <= hi + 0.1, (bin_, m)
    assert m["found_right"] == m["found"], m


def test_held_out_log_score_beats_the_session_3_probabilities():
    """On the held-out recordings, blind and with cues, the mean log score (−ln P given to the leak; lower
    is better) of this code is below a8bc68b's formulas on the same captured inputs (blind: 0.74 against
    1.25)."""
    b = _bench()
    root = Path(__file__).parents[2]
    try:
        old = b.lm._load("hb_sources_a8bc68b", "a8bc68b", "src/hullbreach/locate/sources.py")
    except subprocess.CalledProcessError:  # not a git checkout with that commit (an sdist): nothing to compare with
        pytest.skip(f"a8bc68b not reachable from {root}")
    for cases in (("loud", "band", "machine"), ("loud+ref", "band+ref", "loud+eq", "band+eq")):
        rows = [r for r in _rows("calibration_heldout.jsonl") if r["case"] in cases]
        now = b._metrics([(r, *b.rank_after(r)) for r in rows])["log_score"]
        before = b._metrics([(r, *b.rank_before(r, old)) for r in rows])["log_score"]
        assert now < before, (cases, now, before)


@pytest.mark.parametrize("case,i", [("band", 32), ("loud", 33)])
def test_blind_comparable_source_is_a_near_coin_toss_end_to_end(case, i):
    """The localizer itself on benchmark recordings (``benchmarks/locate_mismatch.py``, independent
    generator, 100 ms, held-out seeds): an unknown stationary source louder than the leak, no cue.
    ``band`` #32: Gaussian band noise; ``loud`` #33: broadband equipment. Nothing measured says which is
    the leak, so both are listed, the answer is "ambiguous" and neither gets a clear majority; the leak
    keeps a fair share. a8bc68b's probabilities on the same sources: 0.82 / 0.83 to the equipment (the
    leak 0.17 / 0.17)."""
    b = _bench()
    lm = b.lm
    rng = np.random.default_rng([i, len(case), ord(case[0])])
    c = lm.gen.draw_case(rng, loud=True, equipment_kind=case if case == "band" else None)
    wall = lm.declared_wall()
    syn = lm.gen.run_case(c, lm.gen.perimeter(16, wall.width_m, wall.height_m), duration_s=0.1, seed=rng)
    r = lm.locate(wall, lm.Recording(syn.fs_hz, syn.declared_sensors_m, syn.signals))

    def p_at(pos):
        return sum(x.probability for x in r.candidates if math.dist(x.position_m, pos) <= lm.HIT_M)

    assert r.status == "ambiguous"
    assert p_at(c.other.position_m) > 0 and p_at(c.leak_m) >= 0.3
    assert r.candidates[0].probability <= 0.65


def test_a_real_source_under_a_louder_one_is_not_taken_for_its_leftover():
    """Benchmark ``loud`` #9 (training seed), blind, as captured: stationary equipment 11.7 dB above the
    leak. The leak's coherence is 0.17 of the equipment's (below COMPARABLE_COHERENCE, where CLEAN leftovers
    live), but its steered power is 4 dB under the equipment's, as a real weaker source's is (power excess
    3.8 dB, :func:`sources.power_excess_db`); a leftover of the equipment carries the equipment's power (a
    peak with the same coherence and the equipment's power: excess 7.8 dB). c3455ae discounted both alike
    and gave the equipment P 0.85; now the two sources are a near coin toss and the leftover stays
    improbable."""
    from dataclasses import make_dataclass

    # the fields of localize.Candidate that rank_candidates reads (the position only identifies it here)
    C = make_dataclass("C", ["position_m", "score", "kind", "leak_likelihood", "probability", "source", "layer",
                             "power_db"], frozen=True)

    eq = C((0.9, 0.5), 0.248, "leak", 0.61, 1.0, 0, 0, 3.4)
    leak = C((0.4, 0.6), 0.041, "leak", 0.57, 1.0, 1, 0, -0.6)
    listed, _ = srcs.rank_candidates([eq, leak])
    assert {c.source for c in listed} == {0, 1} and max(c.probability for c in listed) <= 0.6
    leftover = C((0.4, 0.6), 0.041, "leak", 0.57, 1.0, 1, 0, 3.4)
    listed, _ = srcs.rank_candidates([eq, leftover])
    assert listed[0].source == 0 and listed[0].probability >= 0.8
    # unknown powers (NaN): the discount as before
    assert srcs.leftover_fraction(srcs.power_excess_db(float("nan"), 3.4, 0.17)) == 1.0
    assert srcs.leftover_fraction(0.0) == 0.0 and srcs.leftover_fraction(12.0) == 1.0


def test_held_out_blind_answers_given_p_above_0_8_are_right():
    """Held-out recordings (seeds #32–43, never fitted on), no cue: every first candidate given P ≥ 0.8 is
    the leak, and the log score is below c3455ae's 0.737 (its 0.8–1.0 bin held 12 first candidates at mean
    P 0.94 of which 10 were the leak: ``loud`` #39 gave the stationary equipment P 0.89 over a real leak
    it had taken for a leftover)."""
    b = _bench()
    rows = [r for r in _rows("calibration_heldout.jsonl") if r["case"] in ("loud", "band", "machine")]
    ranked = [(r, *b.rank_after(r)) for r in rows]
    for r, cands, _ in ranked:
        if cands[0].probability >= 0.8:
            assert math.dist(cands[0].position_m, r["leak"]) <= b.HIT_M, (r["case"], r["i"], cands[0])
    assert b._metrics(ranked)["log_score"] <= 0.68


def test_ambiguous_says_why_when_the_sources_are_alike_and_what_would_tell():
    """Blind, a leak and stationary band equipment are alike on every physical cue (benchmark ``band``, where
    the captured recordings get this reason in 24 of 24, and ``loud`` in 16 of 24 including its 7 wrong firsts):
    the status says so and names what would settle it (equipment off and record again, a reference
    recording, the equipment in the wall file). Not said when the rival is modulated (its odds ×0.02: a
    cue did speak). c3455ae said only "1 other source(s) heard could be the leak"."""
    from types import SimpleNamespace as C

    a = C(score=0.25, kind="leak", probability=0.55, source=0, leak_likelihood=0.6, stationary=True)
    b = C(score=0.10, kind="leak", probability=0.45, source=1, leak_likelihood=0.55, stationary=True)
    st_, why = srcs.candidate_status([a, b], 16, False)
    assert st_ == "ambiguous" and any("--reference" in w and "switched off" in w for w in why), why
    machine = C(score=0.25, kind="leak", probability=0.3, source=1, leak_likelihood=0.03, stationary=True)
    st_, why = srcs.candidate_status([C(**{**vars(a), "probability": 0.7}), machine], 16, False)
    assert st_ == "ambiguous" and not any("--reference" in w for w in why), why
    cycling = C(**{**vars(b), "stationary": False})
    assert not any("--reference" in w for w in srcs.candidate_status([a, cycling], 16, False)[1])
