"""The HTML report embeds its images and escapes text."""

import base64

from hullbreach.report.html import Report, Section, render_html, strip_markup


def test_render_embeds_png_and_escapes(tmp_path):
    png = tmp_path / "a.png"
    png.write_bytes(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="))
    html = render_html(Report("T <1>", "sub", (Section("S", ("[bold]x < y[/]",), (str(png),)),)))
    assert "T &lt;1&gt;" in html and "x &lt; y" in html and "[bold]" not in html
    assert "data:image/png;base64," in html


def test_strip_markup():
    assert strip_markup("[bold red]error:[/] a [dim]b[/]") == "error: a b"
