"""Reading user files and writing result files safely: the one place for both.

* :func:`load_yaml` reads every YAML file the project reads (scenario, sweep and data files). It
  decodes strict UTF-8, resolves scalars as YAML 1.2 does (``1e-3`` is a number, ``no``/``yes``/
  ``on``/``off`` are text, only ``true``/``false`` are booleans), refuses a key written twice in
  one mapping, and bounds alias expansion ("billion laughs"): a document whose aliases would
  expand to more than :data:`MAX_YAML_VALUES` values is refused before anything walks it.
* :func:`write_atomic` writes a result file under a temporary name in the target folder and
  renames it into place (``os.replace``): a reader never sees a half-written file, a full or
  read-only disk leaves the old file as it was, and the temporary file is removed on any error.
  With ``root``, the target must lie inside ``root`` after resolving links (a link inside an
  output folder can never make a write land outside it; the rename replaces the link itself).
* :func:`os_error` turns an ``OSError`` into a one-line :class:`~planning.errors.OutputError`
  or :class:`~planning.errors.InputError`.
* :func:`locked` locks an output folder for the time of a run (``filelock``), so two runs into
  one folder wait for each other instead of mixing their files.

Errors: :class:`~planning.errors.ScenarioError` (or the ``error`` class passed in) naming the file,
:class:`~planning.errors.OutputError` for failed writes. No other module writes result files or
parses YAML itself.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from planning.errors import InputError, OutputError, PlanningError, ScenarioError

#: Largest number of values (mapping entries, list items, scalars) a YAML document may expand to
#: once its aliases are followed. Scenario files hold a few hundred, the largest shipped sweep a
#: few thousand; a "billion laughs" document expands to 10^9.
MAX_YAML_VALUES = 1_000_000
#: Largest YAML file read (bytes).
MAX_YAML_BYTES = 10 * 1024 * 1024
#: Prefix of temporary files; a folder's leftovers from a killed run are removed by
#: :func:`remove_stale_temporaries` when the next run takes the folder's lock.
TMP_PREFIX = ".tmp-"
LOCK_NAME = ".planning.lock"


# ------------------------------------------------------------------------------------------------
# YAML
# ------------------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema booleans and floats and no duplicate keys."""


# YAML 1.2 core schema: booleans are true/false only; floats need no dot (1e-3) -------------
_Loader.yaml_implicit_resolvers = {
    k: [
        (tag, rx)
        for tag, rx in v
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:float")
    ]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
        |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$""",
        re.X,
    ),
    list("-+0123456789."),
)


def _no_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, Any] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        if isinstance(key_node, yaml.ScalarNode):
            k = loader.construct_object(key_node)
            if k in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key '{k}' appears twice in one mapping (the second would silently win)",
                    key_node.start_mark,
                )
            seen[k] = True
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor("tag:yaml.org,2002:map", lambda ld, n: _construct_map(ld, n))


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Any:
    data: dict = {}
    yield data
    data.update(_no_duplicates(loader, node))


#: The same rules on libyaml's C parser when PyYAML has it (about ten times faster: a report
#: kernel parses the catalogue, the organisation, the ranges and its scenario files). Only a
#: document it accepts is taken from it; any error is reported by :class:`_Loader`, so messages
#: (line, column, problem) are those of the pure-Python parser.
_FastLoader: Any = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """CSafeLoader with :class:`_Loader`'s resolvers and constructors."""

    _FastLoader.yaml_implicit_resolvers = {
        k: list(v) for k, v in _Loader.yaml_implicit_resolvers.items()
    }
    _FastLoader.yaml_constructors = dict(_Loader.yaml_constructors)


def _parse(text: str) -> Any:
    """``text`` parsed with :class:`_FastLoader` when it accepts it, else with :class:`_Loader`
    (which raises the error a user sees)."""
    if _FastLoader is not None:
        try:
            return yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader
        except (yaml.YAMLError, RecursionError, ValueError):
            pass
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader


def expanded_size(obj: Any, limit: int = MAX_YAML_VALUES) -> int:
    """Number of values ``obj`` holds with shared (aliased) parts counted every time they occur.
    Computed without expanding (one visit per distinct object); raises ``ValueError`` for a
    recursive structure or when the count passes ``limit``."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(x: Any) -> int:
        if not isinstance(x, dict | list):
            return 1
        i = id(x)
        if i in sizes:
            return sizes[i]
        if i in active:
            raise ValueError("an alias refers to itself (recursive YAML)")
        active.add(i)
        children = x.values() if isinstance(x, dict) else x
        total = 1
        for c in children:
            total += size(c)
            if total > limit:
                raise ValueError(
                    f"aliases expand to more than {limit:,} values (nested YAML aliases, "
                    "'billion laughs')"
                )
        active.discard(i)
        sizes[i] = total
        return total

    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    try:
        return size(obj)
    except RecursionError:
        raise ValueError("nested more than 10 000 levels deep") from None
    finally:
        sys.setrecursionlimit(old)


def decode_utf8(raw: bytes, file: str | Path, error: type[PlanningError] = ScenarioError) -> str:
    """``raw`` as text; a byte that is not UTF-8 raises ``error`` naming the file, line and byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise error(
            f"is not UTF-8 text (byte 0x{raw[e.start]:02x} on line {line}); save the file as UTF-8",
            file=file,
        ) from None


def require_file(
    path: str | Path, error: type[PlanningError] = ScenarioError, what: str = "file"
) -> Path:
    """``path`` as a :class:`Path` if it is a file; a folder or a missing path raises ``error``
    naming it ("is a folder, not a file" / "file not found")."""
    p = Path(path)
    if p.is_dir():
        raise error("is a folder, not a file", file=p)
    if not p.is_file():
        raise error(f"{what} not found", file=p)
    return p


def load_yaml(
    source: str | Path, *, error: type[PlanningError] = ScenarioError, text: str | None = None
) -> Any:
    """Parse the YAML file ``source`` (or ``text``, reported as ``source``) with the project's
    rules (module docstring). Raises ``error`` naming the file, with line and column for syntax
    errors."""
    file = str(source)
    if text is None:
        p = Path(source)
        try:
            if p.stat().st_size > MAX_YAML_BYTES:
                raise error(f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MB", file=file)
            raw = p.read_bytes()
        except FileNotFoundError:
            raise error("file not found", file=file) from None
        except IsADirectoryError:
            raise error("is a folder, not a file", file=file) from None
        except OSError as e:
            raise error(f"cannot be read ({e.strerror})", file=file) from None
        text = decode_utf8(raw, file, error)
    try:
        doc = _parse(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise error(f"invalid YAML ({where}{' '.join(str(problem).split())})", file=file) from None
    except RecursionError:
        raise error("invalid YAML (nested too deeply)", file=file) from None
    except ValueError as e:  # a scalar the resolver accepted but Python cannot convert
        raise error(f"invalid YAML ({' '.join(str(e).split())[:120]})", file=file) from None
    try:
        expanded_size(doc)
    except ValueError as e:
        raise error(f"refused: {e}", file=file) from None
    return doc


# ------------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------------
_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.EFBIG: "the file is too large for the file system",
}


def os_error(e: OSError, file: str | Path | None = None, key: str | None = None) -> PlanningError:
    """One-line :class:`OutputError` for a failed write (or read) ``e``."""
    reason = _REASONS.get(e.errno or 0) or (e.strerror or type(e).__name__)
    where = file if file is not None else (e.filename if e.filename else None)
    return OutputError(f"cannot write ({reason})", file=where, key=key)


def _inside(path: Path, root: Path) -> Path:
    """``path`` with its folder resolved, refusing anything outside ``root``."""
    root_r = root.resolve()
    folder = path.parent.resolve()
    if folder != root_r and not folder.is_relative_to(root_r):
        raise InputError(
            f"refusing to write outside the output folder {root_r} (a link points elsewhere)",
            file=path,
            key="--out",
        )
    return folder / path.name


def write_atomic(
    path: str | Path,
    content: bytes | str | Callable[[IO[bytes]], Any],
    *,
    root: str | Path | None = None,
    key: str | None = "--out",
) -> Path:
    """Write ``content`` (bytes, text as UTF-8, or a function that writes to a binary file object)
    to ``path`` through a temporary file in the same folder, then ``os.replace``. Returns the
    path. A failed write raises :class:`OutputError` and leaves any existing file untouched."""
    path = Path(path)
    target = _inside(path, Path(root)) if root is not None else path
    tmp = target.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex[:12]}-{target.name}")
    try:
        with open(tmp, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        raise os_error(e, file=target, key=key) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return target


def write_frame(df: Any, path: str | Path, fmt: str | None = None, **kw: Any) -> Path:
    """Write a pandas frame as CSV or parquet (``fmt``, default from the suffix) atomically."""
    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "parquet")
    if fmt == "csv":
        return write_atomic(path, lambda f: df.to_csv(f, index=False), **kw)
    return write_atomic(path, lambda f: df.to_parquet(f, index=False), **kw)


def make_dir(path: str | Path, key: str | None = "--out") -> Path:
    """Create a folder (and parents); a failure is one :class:`OutputError` line."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("exists and is not a folder", file=p, key=key)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise os_error(e, file=p, key=key) from None
    return p


def check_output(path: str | Path, key: str, *, folder: bool = False) -> Path:
    """Check, before any work is done, that the output file ``path`` (with ``folder``: the
    output folder) could be written, so that a long run does not end in a failed write: it must
    not be a folder (a file), the nearest part of it that exists must be a folder, and that
    folder must be writable. Raises :class:`InputError` / :class:`OutputError` naming the path
    and the option ``key``; creates nothing."""
    p = Path(path)
    if p.exists():
        if folder and not p.is_dir():
            raise InputError("exists and is not a folder", file=p, key=key)
        if not folder and p.is_dir():
            raise InputError("is a folder, not a file", file=p, key=key)
    nearest = p.absolute() if folder else p.absolute().parent
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    if not nearest.is_dir():
        raise InputError(
            f"cannot write (a part of the path is a file, not a folder: {nearest})", file=p, key=key
        )
    if os.statvfs(nearest).f_flag & os.ST_RDONLY:
        raise OutputError(
            f"cannot write (the file system is read-only: {nearest})", file=p, key=key
        )
    if not os.access(nearest, os.W_OK | os.X_OK):
        raise OutputError(f"cannot write (permission denied in {nearest})", file=p, key=key)
    return p


def remove_stale_temporaries(folder: str | Path) -> int:
    """Remove ``.tmp-*`` files a killed run left in ``folder`` and its subfolders; returns how
    many. Call it only while holding the folder's lock (:func:`locked`)."""
    n = 0
    for p in Path(folder).rglob(f"{TMP_PREFIX}*"):
        if p.is_file() and not p.is_symlink():
            with contextlib.suppress(OSError):
                p.unlink()
                n += 1
    return n


@contextlib.contextmanager
def locked(folder: str | Path, *, timeout: float = -1, key: str | None = "--out") -> Iterator[Path]:
    """Hold an exclusive lock on output ``folder`` (created) for the ``with`` block: another run
    into the same folder waits (``timeout`` -1) or fails after ``timeout`` seconds with one
    line. Leftover temporary files of a killed run are removed once the lock is held."""
    from filelock import FileLock, Timeout

    root = make_dir(folder, key=key).resolve()
    lock = FileLock(str(root / LOCK_NAME))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise InputError(
            "another run is writing into this folder; wait for it or choose another --out",
            file=root,
            key=key,
        ) from None
    except OSError as e:
        raise os_error(e, file=root / LOCK_NAME, key=key) from None
    try:
        remove_stale_temporaries(root)
        yield root
    finally:
        lock.release()
