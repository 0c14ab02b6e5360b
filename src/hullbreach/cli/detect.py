"""``hullbreach detect STATION TELEMETRY``: is the station leaking, since when, how big, how long do we have?"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from hullbreach.cli.common import (check_choice, check_input_file, check_output_path, check_range, console, fmt_duration,
                                   fmt_duration_interval, fmt_interval, make_parent, print_json, print_warning, reading,
                                   station_arg, styled)
from hullbreach.cli.progress import stage
from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_HOUR
from hullbreach.errors import TelemetryError

#: Figure formats ``--plot`` can write.
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
#: Fewest accepted samples and shortest span [s] from which "nominal" means something.
MIN_SAMPLES_FOR_VERDICT = 10
MIN_SPAN_FOR_VERDICT_S = 600.0


def _zone_label(zone) -> str:
    return ", ".join(zone) if len(zone) <= 4 else f"{', '.join(zone[:3])} +{len(zone) - 3} more"


def render(result, *, source: str = "", plot_path: str | None = None, quarantine: list | None = None) -> None:
    """Print a detection result for people (rich)."""
    import pandas as pd

    quarantine = quarantine or []

    def t(ts):
        return pd.Timestamp(ts, unit="s", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")

    head = {"leak": ("LEAK", "bold red"), "unmonitored": ("UNMONITORED (no verdict)", "bold yellow")}.get(
        result.status, ("nominal", "bold green"))
    span = f"{t(result.start_s)} - {t(result.end_s)}" if result.start_s is not None else "no data"
    console.print(styled(head, "  station ", (str(result.station), "bold"), f"  {source}  ({span})"))
    for a in result.alarms:
        e = a.estimate
        kind = "LEAK ALARM" if a.kind == "leak" else "GROWING LEAK (loss accelerating)"
        tab = Table(title=f"{kind} in {_zone_label(a.zone)}", title_justify="left", show_header=True)
        tab.add_column("quantity")
        tab.add_column("at the alarm")
        tab.add_column("latest" + ("" if a.active else " (leak sealed)"))
        at = a.estimate_at_alarm or e
        tab.add_row("alarm time", t(a.time_s), "")
        tab.add_row("onset", t(a.onset_s.estimate), "")
        lo, hi = t(a.onset_s.low), t(a.onset_s.high)
        tab.add_row("onset 95 % interval", f"{lo[:16]}–{hi[11:]}" if lo[:10] == hi[:10] else f"{lo} – {hi}", "")
        tab.add_row("delay after onset", fmt_duration(a.time_s - a.onset_s.estimate), "")
        tab.add_row("pressure rate", fmt_interval(at.pressure_rate_pa_s, "{:.3g}", SECONDS_PER_HOUR / PA_PER_MMHG, "mmHg/h"),
                    fmt_interval(e.pressure_rate_pa_s, "{:.3g}", SECONDS_PER_HOUR / PA_PER_MMHG, "mmHg/h"))
        tab.add_row("air mass flow", fmt_interval(at.leak_mass_flow_kg_s, "{:.3g}", 86400.0, "kg/day"),
                    fmt_interval(e.leak_mass_flow_kg_s, "{:.3g}", 86400.0, "kg/day"))
        tab.add_row("effective hole (Cd = 1)", fmt_interval(at.effective_hole_diameter_m, "{:.2f}", 1e3, "mm"),
                    fmt_interval(e.effective_hole_diameter_m, "{:.2f}", 1e3, "mm"))
        tab.add_row(f"reserve to {e.threshold_pressure_pa / PA_PER_MMHG:.0f} mmHg", fmt_duration_interval(at.reserve_time_s),
                    fmt_duration_interval(e.reserve_time_s))
        tab.add_row("zone pressure", f"{at.pressure_pa / PA_PER_MMHG:.1f} mmHg", f"{e.pressure_pa / PA_PER_MMHG:.1f} mmHg")
        tab.add_row("track / statistic", f"{a.track} / {a.statistic:.1f} (threshold {a.threshold:.1f})", "")
        console.print(tab)
    if result.status == "unmonitored":
        console.print("no verdict: no zone could be monitored (see the zones' reasons below)")
    elif not result.alarms:
        console.print("no leak above the background allowance "
                      f"(false-alarm rate {result.far_per_year:g}/year, threshold {result.threshold:.1f})")
    if result.zones:
        zt = Table(title="zones now", title_justify="left")
        for c in ("zone", "state", "track", "pressure", "statistic", "trend (air)", "smallest detectable"):
            zt.add_column(c)
        for z in result.zones:
            state = getattr(z, "state", "nominal")
            if state == "unmonitored":
                zt.add_row(_zone_label(z.zone), styled(("unmonitored", "yellow")), "-", "-", "-", "-", str(z.reason))
                continue
            mdl = getattr(z, "min_detectable_pressure_rate_pa_s", float("nan"))
            zt.add_row(_zone_label(z.zone), state + (" (thermometer suspicion)" if getattr(z, "thermometer_suspicion", False) else ""),
                       z.track + (" (vented)" if z.vented else ""),
                       f"{z.pressure_pa / PA_PER_MMHG:.1f} mmHg", f"{z.statistic:.1f}",
                       f"{-z.background_rate_kg_s * 86400:+.3g} kg/day",
                       f"{mdl * SECONDS_PER_HOUR / PA_PER_MMHG:.3g} mmHg/h" if mdl == mdl else "-")
        console.print(zt)
    if result.sensor_faults:
        for f in result.sensor_faults:
            console.print(styled(("sensor fault", "yellow"), f" {f.sensor}: {f.reason}"))
    console.print(f"quarantined samples: {result.quarantined_samples}; trusted channels: {len(result.trusted_channels)}")
    for q in quarantine:
        where = f" (first at {', '.join(q['first_sources'][:2])})" if q["first_sources"] else ""
        console.print(f"  {q['channel']}: {q['count']} {q['reason']}{where}")
    for n in result.notes:
        console.print(styled((str(n), "dim")))
    if plot_path:
        console.print(f"plot: {plot_path}")


def _size(path: Path) -> str:
    """Size of a file, or the number of files in a folder, for the progress line."""
    if path.is_dir():
        return f"{sum(1 for p in path.iterdir() if p.is_file())} files"
    n = path.stat().st_size
    return f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n / 1024:.0f} KiB"


def quarantine_summary(frame, first: int = 3) -> list[dict]:
    """The quarantined samples by channel and reason: ``[{"channel", "reason", "count", "first_sources",
    "first_time"}]``, largest first; ``first_sources`` holds up to ``first`` ``file:line`` of the first ones."""
    q = frame.quarantined
    if q is None or not len(q):
        return []
    out = []
    for (ch, reason), g in q.groupby([q["channel"].astype(str), q["reason"].astype(str)], sort=False):
        src = [str(s) for s in g["source"].head(first) if isinstance(s, str) and s]
        t0 = g["time"].min()
        out.append({"channel": ch, "reason": reason, "count": int(len(g)), "first_sources": src,
                    "first_time": None if t0 is None or t0 != t0 else t0.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return sorted(out, key=lambda d: (-d["count"], d["channel"], d["reason"]))


def why_none_accepted(frame, first: int = 3, channels=None) -> str:
    """Why no sample was accepted: the largest quarantine reasons with their first ``file:line`` (only those of
    ``channels`` when given)."""
    rows = [r for r in quarantine_summary(frame) if channels is None or r["channel"] in channels]
    if not rows:
        return "the file holds no samples"
    parts = [f"{r['count']} sample(s): {r['reason']} (first at {', '.join(r['first_sources']) or 'unknown line'})"
             for r in rows[:first]]
    more = f"; and {len(rows) - first} more reason(s)" if len(rows) > first else ""
    return "; ".join(parts) + more


def register(app: typer.Typer) -> None:
    """Add ``detect``."""

    @app.command("detect")
    def detect_cmd(
        station: str = typer.Argument(..., help="Built-in station name (see `hullbreach stations`) or a station TOML file."),
        telemetry: Path = typer.Argument(..., help="Telemetry: long or wide CSV, Parquet, or an ISS Live file/folder."),
        events: Optional[Path] = typer.Option(None, "--events", help="Events CSV (time,kind,detail): hatch operations, represses, airlock cycles."),
        json_out: bool = typer.Option(False, "--json", help="Print the JSON contract instead of tables."),
        strict: bool = typer.Option(False, "--strict", help="Stop at the first bad sample (file, line, channel) instead of quarantining it."),
        plot: Optional[Path] = typer.Option(None, "--plot", help="Write a plot (pressure, mass, alarm, reserve time) to this PNG/SVG/PDF."),
        far_per_year: float = typer.Option(1.0, "--far-per-year", help="False alarms per year of nominal telemetry the threshold allows."),
        fmt: Optional[str] = typer.Option(None, "--format", help="Telemetry format: long, wide, parquet or isslive (detected when omitted)."),
        year: Optional[int] = typer.Option(None, "--year", help="Year of ISS Live files whose names carry no date."),
    ) -> None:
        """Detect a leak in recorded telemetry: alarm, onset, rate, effective hole and reserve time with 95 % intervals."""
        from hullbreach.detect.detector import detect
        from hullbreach.station import load_station
        from hullbreach.telemetry.readers import read_events, read_telemetry

        check_range("--far-per-year", far_per_year, 1e-6, 1e4, unit="/year",
                    hint="1 is one false alarm a year; 8760 is one an hour")
        check_range("--year", year, 1998, 2100, hint="the year of the ISS Live recording (the ISS flies since 1998)")
        if fmt is not None:
            check_choice("--format", fmt, ("long", "wide", "parquet", "isslive"))
        check_input_file("TELEMETRY", telemetry, allow_dir=True, text=False if fmt == "parquet" else None,
                         error=TelemetryError)
        check_input_file("--events", events, error=TelemetryError)
        check_output_path("--plot", plot, suffixes=PLOT_SUFFIXES)
        st = load_station(station_arg(station))
        with reading(telemetry, TelemetryError), stage(f"reading {telemetry} ({_size(telemetry)})", enabled=not json_out):
            frame = read_telemetry(telemetry, st, strict=strict, fmt=fmt, year=year)
        with reading(events, TelemetryError):
            ev = read_events(events, st, strict=strict) if events is not None else None
        if ev is not None and "problems" in getattr(ev, "attrs", {}) and ev.attrs["problems"] and not json_out:
            for p in ev.attrs["problems"]:
                console.print(styled(("events:", "yellow"), f" {p}"))
        if frame.n_accepted == 0:
            raise TelemetryError(f"no accepted telemetry samples in {telemetry}: " + why_none_accepted(frame),
                                 hint="fix the lines named, or check the channel ids with `hullbreach show STATION`")
        gauges = [s.id for s in st.sensors.values() if s.quantity == "pressure"]
        if not any(getattr(frame.channels.get(g), "accepted", 0) for g in gauges):
            # without this the detector's own error names the channels but not why their samples were refused
            raise TelemetryError(f"no pressure sample accepted in {telemetry}: " + why_none_accepted(frame, channels=gauges),
                                 hint=f"the station's pressure channels are {', '.join(gauges)}: check their unit "
                                      "in the station file and the lines named")
        with stage(f"detecting: {frame.n_accepted:,} samples of {len(frame.channels)} channel(s), "
                   f"{len(st.zones())} zone(s)", enabled=not json_out):
            result = detect(st, frame, ev, far_per_year=far_per_year)
        quarantine = quarantine_summary(frame)
        warnings = []
        n_ok = frame.n_accepted
        span = (result.end_s - result.start_s) if result.start_s is not None and result.end_s is not None else 0.0
        if result.status != "leak" and (n_ok < MIN_SAMPLES_FOR_VERDICT or span < MIN_SPAN_FOR_VERDICT_S):
            warnings.append(f"not enough data to tell: {n_ok} accepted sample(s) over {fmt_duration(span)} "
                            f"(at least {MIN_SAMPLES_FOR_VERDICT} over {fmt_duration(MIN_SPAN_FOR_VERDICT_S)} needed)")
        plot_path = None
        if plot is not None:
            from hullbreach.detect.plot import plot_detection

            make_parent(plot)
            plot_path = str(plot_detection(result, plot))
        if json_out:
            out = result.to_json()
            out["source"] = str(telemetry)
            out["quarantine"] = quarantine
            out["warnings"] = warnings
            if plot_path:
                out["plot"] = plot_path
            print_json(out)
        else:
            for w in warnings:
                print_warning(w)
            render(result, source=str(telemetry), plot_path=plot_path, quarantine=quarantine)
