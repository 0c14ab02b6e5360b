"""The incident report: one self-contained HTML file of a leak event (``hullbreach report``; the demo's report).

Sections, each from what was given (a missing input is said, not skipped silently):

1. **Timeline**: the data span, known operations (events file), the leak's onset (95 % interval), the alarm,
   the seal, the isolation steps; a plot of the cabin pressure with those marks.
2. **Detection**: the detector's answer on the telemetry (:func:`hullbreach.detect.detector.detect`) and its plot.
3. **Sizing and reserve time**: leak rate, mass flow, effective hole and reserve time with 95 % intervals, at
   the alarm and with all the data.
4. **Isolation steps**: the log of a guided session (``hullbreach isolate --json`` output, or the demo's
   ``isolation_ms09.json``).
5. **Localization**: the result of ``hullbreach locate --json`` (position, 95 % radius, other sources).
6. **Cause analysis**: :func:`hullbreach.cause.attribute.attribute` on a case (built-in name or TOML), with the
   onset taken from the detector's alarm when there is one.

Plots are PNG embedded as base64 (:func:`hullbreach.report.html.render_html`), so the file can be mailed as is.
Units: SI inside; mmHg, mmHg/h, kg/day, mm and days only in the text.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_DAY, SECONDS_PER_HOUR
from hullbreach.errors import HullbreachError
from hullbreach.report.html import Report, Section, render_html


class ReportError(HullbreachError):
    """An input of the incident report cannot be read."""


def _utc(ts: float | None) -> str:
    import pandas as pd

    return "–" if ts is None else pd.Timestamp(ts, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def _iv(iv, scale: float, fmt: str, unit: str) -> str:
    return f"{fmt.format(iv.estimate * scale)} {unit} [{fmt.format(iv.low * scale)}, {fmt.format(iv.high * scale)}]"


def _days(iv) -> str:
    return _iv(iv, 1 / SECONDS_PER_DAY, "{:.1f}", "days")


def _read_json(path: Path, what: str, hint: str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"cannot read the {what} {path}: {exc.strerror}", hint=hint) from exc
    except ValueError as exc:
        raise ReportError(f"the {what} {path} is not JSON ({exc})", hint=hint) from exc


def detection_sections(station, telemetry, events, fig_dir: Path, seed: int = 0) -> tuple[list, object]:
    """Timeline, detection and sizing sections of a telemetry file; returns ``(sections, result)``."""
    from hullbreach.detect.detector import detect
    from hullbreach.detect.plot import plot_detection
    from hullbreach.telemetry.readers import read_events, read_telemetry

    frame = read_telemetry(telemetry, station)
    ev = read_events(events, station) if events is not None else None
    res = detect(station, frame, ev, seed=seed)
    det_png = plot_detection(res, fig_dir / "detection.png", title=f"Detection: {Path(telemetry).name}")
    marks = []
    if ev is not None:
        for _, e in ev.iterrows():
            marks.append((e["time"].timestamp(), f"{e['kind']} {e.get('detail', '') or ''}".strip()))
    for a in res.alarms:
        marks.append((a.onset_s.estimate, f"onset of the {a.kind} (95 %: {_utc(a.onset_s.low)} – {_utc(a.onset_s.high)})"))
        marks.append((a.time_s, f"ALARM ({a.kind}) in the zone of {len(a.zone)} module(s), track {a.track}"))
        if a.end_s is not None:
            marks.append((a.end_s, "leak no longer active (sealed or zone changed)"))
    marks.sort()
    tl_png = _timeline_plot(frame, station, marks, fig_dir / "timeline.png")
    timeline = [f"data {_utc(res.start_s)} – {_utc(res.end_s)} ({len(frame.data)} samples accepted, "
                f"{res.quarantined_samples} quarantined, {len(res.sensor_faults)} sensor faults)"]
    timeline += [f"{_utc(t)}  {text}" for t, text in marks]
    det = [f"status: {res.status.upper()}  (false-alarm rate {res.far_per_year:g}/year, threshold {res.threshold:.1f})"]
    for a in res.alarms:
        det.append(f"{a.kind} alarm at {_utc(a.time_s)}, {(a.time_s - a.onset_s.estimate) / 60:.0f} min after the "
                   f"estimated onset; zone: {', '.join(a.zone)}; statistic {a.statistic:.1f}")
    if not res.alarms:
        det.append("no leak above the background allowance")
    det += [f"sensor fault {f.sensor}: {f.reason}" for f in res.sensor_faults]
    det += list(res.notes)
    size = []
    for a in res.alarms:
        at = a.estimate_at_alarm or a.estimate
        for label, e in (("at the alarm", at), (f"with all data ({a.fit_span_s / 3600:.1f} h after the onset)", a.estimate)):
            size += [f"{a.kind} — {label}:",
                     f"  pressure rate {_iv(e.pressure_rate_pa_s, SECONDS_PER_HOUR / PA_PER_MMHG, '{:.3f}', 'mmHg/h')}",
                     f"  air mass flow {_iv(e.leak_mass_flow_kg_s, SECONDS_PER_DAY, '{:.2f}', 'kg/day')}",
                     f"  effective hole (Cd = 1) {_iv(e.effective_hole_diameter_m, 1e3, '{:.2f}', 'mm')}",
                     f"  reserve time to {e.threshold_pressure_pa / PA_PER_MMHG:.0f} mmHg ({e.reserve_model}) {_days(e.reserve_time_s)}"]
    if not size:
        size.append("no leak detected: nothing to size")
    return [Section("1. Timeline", tuple(timeline), (str(tl_png),)),
            Section("2. Detection", tuple(det), (str(det_png),), "warn" if res.status == "leak" else "ok"),
            Section("3. Sizing and reserve time", tuple(size))], res


def _timeline_plot(frame, station, marks, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    d = frame.data
    press = [c for c, s in station.sensors.items() if s.quantity == "pressure"]
    sub = d[d["channel"].astype(str).isin(press)]
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    if len(sub):
        g = sub.groupby("time", observed=True)["value"].median() / PA_PER_MMHG
        ax.plot(g.index, g.to_numpy(), lw=0.8, color="C0", label="median of the pressure sensors")
    for t, text in marks:
        ax.axvline(pd.Timestamp(t, unit="s", tz="UTC"), color="C3" if "ALARM" in text else "0.5", lw=1, ls="--")
    ax.set_ylabel("pressure [mmHg]")
    ax.set_title("Timeline: cabin pressure, onset, alarm and operations (dashed)")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def isolation_section(log_path: Path) -> Section:
    """Section of an isolation log (``hullbreach isolate --json`` output or the demo's ``isolation_ms09.json``)."""
    doc = _read_json(log_path, "isolation log", "give the JSON written by `hullbreach isolate ... --json`")
    steps = doc.get("steps") or doc.get("log") or []
    lines = []
    for entry in steps:
        s, o = entry.get("step") or {}, entry.get("outcome")
        seq = [x for x in (s.get("sequence") or []) if x[0] != "close"]  # the order of the hatch work
        ops = ([f"{x[0]} {x[1]}" for x in seq] + ([f"close {', '.join(s['close'])}"] if s.get("close") else [])
               if seq else [f"{k} {', '.join(s.get(k) or [])}" for k in ("equalize", "open", "close") if s.get(k)])
        head = f"step {s.get('index', '?')}: {'; '.join(ops) or 'keep the hatches'}"
        if o:
            zone = o.get("leaking_zone") or []
            zt = ", ".join(zone) if len(zone) <= 6 else f"{len(zone)} modules"
            head += (f" -> after {float(o.get('decision_s') or 0) / 60:.0f} min losing air: {zt} "
                     f"({float(o.get('zone_probability') or 0):.1%})")
        lines.append(head)
    res = doc.get("result") or {}
    module = res.get("module", doc.get("module"))
    prob = res.get("probability", doc.get("probability"))
    if module is not None or prob is not None:
        lines.append(f"result: {module or 'undecided'}" + (f" ({float(prob):.2%})" if prob is not None else ""))
    if res.get("advice"):
        lines.append(f"advice: {res['advice']}")
    if not lines:
        lines.append("the log holds no steps")
    return Section("4. Isolation steps", tuple(lines))


def locate_section(path: Path) -> Section:
    """Section of a localization result (``hullbreach locate --json`` output)."""
    if Path(path).suffix.lower() == ".npz":
        raise ReportError(f"{path} is a recording; the report takes the localization result",
                          hint=f"run `hullbreach locate --wall WALL.toml --signals {path} --json > loc.json` and give loc.json")
    doc = _read_json(path, "localization result", "give the JSON written by `hullbreach locate --json`")
    pos = doc.get("position_m")
    if not (isinstance(pos, list) and len(pos) == 2):
        raise ReportError(f"{path}: no position_m [x, y] in the localization result",
                          hint="give the JSON written by `hullbreach locate --json`")
    r = float(doc.get("uncertainty_radius_m") or float("nan"))
    wall = doc.get("wall", "the wall")
    wall = wall.get("name", "the wall") if isinstance(wall, dict) else wall
    lines = [f"hole at x = {pos[0]:.3f} m, y = {pos[1]:.3f} m on {wall} — 95 % within {r * 1000:.1f} mm"]
    for c in (doc.get("candidates") or [])[1:]:
        p = c.get("position_m") or ["?", "?"]
        lines.append(f"other source: {c.get('kind', '?')} at ({p[0]:.2f}, {p[1]:.2f}) m")
    imgs = (doc["plot"],) if doc.get("plot") and Path(doc["plot"]).exists() else ()
    return Section("5. Localization", tuple(lines), imgs)


def cause_section(case: str, onset_iso: str | None, fig_dir: Path, seed: int = 0) -> Section:
    """Section of the cause attribution of ``case`` (built-in name or TOML), onset from the alarm when given."""
    from hullbreach.cause.attribute import LABELS, attribute
    from hullbreach.cause.evidence import HYPOTHESES, load_case
    from hullbreach.cause.report import tornado_png

    c = load_case(case)
    if onset_iso:
        c = c.with_onset(onset_iso)
    att = attribute(c, n_samples=20_000, seed=seed)
    png = fig_dir / "cause_tornado.png"
    png.write_bytes(tornado_png(att))
    lines = [f"case {att.case.name}" + (f" (onset from the detector's alarm: {onset_iso})" if onset_iso else "")]
    lines += list(att.summary)
    for h in HYPOTHESES:
        iv = att.posterior[h]
        lines.append(f"{LABELS[h]:<26} {iv.estimate:.3g} [{iv.low:.3g}, {iv.high:.3g}]")
    return Section("6. Cause analysis", tuple(lines), (str(png),))


def incident_report(station, telemetry=None, *, events=None, isolation=None, locate=None, cause=None,
                    stages: tuple = (), title: str | None = None, subtitle: str = "", seed: int = 0,
                    fig_dir: Path | None = None) -> Report:
    """Build the report (see the module docstring). ``stages`` are extra :class:`Section` (the demo's)."""
    from hullbreach.station import load_station

    st = station if not isinstance(station, str) else load_station(station)
    fig_dir = Path(fig_dir or tempfile.mkdtemp(prefix="hullbreach-report-"))
    sections: list = []
    onset = None
    if telemetry is not None:
        secs, res = detection_sections(st, telemetry, events, fig_dir, seed=seed)
        sections += secs
        leaks = [a for a in res.alarms if a.kind == "leak"]
        if leaks:
            onset = leaks[0].to_json()["onset_time"]
    elif not stages:
        sections.append(Section("1-3. Timeline, detection, sizing", ("no telemetry given",), (), "warn"))
    sections += list(stages)
    if isolation is not None:
        sections.append(isolation_section(Path(isolation)))
    elif not stages:
        sections.append(Section("4. Isolation steps", ("no isolation log given (--isolation LOG)",), (), "warn"))
    if locate is not None:
        sections.append(locate_section(Path(locate)))
    elif not stages:
        sections.append(Section("5. Localization", ("no localization result given (--locate REC)",), (), "warn"))
    if cause is not None:
        sections.append(cause_section(cause, onset, fig_dir, seed=seed))
    elif not stages:
        sections.append(Section("6. Cause analysis", ("no cause case given (--cause CASE)",), (), "warn"))
    name = Path(telemetry).name if telemetry is not None else ""
    return Report(title or f"hullbreach incident report: {st.name}" + (f", {name}" if name else ""),
                  subtitle, tuple(sections))


def write_incident_report(path: Path, station, telemetry=None, **kw) -> Path:
    """Build the report and write it as one HTML file (figures inlined); return the path."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="hullbreach-report-") as tmp:
        rep = incident_report(station, telemetry, fig_dir=Path(tmp), **kw)
        html = render_html(rep)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write the report {path}: {exc.strerror}", hint="check the folder is writable") from exc
    return path
