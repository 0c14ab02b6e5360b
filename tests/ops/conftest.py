"""Fixtures of the monitor tests: a real ``hullbreach serve`` process on a loopback port with a real SQLite file."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import pytest

import hullbreach

SRC = str(pathlib.Path(hullbreach.__file__).resolve().parents[1])
DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "ops"
TOKEN = "test-token-0123456789abcdef"


class Server:
    """A running ``hullbreach serve`` (stdout/stderr collected)."""

    def __init__(self, proc: subprocess.Popen, url: str, out: list, err: list):
        self.proc, self.url, self.out, self.err = proc, url, out, err

    def kill(self, sig=signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)

    @property
    def stderr(self) -> str:
        return "".join(self.err)


def start_server(db, *args, token: str | None = TOKEN, timeout: float = 180.0, station: str = "iss-2018") -> Server:
    """Start ``python -m hullbreach serve STATION --db DB --port 0 ARGS`` and wait for its ``serving`` line."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("HULLBREACH_TOKEN", None)
    if token:
        env["HULLBREACH_TOKEN"] = token
    proc = subprocess.Popen([sys.executable, "-m", "hullbreach", "serve", station, "--db", str(db), "--port", "0", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    out: list = []
    err: list = []
    got = threading.Event()

    def pump(stream, sink, watch):
        for line in stream:
            sink.append(line)
            if watch and line.startswith("serving http://"):
                got.set()

    threading.Thread(target=pump, args=(proc.stdout, out, True), daemon=True).start()
    threading.Thread(target=pump, args=(proc.stderr, err, False), daemon=True).start()
    t0 = time.monotonic()
    while not got.wait(0.1):
        if proc.poll() is not None or time.monotonic() - t0 > timeout:
            proc.kill()
            raise RuntimeError(f"server did not start: {''.join(err)[-2000:]}")
    url = out[-1].strip().split(" ", 1)[1]
    assert url.startswith("http://127.0.0.1:"), url
    return Server(proc, url, out, err)


@pytest.fixture(scope="session")
def token() -> str:
    return TOKEN


@pytest.fixture(scope="session")
def launch():
    """The :func:`start_server` function (for module-scoped servers)."""
    return start_server


@pytest.fixture
def server_factory(tmp_path):
    started: list = []

    def make(*args, db=None, **kw) -> Server:
        s = start_server(db or tmp_path / "archive.sqlite", *args, **kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.kill(signal.SIGTERM) if s.proc.poll() is None else None


@pytest.fixture(scope="session")
def ms09_short(tmp_path_factory) -> pathlib.Path:
    """Simulated telemetry of the 3.5-hour MS-09 cut (tests/data/ops/ms09_short.toml): 1.5 h nominal, then the leak."""
    from hullbreach.sim import simulate
    from hullbreach.sim.scenario import load_scenario
    from hullbreach.station import load_station
    from hullbreach.telemetry.writers import write_long_csv

    out = tmp_path_factory.mktemp("ms09") / "telemetry.csv"
    st = load_station("iss-2018")
    sim = simulate(st, load_scenario(DATA / "ms09_short.toml"), seed=1)
    write_long_csv(sim.telemetry, out)
    return out
