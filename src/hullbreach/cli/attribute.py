"""``hullbreach attribute CASE``: what made the hole? Posterior over six causes with intervals."""

from __future__ import annotations

from pathlib import Path

import typer

from hullbreach.cli.common import console, print_json, styled


def register(app: typer.Typer) -> None:
    @app.command("attribute")
    def attribute_cmd(
        case: str = typer.Argument(..., help="A case TOML path, or a built-in case name (ms09)."),
        json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
        report: Path = typer.Option(None, "--report", help="Write an HTML report with the tornado chart here."),
        samples: int = typer.Option(20000, "--samples", min=100, help="Monte Carlo samples for the intervals."),
        seed: int = typer.Option(0, "--seed", help="Random seed."),
        onset: str = typer.Option(None, "--onset", help="Override the leak onset (ISO 8601 UTC), e.g. the "
                                  "onset_time of `hullbreach detect --json`."),
    ) -> None:
        """Attribute a hull breach: meteoroid, orbital debris, fatigue crack, defect, drilled on the ground or in orbit."""
        from hullbreach.cause.attribute import LABELS, attribute
        from hullbreach.cause.evidence import HYPOTHESES, load_case

        c = load_case(case)
        if onset is not None:
            c = c.with_onset(onset)
        att = attribute(c, n_samples=samples, seed=seed)
        path = None
        if report is not None:
            from hullbreach.cause.report import write_report

            path = write_report(att, report)
        if json_out:
            payload = att.to_json()
            if path is not None:
                payload["report"] = str(path)
            print_json(payload)
            return
        console.print(styled((att.case.name, "bold")))
        for line in att.summary:
            console.print(f"  {line}")
        console.print(styled("\n  ", ("cause", "bold"), " " * 22, ("posterior", "bold"), " [95 % interval]"))
        for h in HYPOTHESES:
            iv = att.posterior[h]
            console.print(f"  {LABELS[h]:<26} {iv.estimate:10.3g} [{iv.low:.3g}, {iv.high:.3g}]")
        if path is not None:
            console.print(f"\n  report written to {path}")
