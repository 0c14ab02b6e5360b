"""``hullbreach campaign STATION [STATION ...] --runs N --leak-class CLASS [--policy hullbreach --policy iss]
[--workers N | --dask ADDRESS] [--out FILE.csv] [--json]``.

Monte Carlo of hatch-closure isolation with the simulator in the loop: leaking module (drawn by the
station's leak priors) x leak size (uniform in the class) x noise seed; every policy runs the same cases.
Prints time to module (median, 90th percentile), wrong-module and undecided rates, constraint
violations, configurations and air lost per station, class and policy.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hullbreach.cli.common import console, print_json


def register(app: typer.Typer) -> None:
    """Add the ``campaign`` command."""

    @app.command("campaign")
    def campaign_cmd(
        stations: list[str] = typer.Argument(..., help="Stations (iss-2018, iss-2025, demo or .toml paths)."),
        runs: int = typer.Option(20, "--runs", "-n", help="Cases per station and leak class (each run by every policy)."),
        leak_class: list[str] = typer.Option(["slow-1-2mmHg/day"], "--leak-class",
                                             help="Leak-size class(es): slow-1-2mmHg/day, ms09-0.6mmHg/h."),
        policy: list[str] = typer.Option(["hullbreach", "iss"], "--policy", help="Policies to compare."),
        workers: int = typer.Option(None, "--workers", help="Local processes (default: all cores)."),
        dask: str = typer.Option(None, "--dask", help="Dask scheduler address (tcp://host:8786) instead of local processes."),
        telemetry: str = typer.Option("fast", "--telemetry", help="fast (60 s block means) or full (1 Hz simulator telemetry)."),
        seed: int = typer.Option(0, "--seed", help="Campaign seed."),
        out: Path = typer.Option(None, "--out", help="Write one row per run to this CSV."),
        json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Monte Carlo isolation campaign: hullbreach planner against the ISS procedure."""
        from hullbreach.campaign import build_cases, run_cases, summarize
        from hullbreach.campaign.run import CampaignError

        if telemetry not in ("fast", "full"):
            raise CampaignError(f"unknown telemetry mode {telemetry!r}", hint="use fast or full")
        cases = []
        for st in stations:
            for lc in leak_class:
                cases += build_cases(st, runs, lc, policies=tuple(policy), seed=seed, telemetry=telemetry)
        df = run_cases(cases, workers=workers, dask_address=dask)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(out, index=False)
        summ = summarize(df)
        if json_out:
            print_json({"runs": int(len(df)), "summary": summ.to_dict(orient="records"),
                        "csv": str(out) if out else None})
            return
        t = Table(title=f"Isolation campaign ({len(df)} runs)", title_justify="left")
        for c in ("station", "class", "policy", "runs", "median h", "p90 h", "wrong", "undecided", "violations",
                  "configs", "air kg"):
            t.add_column(c, justify="right" if c not in ("station", "class", "policy") else "left")
        for r in summ.itertuples():
            t.add_row(r.station, r.label, r.policy, str(r.runs), f"{r.median_time_h:.2f}", f"{r.p90_time_h:.2f}",
                      f"{r.wrong_module_rate:.1%}", f"{r.undecided_rate:.1%}", str(r.violations),
                      f"{r.mean_configurations:.2f}", f"{r.median_air_lost_kg:.2f}")
        console.print(t)
        if out is not None:
            console.print(f"rows written to {out}")
