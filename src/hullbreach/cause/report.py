"""HTML report of a cause attribution, with the tornado chart (matplotlib PNG embedded as base64)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

from hullbreach.cause.attribute import LABELS, Attribution
from hullbreach.cause.evidence import HYPOTHESES


def tornado_png(att: Attribution, top: int = 12) -> bytes:
    """Tornado chart as PNG bytes: each input moved alone to its low and high end.

    Left panel: P(ground | drilled) [-]. Right panel: P(not drilled) = 1 - P(drilled) [-], log scale.
    Inputs sorted by their largest swing; ``top`` shown.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = list(att.sensitivity[:top])[::-1]
    names = [s.param.name if len(s.param.name) < 60 else s.param.name[:57] + "..." for s in items]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 0.42 * len(items) + 1.8), sharey=True)
    base_g = att.ground_share.estimate
    base_n = max(1.0 - att.p_drilling.estimate, 1e-300)
    for i, s in enumerate(items):
        lo, hi = s.ground_share
        ax1.barh(i, lo - base_g, left=base_g, color="#4477aa", height=0.6)
        ax1.barh(i, hi - base_g, left=base_g, color="#ee6677", height=0.6)
        nlo, nhi = (max(1.0 - x, 1e-300) for x in s.p_drilling)
        ax2.barh(i, nlo - base_n, left=base_n, color="#4477aa", height=0.6)
        ax2.barh(i, nhi - base_n, left=base_n, color="#ee6677", height=0.6)
    ax1.axvline(base_g, color="k", lw=1)
    ax2.axvline(base_n, color="k", lw=1)
    ax1.set_yticks(range(len(items)), names, fontsize=8)
    ax1.set_xlim(0, 1)
    ax1.set_xlabel("P(drilled on the ground | drilled)")
    ax2.set_xscale("log")
    ax2.set_xlabel("P(not drilled) = 1 - P(drilled)")
    ax1.set_title("blue: input at its low end, red: at its high end", fontsize=9)
    ax2.set_title(f"{att.case.name}", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _f(x: float) -> str:
    if x is None:
        return "–"
    if 0.999 < x < 1:
        return f"1 − {1 - x:.1e}"
    return f"{x:.3g}"


def render_html(att: Attribution, png: bytes | None = None) -> str:
    """A self-contained HTML page: summary, posterior, MMOD prior, evidence with sources, tornado chart
    (``png``: the tornado chart bytes if already drawn)."""
    e = html.escape
    c = att.case
    png = base64.b64encode(png if png is not None else tornado_png(att)).decode("ascii")
    rows = "".join(
        f"<tr><td>{e(LABELS[h])}</td><td>{_f(att.prior[h].estimate)} [{_f(att.prior[h].low)}, {_f(att.prior[h].high)}]</td>"
        f"<td><b>{_f(att.posterior[h].estimate)}</b> [{_f(att.posterior[h].low)}, {_f(att.posterior[h].high)}]</td></tr>"
        for h in HYPOTHESES)
    ev_rows = "".join(
        f"<tr><td>{e(r.feature)} = {e(r.value)}</td><td>{e(r.rationale)}</td><td>{e(r.source)}</td><td>"
        + "<br>".join(f"{e(h)}: {_f(r.likelihood[h][0])} [{_f(r.likelihood[h][1])}, {_f(r.likelihood[h][2])}]"
                      for h in HYPOTHESES)
        + "</td></tr>" for r in c.rules())
    sens_rows = "".join(
        f"<tr><td>{e(s.param.name)}</td><td>{_f(s.param.low)} – {_f(s.param.high)}</td>"
        f"<td>{_f(s.ground_share[0])} – {_f(s.ground_share[1])}</td><td>{_f(s.p_drilling[0])} – {_f(s.p_drilling[1])}</td></tr>"
        for s in att.sensitivity[:15])
    mm = att.mmod
    mmod_rows = "".join(
        f"<tr><td>{e(k)}</td><td>{r.expected_number:.3g}</td><td>{_f(r.interval.estimate)} "
        f"[{_f(r.interval.low)}, {_f(r.interval.high)}]</td><td>{e(r.method)}</td></tr>" for k, r in mm.items())
    hard = att.mmod_hard["total"]
    mmod_rows += (f"<tr><td>total, hard handbook limit (before issue 14)</td><td>{hard.expected_number:.3g}</td>"
                  f"<td>{_f(hard.interval.estimate)} [{_f(hard.interval.low)}, {_f(hard.interval.high)}]</td>"
                  f"<td>{e(hard.method)}</td></tr>")
    summary = "".join(f"<li>{e(line)}</li>" for line in att.summary)
    sources = "".join(f"<li>{e(s)}</li>" for s in c.sources)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hullbreach cause attribution: {e(c.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:90%}}
th{{background:#eee}}.note{{color:#555;font-size:90%}}</style></head><body>
<h1>What made the hole? {e(c.name)}</h1>
<p class="note">{e(c.description)}</p>
<h2>Summary for the review board</h2><ul>{summary}</ul>
<h2>Posterior by cause</h2>
<table><tr><th>cause</th><th>prior (per flight) [95 % range]</th><th>posterior [95 % interval]</th></tr>{rows}</table>
<p>P(drilled) = {_f(att.p_drilling.estimate)} [{_f(att.p_drilling.low)}, {_f(att.p_drilling.high)}];
P(ground | drilled) = {_f(att.ground_share.estimate)} [{_f(att.ground_share.low)}, {_f(att.ground_share.high)}].
Intervals: Monte Carlo over every prior and likelihood ({att.n_samples} samples, log-triangular on each range).</p>
<h2>Sensitivity (tornado chart)</h2>
<img alt="tornado chart" src="data:image/png;base64,{png}" style="max-width:100%">
<table><tr><th>input</th><th>range</th><th>P(ground | drilled) low – high</th><th>P(drilled) low – high</th></tr>{sens_rows}</table>
<h2>MMOD before the evidence</h2>
<p>Wall {e(c.wall)}, {c.wall_area_m2:g} m² ({e(c.wall_area_note)}), {c.exposure_s / 86400:.1f} days from launch to leak onset,
smallest hole of interest {c.hole_diameter_m.low * 1e3:.2g} mm. Fluxes: Grün 1985 (ECSS-E-ST-10-04C) with focusing and Earth
shielding; ORDEM2000 debris from NASA/TM-2009-214785 Tables 2-2..2-5; ballistic limits from the same handbook, made
probabilistic with the scatter of real hypervelocity shots (pyBLOSSUM databases; hullbreach.cause.perforation).</p>
<table><tr><th>population</th><th>expected perforations</th><th>probability [95 %]</th><th>method</th></tr>{mmod_rows}</table>
<h2>Evidence and what each item is worth</h2>
<table><tr><th>observation</th><th>rationale</th><th>source</th><th>relative likelihood [range]</th></tr>{ev_rows}</table>
<h2>Case sources</h2><ul>{sources}</ul>
<p class="note">Generated by hullbreach (cause attribution). Likelihoods are engineering judgement anchored on the
cited sources, shown so they can be challenged; see docs/cause.md.</p>
</body></html>
"""


def write_report(att: Attribution, path: str | Path, png: bytes | None = None) -> Path:
    """Write :func:`render_html` to ``path`` (folders created) and return the path."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(render_html(att, png), encoding="utf-8")
    return p
