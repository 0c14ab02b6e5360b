"""``hullbreach detect``: JSON contract, every reader format, strict errors, plot; and the demo stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hullbreach.cli.main import main
from hullbreach.sim import Leak, Repress, Scenario, ThermalProfile, simulate
from hullbreach.telemetry.writers import write_events_csv, write_long_csv


@pytest.fixture(scope="module")
def files(tmp_path_factory, demo):
    d = tmp_path_factory.mktemp("detect_cli")
    sc = Scenario(nuisance="none", start="2024-06-01T00:00:00Z", duration_s=6 * 3600, sample_rate_hz=0.5,
                  leaks=(Leak(module="hab", onset_s=3 * 3600, effective_area_m2=2.5e-6),),
                  thermal=(ThermalProfile(orbital_amplitude_k=0.3),),
                  represses=(Repress(time_s=1800, module="lab", mass_kg=1.0),))
    r = simulate(demo, sc, seed=2)
    write_long_csv(r.telemetry, d / "tel.csv")
    write_events_csv(r.events, d / "events.csv")
    r.telemetry.to_parquet(d / "tel.parquet")
    wide = r.telemetry.assign(t=r.telemetry["time"].astype("int64") / 1e9).pivot_table(
        index="t", columns="channel", values="value", observed=True)
    wide.reset_index().rename(columns={"t": "time"}).to_csv(d / "wide.csv", index=False, float_format="%.10g")
    return d


def _json(capsys, args):
    code = main(args)
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_json_contract(files, capsys):
    js = _json(capsys, ["detect", "demo", str(files / "tel.csv"), "--events", str(files / "events.csv"), "--json"])
    assert js["status"] == "leak"
    assert set(js) >= {"status", "alarms", "sensor_faults", "quarantined_samples", "trusted_channels"}
    a = js["alarms"][0]
    assert a["kind"] == "leak" and "hab" in a["zone"]
    for key in ("leak_mass_flow_kg_s", "pressure_rate_pa_s", "effective_hole_diameter_m", "reserve_time_s"):
        iv = a[key]
        assert set(iv) == {"estimate", "low", "high"} and iv["low"] <= iv["estimate"] <= iv["high"]
    assert a["pressure_rate_pa_s"]["estimate"] < 0 < a["leak_mass_flow_kg_s"]["estimate"]
    assert a["time"].endswith("Z") and a["onset_time"].endswith("Z")
    assert "2024-06-01T02:4" <= a["onset_time"] <= "2024-06-01T03:1"
    assert js["quarantined_samples"] == 0 and isinstance(js["sensor_faults"], list)
    assert "lab.pressure" in js["trusted_channels"]


@pytest.mark.parametrize("name", ["tel.parquet", "wide.csv"])
def test_every_format_gives_the_same_alarm(files, capsys, name):
    ref = _json(capsys, ["detect", "demo", str(files / "tel.csv"), "--events", str(files / "events.csv"), "--json"])
    js = _json(capsys, ["detect", "demo", str(files / name), "--events", str(files / "events.csv"), "--json"])
    assert js["status"] == "leak"
    assert js["alarms"][0]["time"] == ref["alarms"][0]["time"]
    assert js["alarms"][0]["onset_time"] == ref["alarms"][0]["onset_time"]


def test_without_events_the_repress_is_no_alarm_either(files, capsys):
    """A 1 kg repress that the events file does not announce adds mass: never a leak."""
    js = _json(capsys, ["detect", "demo", str(files / "tel.csv"), "--json"])
    assert [a["kind"] for a in js["alarms"]] == ["leak"]


def test_table_and_plot(files, capsys, tmp_path):
    png = tmp_path / "det.png"
    code = main(["detect", "demo", str(files / "tel.csv"), "--events", str(files / "events.csv"), "--plot", str(png)])
    out = capsys.readouterr().out
    assert code == 0
    assert "LEAK ALARM" in out and "reserve to 520 mmHg" in out and "effective hole" in out
    assert png.exists() and png.stat().st_size > 10_000


def test_strict_bad_line_exits_1_with_file_and_line(files, tmp_path, capsys):
    text = (files / "tel.csv").read_text().splitlines()
    text[5] = text[5].rsplit(",", 1)[0] + ",not-a-number"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(text) + "\n")
    code = main(["detect", "demo", str(bad), "--strict"])
    err = capsys.readouterr().err
    assert code == 1
    assert "bad.csv:6" in err.replace("\n", "")
    # lenient: counted in the quarantine, analysis goes on
    js = _json(capsys, ["detect", "demo", str(bad), "--json"])
    assert js["quarantined_samples"] == 1


def test_user_errors(files, capsys, tmp_path):
    assert main(["detect", "no-such-station", str(files / "tel.csv")]) == 1
    assert main(["detect", "demo", str(tmp_path / "missing.csv")]) == 1
    assert main(["detect", "demo", str(files / "tel.csv"), "--far-per-year", "0"]) == 1
    err = capsys.readouterr().err
    assert "far-per-year" in err


def test_demo_stage(tmp_path):
    from hullbreach.detect.demo import run
    res = run(tmp_path, seed=1, sample_rate_hz=0.1)  # the scenario file's rate: fast
    assert set(res) >= {"title", "lines", "json", "files"}
    js = res["json"]
    assert js["status"] == "leak"
    # at 0.1 Hz the ppN2 track is sqrt(5) noisier than the demo's 0.5 Hz; with issue 16's slow-noise prior (0.05 K
    # floored on every correlation time not yet measured, 4 h into the record) seed 1 alarms 148 min after the
    # onset (the demo itself, 0.5 Hz: 21-22 min)
    assert 0 < js["alarm_delay_s"] < 3 * 3600
    d = js["effective_hole_diameter_m"]
    assert d["low"] <= 1.15e-3 <= d["high"] * 1.05 and abs(d["estimate"] - 1.1e-3) < 0.15e-3
    days = js["reserve_time_days"]["estimate"]
    assert 14 < days < 18
    assert all(Path(f).exists() for f in res["files"])
    json.dumps(js)


def test_no_accepted_sample_names_why_and_where(tmp_path, capsys):
    """A hurried operator's file with the wrong channel names and a broken time: nothing is accepted, and the
    error says why with file:line (before, it said only "no accepted telemetry samples")."""
    f = tmp_path / "t.csv"
    f.write_text("time,channel,value\n2018-08-29T00:00:00Z,destiny.pressure,760\n"
                 "2018-08-29T00:00:10Z,destiny.pressure,760\nbad,USLAB000058,760\n", encoding="utf-8")
    assert main(["detect", "iss-2018", str(f)]) == 1
    out = capsys.readouterr()
    text = out.err + out.out
    assert "no accepted telemetry samples" in text
    assert "unknown channel 'destiny.pressure'" in text and "t.csv:2" in text
    assert "unreadable time 'bad'" in text and "t.csv:4" in text
    assert "Traceback" not in text
