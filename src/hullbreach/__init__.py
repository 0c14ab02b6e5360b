"""hullbreach: is it a leak, how big, which module, where on the wall, and what made the hole.

SI units inside the package; conversions happen only at the edges (files, CLI, display).
"""

__version__ = "0.1.0"

from hullbreach.errors import HullbreachError  # noqa: F401
