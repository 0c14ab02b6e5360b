"""Evidence catalogue, case files and the attribution posterior (incl. the Soyuz MS-09 validation)."""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hullbreach.cause import evidence as ev
from hullbreach.cause.attribute import attribute
from hullbreach.errors import CaseError

MS09 = (ev.resources.files("hullbreach.cause") / "cases" / "ms09.toml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ms09():
    return attribute(ev.load_case("ms09"), n_samples=5000)


def test_every_likelihood_has_a_source_a_rationale_and_a_range():
    for (f, v), r in ev.CATALOGUE.items():
        assert len(r.rationale) > 30 and r.source
        for h in ev.HYPOTHESES:
            e, lo, hi = r.likelihood[h]
            assert 0 < lo <= e <= hi <= 1
        assert any(r.likelihood[h][1] < r.likelihood[h][2] for h in ev.HYPOTHESES), (f, v)
    for h, p in ev.DEFAULT_PRIORS.items():
        assert p.low < p.estimate < p.high and p.rationale and p.source


def test_ms09_favours_drilling(ms09):
    """MS-09 (docs/reference/figures.md: drilled, several attempts, from inside, under sealant): drilling must win."""
    assert ms09.p_drilling.low > 0.99
    best = max(ev.HYPOTHESES, key=lambda h: ms09.posterior[h].estimate)
    assert best in ev.DRILLING


def test_ms09_leaves_ground_vs_orbit_open(ms09):
    """No public evidence settles ground vs orbit: the 95 % interval of P(ground | drilled) must be wide and
    straddle 1/2, and the tornado's top input must be a base rate, not an evidence item."""
    gs = ms09.ground_share
    assert gs.low < 0.5 < gs.high
    assert gs.high - gs.low > 0.5
    assert ms09.sensitivity[0].param.name.startswith("prior: drilling")
    assert any("does not decide" in line for line in ms09.summary)


def test_ms09_mmod_prior_is_small_but_not_zero(ms09):
    """Time in orbit before the leak ~84 days; 17 m^2 of baseline MLI + 1.9 mm AMG6: a fraction of a percent."""
    assert 1e-4 < ms09.mmod["total"].probability < 0.02
    assert 80 < ms09.case.exposure_s / 86400 < 90
    assert ms09.posterior["meteoroid"].estimate < 1e-6 and ms09.posterior["orbital_debris"].estimate < 1e-6


def test_posterior_estimates_sum_to_one_and_intervals_contain_them(ms09):
    assert sum(ms09.posterior[h].estimate for h in ev.HYPOTHESES) == pytest.approx(1.0)
    for h in ev.HYPOTHESES:
        iv = ms09.posterior[h]
        assert iv.low <= iv.estimate <= iv.high


def test_sensitivity_sorted_and_json_complete(ms09):
    swings = [s.swing for s in ms09.sensitivity]
    assert swings == sorted(swings, reverse=True)
    js = ms09.to_json()
    assert set(js["posterior"]) == set(ev.HYPOTHESES)
    assert set(js["mmod_penetration_probability"]) == {"estimate", "low", "high"}
    assert js["sensitivity"] and all(e["source"] for e in js["evidence"])


def _case(text):
    return ev.parse_case(text, "case.toml")


def test_impact_looking_evidence_attributes_to_mmod():
    text = re.sub(r"\[evidence\].*", """[evidence]
hole_shape = "irregular"
edges = "melted_or_petalled"
entry_side = "outside"
melt = true
residue = "projectile"
tool_marks = false
attempts = 1
sealant = "none"
""", MS09, flags=re.S)
    a = attribute(_case(text), n_samples=2000)
    p_mmod = a.posterior["meteoroid"].estimate + a.posterior["orbital_debris"].estimate
    assert p_mmod > 0.9


def test_slit_evidence_attributes_to_crack():
    text = re.sub(r"\[evidence\].*", """[evidence]
hole_shape = "slit"
edges = "jagged"
entry_side = "none"
tool_marks = false
sealant = "none"
melt = false
""", MS09, flags=re.S)
    a = attribute(_case(text), n_samples=2000)
    assert max(ev.HYPOTHESES, key=lambda h: a.posterior[h].estimate) == "fatigue_crack"


def test_fresh_sealant_moves_towards_orbit(ms09):
    a = attribute(_case(MS09.replace('sealant_age = "unknown"', 'sealant_age = "fresh"')), n_samples=2000)
    assert a.ground_share.estimate < ms09.ground_share.estimate


def test_prior_override_in_case_file(ms09):
    text = MS09 + '\n[priors]\ndrilling_orbit = {estimate = 1e-6, low = 1e-7, high = 1e-5, rationale = "test"}\n'
    a = attribute(_case(text), n_samples=2000)
    assert a.ground_share.estimate > ms09.ground_share.estimate


@pytest.mark.parametrize("old,new,key", [
    ("wall_area_m2 = 17.0", "wall_area_m2 = -17.0", "wall_area_m2"),
    ("launch = 2018-06-06T11:12:39Z", "launch = 2018-09-06T11:12:39Z", "docking"),
    ("leak_onset = 2018-08-29T23:00:00Z", "leak_onset = 2018-06-07T23:00:00Z", "leak_onset"),
    ("altitude_km = 408.0", "altitude_km = 408.0\nspeed_km_s = 7.0", "speed_km_s"),
    ('hole_shape = "round"', 'hole_shape = "square"', "hole_shape"),
    ('hole_shape = "round"', 'colour = "red"', "colour"),
    ("diameter_mm = 2.0", "diameter_mm = 0.0", "diameter_mm"),
    ('wall = "soyuz-om"', 'wall = "cardboard"', "wall"),
    ("altitude_km = 408.0", "altitude_km = 50.0", "altitude_km"),
])
def test_impossible_case_files_name_file_line_and_key(old, new, key):
    bad = MS09.replace(old, new)
    assert bad != MS09
    with pytest.raises(CaseError) as exc:
        _case(bad)
    msg = str(exc.value)
    line = next(i for i, l in enumerate(bad.splitlines(), 1) if l.strip().startswith(key))
    assert f"case.toml:{line}" in msg and key in msg


def test_load_case_by_path_and_errors(tmp_path):
    p = tmp_path / "x.toml"
    p.write_text(MS09)
    assert ev.load_case(p).name == ev.load_case("ms09").name
    with pytest.raises(CaseError):
        ev.load_case(tmp_path / "missing.toml")
    with pytest.raises(CaseError):
        ev.load_case("no-such-case")
    with pytest.raises(CaseError):
        ev.parse_case("x = [", "broken.toml")


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.sampled_from(ev.FEATURES), st.integers(0, 10), max_size=6), st.integers(0, 2**16))
def test_posterior_is_a_distribution_for_any_evidence(picks, seed):
    evidence = {f: ev.FEATURE_VALUES[f][i % len(ev.FEATURE_VALUES[f])] for f, i in picks.items()}
    body = "\n".join(f'{k} = "{v}"' for k, v in evidence.items())
    text = re.sub(r"\[evidence\].*", "[evidence]\n" + body + "\n", MS09, flags=re.S)
    a = attribute(_case(text), n_samples=300, seed=seed)
    total = sum(a.posterior[h].estimate for h in ev.HYPOTHESES)
    assert total == pytest.approx(1.0)
    assert all(0 <= a.posterior[h].low <= a.posterior[h].high <= 1 for h in ev.HYPOTHESES)
    assert math.isfinite(a.p_drilling.estimate)


def test_onset_override_changes_exposure_and_phase(ms09):
    c = ev.load_case("ms09")
    later = c.with_onset("2018-10-15T00:00:00Z")
    assert later.exposure_s > c.exposure_s
    early = c.with_onset("2018-06-07T12:00:00Z")
    assert early.evidence["onset_phase"] == "free_flight"
    a = attribute(later, n_samples=500)
    assert a.mmod["total"].probability > ms09.mmod["total"].probability
    with pytest.raises(CaseError):
        c.with_onset("2018-06-01T00:00:00Z")
    with pytest.raises(CaseError):
        c.with_onset("yesterday")


def test_inaccessible_spot_moves_to_ground_and_accessible_towards_orbit(ms09):
    no = attribute(_case(MS09.replace('accessible_in_flight = "unknown"', 'accessible_in_flight = false')), n_samples=500)
    yes = attribute(_case(MS09.replace('accessible_in_flight = "unknown"', 'accessible_in_flight = true')), n_samples=500)
    assert no.ground_share.estimate > 0.95
    assert yes.ground_share.estimate < ms09.ground_share.estimate < no.ground_share.estimate
    assert no.p_drilling.estimate > 0.99 and yes.p_drilling.estimate > 0.99


def test_crater_lip_and_spall_point_to_impact():
    text = re.sub(r"\[evidence\].*", "[evidence]\ncrater_lip = true\nspall = true\nburr_direction = \"inward\"\n",
                  MS09, flags=re.S)
    a = attribute(_case(text), n_samples=500)
    assert a.posterior["meteoroid"].estimate + a.posterior["orbital_debris"].estimate > 0.9


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(-400, 400))
def test_case_parser_accepts_only_positive_areas_and_ordered_dates(area, shift_days):
    """Property: the parser either returns a consistent case or raises CaseError (never anything else)."""
    import datetime as dt

    onset = dt.datetime(2018, 8, 29, 23, tzinfo=dt.timezone.utc) + dt.timedelta(days=shift_days)
    text = MS09.replace("wall_area_m2 = 17.0", f"wall_area_m2 = {area!r}")  # TOML reads nan/inf too
    text = text.replace("leak_onset = 2018-08-29T23:00:00Z", f"leak_onset = {onset.strftime('%Y-%m-%dT%H:%M:%SZ')}")
    try:
        c = _case(text)
    except CaseError as exc:
        assert "case.toml" in str(exc)
        return
    assert c.wall_area_m2 > 0 and math.isfinite(c.wall_area_m2)
    assert c.launch <= c.docking <= c.leak_onset


def test_ms09_prior_uses_the_probabilistic_limit_and_says_how_it_moved(ms09):
    js = ms09.to_json()
    new, old = js["mmod_penetration_probability"], js["mmod_penetration_probability_hard_ble"]
    st_ = js["mmod_limit"]
    assert st_["family"] == "transfer" and st_["fitted_on_shots"] is False  # no shots exist for the Soyuz wall
    # the steps multiply back to the two totals
    n_old, n_new = st_["expected_perforations_hard_ble"], st_["expected_perforations_probabilistic"]
    assert st_["factor_running_minimum"] * st_["factor_offset_scatter_shift"] == pytest.approx(n_new / n_old)
    assert new["estimate"] == pytest.approx(-math.expm1(-n_new), rel=1e-9)
    assert old["estimate"] == pytest.approx(-math.expm1(-n_old), rel=1e-9)
    # the limit model's band widens the interval beyond the flux factor alone
    assert new["high"] / new["estimate"] > old["high"] / old["estimate"]
    assert st_["posterior_mmod_probabilistic"] / st_["posterior_mmod_hard_ble"] == pytest.approx(
        (n_new / n_old), rel=0.2)  # tiny priors: the posterior odds move with the prior
    line = next(s for s in ms09.summary if s.startswith("How that moved"))
    assert "hard handbook limit" in line and f"x{st_['factor_running_minimum']:.2f}" in line
    assert ms09.p_drilling.low > 0.99  # the verdict does not hinge on the limit model
