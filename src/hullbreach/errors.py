"""One exception tree for hullbreach.

Every error carries a message a user can act on: what is wrong, where (file, line, key, channel) and
what to do about it. The CLI prints ``str(error)`` as one red line, without a traceback.
"""

from __future__ import annotations


class HullbreachError(Exception):
    """Base class for every error hullbreach raises on purpose.

    Parameters
    ----------
    message : str
        What is wrong, in plain words.
    hint : str, optional
        What the user can do about it; appended to the message.
    source : str, optional
        Where it happened: ``file``, ``file:line`` or ``file:line (key)``.
    """

    def __init__(self, message: str, *, hint: str | None = None, source: str | None = None):
        self.message = message
        self.hint = hint
        self.source = source
        super().__init__(self.__str__())

    def __str__(self) -> str:  # noqa: D105
        text = f"{self.source}: {self.message}" if self.source else self.message
        if self.hint:
            text = f"{text} ({self.hint})"
        return text


class StationError(HullbreachError):
    """A station file or station model is invalid (unknown key, bad value, broken topology)."""


class UnitError(HullbreachError):
    """A unit is unknown, or a value is impossible for its unit."""


class PhysicsError(HullbreachError):
    """A physics function got arguments outside its domain (negative volume, p <= 0, ...)."""


class ScenarioError(HullbreachError):
    """A scenario file is invalid (unknown module, events out of order, ...)."""


class TelemetryError(HullbreachError):
    """A telemetry or events file cannot be read, or fails a strict data check."""


class DetectionError(HullbreachError):
    """The detector cannot run on the data it was given (no usable pressure channel, ...)."""


class IsolationError(HullbreachError):
    """An isolation plan or session got an impossible request (unknown hatch, wrong step, ...)."""


class LocalizationError(HullbreachError):
    """A wall file or recording is malformed, or the localizer cannot run on it."""


class CaseError(HullbreachError):
    """A cause-attribution case file is invalid (negative area, dates out of order, ...)."""


class OptionError(HullbreachError):
    """A command-line option is missing, unknown, malformed or outside its physical range."""


class WorkTooLargeError(HullbreachError):
    """A request would take too long or too much memory; the message carries the estimate and ``--force``."""
