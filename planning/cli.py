"""The ``planning`` command line.

Each feature registers its subcommands from a module in :mod:`planning.commands`. Every failure a
user can cause ends in one line on stderr and exit code 2, without a traceback:
:class:`~planning.errors.PlanningError` (bad input, named file and key), a failed write (full or
read-only disk, stdout on a full device), a byte that is not UTF-8, ``MemoryError``. Warnings
(numpy's, pandas') raised by a command that then fails are dropped, so the error line is the only
output on stderr; a command that succeeds shows them after its output. Ctrl-C exits with 130.
An unexpected exception (a bug) prints one line asking for a report, exit 1; set
``PLANNING_TRACEBACK=1`` to see the traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import re
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

from planning import __version__
from planning.errors import PlanningError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit code 2 (argparse's own
    print the usage block first). Subcommand parsers are of the same class (argparse creates
    them with ``type(parent)``)."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{argument_error(message)} (see `{self.prog} --help`)")
        raise SystemExit(2)


_TYPE_NAMES = {"int": "a whole number", "float": "a number"}


def argument_error(message: str) -> str:
    """argparse's error ``message`` as the project's one line: the option as the key, what is
    wrong, and what is allowed ("argument --runs: invalid int value: 'abc'" becomes
    "key '--runs': 'abc' is not a whole number (allowed: a whole number)")."""
    key, problem, allowed = None, " ".join(message.split()), None
    if problem.startswith("argument ") and ": " in problem:
        key, problem = problem.removeprefix("argument ").split(": ", 1)
    if m := re.fullmatch(r"invalid (\w+) value: (.*)", problem):
        kind = _TYPE_NAMES.get(m.group(1), m.group(1))
        problem, allowed = f"{m.group(2)} is not {kind}", kind
    elif m := re.fullmatch(r"unrecognized arguments: (.*)", problem):
        key, problem = m.group(1), "unknown option or extra argument"
    elif m := re.fullmatch(r"invalid choice: (.*) \(choose from (.*)\)", problem):
        problem, allowed = f"unknown value {m.group(1)}", m.group(2).replace("'", "")
    return str(PlanningError(problem, key=key, allowed=allowed))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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


def _silence_stdout() -> None:
    """After stdout failed (full device, closed pipe), point it at /dev/null so the interpreter's
    final flush cannot print a second error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _fail(message: str, code: int = 2) -> int:
    try:
        print(f"error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)
    except OSError:
        pass
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or an argument error already reported
        return e.code if isinstance(e.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from planning.io import os_error

    # `kill` (SIGTERM) stops a run like Ctrl-C: temporary files are removed on the way out
    previous = _on_sigterm()
    try:
        return _main(args, os_error)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm() -> object | None:
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread
        return None


def _main(args: argparse.Namespace, os_error) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        try:
            code = int(args.func(args) or 0)
            sys.stdout.flush()
        except PlanningError as e:
            return _fail(str(e))
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            _silence_stdout()
            return 0
        except MemoryError:
            return _fail(
                "out of memory: the request needs more memory than this machine has; ask for "
                "fewer runs, variants or years (limits: docs/limits.md)"
            )
        except UnicodeDecodeError as e:
            return _fail(f"a file is not UTF-8 text ({e.reason} at byte {e.start})")
        except OSError as e:
            if e.filename is None and (_stdout_failed() or e.errno in _STREAM_ERRORS):
                _silence_stdout()
                reason = os_error(e).problem.removeprefix("cannot write ")
                return _fail(f"cannot write to standard output {reason}")
            return _fail(str(os_error(e)))
        except Exception as e:  # a bug: one line, the traceback on request
            if os.environ.get("PLANNING_TRACEBACK"):
                raise
            text = str(e).strip().splitlines()
            return _fail(
                f"internal error ({type(e).__name__}: {text[0] if text else ''}); please report it "
                "with the command you ran (PLANNING_TRACEBACK=1 shows the traceback)",
                code=1,
            )
    for w in caught:
        try:
            print(f"warning: {w.category.__name__}: {w.message}", file=sys.stderr)
        except OSError:
            break
    return code


_STREAM_ERRORS = (errno.ENOSPC, errno.EIO, errno.EPIPE, errno.EBADF, errno.EFBIG, errno.EDQUOT)


def _stdout_failed() -> bool:
    try:
        sys.stdout.flush()
        return False
    except OSError:
        return True


if __name__ == "__main__":
    sys.exit(main())
