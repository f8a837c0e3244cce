"""The ``planning`` command line.

Each feature registers its subcommands from a module in :mod:`planning.commands`. Errors caused by
input (:class:`~planning.errors.PlanningError`) print one line and exit with code 2, without a
traceback; Ctrl-C exits with 130.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from planning import __version__
from planning.errors import PlanningError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planning",
        description=(
            "Værnes planning model: population projection, service demand, capacity, costs and "
            "shared-service scenarios for municipalities in Norway."
        ),
    )
    parser.add_argument("--version", action="version", version=f"vaernes-planning {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import planning.commands as commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"planning.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PlanningError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
