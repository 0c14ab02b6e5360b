"""CLI fuzz (issue 15 §6): random command lines over every command and option never crash.

Every invocation must exit 0 or 1, never print "internal error" or a traceback, finish within a time limit,
and stay within a memory limit. A few hundred cases here (fast enough for CI); ``benchmarks/cli_fuzz.py``
runs the same generator over >= 10,000 invocations (docs/benchmarks.md).
"""

from __future__ import annotations

import os
import resource

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzcases import command_lines, command_table, check, invoke, make_files

#: Per-invocation limits: wall time [s] and peak resident memory of the test process [KiB].
TIME_LIMIT_S = 60.0
MEMORY_LIMIT_KIB = 3 * 1024 * 1024

TABLE = command_table()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    f = make_files(root)
    # Commands run in a scratch folder: whatever a fuzzed command writes by default lands there, not in the
    # checkout.
    cwd = os.getcwd()
    os.chdir(root)
    # Warm-up outside the time limit: numba compiles the detector's kernels on first use (slow on a loaded
    # machine), and an alarm interrupting a compilation would leave numba unusable in this process.
    invoke(["detect", "demo", f["demo_tm.csv"]], 1800.0)
    invoke(["detect", "iss-2018", f["tm.csv"], "--events", f["events.csv"], "--strict"], 1800.0)
    try:
        yield f
    finally:
        os.chdir(cwd)


def test_every_command_is_fuzzed():
    """The generator reads the commands from the app: all of them except the demo are covered."""
    from hullbreach.cli.main import app
    import typer

    names = set(typer.main.get_command(app).commands)
    assert names - set(TABLE) == {"demo", "serve"}
    assert all(TABLE[c] or c == "stations" for c in TABLE)


#: Cases in CI (a few hundred; the benchmark runs >= 10,000).
CASES = 200


@settings(max_examples=CASES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_command_lines_never_crash(files, data):
    argv = data.draw(command_lines(TABLE, files), label="argv")
    code, out, err, _ = invoke(argv, TIME_LIMIT_S)
    problem = check(argv, code, out, err)
    assert problem is None, f"{problem}: hullbreach {' '.join(argv)}\n{err[-2000:]}"
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < MEMORY_LIMIT_KIB
