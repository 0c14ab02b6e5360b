"""``hullbreach simulate STATION SCENARIO.toml --out DIR [--seed N] [--json]``.

Runs the scenario simulator and writes ``DIR/telemetry.csv`` and ``DIR/events.csv`` (the canonical formats of
docs/design.md §3.2) and ``DIR/truth.csv`` (true state per module every ``truth_dt_s``). Prints the pressure of each
zone at the start and the end, and the mass vented. ``SCENARIO`` may also name a built-in scenario (``ms09``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import console, print_json, print_warning, styled
from hullbreach.errors import ScenarioError


def _scenario(arg: str):
    from hullbreach.sim.scenario import builtin_scenario_path, load_scenario

    p = Path(arg)
    if p.exists() or p.suffix.lower() == ".toml":
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
    ) -> None:
        """Simulate a scenario on a station and write telemetry, events and the true state as CSV."""
        from hullbreach.sim import simulate
        from hullbreach.station import load_station

        st = load_station(station)
        sc = _scenario(scenario)
        res = simulate(st, sc, seed=seed)
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
