"""``hullbreach attribute CASE``: what made the hole? Posterior over six causes with intervals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from hullbreach.cli.common import check_input_file, check_output_path, check_range, console, print_json, reading, styled
from hullbreach.errors import CaseError


def _onset(text: str) -> dt.datetime:
    """``--onset`` as an aware UTC time; refused when not ISO 8601 or in the future (days in orbit would be
    counted past today)."""
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise CaseError(f"--onset {text!r} is not an ISO 8601 time", hint="e.g. 2018-08-29T23:00:00Z") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.timezone.utc)
    now = dt.datetime.now(dt.timezone.utc)
    if t > now + dt.timedelta(days=1):
        raise CaseError(f"--onset {text} is in the future", hint="give the leak onset, e.g. the onset_time of `hullbreach detect --json`")
    return t


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

        check_range("--samples", samples, 100, 10_000_000, hint="Monte Carlo samples; 20000 gives intervals to ~1 %")
        check_range("--seed", seed, 0, 2**32 - 1)
        check_output_path("--report", report, suffixes=(".html", ".htm"))
        cp = Path(case)
        if cp.suffix.lower() == ".toml" or cp.exists() or "/" in case:
            check_input_file("CASE", cp, error=CaseError)
        with reading(cp, CaseError):
            c = load_case(case)
        if onset is not None:
            c = c.with_onset(_onset(onset))
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
