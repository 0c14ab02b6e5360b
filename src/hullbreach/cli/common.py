"""Shared helpers for CLI commands: consoles, styled text, JSON output, formatting, option checks.

Terminal text never interprets user data (docs/design.md §3.4): both consoles are made by
:func:`make_console` with rich markup, emoji codes and highlighting off, so a path, a TOML key or an error
such as ``tm/bad.csv:100: ...`` prints exactly as written (no 💯, no vanished ``[[sensor]]``). Our own
words are styled with :func:`styled` (a :class:`rich.text.Text` built from (text, style) parts, where the
text is never parsed) or with :func:`markup` (our own markup template; every value is escaped).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from hullbreach.errors import OptionError
from hullbreach.units import fmt_duration  # noqa: F401 (re-exported; the library's advice uses it too)
from hullbreach.uncertain import Interval


def make_console(stderr: bool = False) -> Console:
    """The one console factory of the CLI: no markup, no emoji codes, no highlighting of printed strings.

    Strings print as written; style comes only from :class:`rich.text.Text` objects (:func:`styled`).
    """
    return Console(stderr=stderr, markup=False, emoji=False, highlight=False)


console = make_console()
err_console = make_console(stderr=True)


def styled(*parts: str | tuple[str, str]) -> Text:
    """Text from plain strings and ``(text, style)`` pairs; no part is parsed as markup or emoji.

    ``styled(("error:", "bold red"), " ", message)``.
    """
    return Text.assemble(*parts)


def markup(template: str, *values: Any) -> Text:
    """Our own markup ``template`` with ``{}`` fields filled by ``values``, each escaped first.

    ``markup("[bold]{}[/] at {}", station_name, path)``: only the template's tags style; brackets in the
    values print as written. Emoji codes are never replaced.
    """
    return Text.from_markup(template.format(*(escape(str(v)) for v in values)), emoji=False)


def print_error(message: str, *, label: str = "error:") -> None:
    """One line ``error: message`` on stderr, the message printed exactly as written."""
    err_console.print(styled((label, "bold red"), " ", str(message)), soft_wrap=True)


def print_warning(message: str) -> None:
    """``warning: message`` on stderr, exactly as written."""
    err_console.print(styled(("warning:", "yellow"), " ", str(message)), soft_wrap=True)


def _default(obj: Any):
    if isinstance(obj, Interval):
        return obj.to_json()
    if hasattr(obj, "to_json"):
        return obj.to_json()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (set, frozenset, tuple)):
        return sorted(obj) if isinstance(obj, (set, frozenset)) else list(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def _clean(obj: Any):
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, Interval):
        return obj.to_json()
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def print_json(payload: dict) -> None:
    """Write ``payload`` as JSON to stdout (infinities become ``null``, intervals become objects)."""
    sys.stdout.write(json.dumps(_clean(payload), default=_default, indent=2, allow_nan=False) + "\n")
    sys.stdout.flush()


def fmt_interval(iv: Interval, fmt: str = "{:.3g}", scale: float = 1.0, unit: str = "") -> str:
    """``est [low, high] unit`` for a 95 % interval, scaled by ``scale``."""
    s = iv.scale(scale)
    u = f" {unit}" if unit else ""
    return f"{fmt.format(s.estimate)}{u} [{fmt.format(s.low)}, {fmt.format(s.high)}]"


def fmt_duration_interval(iv: Interval) -> str:
    """Duration interval for people: ``16.2 days [14.0 days, 19.1 days]``."""
    return f"{fmt_duration(iv.estimate)} [{fmt_duration(iv.low)} – {fmt_duration(iv.high)}]"


# ----------------------------------------------------------------------------------------- option checks
def check_range(option: str, value: float | None, low: float, high: float, *, unit: str = "",
                hint: str | None = None, low_open: bool = False) -> None:
    """Refuse a numeric option outside its physical range ``[low, high]`` (``(low, high]`` if ``low_open``).

    ``None`` (option not given) passes. NaN and infinities are always refused.

    Raises
    ------
    OptionError
        Naming the option, the value, the range with its unit, and ``hint`` when given.
    """
    if value is None:
        return
    u = f" {unit}" if unit else ""
    lo_ok = value > low if low_open else value >= low
    if not (isinstance(value, (int, float)) and math.isfinite(value) and lo_ok and value <= high):
        bracket = "(" if low_open else "["
        raise OptionError(f"{option} {_num(value)}{u} is outside its physical range {bracket}{_num(low)}, {_num(high)}]{u}",
                          hint=hint)


def _num(x: float) -> str:
    """A number as people write it: integers in full, others with ``%g``."""
    if isinstance(x, int) or (isinstance(x, float) and math.isfinite(x) and x == int(x) and abs(x) < 1e12):
        return str(int(x))
    return f"{x:g}"


def check_choice(option: str, value: str, choices: Iterable[str]) -> None:
    """Refuse a text option that is not one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise OptionError(f"{option} {value!r} is not known", hint=f"use one of: {', '.join(choices)}")


def make_parent(path: Path | None) -> None:
    """Create the folder ``path`` goes into (after :func:`check_output_path` said it can be)."""
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def check_output_path(option: str, path: Path | None, *, suffixes: Iterable[str] = (),
                      folder: bool = False) -> None:
    """Check, before any work, that ``path`` can be written (so that no result is lost at the end).

    A file path must not be a folder, must end in one of ``suffixes`` (when given), and its folder must
    exist or be creatable and be writable. A folder path (``folder=True``) must not be a file. An existing
    file is overwritten.

    Raises
    ------
    OptionError
        With the option, the path and what to do.
    """
    if path is None:
        return
    path = Path(path)
    if folder:
        if path.exists() and not path.is_dir():
            raise OptionError(f"{option} {path} is a file, not a folder", hint="give a folder path")
        target = path
    else:
        if path.is_dir():
            raise OptionError(f"{option} {path} is a folder", hint="give a file path inside it")
        sfx = tuple(s.lower() for s in suffixes)
        if sfx and path.suffix.lower() not in sfx:
            raise OptionError(f"{option} {path}: unsupported file type {path.suffix or '(none)'}",
                              hint=f"use {', '.join(sfx)}")
        if path.exists() and not os.access(path, os.W_OK):
            raise OptionError(f"{option} {path} exists and cannot be overwritten", hint="choose another path")
        target = path.parent
    existing = target
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise OptionError(f"{option} {path}: {existing} is a file, not a folder", hint="choose another path")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OptionError(f"{option} {path}: folder {existing} is not writable", hint="choose another path")


#: How much of a text file :func:`check_input_file` reads to judge its encoding [bytes].
_SNIFF_BYTES = 1 << 16
#: File types read as binary (not checked for UTF-8).
BINARY_SUFFIXES = (".parquet", ".pq", ".npz", ".npy")


def check_input_file(option: str, path: Path | str | None, *, allow_dir: bool = False, text: bool | None = None,
                     error: type = OptionError) -> None:
    """Check an input file before it is read: it exists, is a file (or a folder if ``allow_dir``), is not
    empty, and, for a text file, is UTF-8 (a byte-order mark is accepted).

    ``text=None`` decides from the suffix (:data:`BINARY_SUFFIXES` are binary). Only the first 64 KiB are
    read here; :func:`reading` turns a bad byte further on into the same message.

    Raises
    ------
    OptionError (or ``error``)
        Saying what the file is (missing, a folder, empty, binary, not UTF-8 with the line and byte) and
        what to do.
    """
    if path is None:
        return
    p = Path(path)
    if not p.exists():
        raise error(f"{option} {p} does not exist", hint="check the path")
    if p.is_dir():
        if allow_dir:
            return
        raise error(f"{option} {p} is a folder, not a file", hint="give the file inside it")
    try:
        with p.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError as exc:
        raise error(f"{option} {p} cannot be read: {exc.strerror or exc}", hint="check its permissions") from None
    if not head:
        raise error(f"{option} {p} is empty", hint="give a file with data")
    if text is None:
        text = p.suffix.lower() not in BINARY_SUFFIXES
    if not text:
        return
    if b"\x00" in head:
        raise error(f"{option} {p} is a binary file, not text",
                    hint="give a UTF-8 text file (CSV or TOML); Parquet files end in .parquet")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < _SNIFF_BYTES - 3 or exc.start < len(head) - 4:  # not a character cut by the sample
            raise error(_not_utf8(p, head, exc.start), hint=_ICONV_HINT) from None


_ICONV_HINT = "save it as UTF-8, e.g. iconv -f latin1 -t utf-8 IN > OUT"


def _not_utf8(path: Path, data: bytes, start: int, offset: int = 0) -> str:
    line = data[:start].count(b"\n") + 1
    return f"{path}:{line}: byte 0x{data[start]:02x} is not UTF-8 text (Latin-1 or Windows-1252?)"


class reading:  # noqa: N801  (used as a context manager, reads like a sentence)
    """``with reading(path): ...`` turns a UnicodeDecodeError raised while reading ``path`` into an error
    that names the file (the check of :func:`check_input_file` looks at the first 64 KiB only)."""

    def __init__(self, path: Path | str | None, error: type = OptionError):
        self.path = path
        self.error = error

    def __enter__(self) -> "reading":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None and issubclass(exc_type, UnicodeDecodeError) and self.path is not None:
            where = f"{self.path}"
            try:  # the line of the bad byte when the offset is one in the file (readers decode whole files)
                with open(self.path, "rb") as fh:
                    data = fh.read(exc.start + 1)
                if len(data) > exc.start and data[exc.start] == exc.object[exc.start]:
                    line = data.count(b"\n", 0, exc.start) + 1
                    where = f"{self.path}:{line}"
            except (OSError, TypeError, IndexError):
                pass
            raise self.error(f"{where}: byte 0x{exc.object[exc.start]:02x} is not UTF-8 text "
                             "(Latin-1 or Windows-1252?)", hint=_ICONV_HINT) from None
        return False


def station_arg(value: str) -> str:
    """Check a STATION argument that names a file (a built-in name passes untouched); return it."""
    p = Path(value)
    if p.suffix.lower() == ".toml" or p.exists() or "/" in value or "\\" in value:
        check_input_file("STATION", p)
    return value
