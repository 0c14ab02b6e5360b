"""Station model: modules (pressurized volumes), hatches between them, and sensors.

The model is pure data (frozen dataclasses) plus topology helpers. Reading and writing TOML lives in
:mod:`hullbreach.station.io`; the contract is docs/design.md §3.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Iterable, Mapping

from hullbreach.constants import ISS_NOMINAL_TEMPERATURE_K, STANDARD_ATMOSPHERE_PA


@dataclass(frozen=True)
class Module:
    """A pressurized volume.

    Attributes
    ----------
    id : str
        Unique id, ``[a-z0-9_-]``.
    volume_m3 : float
        Pressurized (free gas) volume [m^3].
    escape_vehicle : bool
        True for a descent-capable vehicle (Soyuz descent module, Crew Dragon) a crew shelters in.
    temperature_k : float
        Nominal gas temperature [K].
    kind : str
        Free label: ``module``, ``node``, ``vehicle``, ``airlock``, ``tunnel``.
    segment : str
        ``usos``, ``rs`` (Russian segment) or ``vehicle``; used for the ISS split at Node 1.
    wall_area_m2, wall_thickness_m, wall_material
        Optional pressure-wall description used by cause attribution [m^2, m, name].
    leak_prior : float
        Relative prior weight for hosting a leak (1 = ordinary); isolation uses it.
    source : str
        Where the volume (and other numbers) come from; estimates say so.
    """

    id: str
    volume_m3: float
    escape_vehicle: bool = False
    temperature_k: float = ISS_NOMINAL_TEMPERATURE_K
    kind: str = "module"
    segment: str = ""
    name: str = ""
    wall_area_m2: float | None = None
    wall_thickness_m: float | None = None
    wall_material: str | None = None
    leak_prior: float = 1.0
    source: str = ""


@dataclass(frozen=True)
class Hatch:
    """A hatch between two modules.

    Attributes
    ----------
    id : str
        Unique id.
    modules : tuple[str, str]
        The two sides.
    state : str
        ``"open"`` or ``"closed"`` at the start.
    opens_into : str
        The side the hatch swings into. Pressure on that side pushes the hatch shut, so it cannot be
        opened while that side's pressure is higher (Destiny hatch pressure interlock; docs/reference/figures.md).
    valve_area_m2 : float
        Effective area Cd*A of the manual pressure equalization valve through a closed hatch [m^2]
        (0 = no valve modelled). The valve is shut unless a scenario opens it.
    source : str
        Where the hatch data come from.
    """

    id: str
    modules: tuple[str, str]
    state: str = "open"
    opens_into: str = ""
    valve_area_m2: float = 0.0
    source: str = ""

    def other(self, module_id: str) -> str:
        """The module on the other side of ``module_id``."""
        a, b = self.modules
        return b if module_id == a else a


@dataclass(frozen=True)
class Sensor:
    """A telemetry channel.

    Attributes
    ----------
    id : str
        Channel id as it appears in telemetry (e.g. ``USLAB000058``).
    module : str
        Module the sensor sits in.
    quantity : str
        ``pressure``, ``temperature``, ``ppo2``, ``ppn2``, ``ppco2`` (or ``pph2o``).
    unit : str
        Unit the channel reports in (any unit :mod:`hullbreach.units` knows).
    noise_std : float
        One-sigma white noise in ``unit``.
    resolution : float
        Quantization step in ``unit`` (0 = none).
    source : str
        Where the channel is documented; plausible sensors that are not public say so.
    """

    id: str
    module: str
    quantity: str
    unit: str
    noise_std: float = 0.0
    resolution: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class Station:
    """A station: modules, hatches and sensors, with the evacuation pressure the crew must not go below.

    ``modules``, ``hatches`` and ``sensors`` are read-only mappings from id to object, in file order.
    """

    name: str
    evacuation_pressure_pa: float
    modules: Mapping[str, Module]
    hatches: Mapping[str, Hatch]
    sensors: Mapping[str, Sensor]
    nominal_pressure_pa: float = STANDARD_ATMOSPHERE_PA
    description: str = ""
    source: str = ""
    path: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for attr in ("modules", "hatches", "sensors"):
            value = getattr(self, attr)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, attr, MappingProxyType(dict(value)))

    # ---------------------------------------------------------------- topology
    @property
    def total_volume_m3(self) -> float:
        """Sum of all module volumes [m^3]."""
        return float(sum(m.volume_m3 for m in self.modules.values()))

    def closed_hatches(self) -> frozenset[str]:
        """Ids of hatches closed in the station file."""
        return frozenset(h.id for h in self.hatches.values() if h.state == "closed")

    def neighbours(self, module_id: str) -> list[tuple[str, Hatch]]:
        """``(other module, hatch)`` for every hatch on ``module_id``."""
        return [(h.other(module_id), h) for h in self.hatches.values() if module_id in h.modules]

    def zones(self, closed: Iterable[str] | None = None) -> list[frozenset[str]]:
        """Pressure zones: sets of modules joined by open hatches.

        Parameters
        ----------
        closed : iterable of hatch ids, optional
            Hatches to treat as closed; default: the station file's hatch states.

        Returns
        -------
        list of frozenset
            Zones in the order of their first module in the file.
        """
        closed_set = self.closed_hatches() if closed is None else frozenset(closed)
        parent = {m: m for m in self.modules}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for h in self.hatches.values():
            if h.id not in closed_set:
                a, b = (find(m) for m in h.modules)
                if a != b:
                    parent[b] = a
        groups: dict[str, set[str]] = {}
        for m in self.modules:
            groups.setdefault(find(m), set()).add(m)
        order = {m: i for i, m in enumerate(self.modules)}
        return sorted((frozenset(g) for g in groups.values()), key=lambda z: min(order[m] for m in z))

    def zone_of(self, module_id: str, closed: Iterable[str] | None = None) -> frozenset[str]:
        """The zone holding ``module_id`` for the given closed hatches."""
        for z in self.zones(closed):
            if module_id in z:
                return z
        raise KeyError(module_id)

    def zone_volume_m3(self, zone: Iterable[str]) -> float:
        """Total volume of a set of modules [m^3]."""
        return float(sum(self.modules[m].volume_m3 for m in zone))

    def escape_vehicles(self) -> list[str]:
        """Ids of modules flagged as escape vehicles."""
        return [m.id for m in self.modules.values() if m.escape_vehicle]

    def sensors_in(self, zone: Iterable[str], quantity: str | None = None) -> list[Sensor]:
        """Sensors located in any module of ``zone`` (optionally only one quantity)."""
        zs = set(zone)
        return [s for s in self.sensors.values() if s.module in zs and (quantity is None or s.quantity == quantity)]

    def hatch_between(self, a: str, b: str) -> Hatch | None:
        """The hatch joining modules ``a`` and ``b``, or ``None``."""
        for h in self.hatches.values():
            if set(h.modules) == {a, b}:
                return h
        return None
