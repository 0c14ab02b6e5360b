"""``hullbreach isolate STATION [--leak-rate-kg-s X | --rate-mmhg-per-h R | --rate-mmhg-per-day R]
[--telemetry FILE | --follow FILE] [--json]``.

Guides an operator through hatch-closure isolation, one configuration at a time ("close hatch X now,
then wait about N min"), and stops when one module holds >= 99 % or when the reserve time says to close
the suspected zone off and leave.

Telemetry for each step comes from:

* ``--telemetry FILE``: a recorded file (long CSV ``time,channel,value``, wide CSV, Parquet) covering the
  whole search; each step uses the window after its hatch operations (times from the file's first sample).
* ``--follow FILE``: a file that grows while the crew works (a recorder writing the live telemetry); the
  session re-reads it every ``--poll-s`` seconds and ends each wait as soon as the test decides.
* neither: at each step the operator gives the path of that step's telemetry file at the prompt (or
  presses Enter to stop). Without a terminal and without input, the first step is printed and the
  command ends (a plan).
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import typer

from hullbreach.cli.common import (check_choice, check_input_file, check_range, console, err_console, fmt_duration, markup,
                                   print_json, reading, station_arg)
from hullbreach.constants import PA_PER_MMHG
from hullbreach.errors import IsolationError

#: Most people a station file may carry [-]: the ISS record is 13 (STS-127, 2009); 20 bounds any real crew.
MAX_CREW = 20


def _read_raw(path: Path, station) -> pd.DataFrame:
    """Raw long telemetry with ``time`` in UNIX seconds (sensor units); refuses channels the station lacks."""
    raw = _read_any(path, station)
    unknown = sorted(set(raw["channel"].astype(str)) - set(station.sensors))
    if unknown:
        raise IsolationError(f"{path}: {len(unknown)} channel(s) that station {station.name!r} does not have: "
                             f"{', '.join(unknown[:5])}", hint="is this telemetry from another station?")
    return raw


def _read_any(path: Path, station) -> pd.DataFrame:
    check_input_file("telemetry file", path, allow_dir=True, error=IsolationError)
    with reading(path, IsolationError):
        return _read_checked(path, station)


def _read_checked(path: Path, station) -> pd.DataFrame:
    from hullbreach.telemetry.readers import detect_format, read_long_csv_raw, read_telemetry

    fmt = detect_format(path)
    if fmt == "long":
        raw, _ = read_long_csv_raw(path)
        raw = raw[["time", "channel", "value"]].copy()
        # values stay as written: the session runs the data checks `detect` runs (bad or psi samples are
        # quarantined or refused with a message, never coerced to NaN and dropped here)
        t = raw["time"]
        num = pd.to_numeric(t, errors="coerce")
        if num.notna().all():
            raw["time"] = num.astype(float)
        else:
            ts = pd.to_datetime(t, utc=True, format="ISO8601", errors="coerce")
            raw["time"] = (ts - pd.Timestamp("1970-01-01T00:00:00Z")).dt.total_seconds()
        bad_t = int(raw["time"].isna().sum())
        if bad_t:
            err_console.print(f"{path}: {bad_t} row(s) with an unreadable time left out (they cannot be placed in a step)",
                              markup=False)
        return raw.dropna(subset=["time"])
    from hullbreach.cli.detect import quarantine_summary, why_none_accepted

    tf = read_telemetry(path, station)
    if tf.n_accepted == 0:
        raise IsolationError(f"{path}: no accepted telemetry samples: {why_none_accepted(tf)}",
                             hint="fix the lines named, or check the channel ids with `hullbreach show STATION`")
    for r in quarantine_summary(tf):
        err_console.print(f"{path}: {r['count']} sample(s) of {r['channel']} quarantined: {r['reason']} "
                          f"(first at {', '.join(r['first_sources']) or 'unknown line'})", markup=False)
    d = tf.data.copy()
    d["time"] = (d["time"] - pd.Timestamp("1970-01-01T00:00:00Z")).dt.total_seconds()
    # back to sensor units so that every path gives the session the same kind of frame
    from hullbreach.units import from_si

    d["value"] = [from_si(v, station.sensors[c].unit) if c in station.sensors else v for c, v in zip(d["channel"], d["value"])]
    return d[["time", "channel", "value"]]


def _print_step(step, station) -> None:
    console.print(markup("\n[bold]Step {}[/]  ({} bit expected)", step.index, f"{step.info_bits:.2f}"))
    for action, h in step.operations():  # in order: a hatch is equalized right before it is opened
        if action == "equalize":
            console.print(markup("  • equalize pressure across hatch [cyan]{}[/] with its valve first", h))
        elif action == "open":
            console.print(markup("  • open hatch [cyan]{}[/]", h))
    if step.close:
        console.print(markup("  • [bold]close hatch{} {} now[/] (farthest from the crew first)",
                             "es" if len(step.close) > 1 else "", ", ".join(step.close)))
    if not step.open and not step.close:
        console.print("  • keep every hatch as it is")
    if step.crew_zone:
        console.print(f"  • crew waits in: {', '.join(sorted(step.crew_zone))}")
    else:
        console.print("  • crew: this station file has no escape vehicle, so there is no safe side to wait on")
    console.print(markup("  • then wait about [bold]{}[/] (at most {}); hatch work ~{}", fmt_duration(step.expected_dwell_s),
                         fmt_duration(step.dwell_s), fmt_duration(step.operations_s)))


def _print_outcome(out) -> None:
    if out.alert:
        console.print(out.alert, style="bold red", markup=False)
    for note in out.data_notes:
        console.print(f"  data check: {note}", style="yellow", markup=False)
    if out.contradicts:
        console.print("  this step contradicts the earlier ones: their decision is being revisited", style="yellow")
    zone = ", ".join(sorted(out.leaking_zone)) or "(none)"
    verdict = "decided" if out.decided else "not decided (watched the whole wait)"
    console.print(markup("  → {} after {}: losing air in [bold]{}[/] ({})", verdict, fmt_duration(out.decision_s), zone,
                         f"{out.zone_probability:.1%}"))
    top = ", ".join(f"{k} {v:.1%}" for k, v in out.posterior_top[:3])
    console.print(f"    most likely: {top}")


def _print_result(r) -> None:
    color = "green" if r.state == "found" else "yellow"
    console.print()
    console.print(r.advice, style=f"bold {color}", markup=False)
    if r.close_off:
        console.print(f"close now: {', '.join(r.close_off)}", style="bold", markup=False)
    console.print(f"elapsed {fmt_duration(r.elapsed_s)} in {r.steps} step(s); air lost meanwhile ~{r.air_lost_kg:.2f} kg")


def register(app: typer.Typer) -> None:
    """Add the ``isolate`` command."""

    @app.command("isolate")
    def isolate_cmd(
        station: str = typer.Argument(..., help="Built-in station name (iss-2018, iss-2025, demo) or station .toml path."),
        leak_rate_kg_s: float = typer.Option(None, "--leak-rate-kg-s", help="Detected leak mass flow [kg/s]."),
        rate_mmhg_per_h: float = typer.Option(None, "--rate-mmhg-per-h", help="Whole-station pressure drop [mmHg/h]."),
        rate_mmhg_per_day: float = typer.Option(None, "--rate-mmhg-per-day", help="Whole-station pressure drop [mmHg/day]."),
        telemetry: Path = typer.Option(None, "--telemetry", help="Recorded telemetry covering the search."),
        follow: Path = typer.Option(None, "--follow", help="Growing telemetry file to watch live."),
        policy: str = typer.Option("hullbreach", "--policy", help="hullbreach (planner) or iss (the ISS procedure)."),
        crew: int = typer.Option(0, "--crew", help="People aboard (wait in the escape vehicles)."),
        confidence: float = typer.Option(0.99, "--confidence", help="Stop when one module holds this probability."),
        poll_s: float = typer.Option(10.0, "--poll-s", help="With --follow: seconds between reads."),
        timeout_s: float = typer.Option(None, "--timeout-s", help="With --follow: give up after this many seconds of wall time."),
        seed: int = typer.Option(0, "--seed", help="Seed (tie-breaking)."),
        json_out: bool = typer.Option(False, "--json", help="Print steps, outcomes and the result as JSON."),
    ) -> None:
        """Which module leaks? Plan hatch closures step by step and read each step's telemetry."""
        from hullbreach.isolate import IsolationSession
        from hullbreach.isolate.session import leak_mass_flow_from_rate, step_window
        from hullbreach.station import load_station

        check_range("--leak-rate-kg-s", leak_rate_kg_s, 0.0, 100.0, unit="kg/s", low_open=True)
        check_range("--rate-mmhg-per-h", rate_mmhg_per_h, 0.0, 1e5, unit="mmHg/h", low_open=True)
        check_range("--rate-mmhg-per-day", rate_mmhg_per_day, 0.0, 2.4e6, unit="mmHg/day", low_open=True)
        check_choice("--policy", policy, ("hullbreach", "iss"))
        check_range("--crew", crew, 0, MAX_CREW, hint=f"people aboard, 0-{MAX_CREW}")
        check_range("--confidence", confidence, 0.5, 0.999999, hint="a probability such as 0.99")
        check_range("--poll-s", poll_s, 0.01, 3600.0, unit="s")
        check_range("--timeout-s", timeout_s, 0.0, 30 * 86400.0, unit="s", low_open=True)
        check_range("--seed", seed, 0, 2**32 - 1)
        if follow is not None and not follow.exists():
            raise IsolationError(f"--follow {follow} does not exist",
                                 hint="start the recorder first, or check the path; --follow waits for new lines, not for the file")
        check_input_file("--telemetry", telemetry, allow_dir=True, error=IsolationError)
        st = load_station(station_arg(station))
        given = [x is not None for x in (leak_rate_kg_s, rate_mmhg_per_h, rate_mmhg_per_day)]
        if sum(given) != 1:
            raise IsolationError("give the leak size once: --leak-rate-kg-s, --rate-mmhg-per-h or --rate-mmhg-per-day",
                                 hint="e.g. --rate-mmhg-per-h 0.6 for the Soyuz MS-09 leak")
        if telemetry is not None and follow is not None:
            raise IsolationError("give either --telemetry or --follow, not both")
        if leak_rate_kg_s is not None:
            mdot = leak_rate_kg_s
        elif rate_mmhg_per_h is not None:
            mdot = leak_mass_flow_from_rate(st, rate_mmhg_per_h * PA_PER_MMHG / 3600.0)
        else:
            mdot = leak_mass_flow_from_rate(st, rate_mmhg_per_day * PA_PER_MMHG / 86400.0)
        s = IsolationSession(st, leak_mass_flow_kg_s=mdot, seed=seed, policy=policy, crew_count=crew, confidence=confidence)
        quiet = json_out
        log: list = []
        if not quiet:
            console.print(markup("[bold]{}[/]: leak {} kg/s; policy {}; stop at {}", st.name, f"{mdot:.3g}", policy, f"{confidence:.0%}"))

        recorded = _read_raw(telemetry, st) if telemetry is not None else None
        t_origin = float(recorded["time"].min()) if recorded is not None and len(recorded) else 0.0
        t0 = 0.0
        paused = False
        wall0 = time.monotonic()
        while not s.done:
            step = s.next_step()
            if step.state != "continue":
                break
            if not quiet:
                _print_step(step, st)
            if recorded is not None:
                a, b = step_window(t0, step)
                rel = recorded["time"] - t_origin
                frame = recorded.loc[(rel >= a) & (rel <= b)].copy()
                if frame.empty:
                    paused = True
                    if not quiet:
                        console.print(markup("[yellow]the recording ends before step {}: session paused[/]", step.index))
                    log.append({"step": step.to_json(), "outcome": None})
                    break
                frame["time"] = frame["time"] - t_origin
                out = s.observe(frame)
                t0 = a + out.decision_s
            elif follow is not None:
                out = None
                a = None
                while out is None:
                    if timeout_s is not None and time.monotonic() - wall0 > timeout_s:
                        paused = True
                        break
                    raw = _read_raw(follow, st) if follow.exists() and follow.stat().st_size > 0 else None
                    if raw is not None and len(raw):
                        now = float(raw["time"].max())
                        if a is None:
                            a = now + step.operations_s
                        frame = raw.loc[raw["time"] >= a]
                        if len(frame) > 3:
                            chk = s.check(frame)
                            if chk.decided or chk.span_s >= step.dwell_s:
                                out = s.observe(frame)
                                break
                            if not quiet:
                                err_console.print(f"  … {fmt_duration(chk.span_s)} watched, {', '.join(sorted(chk.leaking_zone))} "
                                                  f"at {chk.zone_probability:.1%}")
                    time.sleep(poll_s)
                if out is None:
                    if not quiet:
                        console.print(markup("[yellow]timed out waiting for telemetry: session paused[/]"))
                    log.append({"step": step.to_json(), "outcome": None})
                    break
            else:
                err_console.print(f"Step {step.index}: telemetry file of this step (Enter to stop): ", end="")
                try:
                    answer = input().strip()
                except (EOFError, OSError):
                    answer = ""
                if not answer:
                    paused = True
                    log.append({"step": step.to_json(), "outcome": None})
                    break
                out = s.observe(_read_raw(Path(answer), st))
            log.append({"step": step.to_json(), "outcome": out.to_json()})
            if not quiet:
                _print_outcome(out)
        r = s.result
        if json_out:
            print_json({"station": st.name, "leak_mass_flow_kg_s": mdot, "policy": policy, "paused": paused,
                        "steps": log, "result": r.to_json()})
            return
        if paused and not s.done:
            console.print(markup("\n[yellow]session paused after {} step(s)[/]: {}", r.steps, r.advice))
        else:
            _print_result(r)
