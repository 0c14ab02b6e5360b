"""``hullbreach stations`` (list the built-in stations) and ``hullbreach show STATION`` (modules, hatch graph, sensors).

Volumes are shown in m^3, pressures in Pa and mmHg; JSON keys carry their unit (docs/design.md §3.3).
"""

from __future__ import annotations

from collections import deque

import typer
from rich import box
from rich.table import Table
from rich.tree import Tree

from hullbreach.cli.common import console, print_json, station_arg, styled
from hullbreach.constants import PA_PER_MMHG
from hullbreach.station import Station, list_stations, load_station
from hullbreach.station.io import station_to_dict


def _volume_source(source: str) -> str:
    """The volume part of a module ``source`` (text before ``; temperature:``), for the table."""
    text = source.split("; temperature:")[0]
    return text[len("volume: "):] if text.startswith("volume: ") else text


def station_summary(key: str, station: Station) -> dict:
    """One row of ``hullbreach stations``: name, module count, total volume [m^3], escape vehicles."""
    return {
        "id": key,
        "name": station.name,
        "modules": len(station.modules),
        "hatches": len(station.hatches),
        "sensors": len(station.sensors),
        "total_volume_m3": round(station.total_volume_m3, 3),
        "escape_vehicles": station.escape_vehicles(),
        "evacuation_pressure_pa": station.evacuation_pressure_pa,
        "nominal_pressure_pa": station.nominal_pressure_pa,
    }


def station_detail(station: Station) -> dict:
    """Everything ``hullbreach show --json`` prints: the station file as a dict plus zones and totals."""
    out = station_to_dict(station)
    out["total_volume_m3"] = round(station.total_volume_m3, 3)
    out["escape_vehicles"] = station.escape_vehicles()
    out["zones"] = [
        {"modules": [m for m in station.modules if m in z], "volume_m3": round(station.zone_volume_m3(z), 3)}
        for z in station.zones()
    ]
    return out


def hatch_tree(station: Station) -> Tree:
    """The hatch graph as a rich tree: breadth-first from the first module, one branch per hatch.

    Hatches that close a loop (not part of the spanning tree) are listed under the root as ``also``.
    """
    modules = list(station.modules)
    root_id = modules[0]
    seen = {root_id}
    used: set[str] = set()
    nodes = {root_id: Tree(styled((root_id, "bold"), f" ({station.modules[root_id].volume_m3:g} m³)"))}
    queue = deque([root_id])
    pending_roots: list[str] = []
    while True:
        while queue:
            cur = queue.popleft()
            for other, h in station.neighbours(cur):
                if other in seen:
                    continue
                seen.add(other)
                used.add(h.id)
                style = "green" if h.state == "open" else "red"
                m = station.modules[other]
                ev = " escape vehicle" if m.escape_vehicle else ""
                label = styled((h.state, style), f" hatch {h.id} (opens into {h.opens_into}) → ",
                               (other, "bold"), f" ({m.volume_m3:g} m³)", (ev, "bold cyan"))
                nodes[other] = nodes[cur].add(label)
                queue.append(other)
        rest = [m for m in modules if m not in seen]
        if not rest:
            break
        # Not reachable (a validated station is connected; kept for robustness on hand-built models).
        seen.add(rest[0])
        nodes[rest[0]] = Tree(styled((rest[0], "bold")))
        pending_roots.append(rest[0])
        queue.append(rest[0])
    tree = nodes[root_id]
    for h in station.hatches.values():
        if h.id not in used:
            tree.add(styled("also: ", (h.state, "green" if h.state == "open" else "red"), f" hatch {h.id} "
                     f"({h.modules[0]} ↔ {h.modules[1]}, opens into {h.opens_into})"))
    for r in pending_roots:
        tree.add(nodes[r])
    return tree


def register(app: typer.Typer) -> None:
    """Add the ``stations`` and ``show`` commands to the ``hullbreach`` app."""

    @app.command("stations")
    def stations(json_out: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
        """List the built-in stations: modules, total pressurized volume, escape vehicles."""
        rows = [station_summary(name, load_station(name)) for name in list_stations()]
        if json_out:
            print_json({"stations": rows})
            return
        table = Table(title="Built-in stations (hullbreach show NAME for details)")
        table.add_column("station", style="bold")
        table.add_column("name")
        table.add_column("modules", justify="right")
        table.add_column("volume m³", justify="right")
        table.add_column("escape vehicles")
        for r in rows:
            table.add_row(r["id"], r["name"], str(r["modules"]), f"{r['total_volume_m3']:.1f}",
                          ", ".join(r["escape_vehicles"]) or "-")
        console.print(table)

    @app.command("show")
    def show(
        station_name: str = typer.Argument(..., metavar="STATION", help="Built-in station name or path to a station .toml file."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
        sources: bool = typer.Option(False, "--sources", help="Print where every module's numbers come from, in full."),
    ) -> None:
        """Show a station: modules with volumes, the hatch graph, the sensors (--sources: where each number comes from)."""
        st = load_station(station_arg(station_name))
        if json_out:
            print_json({"station": station_name, **station_detail(st)})
            return
        console.print(styled((st.name, "bold"), f"  ({station_name})"))
        if sources:
            _print_sources(st)
            return
        if st.description:
            console.print(st.description)
        console.print(
            f"total pressurized volume {st.total_volume_m3:.1f} m³; nominal {st.nominal_pressure_pa:.0f} Pa "
            f"({st.nominal_pressure_pa / PA_PER_MMHG:.0f} mmHg); evacuation {st.evacuation_pressure_pa:.0f} Pa "
            f"({st.evacuation_pressure_pa / PA_PER_MMHG:.0f} mmHg)"
        )
        # Ids are printed whole (a telemetry file needs them exactly); sources go to `show --sources`.
        mt = Table(title="Modules", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
        for col, kw in (("id", {"style": "bold", "no_wrap": True}), ("segment", {"no_wrap": True}),
                        ("kind", {"no_wrap": True}), ("volume m³", {"justify": "right", "no_wrap": True}),
                        ("T K", {"justify": "right", "no_wrap": True}), ("prior", {"justify": "right", "no_wrap": True}),
                        ("escape", {"no_wrap": True}), ("volume", {"no_wrap": True})):
            mt.add_column(col, **kw)
        for m in st.modules.values():
            mt.add_row(m.id, m.segment, m.kind, f"{m.volume_m3:g}", f"{m.temperature_k:g}", f"{m.leak_prior:g}",
                       "yes" if m.escape_vehicle else "", _volume_kind(m.source))
        console.print(mt)
        console.print(f"volume: 'published' or 'estimate'; sources of every number: hullbreach show {station_name} --sources")
        console.print(styled(("Hatch graph", "bold"), " (green open, red closed)"))
        console.print(hatch_tree(st))
        zt = Table(title="Pressure zones with the hatches as in the file", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
        zt.add_column("zone", justify="right", no_wrap=True)
        zt.add_column("volume m³", justify="right", no_wrap=True)
        zt.add_column("modules", overflow="fold", ratio=1)
        for i, z in enumerate(st.zones(), start=1):
            zt.add_row(str(i), f"{st.zone_volume_m3(z):.1f}", ", ".join(m for m in st.modules if m in z))
        console.print(zt)
        stab = Table(title="Sensors", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1, 0, 0))
        for col in ("id", "module", "measures [unit]", "noise/step"):
            stab.add_column(col, no_wrap=True)
        for s in st.sensors.values():
            stab.add_row(s.id, s.module, f"{s.quantity} [{s.unit}]", f"{s.noise_std:g} / {s.resolution:g}")
        console.print(stab)


def _volume_kind(source: str) -> str:
    """``estimate`` when the volume source says so, else ``published``."""
    return "estimate" if _volume_source(source).lstrip().lower().startswith("estimate") else "published"


def _print_sources(st: Station) -> None:
    """Every module's and sensor's source, one paragraph each, wrapped at the terminal width (no table)."""
    console.print(styled(("Module sources", "bold")))
    for m in st.modules.values():
        console.print(styled((m.id, "bold"), f": {m.source or '(none given)'}"))
    console.print(styled(("Hatch sources", "bold")))
    for h in st.hatches.values():
        console.print(styled((h.id, "bold"), f": {getattr(h, 'source', '') or '(none given)'}"))
    console.print(styled(("Sensor sources", "bold")))
    for s in st.sensors.values():
        console.print(styled((s.id, "bold"), f": {getattr(s, 'source', '') or '(none given)'}"))
