"""``hullbreach campaign STATION [STATION ...] --runs N --leak-class CLASS [--policy hullbreach --policy iss]
[--workers N | --dask ADDRESS] [--out FILE.csv] [--json]``.

Monte Carlo of hatch-closure isolation with the simulator in the loop: leaking module (drawn by the
station's leak priors) x leak size (uniform in the class) x noise seed; every policy runs the same cases.
Prints time to module (median, 90th percentile), wrong-module and undecided rates, constraint
violations, configurations and air lost per station, class and policy.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich import box
from rich.table import Table

from hullbreach.cli.common import (check_choice, check_output_path, check_range, console, print_json, station_arg,
                                   styled)
from hullbreach.cli.progress import progress_bar
from hullbreach.errors import WorkTooLargeError

#: Most cases per station and class one command may ask for (a 100,000-run campaign is hours on a cluster).
MAX_RUNS = 100_000
#: Runs (cases x policies) above which the campaign asks for --force, and the CPU time of one run [s] used
#: for the estimate (estimate: a fast-telemetry run takes 1-5 s of CPU on the 2-core development machine).
MAX_CASES_WITHOUT_FORCE = 20_000
SECONDS_PER_CASE = 3.0


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
        force: bool = typer.Option(False, "--force", help=f"Start a campaign of more than {20_000:,} runs."),
    ) -> None:
        """Monte Carlo isolation campaign: hullbreach planner against the ISS procedure."""
        from hullbreach.campaign import build_cases, run_cases, summarize
        from hullbreach.campaign.run import RATE_CLASSES, CampaignError

        check_range("--runs", runs, 1, MAX_RUNS, hint="cases per station and leak class")
        check_range("--workers", workers, 1, 1024, hint="local processes; omit for all cores")
        check_range("--seed", seed, 0, 2**32 - 1)
        check_choice("--telemetry", telemetry, ("fast", "full"))
        for lc in leak_class:
            check_choice("--leak-class", lc, tuple(RATE_CLASSES))
        for pol in policy:
            check_choice("--policy", pol, ("hullbreach", "iss"))
        if dask is not None and "://" not in dask and ":" not in dask:
            raise CampaignError(f"--dask {dask!r} is not a scheduler address", hint="e.g. tcp://host:8786")
        check_output_path("--out", out, suffixes=(".csv",))
        leak_class, policy = list(dict.fromkeys(leak_class)), list(dict.fromkeys(policy))
        n_cases = runs * len(stations) * len(leak_class) * len(dict.fromkeys(policy))
        if n_cases > MAX_CASES_WITHOUT_FORCE and not force:
            n_workers = workers or (0 if dask else os.cpu_count() or 1)
            hours = n_cases * SECONDS_PER_CASE / max(1, n_workers) / 3600
            where = f"about {hours:.3g} h on {n_workers} local process(es)" if n_workers else "hours on a cluster"
            raise WorkTooLargeError(f"this campaign is {n_cases:,} isolation runs with the simulator in the loop, {where}",
                                    hint="lower --runs, or add --force to start it anyway")
        stations = [station_arg(s) for s in stations]
        cases = []
        for st in stations:
            for lc in leak_class:
                cases += build_cases(st, runs, lc, policies=tuple(dict.fromkeys(policy)), seed=seed, telemetry=telemetry)
        with progress_bar("campaign", total=len(cases), unit="runs", enabled=not json_out) as advance:
            df = run_cases(cases, workers=workers, dask_address=dask, progress=advance)
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            df.to_csv(out, index=False)
        summ = summarize(df)
        if json_out:
            print_json({"runs": int(len(df)), "summary": summ.to_dict(orient="records"),
                        "csv": str(out) if out else None})
            return
        console.print(styled((f"Isolation campaign ({len(df)} runs)", "bold"),
                             ": time to module (median, 90th percentile), wrong-module and undecided rates, "
                             "constraint violations, hatch configurations, air lost (median)"))
        for (st_name, label), g in summ.groupby(["station", "label"], sort=False):
            t = Table(title=f"{st_name} · {label}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                      collapse_padding=True)
            for c in ("policy", "runs", "median h", "p90 h", "wrong", "undecided", "violations", "steps", "air kg"):
                t.add_column(c, justify="left" if c == "policy" else "right", no_wrap=True)
            for r in g.itertuples():
                t.add_row(r.policy, str(r.runs), f"{r.median_time_h:.2f}", f"{r.p90_time_h:.2f}",
                          f"{r.wrong_module_rate:.1%}", f"{r.undecided_rate:.1%}", str(r.violations),
                          f"{r.mean_configurations:.2f}", f"{r.median_air_lost_kg:.2f}")
            console.print(t)
        if out is not None:
            console.print(f"rows written to {out}")
