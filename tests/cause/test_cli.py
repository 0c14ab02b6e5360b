"""End-to-end CLI tests: attribute, flux, ballistic."""

import json
import subprocess

import pytest

from hullbreach.cli.main import main


def run_subprocess(args):
    r = subprocess.run(["hullbreach", *args], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture
def run(capsys):
    """In-process CLI run (fast); the first test goes through the installed console script instead."""

    def _run(args):
        capsys.readouterr()
        rc = main(list(args))
        out = capsys.readouterr()
        return rc, out.out, out.err

    return _run


def test_attribute_ms09_json_and_report(tmp_path):
    out = tmp_path / "ms09.html"
    rc, so, se = run_subprocess(["attribute", "ms09", "--json", "--report", str(out), "--samples", "2000"])
    assert rc == 0, se
    js = json.loads(so)
    assert set(js["posterior"]) == {"meteoroid", "orbital_debris", "fatigue_crack", "manufacturing_defect",
                                    "drilling_ground", "drilling_orbit"}
    for v in js["posterior"].values():
        assert set(v) == {"estimate", "low", "high"}
    drill = js["posterior"]["drilling_ground"]["estimate"] + js["posterior"]["drilling_orbit"]["estimate"]
    assert drill > 0.99
    assert 0 < js["mmod_penetration_probability"]["estimate"] < 0.02
    assert js["sensitivity"]
    html = out.read_text()
    assert "data:image/png;base64," in html and "tornado" in html.lower()


def test_attribute_accepts_a_toml_path_and_reports_bad_files(tmp_path, capsys):
    from hullbreach.cause.evidence import resources

    text = (resources.files("hullbreach.cause") / "cases" / "ms09.toml").read_text()
    p = tmp_path / "case.toml"
    p.write_text(text)
    assert main(["attribute", str(p), "--samples", "500"]) == 0
    p.write_text(text.replace("wall_area_m2 = 17.0", "wall_area_m2 = -3"))
    assert main(["attribute", str(p)]) == 1
    err = capsys.readouterr().err
    assert "case.toml:" in err and "wall_area_m2" in err
    assert main(["attribute", "no-such-case"]) == 1


def test_flux_cli_unshielded_matches_spenvis(run):
    """1e-9 kg = 1e-6 g: SPENVIS 1.49 /m^2/yr (docs/reference/figures.md); no debris without an altitude."""
    rc, so, _ = run(["flux", "--mass-kg", "1e-9", "--json"])
    assert rc == 0
    js = json.loads(so)
    assert js["meteoroid_flux_m2_s"] * 365.25 * 86400 == pytest.approx(1.49, rel=0.01)
    assert "debris_flux_m2_s" not in js


def test_flux_cli_with_altitude_gives_debris(run):
    rc, so, _ = run(["flux", "--mass-kg", "3.96e-5", "--altitude-km", "400", "--year", "2018", "--json"])
    js = json.loads(so)
    # 3.96e-5 kg of aluminium (2.8 g/cm^3) is a 3.0 mm sphere: Table 2-4, 2018: 1.19e-4 /m^2/yr
    assert js["debris_equivalent_diameter_m"] == pytest.approx(3e-3, rel=0.01)
    assert js["debris_flux_m2_s"] * 365.25 * 86400 == pytest.approx(1.19e-4, rel=0.05)
    _, so0, _ = run(["flux", "--mass-kg", "3.96e-5", "--json"])
    unshielded = json.loads(so0)["meteoroid_flux_m2_s"]
    g, sf = js["gravitational_focusing_factor"], js["earth_shielding_factor"]
    assert js["meteoroid_flux_m2_s"] == pytest.approx(unshielded * g * sf, rel=1e-12)


@pytest.mark.parametrize("v,a,dc_cm", [(3, 0, 0.152), (7, 0, 0.186), (9, 45, 0.198)])
def test_ballistic_cli_table_6_1(v, a, dc_cm, run):
    """Handbook Table 6-1 baseline column through the CLI (within 1 %)."""
    rc, so, _ = run(["ballistic", "--wall", "soyuz-om", "--speed-km-s", str(v), "--angle-deg", str(a), "--json"])
    assert rc == 0
    js = json.loads(so)
    assert js["critical_diameter_m"] * 100 == pytest.approx(dc_cm, rel=0.01)
    assert js["validated"] is True


def test_ballistic_cli_toughened_says_unvalidated(run):
    rc, so, se = run(["ballistic", "--wall", "soyuz-om-toughened", "--speed-km-s", "7", "--angle-deg", "0"])
    assert rc == 0 and "UNVALIDATED" in so + se
    rc, so, _ = run(["ballistic", "--wall", "soyuz-om-toughened", "--speed-km-s", "7", "--json"])
    js = json.loads(so)
    assert js["validated"] is False and "UNVALIDATED" in js["warnings"][0]


def test_ballistic_cli_options_and_errors(capsys):
    assert main(["ballistic", "--wall", "single-wall", "--speed-km-s", "6", "--angle-deg", "30",
                 "--thickness-mm", "3", "--projectile-density-g-cm3", "7.8", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert 0 < js["critical_diameter_m"] < 3e-3
    assert main(["ballistic", "--wall", "cardboard", "--speed-km-s", "6"]) == 1
    assert main(["ballistic", "--wall", "whipple", "--speed-km-s", "-6"]) == 1
    assert main(["ballistic", "--wall", "whipple", "--speed-km-s", "6", "--angle-deg", "120"]) == 1
    assert main(["flux", "--mass-kg", "0"]) == 1


def test_flux_surface_needs_altitude():
    assert main(["flux", "--mass-kg", "1e-6", "--surface", "ram"]) == 1
    assert main(["flux", "--mass-kg", "1e-6", "--surface", "ram", "--altitude-km", "400"]) == 0
