"""Subcommands of the ``planning`` CLI: each module defines ``register(subparsers)``.

Shared here: ``--region`` / ``--municipalities``, which every command that works on
municipalities accepts in the same way (:func:`add_where`, :func:`where`).
"""

from __future__ import annotations

import argparse
from typing import Any

REGION_HELP = (
    "region in data/regions.json: vaernes, vaernesregionen, knutepunkt_sorlandet, a county by "
    "name (agder, trondelag, ...) or county-NN, norway (`planning regions` lists them)"
)


def whole(low: int | None = None, high: int | None = None) -> Any:
    """An argparse ``type``: a whole number in ``low..high``. Anything else is refused while the
    arguments are read, before any work, in one line naming the option and the allowed range."""
    if high is None:
        allowed = "a whole number" if low is None else f"{low} or more"
    else:
        allowed = f"{'' if low is None else low}..{high}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"'{text}' is not a whole number (allowed: {allowed})"
            ) from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is out of range (allowed: {allowed})")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse ``type``: a number of seconds above 0 (one line naming the option otherwise)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} seconds is not allowed (allowed: more than 0)")
    return value


def add_where(parser: argparse.ArgumentParser, default: str | None = None) -> None:
    """Add the mutually exclusive ``--region`` and ``--municipalities`` options."""
    g = parser.add_mutually_exclusive_group()
    suffix = f" (default {default})" if default else " (default: the scenario's own)"
    g.add_argument("--region", default=None, help=REGION_HELP + suffix)
    g.add_argument(
        "--municipalities",
        nargs="+",
        default=None,
        metavar="CODE",
        help="municipality codes or names (2024 borders), e.g. 5035 Meråker 4204",
    )


def where(args: argparse.Namespace) -> str | list[str] | None:
    """The region name or municipality list given on the command line (None if neither); each
    is checked against the data here, so a bad one fails before any work is done."""
    from planning import data
    from planning.errors import InputError

    spec: str | list[str] | None = args.municipalities or args.region
    if spec is not None:
        try:
            data.resolve_municipalities(spec)
        except InputError as e:  # name the option the user typed, not the scenario key
            option = "--municipalities" if args.municipalities else "--region"
            raise InputError(e.problem, file=e.file, key=option, allowed=e.allowed) from None
    return spec


def where_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--region``/``--municipalities`` as scenario overrides (``planning.scenarios.apply_overrides``)."""
    spec = where(args)
    if spec is None:
        return {}
    return {"municipalities": list(spec)} if isinstance(spec, list) else {"region": spec}
