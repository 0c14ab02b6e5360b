"""The isolation guidance follows the crew's hatch operations (issue 12, Done-when: "watch ... the isolation
guidance change"), hatch events by HTTP, and idempotent ingest (a retried batch is not stored twice).

The end-to-end tests start a real ``hullbreach serve`` replaying simulated MS-09 telemetry (a 5.5 h cut,
tests/data/ops/ms09_short_guided.toml: the crew's closures were scheduled by benchmarks/ops_guided_ms09.py,
closed loop, 10 min after the monitor showed each step). The same file without its events is the control:
its guidance must stay at step 1."""

from __future__ import annotations

import pathlib
import shutil
import time

import httpx
import numpy as np
import pandas as pd
import pytest

DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "ops"
TOKEN = "test-token-0123456789abcdef"  # the servers of server_factory get this one (conftest.py)
H = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def guided(tmp_path_factory):
    """telemetry.csv + events.csv of the guided 5.5 h MS-09 cut (seed 1)."""
    from hullbreach.sim import simulate
    from hullbreach.sim.scenario import load_scenario
    from hullbreach.station import load_station

    out = tmp_path_factory.mktemp("ms09g")
    sim = simulate(load_station("iss-2018"), load_scenario(DATA / "ms09_short_guided.toml"), seed=1)
    sim.write(out)
    assert (out / "events.csv").is_file() and (out / "telemetry.csv").is_file()
    return out


def _follow(url: str, timeout: float = 240.0) -> list:
    """Poll /api/state until the replay is over and analysed; return the distinct guidance states seen as
    ``(steps_done, next step index or None, status)``."""
    seen: list = []
    t0 = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as c:
        while time.monotonic() - t0 < timeout:
            s = c.get("/api/state").json()
            iso = s.get("isolation") or {}
            key = (iso.get("steps_done"), (iso.get("next_step") or {}).get("index"), iso.get("status"))
            if iso and (not seen or seen[-1] != key):
                seen.append(key)
            if "finished" in (s.get("feed") or {}).get("source", "") and s.get("last_sample_time", "") >= "2018-08-30T02:54":
                break
            time.sleep(0.3)
    return seen


def test_replay_with_the_crews_closures_moves_the_guidance(server_factory, guided):
    s = server_factory("--replay", str(guided / "telemetry.csv"), "--speed", "1500")
    seen = _follow(s.url)
    assert "found beside the replayed file" in s.stderr, s.stderr[-500:]
    # a fast replay may pass step 1 between two polls: the committed steps say what was shown
    assert max(k[0] or 0 for k in seen) >= 1, seen                 # the crew's closure was read: a step committed
    assert any((k[1] or 0) >= 2 or k[2] in ("isolated", "close-off", "stuck") for k in seen), seen
    with httpx.Client(base_url=s.url, timeout=60) as c:
        iso = c.get("/api/state").json()["isolation"]
    assert iso["steps"][0]["index"] == 1 and "close hatch zarya-zvezda" in iso["steps"][0]["planned"], iso
    assert iso["steps"][0]["closed_hatches"] and "zarya-zvezda" in iso["closed_hatches_now"]


def test_without_hatch_events_the_guidance_stays_at_step_1(server_factory, guided, tmp_path):
    """The control: the same telemetry, no events file beside it."""
    shutil.copy(guided / "telemetry.csv", tmp_path / "tel.csv")
    s = server_factory("--replay", str(tmp_path / "tel.csv"), "--speed", "1500")
    seen = _follow(s.url)
    assert "found beside" not in s.stderr
    assert seen and all((k[0] or 0) == 0 and k[1] == 1 for k in seen), seen


# ------------------------------------------------------------------------------------------ in process
def _app(path, token=TOKEN):
    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.monitor import Monitor
    from hullbreach.ops.server import ServerConfig, create_app

    m = Monitor("iss-2018", open_archive(path))
    return create_app(m, ServerConfig(token=token)), m


def _body(n, t0=1535580000.0, bid=None):
    d = {"samples": [{"time": t0 + i, "channel": "USLAB000058", "value": 755.0} for i in range(n)]}
    if bid is not None:
        d["batch_id"] = bid
    return d


def test_a_retried_batch_is_not_stored_twice(tmp_path):
    from starlette.testclient import TestClient

    app, m = _app(tmp_path / "k.sqlite")
    with TestClient(app) as c:
        r1 = c.post("/api/ingest", json=_body(10), headers={**H, "Idempotency-Key": "batch-0001"})
        r2 = c.post("/api/ingest", json=_body(10), headers={**H, "Idempotency-Key": "batch-0001"})
        assert r1.status_code == r2.status_code == 200
        assert r1.json()["replay"] is False and r1.json()["accepted"] == 10
        assert r2.json()["replay"] is True and r2.json()["batch"] == r1.json()["batch"] and r2.json()["accepted"] == 10
        assert "retry of batch" in r2.json()["note"]
        assert m.archive.count() == 10
        # the JSON batch id works the same; another key is another batch
        r3 = c.post("/api/ingest", json=_body(5, 1535590000.0, bid="b-2"), headers=H)
        r4 = c.post("/api/ingest", json=_body(5, 1535590000.0, bid="b-2"), headers=H)
        r5 = c.post("/api/ingest", json=_body(5, 1535590000.0), headers={**H, "Idempotency-Key": "batch-0002"})
        assert (r3.json()["replay"], r4.json()["replay"], r5.json()["replay"]) == (False, True, False)
        assert m.archive.count() == 20
        bad = c.post("/api/ingest", json=_body(1), headers={**H, "Idempotency-Key": "has space"})
        assert bad.status_code == 400 and "idempotency key" in bad.json()["error"]
    m.archive.close()
    # the keys are in the archive: a restarted service still knows them
    app2, m2 = _app(tmp_path / "k.sqlite")
    with TestClient(app2) as c:
        r = c.post("/api/ingest", json=_body(10), headers={**H, "Idempotency-Key": "batch-0001"})
        assert r.json()["replay"] is True and m2.archive.count() == 20


def test_hatch_events_by_http_are_stored_checked_and_followed(tmp_path):
    from starlette.testclient import TestClient

    app, m = _app(tmp_path / "e.sqlite")
    with TestClient(app) as c:
        r = c.post("/api/events", json={"events": [{"time": "2018-08-29T23:50:00Z", "kind": "hatch_close",
                                                    "detail": "zarya-zvezda"}]}, headers=H)
        assert r.status_code == 200 and r.json()["accepted"] == 1 and r.json()["hatch_changes"] == 1, r.text
        bad = c.post("/api/events", json={"events": [{"time": "2018-08-29T23:50:00Z", "kind": "hatch_close",
                                                      "detail": "no-such-hatch"}]}, headers=H)
        assert bad.status_code == 400 and "no-such-hatch" in bad.json()["error"]
        assert c.post("/api/events", content=b"time,kind,detail\n2018-08-29T23:50:00Z,hatch_open,zarya-zvezda\n",
                      headers={**H, "Content-Type": "text/csv"}).status_code == 200
        assert c.post("/api/events", json={"events": []}, headers={"Authorization": "Bearer wrong"}).status_code == 401
        # the telemetry reaches the events' time: the guide follows the closure, then the opening
        t = np.arange(int(pd.Timestamp("2018-08-29T23:40:00Z").value), int(pd.Timestamp("2018-08-29T23:55:00Z").value),
                      int(10e9))
        m.ingest(t, np.array(["USLAB000058"] * len(t), dtype=object), np.full(len(t), 755.0))
        assert m.drain(60)
    assert m.guide.applied == [(int(pd.Timestamp("2018-08-29T23:50:00Z").value), "hatch_close", "zarya-zvezda"),
                               (int(pd.Timestamp("2018-08-29T23:50:00Z").value), "hatch_open", "zarya-zvezda")]
    m.archive.close()
    # a restart gives the stored events back at their place in the stream
    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.monitor import Monitor

    m2 = Monitor("iss-2018", open_archive(tmp_path / "e.sqlite"))
    m2.rebuild()
    assert m2.guide.applied == m.guide.applied


def test_guide_ends_on_seal_and_keeps_going_through_a_hatch_change():
    from hullbreach.ops.guidance import Guide
    from hullbreach.ops.ingest import events_frame
    from hullbreach.station import load_station

    st = load_station("iss-2018")
    t0 = int(pd.Timestamp("2018-08-29T23:00:00Z").value)
    alarm = {"active": True, "zone": ["node1"], "leak_mass_flow_kg_s": {"estimate": 2.4e-4}}
    g = Guide(st, events_frame([(t0 + int(600e9), "hatch_close", "zarya-zvezda"), (t0 + int(7200e9), "leak_sealed", "")]))
    g.on_state({}, alarm)
    assert g.running and g.json["next_step"]["index"] == 1
    g.reveal(t0 + int(900e9))
    assert "zarya-zvezda" in g.closed and g.running
    g.on_state({}, None)                 # the detector ends its alarm at the hatch change: the session goes on
    assert g.running
    g.reveal(t0 + int(7200e9))
    assert not g.running and g.json["status"] == "sealed" and g.json["next_step"] is None
    # without any hatch change, a withdrawn alarm ends the session
    g2 = Guide(st)
    g2.on_state({}, alarm)
    g2.on_state({}, None)
    assert g2.json["status"] == "no-alarm" and not g2.running
