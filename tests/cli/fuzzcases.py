"""Random command lines for every ``hullbreach`` command and option (shared by ``tests/cli/test_fuzz.py`` and
``benchmarks/cli_fuzz.py``).

The commands and options are read from the Typer app itself, so a new command or option is fuzzed without
touching this file. Values are drawn by the option's Python type:

* numbers: any float or integer, NaN, ±inf, -0, huge, negative, and text that is not a number;
* text: the known good values (station names, choices read from the help) and random text;
* paths: files of random bytes, Latin-1, UTF-8 with BOM, empty, binary, TOML with missing and unknown keys,
  a folder, a missing path, and a few good files;
* flags: present or not; repeated options: zero to two values.

"Work-size" options (campaign ``--runs``, attribute ``--samples``) draw either refused values or small ones:
a valid 100,000-run campaign is a legitimate hours-long job, not a defect. ``demo`` (a minute, a fixed
story) is not fuzzed; it has its own end-to-end test and runs in ``.ci/run``. Nor is ``serve`` (a service that
runs until stopped; tests/ops starts it for real and fuzzes its ingest).
"""

from __future__ import annotations

import inspect
import os
import string
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

#: Commands left out (see the module docstring). ``serve`` runs until it is stopped; its options and its ingest
#: parser are fuzzed by tests/ops.
SKIP_COMMANDS = {"demo", "serve"}
#: Options whose valid values set the amount of work: refused values or these small ones.
WORK_SIZE = {"--runs": [1], "--samples": [100, 1000], "--timeout-s": [0.5]}
#: Options left out: ``--follow`` watches a file for minutes by design; ``--dask`` would dial out.
SKIP_OPTIONS = {"--follow", "--dask", "--debug", "--help"}

NUMBER_TEXT = ["nan", "NaN", "inf", "-inf", "+inf", "1e308", "-1e308", "1e-320", "-0", "0", "abc", "", " ", "1,5",
               "0x10", "1e", "--", "١٢"]
STATIONS = ["demo", "iss-2018", "iss-2025", "soyuz-ms", "nope", ""]


def _pick_good_text(option: str) -> list[str]:
    """Good values of text options we know (the rest get random text)."""
    return {
        "--policy": ["hullbreach", "iss"], "--telemetry": ["fast", "full"], "--model": ["constant-rate", "constant-hole"],
        "--thermo": ["isothermal", "adiabatic"], "--method": ["dispersive", "gcc-phat"],
        "--format": ["long", "wide", "parquet", "isslive"], "--leak-class": ["slow-1-2mmHg/day", "ms09-0.6mmHg/h"],
        "--wall": ["single-wall", "whipple", "soyuz-om", "soyuz-om-toughened"],
        "--surface": ["random", "ram", "wake", "port", "starboard", "zenith", "nadir"],
        "--zone": ["node", "lab", "hab", "node1", "destiny", "nope"],
        "--at": ["2018-08-30T06:00:00Z", "2018-08-30T06:00:00", "yesterday", "9999-12-31T23:59:59Z"],
        "--onset": ["2018-08-29T23:00:00Z", "2100-01-01T00:00:00Z", "1900-01-01T00:00:00Z", "soon"],
        "case": ["ms09", "nope"], "scenario": ["nope"],
    }.get(option, [])


def make_files(root: Path) -> dict[str, list[str]]:
    """Write the path pool under ``root``: ``{"any": [...], "good_telemetry": [...], ...}``."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    f = {}

    def w(name, data):
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        f[name] = str(p)
        return str(p)

    rows = "".join(f"2018-08-29T00:{i // 60:02d}:{i % 60:02d}Z,USLAB000058,{755 - i * 1e-3:.3f}\n" for i in range(0, 600, 10))
    w("tm.csv", "time,channel,value\n" + rows)
    w("tm_bom.csv", "\ufefftime,channel,value\n" + rows)
    w("tm_latin1.csv", b"time,channel,value\n" + rows.encode() + "2018-08-29T01:00:00Z,USLAB\xe9,1\n".encode("latin-1"))
    w("tm_header_only.csv", "time,channel,value\n")
    w("tm_wrong_header.csv", "when,what\n1,2\n")
    w("tm_extra_column.csv", "time,channel,value,extra\n2018-08-29T00:00:00Z,USLAB000058,755,1\n")
    w("demo_tm.csv", "time,channel,value\n" + "".join(
        f"2024-03-01T00:{i // 60:02d}:{i % 60:02d}Z,{c},{v}\n" for i in range(0, 900, 30)
        for c, v in (("node.pressure", 760.0), ("lab.pressure", 760.0))))
    w("events.csv", "time,kind,detail\n2018-08-29T00:05:00Z,repress,1.0\n")
    w("events_bad.csv", "time,kind,detail\n2018-08-29T00:05:00Z,explosion,1.0\nnot a time,hatch_open,x\n")
    w("empty.csv", b"")
    w("random.bin", rng.bytes(2048))
    w("random_text.csv", "".join(rng.choice(list(string.printable), 3000)))
    w("nul.csv", b"time,channel,value\n\x00\x00\x00\n")
    w("station_missing_keys.toml", 'name = "x"\n[[module]]\nid = "a"\n')
    w("station_extra_key.toml", 'name = "x"\nevacuation_pressure_pa = 69328\nbogus = 1\n[[module]]\nid = "a"\nvolume_m3 = 10\n')
    w("station_bad_toml.toml", "name = \n[[[\n")
    w("station_latin1.toml", 'name = "caf\xe9"\n'.encode("latin-1"))
    w("scenario_short.toml", 'start = "2024-03-01T00:00:00Z"\nduration_s = 1800\nsample_rate_hz = 0.05\n')
    w("scenario_bom.toml", '\ufeffstart = "2024-03-01T00:00:00Z"\nduration_s = 600\nsample_rate_hz = 0.05\n')
    w("scenario_missing.toml", "sample_rate_hz = 1\n")
    w("scenario_extra.toml", 'start = "2024-03-01T00:00:00Z"\nduration_s = 600\nwhat = 1\n')
    w("scenario_huge.toml", 'start = "2024-03-01T00:00:00Z"\nduration_s = 1e9\n')
    w("scenario_fast.toml", 'start = "2024-03-01T00:00:00Z"\nduration_s = 3600\nsample_rate_hz = 1e6\n')
    w("scenario_nan.toml", 'start = "2024-03-01T00:00:00Z"\nduration_s = nan\n')
    w("wall.toml", 'name = "p"\nthickness_m = 0.002\nwidth_m = 0.6\nheight_m = 0.6\nmaterial = "al-6061"\n')
    w("wall_big.toml", 'name = "p"\nthickness_m = 0.002\nwidth_m = 2000.0\nheight_m = 3000.0\nmaterial = "al-6061"\n')
    w("wall_missing.toml", 'name = "p"\nthickness_m = 0.002\n')
    w("wall_extra.toml", 'name = "p"\nthickness_m = 0.002\nwidth_m = 0.6\nheight_m = 0.6\nmaterial = "al-6061"\nzzz = 1\n')
    w("wall_negative.toml", 'name = "p"\nthickness_m = -0.002\nwidth_m = inf\nheight_m = nan\nmaterial = "al-6061"\n')
    w("case_missing.toml", 'name = "x"\n')
    w("case_extra.toml", 'name = "x"\nbogus = 1\n')
    pos = np.array([[0.1, 0.1], [0.5, 0.1], [0.3, 0.5], [0.1, 0.5]])
    sig = rng.standard_normal((4, 4096))
    p = root / "rec.npz"
    np.savez(p, fs_hz=1e6, sensor_positions_m=pos, signals=sig)
    f["rec.npz"] = str(p)
    p = root / "rec_keys.npz"
    np.savez(p, fs=1e6, signals=sig)
    f["rec_keys.npz"] = str(p)
    p = root / "rec_nan.npz"
    np.savez(p, fs_hz=np.nan, sensor_positions_m=pos, signals=sig)
    f["rec_nan.npz"] = str(p)
    w("rec_garbage.npz", b"\x93NUMPY" + rng.bytes(500))
    w("rec_pickle.npz", b"PK\x03\x04" + rng.bytes(500))
    (root / "folder").mkdir(exist_ok=True)
    f["folder"] = str(root / "folder")
    f["missing"] = str(root / "missing" / "nothing.csv")
    f["out.png"] = str(root / "out" / "plot.png")
    f["out.txt"] = str(root / "out" / "plot.txt")
    f["out.csv"] = str(root / "out" / "runs.csv")
    f["out.html"] = str(root / "out" / "report.html")
    f["outdir"] = str(root / "outdir")
    return f


#: Plausible values by option (drawn half of the time, so that the commands also run to the end).
TYPICAL = {
    "--rate-mmhg-per-h": [0.6, 1.0, 5.0, 60.0], "--rate-std-mmhg-per-h": [0.05], "--pressure-mmhg": [755.0, 600.0],
    "--hole-diameter-mm": [1.1, 2.0], "--discharge-coefficient": [0.7], "--far-per-year": [1.0, 10.0],
    "--year": [2018], "--leak-rate-kg-s": [2.4e-4], "--rate-mmhg-per-day": [1.5], "--crew": [0, 3],
    "--confidence": [0.9, 0.99], "--poll-s": [0.5], "--seed": [0, 7], "--speed-km-s": [3.0, 7.0, 9.0, 19.0],
    "--angle-deg": [0.0, 45.0, 80.0], "--thickness-mm": [1.9], "--projectile-density-g-cm3": [2.8, 1.0],
    "--mass-kg": [1e-9, 1e-6], "--altitude-km": [400.0, 800.0], "--inclination-deg": [51.6],
    "--band-low-hz": [30e3], "--band-high-hz": [300e3], "--max-leaks": [1, 3], "--sensors": [3, 4, 8],
    "--snr-db": [0.0, 20.0], "--workers": [1, 2],
}
#: Good files by parameter name (drawn half of the time).
GOOD_FILES = {
    "telemetry": ["tm.csv", "tm_bom.csv", "demo_tm.csv"], "events": ["events.csv"], "signals": ["rec.npz"],
    "plot": ["out.png"], "report": ["out.html"], "out": ["outdir", "out.csv"], "scenario": ["scenario_short.toml"],
    "wall": ["wall.toml"],
}


def _numbers(kind: type, opt: str = "") -> st.SearchStrategy[str]:
    if kind is int:
        num = st.one_of(st.integers(-10, 100), st.integers(-2**70, 2**70))
    else:
        num = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e3, 1e3),
                        st.floats(1e-12, 1e-3), st.floats(1e3, 1e12))
    weird = st.one_of(num.map(repr), st.sampled_from(NUMBER_TEXT))
    typical = TYPICAL.get(opt)
    if not typical:
        return weird
    return st.one_of(st.sampled_from([repr(v) for v in typical]), weird)


def _param_types(command) -> dict[str, type]:
    """Python type of each parameter of a Click/Typer command, from its callback's annotations."""
    cb = command.callback
    hints = {}
    try:
        import typing

        hints = typing.get_type_hints(cb)
    except Exception:  # noqa: BLE001
        hints = {k: v.annotation for k, v in inspect.signature(cb).parameters.items()}
    out = {}
    for name, t in hints.items():
        args = getattr(t, "__args__", None) or ()
        base = next((a for a in args if a is not type(None)), t) if args else t
        if getattr(base, "__origin__", None) is list or base is list:
            base = (getattr(base, "__args__", None) or (str,))[0]
        out[name] = base
    return out


def command_table():
    """``{command: [(param_name, opts, python_type, is_flag, multiple, is_argument, required)]}``."""
    import typer

    from hullbreach.cli.main import app

    group = typer.main.get_command(app)
    table = {}
    for name, cmd in group.commands.items():
        if name in SKIP_COMMANDS:
            continue
        types = _param_types(cmd)
        rows = []
        for p in cmd.params:
            opts = list(getattr(p, "opts", []) or [p.name])
            if any(o in SKIP_OPTIONS for o in opts):
                continue
            is_arg = not opts[0].startswith("-")
            rows.append((p.name, opts, types.get(p.name, str), bool(getattr(p, "is_flag", False)),
                         bool(getattr(p, "multiple", False)), is_arg, bool(getattr(p, "required", False))))
        table[name] = rows
    return table


def _sane_value(name: str, opt: str, kind: type, files) -> st.SearchStrategy[str] | None:
    """A plausible value, or None when there is none to offer (then any value is drawn)."""
    if opt in WORK_SIZE:
        return st.sampled_from([str(v) for v in WORK_SIZE[opt]])
    if opt in TYPICAL:
        return st.sampled_from([repr(v) for v in TYPICAL[opt]])
    good_files = [files[k] for k in GOOD_FILES.get(name, []) if k in files]
    if good_files and (kind is not str or name == "scenario"):
        return st.sampled_from(good_files)
    if name in ("station", "station_name", "stations"):
        return st.sampled_from(["demo", "iss-2018", "iss-2025"])
    good = [g for g in _pick_good_text(opt if opt.startswith("-") else name) if g not in ("nope", "soon")]
    return st.sampled_from(good) if good else None


def _value(name: str, opt: str, kind: type, files, sane: bool = False) -> st.SearchStrategy[str]:
    if sane:
        v = _sane_value(name, opt, kind, files)
        if v is not None:
            return v
    paths = st.sampled_from(sorted(files.values()))
    good_files = [files[k] for k in GOOD_FILES.get(name, []) if k in files]
    if good_files and kind is not str or name in ("scenario",) and good_files:
        paths = st.one_of(st.sampled_from(good_files), paths)
    if opt in WORK_SIZE:
        bad = st.one_of(st.integers(-10**6, 0).map(str), st.sampled_from(["nan", "abc", "1e9", str(10**9)]))
        return st.one_of(bad, st.sampled_from([str(v) for v in WORK_SIZE[opt]]))
    if kind in (int, float):
        return _numbers(kind, opt)
    if kind is Path or name in ("telemetry", "events", "signals", "plot", "report", "out") and kind is not str:
        return paths
    good = _pick_good_text(opt if opt.startswith("-") else name)
    if name in ("station", "station_name", "stations"):
        good = STATIONS
        return st.one_of(st.sampled_from(good), paths)
    if name in ("case", "scenario"):
        return st.one_of(st.sampled_from(good), paths)
    if name == "wall" and kind is Path:
        return paths
    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)
    if good:
        return st.one_of(st.sampled_from(good), text)
    return st.one_of(text, paths)


@st.composite
def command_lines(draw, table, files):
    """One random command line (a list of strings), maybe with an unknown option or a missing value."""
    cmd = draw(st.sampled_from(sorted(table)))
    sane = draw(st.booleans())  # half of the lines use plausible values only, so commands also run to the end
    argv = [cmd]
    for name, opts, kind, is_flag, multiple, is_arg, required in table[cmd]:
        if is_arg:
            if required and draw(st.integers(0, 30)) == 0:
                continue  # a missing argument now and then
            n = draw(st.integers(1, 2)) if multiple else 1
            argv += [draw(_value(name, opts[0], kind, files, sane)) for _ in range(n)]
            continue
        if not draw(st.booleans()) and not (required and draw(st.integers(0, 10)) > 0):
            continue
        opt = draw(st.sampled_from(opts))
        if is_flag:
            argv.append(opt)
            continue
        for _ in range(draw(st.integers(1, 2)) if multiple else 1):
            argv += [opt, draw(_value(name, opts[0], kind, files, sane))]
    extra = draw(st.integers(0, 80)) if not sane else 99
    if extra == 0:
        argv.append("--no-such-option")
    elif extra == 1 and len(argv) > 1:
        argv.pop()  # an option without its value, or a missing argument
    elif extra == 2:
        argv.insert(draw(st.integers(0, len(argv))), "--debug-not")
    return argv


def no_prompt_env() -> dict[str, str]:
    """Environment for fuzzed runs: no progress bars, no colour."""
    return {**os.environ, "HULLBREACH_NO_PROGRESS": "1", "NO_COLOR": "1"}


class Overtime(BaseException):
    """Raised by the alarm when one invocation runs past its time limit (not an Exception: never swallowed)."""


def fast_campaign_rows(cases, **kwargs):
    """Stand-in for ``run_cases`` in fuzzing: one row per case without simulating (the CLI's checks and
    output are what is fuzzed; campaigns themselves are tested in tests/campaign)."""
    import pandas as pd

    progress = kwargs.get("progress")
    rows = [{"station": c.station, "label": c.label, "policy": c.policy, "module": c.module, "found": c.module,
             "status": "isolated", "time_to_module_s": 3600.0, "violations": 0, "steps": 3, "air_lost_kg": 0.1,
             "wall_s": 0.0} for c in cases]
    if progress is not None:
        progress(len(rows), len(rows))
    return pd.DataFrame(rows)


def invoke(argv: list[str], timeout_s: float = 60.0) -> tuple[int, str, str, float]:
    """Run ``hullbreach argv`` in this process with no stdin; return ``(code, stdout, stderr, seconds)``.

    Raises :class:`Overtime` past ``timeout_s`` (SIGALRM, main thread only).
    """
    import contextlib
    import io
    import signal
    import sys
    import time

    import hullbreach.campaign as campaign
    from hullbreach.cli.main import main

    out, err = io.StringIO(), io.StringIO()

    def _alarm(signum, frame):
        raise Overtime(f"{argv} ran past {timeout_s} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    saved_stdin, saved_run = sys.stdin, campaign.run_cases
    sys.stdin = io.StringIO("")
    campaign.run_cases = fast_campaign_rows
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        sys.stdin, campaign.run_cases = saved_stdin, saved_run
        import matplotlib.pyplot as plt

        plt.close("all")
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - t0


def check(argv, code, out, err) -> str | None:
    """What is wrong with one invocation's outcome, or None: exit 0 or 1, no internal error, no traceback."""
    text = out + err
    if code not in (0, 1):
        return f"exit code {code}"
    if "internal error" in text:
        return "internal error"
    if "Traceback (most recent call last)" in text:
        return "traceback"
    if code == 1 and not err.strip():
        return "exit 1 without a message"
    return None
