"""The ``hullbreach`` command. Every module in this package that defines ``register(app)`` adds commands.

Errors derived from :class:`hullbreach.errors.HullbreachError` are printed as one red line with exit
code 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from hullbreach.cli.common import err_console
from hullbreach.errors import HullbreachError

app = typer.Typer(
    name="hullbreach",
    help="Is it a leak? How big, how long do we have? Which module, where on the wall, what made the hole?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_STATE = {"debug": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    """hullbreach: leak response for crewed spacecraft."""
    _STATE["debug"] = debug


def _register_all() -> None:
    import hullbreach.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name in ("main", "common"):
            continue
        mod = importlib.import_module(f"hullbreach.cli.{info.name}")
        reg = getattr(mod, "register", None)
        if reg is not None:
            reg(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, standalone_mode=False)
    except HullbreachError as exc:
        if debug:
            raise
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("[red]aborted[/]")
        return 130
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if isinstance(exc, click.exceptions.Exit):
            return exc.exit_code
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc} (run with --debug for the traceback and report it)",
                          highlight=False, soft_wrap=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
