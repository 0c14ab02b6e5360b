"""Read and write station files (TOML, docs/design.md §3.1) with errors that name the file, line and key."""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from hullbreach.errors import HullbreachError, StationError
from hullbreach.tomlpos import load_toml
from hullbreach.station.model import Hatch, Module, Sensor, Station
from hullbreach.units import check_unit_for_quantity

_ID_RE = re.compile(r"^[a-z0-9_-]+$")
_SENSOR_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]+$")

_TOP_KEYS = {"name", "evacuation_pressure_pa", "nominal_pressure_pa", "description", "source", "module", "hatch", "sensor"}
_MODULE_KEYS = {f for f in Module.__dataclass_fields__}
_HATCH_KEYS = {f for f in Hatch.__dataclass_fields__}
_SENSOR_KEYS = {f for f in Sensor.__dataclass_fields__}


def list_stations() -> list[str]:
    """Names of the built-in stations (files in ``hullbreach/station/library``)."""
    lib = resources.files("hullbreach.station") / "library"
    return sorted(p.name[:-5] for p in lib.iterdir() if p.name.endswith(".toml"))


def builtin_station_path(name: str) -> Path:
    """Path of a built-in station file."""
    lib = resources.files("hullbreach.station") / "library"
    return Path(str(lib / f"{name}.toml"))


def load_station(name_or_path: str | Path) -> Station:
    """Load a built-in station by name (``iss-2018``) or a station TOML file by path.

    Raises
    ------
    StationError
        When the name is unknown or the file is invalid; the message names the file, line and key.
    """
    if isinstance(name_or_path, Station):
        return name_or_path
    text_name = str(name_or_path)
    p = Path(text_name)
    # A built-in name wins over a folder of the same name in the working directory; a file path wins
    # over a built-in name only when it is a file.
    if p.suffix.lower() != ".toml" and not p.is_file() and text_name in list_stations():
        path = builtin_station_path(text_name)
        return parse_station(path.read_text(encoding="utf-8"), f"<built-in {text_name}>")
    if p.suffix.lower() == ".toml" or p.exists():
        if not p.exists():
            raise StationError(f"station file {text_name} does not exist", hint="check the path")
        if p.is_dir():
            raise StationError(f"{text_name} is a folder, not a station file", hint="give a .toml file")
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise StationError(f"cannot read station file {text_name}: {exc}") from None
        return parse_station(text, str(p))
    raise StationError(
        f"unknown station {text_name!r}",
        hint=f"built-in stations: {', '.join(list_stations())}; or give a path to a .toml file",
    )


def parse_station(text: str, filename: str = "<string>") -> Station:
    """Parse and validate a station TOML text. ``filename`` is used in error messages."""
    data, lines = load_toml(text, filename, StationError)

    def where(table: str = "", index: int = 0, key: str | None = None) -> str:
        return lines.where(filename, table, index, key)

    def fail(msg: str, table: str = "", index: int = 0, key: str | None = None, hint: str | None = None):
        raise StationError(msg, source=where(table, index, key), hint=hint)

    for k in data:
        if k not in _TOP_KEYS:
            fail(f"unknown key {k!r}", "", 0, k, hint=f"top-level keys are {', '.join(sorted(_TOP_KEYS))}")
    for k in ("name", "evacuation_pressure_pa"):
        if k not in data:
            fail(f"missing required key {k!r}", hint="see docs/design.md §3.1")

    def number(table: str, i: int, entry: dict, key: str, *, positive: bool = False, nonneg: bool = False,
               default: Any = None, required: bool = False) -> Any:
        if key not in entry:
            if required:
                fail(f"missing required key {key!r}", table, i)
            return default
        v = entry[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            fail(f"{key} must be a number, got {v!r}", table, i, key)
        v = float(v)
        if not math.isfinite(v):
            fail(f"{key} must be finite, got {v}", table, i, key)
        if positive and v <= 0:
            fail(f"{key} must be positive, got {v:g}", table, i, key)
        if nonneg and v < 0:
            fail(f"{key} must not be negative, got {v:g}", table, i, key)
        return v

    def string(table: str, i: int, entry: dict, key: str, default: Any = None, required: bool = False) -> Any:
        if key not in entry:
            if required:
                fail(f"missing required key {key!r}", table, i)
            return default
        v = entry[key]
        if not isinstance(v, str):
            fail(f"{key} must be a string, got {v!r}", table, i, key)
        return v

    def entries(table: str) -> list[dict]:
        v = data.get(table, [])
        if not isinstance(v, list) or not all(isinstance(e, dict) for e in v):
            fail(f"{table} must be an array of tables ([[{table}]])", table, 0)
        return v

    evac = number("", 0, data, "evacuation_pressure_pa", positive=True, required=True)
    nominal = number("", 0, data, "nominal_pressure_pa", positive=True, default=101325.0)
    if evac >= nominal:
        fail(f"evacuation_pressure_pa ({evac:g} Pa) must be below nominal_pressure_pa ({nominal:g} Pa)",
             "", 0, "evacuation_pressure_pa")

    modules: dict[str, Module] = {}
    for i, e in enumerate(entries("module")):
        for k in e:
            if k not in _MODULE_KEYS:
                fail(f"unknown key {k!r} in module", "module", i, k, hint=f"module keys are {', '.join(sorted(_MODULE_KEYS))}")
        mid = string("module", i, e, "id", required=True)
        if not _ID_RE.match(mid):
            fail(f"module id {mid!r} must match [a-z0-9_-]+", "module", i, "id")
        if mid in modules:
            fail(f"duplicate module id {mid!r}", "module", i, "id")
        esc = e.get("escape_vehicle", False)
        if not isinstance(esc, bool):
            fail(f"escape_vehicle must be true or false, got {esc!r}", "module", i, "escape_vehicle")
        temp = number("module", i, e, "temperature_k", positive=True, default=295.15)
        if not 200.0 <= temp <= 350.0:
            fail(f"temperature_k {temp:g} K is not a cabin temperature (did you give degC?)", "module", i, "temperature_k")
        modules[mid] = Module(
            id=mid,
            volume_m3=number("module", i, e, "volume_m3", positive=True, required=True),
            escape_vehicle=esc,
            temperature_k=temp,
            kind=string("module", i, e, "kind", "module"),
            segment=string("module", i, e, "segment", ""),
            name=string("module", i, e, "name", ""),
            wall_area_m2=number("module", i, e, "wall_area_m2", positive=True),
            wall_thickness_m=number("module", i, e, "wall_thickness_m", positive=True),
            wall_material=string("module", i, e, "wall_material"),
            leak_prior=number("module", i, e, "leak_prior", positive=True, default=1.0),
            source=string("module", i, e, "source", ""),
        )
    if not modules:
        fail("a station needs at least one [[module]]")

    hatches: dict[str, Hatch] = {}
    for i, e in enumerate(entries("hatch")):
        for k in e:
            if k not in _HATCH_KEYS:
                fail(f"unknown key {k!r} in hatch", "hatch", i, k, hint=f"hatch keys are {', '.join(sorted(_HATCH_KEYS))}")
        hid = string("hatch", i, e, "id", required=True)
        if not _ID_RE.match(hid):
            fail(f"hatch id {hid!r} must match [a-z0-9_-]+", "hatch", i, "id")
        if hid in hatches:
            fail(f"duplicate hatch id {hid!r}", "hatch", i, "id")
        sides = e.get("modules")
        if not (isinstance(sides, list) and len(sides) == 2 and all(isinstance(s, str) for s in sides)):
            fail("modules must be a list of two module ids", "hatch", i, "modules")
        for s in sides:
            if s not in modules:
                fail(f"hatch {hid!r} joins unknown module {s!r}", "hatch", i, "modules",
                     hint=f"known modules: {', '.join(modules)}")
        if sides[0] == sides[1]:
            fail(f"hatch {hid!r} joins module {sides[0]!r} to itself", "hatch", i, "modules")
        state = string("hatch", i, e, "state", "open")
        if state not in ("open", "closed"):
            fail(f"hatch state must be \"open\" or \"closed\", got {state!r}", "hatch", i, "state")
        into = string("hatch", i, e, "opens_into", required=True)
        if into not in sides:
            fail(f"opens_into {into!r} is not one of the hatch's sides {sides}", "hatch", i, "opens_into")
        hatches[hid] = Hatch(
            id=hid, modules=(sides[0], sides[1]), state=state, opens_into=into,
            valve_area_m2=number("hatch", i, e, "valve_area_m2", nonneg=True, default=0.0),
            source=string("hatch", i, e, "source", ""),
        )
    pairs: dict[frozenset, str] = {}
    for h in hatches.values():
        key = frozenset(h.modules)
        if key in pairs:
            i = list(hatches).index(h.id)
            fail(f"hatches {pairs[key]!r} and {h.id!r} join the same two modules", "hatch", i, "modules")
        pairs[key] = h.id

    sensors: dict[str, Sensor] = {}
    for i, e in enumerate(entries("sensor")):
        for k in e:
            if k not in _SENSOR_KEYS:
                fail(f"unknown key {k!r} in sensor", "sensor", i, k, hint=f"sensor keys are {', '.join(sorted(_SENSOR_KEYS))}")
        sid = string("sensor", i, e, "id", required=True)
        if not _SENSOR_ID_RE.match(sid):
            fail(f"sensor id {sid!r} has characters a telemetry channel cannot carry", "sensor", i, "id")
        if sid in sensors:
            fail(f"duplicate sensor id {sid!r}", "sensor", i, "id")
        mod = string("sensor", i, e, "module", required=True)
        if mod not in modules:
            fail(f"sensor {sid!r} is in unknown module {mod!r}", "sensor", i, "module")
        qty = string("sensor", i, e, "quantity", required=True)
        unit = string("sensor", i, e, "unit", required=True)
        try:
            check_unit_for_quantity(unit, qty)
        except HullbreachError as exc:
            fail(exc.message, "sensor", i, "unit" if "unit" in exc.message else "quantity", hint=exc.hint)
        sensors[sid] = Sensor(
            id=sid, module=mod, quantity=qty, unit=unit,
            noise_std=number("sensor", i, e, "noise_std", nonneg=True, default=0.0),
            resolution=number("sensor", i, e, "resolution", nonneg=True, default=0.0),
            source=string("sensor", i, e, "source", ""),
        )

    station = Station(
        name=string("", 0, data, "name", required=True),
        evacuation_pressure_pa=evac,
        nominal_pressure_pa=nominal,
        modules=modules,
        hatches=hatches,
        sensors=sensors,
        description=string("", 0, data, "description", ""),
        source=string("", 0, data, "source", ""),
        path=filename,
    )
    # Every module must be reachable through some hatch (open or closed); a module with no hatch at all
    # is an island the crew cannot reach.
    all_open = station.zones(closed=())
    if len(all_open) > 1:
        main = max(all_open, key=len)
        for z in all_open:
            if z is main:
                continue
            mid = sorted(z)[0]
            i = list(modules).index(mid)
            fail(f"module {mid!r} is not connected to the rest of the station by any hatch", "module", i, "id",
                 hint="add a [[hatch]] (closed if it is normally shut) between it and a neighbour")
    return station


def station_to_dict(station: Station) -> dict:
    """The station as a TOML-ready dict (inverse of :func:`parse_station`); defaults are written out."""
    out: dict[str, Any] = {
        "name": station.name,
        "evacuation_pressure_pa": station.evacuation_pressure_pa,
        "nominal_pressure_pa": station.nominal_pressure_pa,
    }
    if station.description:
        out["description"] = station.description
    if station.source:
        out["source"] = station.source

    def clean(obj) -> dict:
        d = {k: getattr(obj, k) for k in obj.__dataclass_fields__}
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items() if v is not None}

    out["module"] = [clean(m) for m in station.modules.values()]
    out["hatch"] = [clean(h) for h in station.hatches.values()]
    out["sensor"] = [clean(s) for s in station.sensors.values()]
    return out


def dump_station(station: Station) -> str:
    """The station as TOML text that :func:`parse_station` reads back to an equal station."""
    return tomli_w.dumps(station_to_dict(station))


def save_station(station: Station, path: str | Path) -> None:
    """Write the station as TOML to ``path``."""
    Path(path).write_text(dump_station(station), encoding="utf-8")
