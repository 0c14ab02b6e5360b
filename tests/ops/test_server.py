"""The service for real: ``hullbreach serve`` on a loopback port with a SQLite file, driven over HTTP/WebSocket."""

from __future__ import annotations

import json
import signal

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TOKEN = "s3cr3t-from-file-5e1f"
H = {"Authorization": f"Bearer {TOKEN}"}


def _json_body(n, t0=1535580000, ch="USLAB000058"):
    return {"samples": [{"time": t0 + 10 * i, "channel": ch, "value": 755.0 - 0.001 * i} for i in range(n)]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory, launch):
    """One real server for the module: token from --token-file (not the environment), small limits."""
    d = tmp_path_factory.mktemp("srv")
    (d / "tok").write_text(TOKEN + "\n")
    s = launch(d / "a.sqlite", "--max-body-mb", "0.25", "--rate", "20", "--token-file", str(d / "tok"), token=None)
    yield s
    s.kill(signal.SIGTERM)


def test_ingest_json_and_csv_then_history_and_state(srv):
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        r = c.post("/api/ingest", json=_json_body(30), headers=H)
        assert r.status_code == 200 and r.json()["accepted"] == 30 and r.json()["rejected"] == []
        csv = "time,channel,value\n2018-08-29T22:10:00Z,node1.pressure,754.9\n2018-08-29T22:10:00Z,BOGUS,1\n"
        r = c.post("/api/ingest", content=csv, headers={**H, "Content-Type": "text/csv"})
        assert r.json()["accepted"] == 1 and "unknown channel" in r.json()["rejected"][0]["reason"]
        h = c.get("/api/history", params={"channel": "USLAB000058", "start": "2018-08-29T22:00:00Z",
                                          "end": 1535580000 + 95}).json()
        assert [s["value"] for s in h["samples"]] == pytest.approx([755.0 - 0.001 * i for i in range(10)])
        assert h["samples"][1]["timestamp"] - h["samples"][0]["timestamp"] == 10_000
        s = c.get("/api/state").json()
        for key in ("status", "station", "alarms", "sensor_faults", "quarantined_samples", "trusted_channels", "zones"):
            assert key in s  # the shape of `hullbreach detect --json`
        assert s["service"]["writes_enabled"] is True
        assert c.get("/api/history", params={"channel": "nope"}).status_code == 404
        assert c.get("/api/history", params={"channel": "USLAB000058", "start": "soon"}).status_code == 400


def test_auth_limits_and_bad_input(srv):
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        assert c.post("/api/ingest", json=_json_body(1)).status_code == 401
        assert c.post("/api/ingest", json=_json_body(1), headers={"Authorization": "Bearer wrong"}).status_code == 401
        big = b"time,channel,value\n" + b"2018-08-29T22:00:00Z,USLAB000058,755\n" * 10000
        assert c.post("/api/ingest", content=big, headers={**H, "Content-Type": "text/csv"}).status_code == 413
        r = c.post("/api/ingest", content=b"{oops", headers={**H, "Content-Type": "application/json"})
        assert r.status_code == 400 and "not valid JSON" in r.json()["error"]
        codes = [c.post("/api/ingest", json=_json_body(1), headers={"Authorization": "Bearer x"}).status_code
                 for _ in range(120)]
        assert 429 in codes  # 20/s with a burst of 80
        assert c.get("/healthz").json() == {"ok": True}  # still up


def test_static_cannot_escape_and_cors_is_closed(srv):
    with httpx.Client(base_url=srv.url, timeout=30) as c:
        for p in ("/static/../server.py", "/static/..%2fserver.py", "/static/%2e%2e/%2e%2e/archive.py",
                  "/static/openmct/../../service.py"):
            r = c.get(p)
            assert r.status_code == 404, p
            assert b"def " not in r.content
        r = c.get("/static/openmct/openmct.js")
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and b"openmct" in r.content[:2000]
        r = c.options("/api/ingest", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in r.headers
        r = c.get("/api/state", headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in r.headers
        assert c.get("/").status_code == 200 and b"openmct.js" in c.get("/").content
        assert b"<canvas" in c.get("/crew").content


def test_websocket_gets_ingested_samples_and_derived_updates(srv):
    from websockets.sync.client import connect

    with connect(srv.url.replace("http", "ws") + "api/realtime", open_timeout=20) as ws:
        hello = json.loads(ws.recv(timeout=20))
        assert hello["type"] == "hello" and "status" in hello["state"]
        httpx.post(srv.url + "api/ingest", json=_json_body(5, t0=1535590000, ch="node2.pressure"), headers=H, timeout=30)
        kinds, got = set(), {}
        for _ in range(20):
            m = json.loads(ws.recv(timeout=20))
            kinds.add(m["type"])
            got.update(m["samples"])
            if {"samples", "derived"} <= kinds:
                break
        assert [p[1] for p in got["node2.pressure"]][:5] == pytest.approx([755.0 - 0.001 * i for i in range(5)])
        assert "cabin.dpdt_mmhg_per_h" in got  # derived channels go out on the same socket
    # a page of another origin cannot open the socket
    with pytest.raises(Exception):
        with connect(srv.url.replace("http", "ws") + "api/realtime", origin="http://evil.example", open_timeout=20) as ws:
            ws.recv(timeout=5)


def test_no_token_means_writes_refused_with_instructions(tmp_path):
    """In process (Starlette's test client on the same app): a service without a token refuses writes."""
    from starlette.testclient import TestClient

    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.monitor import Monitor
    from hullbreach.ops.server import ServerConfig, create_app

    app = create_app(Monitor("iss-2018", open_archive(tmp_path / "b.sqlite")), ServerConfig(token=None))
    with TestClient(app) as c:
        r = c.post("/api/ingest", json=_json_body(1), headers=H)
        assert r.status_code == 403 and "HULLBREACH_TOKEN" in r.json()["error"] and "--token-file" in r.json()["error"]
        assert c.get("/api/state").json()["service"]["writes_enabled"] is False


def test_read_token(tmp_path, monkeypatch):
    from hullbreach.errors import HullbreachError
    from hullbreach.ops.service import read_token

    monkeypatch.setenv("HULLBREACH_TOKEN", " env-token ")
    assert read_token(None) == "env-token"
    (tmp_path / "t").write_text("file-token\nrest")
    assert read_token(tmp_path / "t") == "file-token"
    (tmp_path / "e").write_text("")
    with pytest.raises(HullbreachError, match="empty"):
        read_token(tmp_path / "e")
    monkeypatch.delenv("HULLBREACH_TOKEN")
    assert read_token(None) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode),
                      st.lists(st.fixed_dictionaries({"time": st.one_of(st.integers(-10**12, 10**12), st.text(max_size=5)),
                                                      "channel": st.sampled_from(["USLAB000058", "zz"]),
                                                      "value": st.floats(allow_nan=True)}), max_size=20)
                      .map(lambda s: json.dumps({"samples": s}).encode())),
       ctype=st.sampled_from(["application/json", "text/csv", "application/octet-stream", "text/html"]),
       auth=st.sampled_from([TOKEN, "nope", None]))
def test_fuzz_http_ingest_answers_4xx_or_200_and_stays_up(srv, body, ctype, auth):
    headers = {"Content-Type": ctype, **({"Authorization": f"Bearer {auth}"} if auth else {})}
    r = httpx.post(srv.url + "api/ingest", content=body, timeout=30, headers=headers)
    assert r.status_code in (200, 400, 401, 413, 429), r.text
    if r.status_code == 200:
        assert r.json()["accepted"] >= 0
    assert httpx.get(srv.url + "healthz", timeout=30).status_code == 200


def test_zz_no_secret_in_the_service_output(srv):
    """After all the requests above (right and wrong tokens), the token appears in no output of the service."""
    assert TOKEN not in srv.stderr + "".join(srv.out)
    assert srv.proc.poll() is None  # and it is still running


def test_offline_fallback_page_shows_the_crew_display(tmp_path):
    """Without the Open MCT files, / serves a page that still shows the crew display."""
    import shutil

    from starlette.testclient import TestClient

    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.monitor import Monitor
    from hullbreach.ops.server import STATIC_DIR, ServerConfig, create_app

    static = tmp_path / "static"
    shutil.copytree(STATIC_DIR, static, ignore=shutil.ignore_patterns("openmct"))
    app = create_app(Monitor("iss-2018", open_archive(tmp_path / "f.sqlite")), ServerConfig(static_dir=static))
    with TestClient(app) as c:
        page = c.get("/").text
        assert "openmct.js" not in page and "<iframe src=\"/crew\"" in page
        assert "<canvas" in c.get("/crew").text


def test_vendored_open_mct_matches_the_npm_release():
    """The gzipped Open MCT files are the npm release's bytes (sha256 recorded in VENDOR.json at vendoring)."""
    import gzip
    import hashlib

    from hullbreach.ops.server import STATIC_DIR

    d = STATIC_DIR / "openmct"
    meta = json.loads((d / "VENDOR.json").read_text())
    assert meta["version"] == "4.2.0" and meta["licence"].startswith("Apache-2.0")
    assert "Apache License" in (d / "LICENSE.md").read_text()
    for name, sha in meta["files_sha256_uncompressed"].items():
        assert hashlib.sha256(gzip.decompress((d / (name + ".gz")).read_bytes())).hexdigest() == sha, name
