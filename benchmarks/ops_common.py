"""Shared helpers of the ops benchmarks: start a real ``hullbreach serve`` process and wait for its URL."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import threading
import time

SRC = str(pathlib.Path(__file__).resolve().parents[1] / "src")
TOKEN = "bench-token"


def start(db, *args, station="iss-2018"):
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "HULLBREACH_TOKEN": TOKEN}
    p = subprocess.Popen([sys.executable, "-m", "hullbreach", "serve", station, "--db", str(db), "--port", "0",
                          "--rate", "100000", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    t0 = time.monotonic()
    line = p.stdout.readline()
    if not line.startswith("serving"):
        raise RuntimeError(p.stderr.read()[-2000:])
    threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
    return p, line.split()[1], time.monotonic() - t0
