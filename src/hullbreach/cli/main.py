"""The ``hullbreach`` command. Every module in this package that defines ``register(app)`` adds commands.

Exit codes and messages (docs/design.md §3.4):

* errors derived from :class:`hullbreach.errors.HullbreachError`: one line ``error: ...`` on stderr, exit 1;
* usage errors (unknown command or option, missing option, a value of the wrong type): one line
  ``error: ...`` naming the command's ``--help``, exit 1;
* ``hullbreach`` alone: the help, exit 0;
* anything else is a bug: ``internal error: ...``, exit 2.

``--debug`` anywhere on the command line shows the traceback instead of the one line.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from hullbreach.cli.common import print_error
from hullbreach.errors import HullbreachError

app = typer.Typer(
    name="hullbreach",
    help="Is it a leak? How big, how long do we have? Which module, where on the wall, what made the hole?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help text: units such as [m] and TOML tables such as [[sensor]] are printed as written.
    rich_markup_mode=None,
)

_STATE = {"debug": False}


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors (anywhere on the line).")) -> None:
    """hullbreach: leak response for crewed spacecraft."""
    _STATE["debug"] = debug


def _register_all() -> None:
    import hullbreach.cli as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name in ("main", "common", "progress"):
            continue
        mod = importlib.import_module(f"hullbreach.cli.{info.name}")
        reg = getattr(mod, "register", None)
        if reg is not None:
            reg(app)


_register_all()


def _click_exception_classes() -> tuple[tuple[type, ...], tuple[type, ...], tuple[type, ...]]:
    """``(ClickException, NoArgsIsHelpError, Exit)`` classes of Typer's vendored click and of click itself.

    Typer >= 0.16 vendors click as ``typer._click`` and raises its own copies; older Typer raises click's.
    Both are caught, so a Typer upgrade never turns a usage error into an internal error.
    """
    errors, no_args, exits = [], [], []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        errors.append(mod.ClickException)
        if hasattr(mod, "NoArgsIsHelpError"):
            no_args.append(mod.NoArgsIsHelpError)
        if hasattr(mod, "Exit"):
            exits.append(mod.Exit)
    return tuple(errors), tuple(no_args), tuple(exits)


_CLICK_ERRORS, _NO_ARGS, _CLICK_EXITS = _click_exception_classes()


def _usage_line(exc: BaseException) -> str:
    """One line for a usage error: what is wrong, and which ``--help`` to read."""
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    text = " ".join(str(text).split())
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "hullbreach"
    path = path.replace("python -m hullbreach", "hullbreach").replace("__main__.py", "hullbreach")
    return f"{text} (see `{path} --help`)"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # --debug is accepted anywhere before a "--": it is taken off the line and given to the root callback.
    cut = args.index("--") if "--" in args else len(args)
    debug = "--debug" in args[:cut]
    if debug:
        args = ["--debug"] + [a for a in args[:cut] if a != "--debug"] + args[cut:]
        if len(args) == 1:
            args = []
    try:
        app(args=args, standalone_mode=False, prog_name="hullbreach")
    except HullbreachError as exc:
        if debug:
            raise
        print_error(str(exc))
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print_error("interrupted", label="aborted:")
        return 130
    except _NO_ARGS as exc:  # `hullbreach` alone: the help is the answer
        sys.stdout.write(exc.format_message().rstrip() + "\n")
        return 0
    except _CLICK_ERRORS as exc:
        if debug:
            raise
        print_error(_usage_line(exc))
        return 1
    except _CLICK_EXITS as exc:
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001  (a bug: say so, in one line)
        if debug:
            raise
        print_error(f"{type(exc).__name__}: {exc} (run with --debug for the traceback and report it)",
                    label="internal error:")
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
