"""A small, self-contained HTML report: sections with text lines, tables and embedded PNG figures."""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Section:
    """One section of a report: a title, plain-text lines, and image files to embed."""

    title: str
    lines: tuple = ()
    images: tuple = ()
    status: str = "ok"  # ok | warn | error


@dataclass(frozen=True)
class Report:
    """A report: title, subtitle, sections."""

    title: str
    subtitle: str = ""
    sections: tuple = field(default_factory=tuple)


_MARKUP = ("[bold]", "[/bold]", "[/]", "[dim]", "[red]", "[green]", "[yellow]", "[bold red]", "[bold green]",
           "[bold yellow]", "[cyan]", "[bold cyan]")


def strip_markup(text: str) -> str:
    """Remove the rich markup tags the CLI uses."""
    import re

    return re.sub(r"\[/?[a-z ]*\]", "", text)


def render_html(report: Report) -> str:
    """The report as one HTML string with images inlined (base64), so the file can be mailed as is."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(report.title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#111}"
        "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em}"
        ".warn h2{color:#a60}.error h2{color:#b00}pre{white-space:pre-wrap;font-size:.95em;background:#f6f6f6;"
        "padding:.6em}img{max-width:100%;border:1px solid #ddd}</style></head><body>",
        f"<h1>{html.escape(report.title)}</h1>",
    ]
    if report.subtitle:
        parts.append(f"<p>{html.escape(report.subtitle)}</p>")
    for s in report.sections:
        parts.append(f"<section class='{html.escape(s.status)}'><h2>{html.escape(s.title)}</h2>")
        if s.lines:
            parts.append("<pre>" + html.escape("\n".join(strip_markup(str(x)) for x in s.lines)) + "</pre>")
        for img in s.images:
            p = Path(img)
            if p.suffix.lower() == ".png" and p.exists():
                data = base64.b64encode(p.read_bytes()).decode("ascii")
                parts.append(f"<p><img alt='{html.escape(p.name)}' src='data:image/png;base64,{data}'></p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
