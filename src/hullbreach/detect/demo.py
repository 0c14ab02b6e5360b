"""Demo stage: the Soyuz MS-09 leak of 29-30 Aug 2018 through the detector.

Simulates the MS-09 scenario (:func:`hullbreach.sim.ms09_scenario`) on the built-in ``iss-2018`` with 0.5 Hz
telemetry (the scenario file samples at 0.1 Hz to stay light; at 0.5 Hz the ppN2 track is good enough for an
alarm within about 20-30 min and the stage runs in a few seconds; benchmarks/detect_bench.py has 1 Hz), runs
the data checks and the batch detector, and reports the alarm delay
after the onset, the leak rate, the effective hole and the reserve time, each with its 95 % interval, and a
plot. Reference figures (docs/reference/figures.md): 0.6 mmHg/h, ideal-orifice equivalent ~1.1 mm, "18 days"/"weeks"
of reserve quoted at the time (~16 days to 520 mmHg at the observed rate).
"""

from __future__ import annotations

import dataclasses
import pathlib
import time

import pandas as pd

from hullbreach.constants import PA_PER_MMHG, SECONDS_PER_DAY, SECONDS_PER_HOUR


def run(out_dir: pathlib.Path, seed: int = 0, sample_rate_hz: float = 0.5) -> dict:
    """Run the detection stage of the demo; see the module docstring. Returns the demo stage dict."""
    from hullbreach.cli.common import fmt_duration, fmt_duration_interval, fmt_interval
    from hullbreach.detect.detector import detect
    from hullbreach.detect.plot import plot_detection
    from hullbreach.sim import ms09_scenario, simulate
    from hullbreach.station import load_station
    from hullbreach.telemetry.checks import check_samples

    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t_wall = time.perf_counter()
    station = load_station("iss-2018")
    sc = ms09_scenario()
    if sample_rate_hz and sample_rate_hz != sc.sample_rate_hz:
        sc = dataclasses.replace(sc, sample_rate_hz=float(sample_rate_hz))
    sim = simulate(station, sc, seed=seed)
    frame = check_samples(sim.telemetry, station, source="ms09-simulated")
    result = detect(station, frame, sim.events, seed=seed)
    plot = plot_detection(result, out_dir / "detect_ms09.png",
                          title="Soyuz MS-09 leak replay (simulated, iss-2018): detection")
    start = pd.Timestamp(sc.start).timestamp()
    true_onset = start + sc.leaks[0].onset_s if sc.leaks else None
    leaks = [a for a in result.alarms if a.kind == "leak"]
    lines: list[str] = []
    js: dict = {"status": result.status, "station": station.name, "sample_rate_hz": sc.sample_rate_hz,
                "plot": str(plot), "sensor_faults": [f.to_json() for f in result.sensor_faults],
                "quarantined_samples": result.quarantined_samples}

    def hhmm(ts):
        return pd.Timestamp(ts, unit="s", tz="UTC").strftime("%d %b %H:%M UTC")

    if not leaks:
        lines.append("[red]no alarm[/] on the simulated MS-09 telemetry (unexpected)")
    else:
        a = leaks[0]
        at = a.estimate_at_alarm or a.estimate
        delay = a.time_s - true_onset if true_onset is not None else a.time_s - a.onset_s.estimate
        lines += [
            f"[bold red]LEAK ALARM[/] {hhmm(a.time_s)} in the zone of {len(a.zone)} modules "
            f"(incl. {', '.join(m for m in a.zone if 'soyuz-ms09' in m) or a.zone[0]}), "
            f"{fmt_duration(delay)} after the simulated onset ({hhmm(true_onset)})",
            f"onset estimate {hhmm(a.onset_s.estimate)} [{hhmm(a.onset_s.low)} - {hhmm(a.onset_s.high)}]",
            f"at the alarm: {fmt_interval(at.pressure_rate_pa_s, '{:.2f}', SECONDS_PER_HOUR / PA_PER_MMHG, 'mmHg/h')}, "
            f"hole {fmt_interval(at.effective_hole_diameter_m, '{:.2f}', 1e3, 'mm')}, "
            f"reserve {fmt_duration_interval(at.reserve_time_s)}",
            f"by the seal ({fmt_duration(a.fit_span_s)} of data): "
            f"{fmt_interval(a.estimate.pressure_rate_pa_s, '{:.3f}', SECONDS_PER_HOUR / PA_PER_MMHG, 'mmHg/h')}, "
            f"effective hole (Cd = 1) {fmt_interval(a.estimate.effective_hole_diameter_m, '{:.2f}', 1e3, 'mm')}, "
            f"reserve to 520 mmHg {fmt_duration_interval(a.estimate.reserve_time_s)}",
            "reference (docs/reference/figures.md): 0.60 mmHg/h observed, ~1.1 mm effective hole, ~16 days to 520 mmHg; "
            f"track: {'ppN2 mass (as ISS ground control)' if a.track == 'n2' else 'air mass'}",
        ]
        js.update({
            "alarm_time": a.to_json()["time"], "onset_time": a.to_json()["onset_time"],
            "onset_time_interval": a.to_json()["onset_time_interval"],
            "true_onset_time": pd.Timestamp(true_onset, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
            "alarm_delay_s": float(delay),
            "at_alarm": a.to_json()["at_alarm"],
            "leak_mass_flow_kg_s": a.estimate.leak_mass_flow_kg_s.to_json(),
            "pressure_rate_pa_s": a.estimate.pressure_rate_pa_s.to_json(),
            "effective_hole_diameter_m": a.estimate.effective_hole_diameter_m.to_json(),
            "reserve_time_s": a.estimate.reserve_time_s.to_json(),
            "reserve_time_days": a.estimate.reserve_time_s.scale(1 / SECONDS_PER_DAY).to_json(),
        })
    others = [a for a in result.alarms if a not in leaks]
    if others:
        lines.append(f"other alerts: {', '.join(a.kind for a in others)}")
    lines.append(f"{result.quarantined_samples} samples quarantined; {len(result.sensor_faults)} sensor faults; "
                 f"{time.perf_counter() - t_wall:.1f} s")
    return {"title": "Detection: is it a leak, since when, how big, how long?", "lines": lines, "json": js,
            "files": [str(plot)]}
