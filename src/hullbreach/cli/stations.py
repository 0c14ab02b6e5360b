"""``hullbreach stations`` (list the built-in stations) and ``hullbreach show STATION`` (modules, hatch graph, sensors).

Volumes are shown in m^3, pressures in Pa and mmHg; JSON keys carry their unit (docs/design.md §3.3).
"""

from __future__ import annotations

from collections import deque

import typer
from rich.table import Table
from rich.tree import Tree

from hullbreach.cli.common import console, print_json, styled
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
    ) -> None:
        """Show a station: modules with volumes and sources, the hatch graph, the sensors."""
        st = load_station(station_name)
        if json_out:
            print_json({"station": station_name, **station_detail(st)})
            return
        console.print(styled((st.name, "bold"), f"  ({station_name})"))
        if st.description:
            console.print(st.description)
        console.print(
            f"total pressurized volume {st.total_volume_m3:.1f} m³; nominal {st.nominal_pressure_pa:.0f} Pa "
            f"({st.nominal_pressure_pa / PA_PER_MMHG:.0f} mmHg); evacuation {st.evacuation_pressure_pa:.0f} Pa "
            f"({st.evacuation_pressure_pa / PA_PER_MMHG:.0f} mmHg)"
        )
        mt = Table(title="Modules")
        for col, kw in (("id", {"style": "bold"}), ("segment", {}), ("kind", {}), ("volume m³", {"justify": "right"}),
                        ("T K", {"justify": "right"}), ("prior", {"justify": "right"}), ("escape", {}),
                        ("volume source", {"overflow": "fold", "ratio": 1})):
            mt.add_column(col, **kw)
        for m in st.modules.values():
            mt.add_row(m.id, m.segment, m.kind, f"{m.volume_m3:g}", f"{m.temperature_k:g}", f"{m.leak_prior:g}",
                       "yes" if m.escape_vehicle else "", _volume_source(m.source))
        console.print(mt)
        console.print(styled(("Hatch graph", "bold"), " (green open, red closed)"))
        console.print(hatch_tree(st))
        zt = Table(title="Pressure zones with the hatches as in the file")
        zt.add_column("zone", justify="right")
        zt.add_column("volume m³", justify="right")
        zt.add_column("modules", overflow="fold", ratio=1)
        for i, z in enumerate(st.zones(), start=1):
            zt.add_row(str(i), f"{st.zone_volume_m3(z):.1f}", ", ".join(m for m in st.modules if m in z))
        console.print(zt)
        stab = Table(title="Sensors")
        for col in ("id", "module", "quantity", "unit", "noise 1σ", "resolution"):
            stab.add_column(col)
        for s in st.sensors.values():
            stab.add_row(s.id, s.module, s.quantity, s.unit, f"{s.noise_std:g}", f"{s.resolution:g}")
        console.print(stab)
