"""``hullbreach demo``: replay the Soyuz MS-09 leak of Aug 2018 end to end on the built-in ``iss-2018``.

Stages, each a ``run(out_dir, seed) -> dict`` of its own domain: Foundation physics and reserve time
(:mod:`hullbreach.report.ms09`), detection, isolation, in-module localization, cause attribution.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from hullbreach.cli.common import check_output_path, check_range, console, markup, print_json, styled
from hullbreach.errors import HullbreachError
from hullbreach.report.html import Section
from hullbreach.report.incident import write_incident_report

#: The stages of the demo, in the order of the five questions: (module, title shown to the operator).
STAGES = (
    ("hullbreach.detect.demo", "1. Is it a leak? (detector on simulated MS-09 telemetry)"),
    ("hullbreach.report.ms09", "2. How big, how long do we have? (the published 0.6 mmHg/h)"),
    ("hullbreach.isolate.demo", "3. Which module? (hatch-closure isolation)"),
    ("hullbreach.locate.demo", "4. Where on the wall? (structure-borne ultrasound)"),
    ("hullbreach.cause.demo", "5. What made the hole? (cause attribution)"),
)


def run_demo(out_dir: Path, seed: int = 0, echo: bool = True) -> dict:
    """Run every stage; return ``{"stages": [...], "files": [...], "failed": [...]}``.

    A stage that fails is reported (its error message) and the others still run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    results, files, failed, sections = [], [], [], []
    for name, title in STAGES:
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(name)
            res = mod.run(out_dir, seed=seed)
        except (HullbreachError, ModuleNotFoundError) as exc:
            if isinstance(exc, ModuleNotFoundError) and exc.name != name:
                raise
            res = {"title": name, "lines": ["[red]error:[/] " + escape(str(exc))], "json": {"error": str(exc)}, "files": []}
            failed.append(name)
        res["elapsed_s"] = time.perf_counter() - t0
        res["title"] = title
        results.append(res)
        files.extend(res.get("files", []))
        sections.append(Section(res["title"], tuple(res["lines"]), tuple(res.get("files", [])),
                                "error" if name in failed else "ok"))
        if echo:
            body = "\n".join(res["lines"])
            # The stages' lines are our own markup (report/html.py strips the same tags for the HTML).
            console.print(Panel(Text.from_markup(body, emoji=False), title=styled((res["title"], "bold")), title_align="left",
                                border_style="red" if name in failed else "cyan"))
    html_path = write_incident_report(
        out_dir / "report.html", "iss-2018", stages=tuple(sections),
        title="hullbreach demo: Soyuz MS-09 leak, ISS, 29-31 Aug 2018",
        subtitle="Replay on the built-in station iss-2018: detection, sizing, reserve time, isolation, "
                 "localization on the wall and cause attribution.")
    files.append(str(html_path))
    return {"stages": results, "files": files, "failed": failed}


def register(app: typer.Typer) -> None:
    """Add ``demo``."""

    @app.command("demo")
    def demo(
        out: Path = typer.Option(Path("hullbreach-demo"), "--out", help="Folder for plots and the HTML report."),
        seed: int = typer.Option(0, "--seed", help="Random seed of the simulated telemetry and signals."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON instead of panels."),
    ) -> None:
        """Replay the Soyuz MS-09 leak of Aug 2018 on iss-2018, end to end."""
        check_range("--seed", seed, 0, 2**32 - 1)
        check_output_path("--out", out, folder=True)
        if not json_out:
            console.print(styled(("hullbreach demo", "bold"), " — Soyuz MS-09 leak, ISS, 29–31 Aug 2018 (station iss-2018)\n"))
        res = run_demo(out, seed=seed, echo=not json_out)
        if json_out:
            print_json({"stages": [{**s.get("json", {}), "title": s["title"], "stage": name}
                                   for (name, _), s in zip(STAGES, res["stages"])],
                        "files": res["files"], "failed": res["failed"]})
        else:
            console.print(markup("Plots and report: [bold]{}[/]", out / "report.html"))
        if res["failed"]:
            raise typer.Exit(1)
