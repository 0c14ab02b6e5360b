"""Demo: isolate the Soyuz MS-09 orbital module (Aug 2018) on ``iss-2018`` with the simulator in the loop.

The leak runs at the observed MS-09 rate, 0.8 mbar/h = 0.60 mmHg/h for the whole station (Spaceflight
Now, 30 Aug 2018; docs/reference/figures.md), i.e. ~2.4e-4 kg/s of air. The session plans each hatch
configuration, the simulator (1 Hz telemetry with sensor noise, orbital temperature cycle, three crew
in the Soyuz MS-08 descent module) answers, and the session reads it, until one module holds >= 99 %.
"""

from __future__ import annotations

import json
import pathlib

from hullbreach.constants import PA_PER_MMHG
from hullbreach.uncertain import Interval

#: Observed MS-09 whole-station rate [mmHg/h] (docs/reference/figures.md).
MS09_RATE_MMHG_PER_H = 0.60


def run(out_dir: pathlib.Path, seed: int = 0) -> dict:
    """Run the MS-09 isolation; returns ``{"title", "lines", "json", "files"}`` (see the project brief)."""
    from hullbreach.campaign.runner import Case, run_case
    from hullbreach.units import fmt_duration
    from hullbreach.isolate.session import leak_mass_flow_from_rate
    from hullbreach.station import load_station

    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    st = load_station("iss-2018")
    mdot = leak_mass_flow_from_rate(st, MS09_RATE_MMHG_PER_H * PA_PER_MMHG / 3600.0)
    r = run_case(Case("iss-2018", "soyuz-ms09-om", mdot, seed=seed, telemetry="full", crew_count=3,
                    nuisance="none"), station=st, details=True)
    lines = [f"Leak {mdot:.2e} kg/s ({MS09_RATE_MMHG_PER_H:.2f} mmHg/h station-wide): which module?"]
    for entry in r["log"]:
        s, o = entry["step"], entry["outcome"]
        ops = []
        if s["open"]:
            ops.append("open " + ", ".join(s["open"]))
        if s["close"]:
            ops.append("close " + ", ".join(s["close"]))
        action = "; ".join(ops) or "keep hatches"
        zone = ", ".join(o["leaking_zone"]) if len(o["leaking_zone"]) <= 6 else f"{len(o['leaking_zone'])} modules"
        lines.append(f"Step {s['index']}: {action} -> after {fmt_duration(o['decision_s'])} losing air: "
                     f"[bold]{zone}[/] ({o['zone_probability']:.2%})")
    verdict = r["found"] or "undecided"
    alert = r["result"].get("alert", "")
    if alert:  # said first, as the MS-09 crew would have needed it
        lines.append(f"[bold red]{alert}[/]")
    lines.append(f"Leaking module: [bold]{verdict}[/] ({r['probability']:.2%}) after {fmt_duration(r['elapsed_s'])}, "
                 f"{r['steps']} configurations, {r['violations']} constraint violations, "
                 f"{r['air_lost_kg']:.2f} kg of air lost meanwhile")
    lines.append("In 2018 the crew took the night and the next morning to find the hole in the MS-09 orbital module.")
    payload = {
        "station": "iss-2018",
        "true_module": "soyuz-ms09-om",
        "module": r["found"],
        "probability": r["probability"],
        "time_to_module_s": Interval.exact(r["elapsed_s"]).to_json(),
        "configurations": r["steps"],
        "constraint_violations": r["violations"],
        "air_lost_kg": r["air_lost_kg"],
        "leak_mass_flow_kg_s": mdot,
        "steps": r["log"],
    }
    path = out / "isolation_ms09.json"
    path.write_text(json.dumps(payload, indent=2, default=float))
    return {"title": "Isolation: which module is leaking? (Soyuz MS-09, iss-2018)", "lines": lines,
            "json": payload, "files": [str(path)]}
