"""Write the MS-09 scenario with the crew following hullbreach's isolation guidance (closed loop).

The scenario ``ms09`` has no hatch operations: replayed into ``hullbreach serve``, the guidance stays at
step 1. This script adds the crew: it simulates the scenario, runs the monitor (the same
:class:`hullbreach.ops.monitor.Monitor` that ``serve`` runs: detector, alarm, isolation guide) over it in
10-min batches until the guidance shows a step not yet carried out, schedules that step's hatch operations
``--reaction-min`` after the guidance first showed it (equalize, open, then close, as
hullbreach.campaign.runner does), and simulates again; until the guidance ends (found / stop / undecided)
or the leak is sealed. The hatch operations are written as ``[[hatch_event]]`` tables into a copy of
ms09.toml, the built-in scenario ``ms09-guided``:

    python benchmarks/ops_guided_ms09.py --out src/hullbreach/sim/scenarios/ms09-guided.toml

Then ``hullbreach simulate iss-2018 ms09-guided -o ms09g`` and ``hullbreach serve iss-2018 --replay
ms09g/telemetry.csv`` (its events.csv is picked up) show the guidance change as the crew's closures arrive.
A few minutes (one simulation and one monitor run per step).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def run_monitor(station, tel: pd.DataFrame, events: pd.DataFrame, done_steps: int, batch_s: float = 600.0):
    """Feed the simulated telemetry into a fresh monitor; return ``(t_ns, step_json)`` of the first time the
    guidance shows step ``done_steps + 1`` (None when it never does) and the final guide JSON."""
    from hullbreach.ops.archive import open_archive
    from hullbreach.ops.monitor import Monitor

    with tempfile.TemporaryDirectory() as tmp:
        ar = open_archive(Path(tmp) / "g.sqlite", synchronous="NORMAL")
        m = Monitor(station, ar, events=events)
        t = np.asarray(pd.DatetimeIndex(tel["time"]).asi8, dtype=np.int64)
        ch = tel["channel"].astype(str).to_numpy(dtype=object)
        v = tel["value"].to_numpy(dtype=float)  # the simulator's telemetry is in the sensors' units
        order = np.argsort(t, kind="stable")
        t, ch, v = t[order], ch[order], v[order]
        edges = np.searchsorted(t, np.arange(t[0], t[-1] + int(batch_s * 1e9), int(batch_s * 1e9)))
        found = None
        for a, b in zip(edges[:-1], edges[1:]):
            if b <= a:
                continue
            m.ingest(t[a:b], ch[a:b], v[a:b])
            m.analyse_pending()
            g = m.guide.json or {}
            st = (g.get("next_step") or {})
            if g.get("status") != "sealed" and st.get("state") == "continue" and st.get("index") == done_steps + 1:
                found = (int(t[b - 1]), st)
                break
        ar.close()
        return found, m.guide.json


def main(argv=None) -> int:
    from hullbreach.sim import HatchEvent, simulate
    from hullbreach.sim.scenario import builtin_scenario_path, load_scenario
    from hullbreach.station import load_station

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="scenario TOML to write")
    ap.add_argument("--reaction-min", type=float, default=10.0, help="crew's delay after the guidance shows a step [min]")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=10)
    ap.add_argument("--base", type=Path, default=None, help="scenario to add the crew to (default: built-in ms09)")
    ap.add_argument("--name", default="ms09-guided", help="name of the written scenario")
    a = ap.parse_args(argv)
    st = load_station("iss-2018")
    base_path = a.base or builtin_scenario_path("ms09")
    base = load_scenario(base_path)
    start_ns = pd.Timestamp(base.start).value
    events: list = []
    log: list = []
    wall0 = time.perf_counter()
    for k in range(a.max_steps):
        sc = dataclasses.replace(base, hatch_events=tuple(sorted(events, key=lambda e: e.time_s)))
        res = simulate(st, sc, seed=a.seed)
        found, gj = run_monitor(st, res.telemetry, res.events, k)
        if found is None:
            done = [x for x in (gj or {}).get("steps") or ()]
            last = (f"step {done[-1]['index']} decided {done[-1]['decided'][11:19]}: " if done else "")
            log.append(f"{last}guidance {gj and gj.get('status')} ({gj and gj.get('module')}, "
                       f"{(gj or {}).get('probability', 0):.1%})")
            print(log[-1], file=sys.stderr)
            break
        t_seen, step = found
        t0 = (t_seen - start_ns) / 1e9 + 60.0 * a.reaction_min
        eq_s = max(0.0, step["operations_s"] - 60.0 * len(step["close"]) - 60.0 * len(step["open"]))
        for h in step["equalize"]:
            events.append(HatchEvent(time_s=math.floor(t0), hatch=h, action="valve_open"))
        t_open = math.ceil(t0 + eq_s) + 60.0
        for i, h in enumerate(step["open"]):
            events.append(HatchEvent(time_s=t_open + 60.0 * i, hatch=h, action="open"))
        for h in step["equalize"]:
            events.append(HatchEvent(time_s=t_open + 60.0 * len(step["open"]) + 1.0, hatch=h, action="valve_close"))
        t_close = max(math.ceil(t0 + step["operations_s"]), t_open + 60.0 * len(step["open"]) + 2.0)
        for i, h in enumerate(step["close"]):
            events.append(HatchEvent(time_s=t_close + 60.0 * i, hatch=h, action="close"))
        when = pd.Timestamp(t_seen, unit="ns", tz="UTC").strftime("%H:%M:%S")
        log.append(f"step {step['index']} shown {when}: {'; '.join(step['instructions'])}")
        print(log[-1], f"({time.perf_counter() - wall0:.0f} s)", file=sys.stderr)
    text = Path(base_path).read_text()
    text = re.sub(r'^name = "(.*)"', f'name = "{a.name}"', text, count=1, flags=re.M)
    text = re.sub(r'^description = "(.*)"', r'description = "\1, crew following hullbreach isolation guidance"', text,
                  flags=re.M)
    head = (f"# GENERATED by benchmarks/ops_guided_ms09.py (do not edit by hand): {Path(base_path).name} plus the hatch operations\n"
            "# of a crew that follows hullbreach's isolation guidance, "
            f"{a.reaction_min:g} min after the monitor first shows each step\n"
            "# (closed loop: simulate, run the monitor, schedule the step, simulate again). These are NOT the\n"
            "# historical hatch times of Aug 2018. Guidance log (seed %d):\n" % a.seed
            + "".join(f"#   {x}\n" for x in log))
    ev = "".join(f'\n[[hatch_event]]\ntime = {pd.Timestamp(start_ns + int(e.time_s * 1e9), unit="ns", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")}'
                 f'\nhatch = "{e.hatch}"\naction = "{e.action}"\n' for e in sorted(events, key=lambda e: e.time_s))
    a.out.write_text(head + text + ev)
    print(f"wrote {a.out} ({len(events)} hatch events, {time.perf_counter() - wall0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
