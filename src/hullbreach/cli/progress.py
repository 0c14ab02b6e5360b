"""Progress bars for long commands (campaign, simulate, detect, locate-plan).

A bar is drawn with rich on **stderr**, only when stderr is a terminal, never with ``--json`` (the caller
passes ``enabled=not json_out``), and it disappears when the work ends. Library functions take a plain
callback ``progress(done, total)`` (default ``None``); :func:`progress_bar` yields such a callback. When no
bar is drawn the callback is a no-op, so the cost is one Python call per report
(`benchmarks/cli_progress.py` measures it).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from hullbreach.cli.common import err_console

#: Least time between two redraws requested by the callback [s]; rich also refreshes on its own.
MIN_UPDATE_S = 0.1

Callback = Callable[[float, float], None]


def _noop(done: float, total: float | None = None) -> None:
    return None


def bars_wanted(enabled: bool = True) -> bool:
    """True when a bar should be drawn: enabled, stderr is a terminal, and ``HULLBREACH_NO_PROGRESS`` unset."""
    return bool(enabled and err_console.is_terminal and not os.environ.get("HULLBREACH_NO_PROGRESS"))


@contextmanager
def progress_bar(description: str, total: float | None = None, *, unit: str = "",
                 enabled: bool = True, scale: float = 1.0, fmt: str = "{:.0f}") -> Iterator[Callback]:
    """Context manager yielding ``advance(done, total=None)``: show ``done`` out of ``total`` with the ETA.

    Parameters
    ----------
    description : str
        Label in front of the bar (our own words).
    total : float, optional
        Amount of work; may be given or changed later by the callback.
    unit : str
        Unit shown after the counts (``runs``, ``h simulated``, ``rows``).
    enabled : bool
        False (e.g. with ``--json``) never draws.
    scale : float
        Counts are shown multiplied by ``scale`` (e.g. 1/3600 to show seconds as hours).
    fmt : str
        Format of the shown counts.
    """
    if not bars_wanted(enabled):
        yield _noop
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    cols = (TextColumn("{task.description}"), BarColumn(bar_width=24),
            TextColumn("{task.fields[counts]}"), TextColumn("elapsed"), TimeElapsedColumn(),
            TextColumn("left"), TimeRemainingColumn())
    with Progress(*cols, console=err_console, transient=True, refresh_per_second=5) as prog:
        u = f" {unit}" if unit else ""

        def counts(done: float, tot: float | None) -> str:
            return f"{fmt.format(done * scale)}/{fmt.format(tot * scale) if tot else '?'}{u}"

        task = prog.add_task(description, total=total, counts=counts(0, total))
        state = {"last": 0.0, "total": total}

        def advance(done: float, tot: float | None = None) -> None:
            if tot is not None:
                state["total"] = tot
            now = time.monotonic()
            if now - state["last"] < MIN_UPDATE_S and not (state["total"] and done >= state["total"]):
                return
            state["last"] = now
            prog.update(task, completed=done, total=state["total"], counts=counts(done, state["total"]))

        yield advance


@contextmanager
def stage(message: str, *, enabled: bool = True) -> Iterator[None]:
    """A spinner with ``message`` (our own words, printed as written) on stderr while a stage runs, with
    the same rules as :func:`progress_bar`; for stages whose library call takes no callback."""
    if not bars_wanted(enabled):
        yield
        return
    from rich.text import Text

    with err_console.status(Text(message), spinner="dots"):
        yield
