"""``hullbreach simulate STATION SCENARIO.toml --out DIR [--seed N] [--json]``.

Runs the scenario simulator and writes ``DIR/telemetry.csv`` and ``DIR/events.csv`` (the canonical formats of
docs/design.md §3.2) and ``DIR/truth.csv`` (true state per module every ``truth_dt_s``). Prints the pressure of each
zone at the start and the end, and the mass vented. ``SCENARIO`` may also name a built-in scenario (``ms09``).
"""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import (check_input_file, check_output_path, check_range, console, print_json, print_warning,
                                   reading, station_arg, styled)
from hullbreach.cli.progress import progress_bar
from hullbreach.errors import ScenarioError, WorkTooLargeError


#: Limits above which ``simulate`` asks for ``--force``: telemetry samples (about 60 bytes each in memory
#: while written), physics steps, and truth rows. 30 days of 20 sensors at 1 Hz is 5.2e7 samples.
MAX_TELEMETRY_SAMPLES = 1e8
MAX_STEPS = 5e7
MAX_TRUTH_ROWS = 2e7
BYTES_PER_SAMPLE = 60.0


def estimate_work(station, sc) -> dict:
    """What a simulation will produce: telemetry samples, physics steps, truth rows, memory [bytes]."""
    n_sensors = max(1, len(station.sensors))
    samples = sc.duration_s * sc.sample_rate_hz * n_sensors
    steps = sc.duration_s / sc.dt_s if sc.dt_s > 0 else math.inf
    truth = sc.duration_s / sc.truth_dt_s * len(station.modules) if sc.truth_dt_s > 0 else math.inf
    return {"telemetry_samples": samples, "steps": steps, "truth_rows": truth,
            "memory_bytes": (samples + truth) * BYTES_PER_SAMPLE}


def check_work(w: dict, force: bool) -> None:
    """Refuse work above the limits unless ``force``, with the estimate in the message."""
    over = [f"{w['telemetry_samples']:.3g} telemetry samples (limit {MAX_TELEMETRY_SAMPLES:.0e})"
            if w["telemetry_samples"] > MAX_TELEMETRY_SAMPLES else "",
            f"{w['steps']:.3g} physics steps (limit {MAX_STEPS:.0e})" if w["steps"] > MAX_STEPS else "",
            f"{w['truth_rows']:.3g} truth rows (limit {MAX_TRUTH_ROWS:.0e})" if w["truth_rows"] > MAX_TRUTH_ROWS else ""]
    over = [o for o in over if o]
    if over and not force:
        raise WorkTooLargeError(f"this scenario asks for {'; '.join(over)}, about {w['memory_bytes'] / 2**30:.3g} GiB",
                                hint="lower duration_s or sample_rate_hz (or raise dt_s, truth_dt_s), or add --force")


def _scenario(arg: str):
    from hullbreach.sim.scenario import builtin_scenario_path, load_scenario

    p = Path(arg)
    if p.exists() or p.suffix.lower() == ".toml":
        check_input_file("SCENARIO", p, error=ScenarioError)
        with reading(p, ScenarioError):
            return load_scenario(p)
    b = builtin_scenario_path(arg)
    if b.exists():
        return load_scenario(b)
    raise ScenarioError(f"scenario {arg!r} is neither a file nor a built-in scenario", hint="give a .toml path, or ms09")


def _zones_table(title: str, zones: list) -> Table:
    t = Table(title=title, title_justify="left")
    t.add_column("zone (modules)")
    t.add_column("pressure mmHg", justify="right")
    t.add_column("kPa", justify="right")
    for z in zones:
        mods = z["modules"]
        label = ", ".join(mods) if len(mods) <= 4 else f"{', '.join(mods[:3])} … (+{len(mods) - 3})"
        t.add_row(label, f"{z['pressure_mmhg']:.2f}", f"{z['pressure_pa'] / 1000:.3f}")
    return t


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command."""

    @app.command("simulate")
    def simulate_cmd(
        station: str = typer.Argument(..., help="Built-in station name (iss-2018, demo, ...) or station .toml path."),
        scenario: str = typer.Argument(..., help="Scenario .toml file (or a built-in scenario name: ms09)."),
        out: Path = typer.Option(..., "--out", "-o", help="Folder to write telemetry.csv, events.csv, truth.csv into."),
        seed: int = typer.Option(0, "--seed", help="Random seed (noise, faults, HVAC); same seed, same output."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
        force: bool = typer.Option(False, "--force", help="Run even when the estimated work is above the limits."),
    ) -> None:
        """Simulate a scenario on a station and write telemetry, events and the true state as CSV."""
        from hullbreach.sim import simulate
        from hullbreach.station import load_station

        check_range("--seed", seed, 0, 2**32 - 1)
        check_output_path("--out", out, folder=True)
        st = load_station(station_arg(station))
        sc = _scenario(scenario)
        check_work(estimate_work(st, sc), force)
        with progress_bar("simulating", total=sc.duration_s, unit="h", scale=1 / 3600, fmt="{:.1f}",
                          enabled=not json_out) as advance:
            res = simulate(st, sc, seed=seed, progress=advance)
        paths = res.write(out)
        summary = res.summary()
        summary["files"] = [str(p) for p in paths]
        if json_out:
            print_json(summary)
            return
        console.print(styled((st.name, "bold"), f" · scenario {sc.name or scenario} · {sc.start} + {sc.duration_s / 3600:.1f} h · "
                      f"seed {seed} · venting model {res.thermo}"))
        console.print(_zones_table("start", summary["zones_start"]))
        console.print(_zones_table("end", summary["zones_end"]))
        mb = summary["mass_balance"]
        console.print(styled("vented through leaks: ", (f"{res.vented_kg:.3f} kg", "bold"),
                             "".join(f"  ({k}: {v:.3f} kg)" for k, v in res.vented_by_leak_kg.items() if len(res.vented_by_leak_kg) > 1)))
        console.print(f"mass balance: initial {mb['initial_kg']:.3f} + added {mb['added_kg']:.3f} = remaining "
                      f"{mb['remaining_kg']:.3f} + vented {mb['vented_kg']:.3f} + airlock vented {mb['airlock_vented_kg']:.3f} "
                      f"+ removed {mb['removed_kg']:.3f} kg (residual {mb['residual_kg']:.1e} kg)")
        console.print(f"{summary['telemetry_samples']} telemetry samples, {summary['events']} events → "
                      + ", ".join(str(p) for p in paths))
        for w in res.warnings:
            print_warning(w)
