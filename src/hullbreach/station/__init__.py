"""Station model and station files. ``load_station(name_or_path)`` is the entry point."""

from hullbreach.station.io import dump_station, list_stations, load_station, parse_station, save_station
from hullbreach.station.model import Hatch, Module, Sensor, Station

__all__ = ["Hatch", "Module", "Sensor", "Station", "dump_station", "list_stations", "load_station",
           "parse_station", "save_station"]
