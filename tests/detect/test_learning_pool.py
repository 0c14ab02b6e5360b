"""A zone formed by a hatch change pools the Allan blocks its parent zone measured on the same gas (issue 16,
session 7): the bulk-gas offset does not reset when a hatch closes, so neither zone needs the whole record of the
largest scale on its own. On the third generator's 2-day records a zone's 64-bin scale (at 120 s N2 bins) had 2-3
second differences between two logged operations and the zones stayed ``learning`` to the end (17f9473)."""

import numpy as np

from hullbreach.detect.noise import ALLAN_MIN_COUNT, NoiseModel, _Buf

MASS_KG, TEMP_K, BIN_S = 260.0, 295.0, 120.0


def _model(x: np.ndarray, inherit=None) -> NoiseModel:
    y, real = _Buf(), _Buf(bool)
    y.extend(x)
    real.extend(np.ones(len(x), dtype=bool))
    nm = NoiseModel(y, real, 720)
    nm.inherit = inherit
    nm.set_prior(MASS_KG, TEMP_K, BIN_S)
    nm.update()
    return nm


def _track(n: int, seed: int) -> np.ndarray:
    """White analyser noise (0.08 kg, ~0.1 K of the N2 mass) and a 1 h, 0.05 K OU offset [kg]."""
    rng = np.random.default_rng(seed)
    rho = np.exp(-BIN_S / 3600.0)
    ou = np.zeros(n)
    for i in range(1, n):
        ou[i] = rho * ou[i - 1] + np.sqrt(1 - rho * rho) * rng.standard_normal()
    return 0.08 * rng.standard_normal(n) + MASS_KG * 0.05 / TEMP_K * ou


def test_split_zone_ends_learning_on_the_pooled_blocks():
    """Parent: 14 h (6 blocks of 64 bins, 4 second differences); child: 10.7 h (5 blocks, 2-3): neither alone
    measures the 64-bin scale (ALLAN_MIN_COUNT = 6), together they do, and the 6 h prior's component is measured
    (4 x 64 bins >= 180). On 17f9473 the child stayed ``learning``: it inherited the parent's variances and its
    largest scale (16 bins), not the data behind them."""
    parent = _model(_track(420, 1))
    assert parent.learning(419)
    child = _model(_track(320, 2), inherit=parent.relative_slow())
    assert not child.learning(319)
    alone = _model(_track(320, 2))
    assert alone.learning(319)


def test_pooling_weights_by_count_and_keeps_the_history_bound():
    from hullbreach.detect.noise import counted, pool_allan_rows

    own = [(4, 1.0, 0.5, 20), (16, 2.0, 1.0, 4)]
    par = [(4, 3.0, 0.5, 20), (16, 4.0, 1.0, 4), (64, 5.0, 2.0, 3)]
    rows = pool_allan_rows(own, par)
    assert [r[0] for r in rows] == [4, 16, 64]
    assert rows[0][1] == 2.0 and rows[0][3] == 40
    assert abs(rows[0][2] - np.hypot(20 * 0.5, 20 * 0.5) / 40) < 1e-12
    assert [r[0] for r in counted(rows)] == [4, 16]  # 64: 3 < ALLAN_MIN_COUNT
    assert ALLAN_MIN_COUNT > 3
    # the parent's count is cut so that both cover at most the history, its standard error widened to match
    cut = pool_allan_rows([(4, 1.0, 0.5, 20)], [(4, 3.0, 0.5, 100)], history_bins=4 * 52)
    assert cut[0][3] == 50
    assert abs(cut[0][2] - np.hypot(20 * 0.5, 30 * 0.5 * np.sqrt(100 / 30)) / 50) < 1e-12
    # without a parent the rows are the own ones
    assert pool_allan_rows(own, []) == [(4, 1.0, 0.5, 20), (16, 2.0, 1.0, 4)]
