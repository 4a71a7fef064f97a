"""Base interpreters to build a venv from, and what makes a directory a venv (PEP 405).

Base interpreters are found like uv finds them (:func:`candidates`); one that
does not run is skipped. The venv itself is made by the install backend.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap.errors import InputError, OperationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

__all__ = [
    "BIN_DIR",
    "Interpreter",
    "candidates",
    "check_created",
    "find_base_interpreter",
    "is_venv",
    "newest",
    "venv_python",
]

BIN_DIR = "Scripts" if os.name == "nt" else "bin"
"""The scripts directory of a venv on this platform."""
_LAUNCHER_TIMEOUT = 60.0
_RUNNING_VERSION = ".".join(map(str, sys.version_info[:3]))


@dataclass(frozen=True, slots=True, kw_only=True)
class Interpreter:
    """A base interpreter to build a venv from."""

    path: Path
    """The interpreter as found (``--python`` or on ``PATH``), not resolved."""
    version: str
    """``major.minor.micro`` it reports."""

    @property
    def major_minor(self) -> str:
        """``3.11`` of ``3.11.7``."""
        return ".".join(self.version.split(".")[:2])


def is_venv(path: Path) -> bool:
    """Return whether ``path`` is a virtual environment (has ``pyvenv.cfg``, PEP 405)."""
    return (path / "pyvenv.cfg").is_file()


def venv_python(venv: Path) -> Path:
    """Return the interpreter of the venv at ``venv`` (``bin/python``)."""
    return venv / BIN_DIR / ("python.exe" if os.name == "nt" else "python")


def _probe(interpreter: Path) -> Interpreter:
    """Return the interpreter with its version (:func:`envsnap.environment.target.probe`)."""
    from envsnap.environment.target import probe  # noqa: PLC0415

    return Interpreter(path=interpreter, version=probe(interpreter).python_version_text)


_VERSION_REQUEST = re.compile(r"^(?:python|cpython|py)?(\d+(?:\.\d+){0,2})$", re.IGNORECASE)
"""``3.12``, ``python3.12``, ``cpython3.12.1``: a version request, as uv reads ``--python``."""


def find_base_interpreter(
    wanted: str | None,
    *,
    python: str | os.PathLike[str] | None = None,
    search_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Interpreter:
    """Pick the interpreter a new venv is made from.

    Candidates are probed in order; one that does not run is skipped (and named
    only when no candidate matches).

    Args:
        wanted: the version the lock file records (``3.11.7`` or ``3.11``), or ``None``.
        python: ``--python``, which wins over ``wanted``: a path (used as given),
            a version request (``3.12``, ``python3.12``, ``cpython3.12.1``, looked
            for like :func:`candidates`) or another name on ``PATH`` (``pypy3``).
        search_path: the ``PATH`` to search (default: ``$PATH``).
        environ: the variables naming managed installs (default: ``os.environ``).

    Returns:
        ``python``'s interpreter; else the running one if ``wanted`` is ``None`` or
        has its ``major.minor`` (no subprocess); else the first candidate that has.

    Raises:
        InputError: ``python`` is not found or not a Python; no candidate matches
            (the message names what was found and skipped).
    """
    env = os.environ if environ is None else environ
    if python is not None:
        return _find_requested(os.fspath(python), search_path, env)
    running = Interpreter(path=Path(sys.executable), version=_RUNNING_VERSION)
    major_minor = ".".join(wanted.split(".")[:2]) if wanted else running.major_minor
    if wanted is None or running.major_minor == major_minor:
        return running
    found, seen, skipped = _first_matching(
        candidates(major_minor, search_path=search_path, environ=env), major_minor
    )
    if found is not None:
        return found
    where = "; ".join([*seen, *skipped]) or f"neither python{major_minor} nor python3 is on PATH"
    raise InputError(
        f"the lock file was made with Python {wanted} and no Python {major_minor} "
        f"was found ({where})",
        hint=f"install Python {major_minor}, or choose an interpreter with python=PATH",
    )


def _find_requested(python: str, search_path: str | None, env: Mapping[str, str]) -> Interpreter:
    """Return the interpreter ``--python`` names: a path, a version request or a name."""
    given = Path(python).expanduser()
    where = ""
    if os.sep in python or (os.altsep and os.altsep in python) or given.exists():
        if os.path.realpath(given) == os.path.realpath(sys.executable):
            # the interpreter running envsnap: its version is known, no subprocess
            return Interpreter(path=given, version=_RUNNING_VERSION)
        if given.exists():
            return _probe(given)
    else:
        request = _VERSION_REQUEST.match(python)
        version = request.group(1) if request is not None else None
        found, seen, skipped = _first_matching(
            candidates(version, search_path=search_path, environ=env)
            if version is not None
            else _on_path([python], search_path),
            version,
        )
        if found is not None:
            return found
        where = "; ".join([*seen, *skipped])
    raise InputError(
        f"python={python}: no such interpreter" + (f" ({where})" if where else ""),
        hint="give a path, a version such as 3.12, or a name on PATH such as python3.12",
    )


def _matches(version: str, request: str | None) -> bool:
    """Whether ``3.12.1`` is what ``3``, ``3.12`` or ``3.12.1`` asks for (``None``: any)."""
    if request is None:
        return True
    parts = request.split(".")
    return version.split(".")[: len(parts)] == parts


def _first_matching(
    found_in: Iterable[Path], request: str | None
) -> tuple[Interpreter | None, list[str], list[str]]:
    """Probe candidates, 4 at a time; return the first matching one, what was seen and skipped.

    Later candidates than the first match are not waited for.
    """
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    paths = _unique(found_in)
    seen: list[str] = []
    skipped: list[str] = []
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="envsnap-probe")
    try:
        for path, probing in [(p, pool.submit(_probe, p)) for p in paths]:
            try:
                found = probing.result()
            except InputError as exc:
                skipped.append(f"skipped {path}: {exc.message.removeprefix(f'{path}: ')}")
                continue
            if _matches(found.version, request):
                # what was skipped on the way is no news once one is found
                return found, seen, skipped
            seen.append(f"{path} is {found.version}")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return None, seen, skipped


def _unique(paths: Iterable[Path]) -> list[Path]:
    """Return the paths in order, each interpreter once (the first path that leads to it)."""
    unique: dict[str, Path] = {}
    for path in paths:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def newest(
    admits: Callable[[str], bool],
    *,
    search_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[Interpreter | None, list[Interpreter]]:
    """Return the newest Python 3 interpreter found whose version ``admits`` accepts.

    ``python3.X``, ``python3`` and ``python`` in every ``PATH`` directory,
    then the managed installs (:func:`candidates`); one that does not run is
    passed over. Each probe is an interpreter start-up, so names without a
    version go first, then ``pythonX.Y`` newest first, until none left could
    beat the best accepted one. ``search_path`` and ``environ`` as for
    :func:`find_base_interpreter`.

    Returns:
        ``(the interpreter or None, every interpreter probed, newest first)``.
    """
    from envsnap._io import run_parallel  # noqa: PLC0415

    env = os.environ if environ is None else environ
    shims = _shim_dirs(env)
    found = [p for p in _versioned_on_path(search_path) if os.path.realpath(p.parent) not in shims]
    found += candidates("3", search_path=search_path, environ=env)
    paths = _unique(found)
    versions = {p: _named_version(p) for p in paths}
    unnamed = [p for p, v in versions.items() if v is None]
    named = sorted(((v, p) for p, v in versions.items() if v is not None), reverse=True)
    probed: list[Interpreter] = []
    best: Interpreter | None = None
    batch = [*unnamed, *(p for _, p in named[:1])]
    rest = named[1:]
    while batch:
        for outcome in run_parallel(_probe, batch, jobs=4):
            if isinstance(outcome, Interpreter):
                probed.append(outcome)
                if admits(outcome.version) and (best is None or _key(outcome) > _key(best)):
                    best = outcome
        # one of the same major.minor may still be a newer micro: stop only below it
        if best is not None and all(v < _key(best)[:2] for v, _ in rest):
            break
        batch, rest = [p for _, p in rest[:2]], rest[2:]  # two cores: two start-ups at once
    return best, sorted(probed, key=_key, reverse=True)


def _named_version(path: Path) -> tuple[int, ...] | None:
    """``(3, 12)`` for ``python3.12`` (``.exe`` too), ``None`` for a name without one."""
    named = re.fullmatch(r"python(\d+)\.(\d+)(?:\.exe)?", path.name)
    return None if named is None else (int(named[1]), int(named[2]))


def _key(interpreter: Interpreter) -> tuple[int, ...]:
    return tuple(int(x) for x in interpreter.version.split("."))


def candidates(
    request: str,
    *,
    search_path: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Iterator[Path]:
    """Yield the interpreters that may be Python ``request`` (``3``, ``3.12``, ``3.12.1``).

    In this order, like uv's discovery: ``pythonX.Y``, ``python3``, ``python``
    in each ``PATH`` directory but pyenv's and asdf's shims; pyenv's installs
    (``$PYENV_ROOT/versions``); asdf's (``$ASDF_DATA_DIR/installs/python``);
    uv's (``$UV_PYTHON_INSTALL_DIR``, else ``$XDG_DATA_HOME/uv/python``); on
    Windows ``py -X.Y``. Managed installs come newest first; nothing is run here.
    """
    env = os.environ if environ is None else environ
    parts = request.split(".")
    names = [f"python{'.'.join(parts[:2])}"] if len(parts) > 1 else []
    home, pyenv, asdf = _managers(env)
    xdg = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else home / ".local" / "share"
    shims = _shim_dirs(env)
    for path in _on_path([*names, f"python{parts[0]}", "python"], search_path):
        if os.path.realpath(path.parent) not in shims:
            yield path
    for root in (pyenv / "versions", asdf / "installs" / "python"):
        yield from _managed(root, request, lambda name: name)
    uv_root = Path(env.get("UV_PYTHON_INSTALL_DIR") or xdg / "uv" / "python")
    # cpython-3.12.1-linux-x86_64-gnu
    yield from _managed(uv_root, request, lambda name: name.split("-")[1] if "-" in name else "")
    if os.name == "nt":  # pragma: no cover - the py launcher exists on Windows only
        launcher = _py_launcher(request)
        if launcher is not None:
            yield launcher


def _shim_dirs(env: Mapping[str, str]) -> set[str]:
    """Return pyenv's and asdf's shim directories (resolved): their installs are asked instead.

    A shim picks its version from the current directory, and runs pyenv (exit
    127 for a version not installed).
    """
    _, pyenv, asdf = _managers(env)
    return {os.path.realpath(pyenv / "shims"), os.path.realpath(asdf / "shims")}


def _managers(env: Mapping[str, str]) -> tuple[Path, Path, Path]:
    """Return the home directory, pyenv's root and asdf's root."""
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return (
        home,
        Path(env.get("PYENV_ROOT") or home / ".pyenv"),
        Path(env.get("ASDF_DATA_DIR") or home / ".asdf"),
    )


_VERSIONED = re.compile(r"^python3\.\d+$")


def _versioned_on_path(search_path: str | None) -> Iterator[Path]:
    """Yield every executable ``python3.X`` in the ``PATH`` directories, in their order."""
    for directory in _path_dirs(search_path):
        try:
            names = sorted(e.name for e in os.scandir(directory) if _VERSIONED.match(e.name))
        except OSError:
            continue
        for name in names:
            found = shutil.which(name, path=directory)
            if found:
                yield Path(found)


def _on_path(names: Sequence[str], search_path: str | None) -> Iterator[Path]:
    """Yield each name's executable in every ``PATH`` directory (all of them, like ``which -a``)."""
    for name in names:
        for directory in _path_dirs(search_path):
            found = shutil.which(name, path=directory)
            if found:
                yield Path(found)


def _path_dirs(search_path: str | None) -> list[str]:
    """Return the ``PATH`` directories (``search_path``, else ``$PATH``), empty ones left out."""
    given = search_path if search_path is not None else os.environ.get("PATH", "")
    return [directory for directory in given.split(os.pathsep) if directory]


def _managed(root: Path, request: str, version_of: Callable[[str], str]) -> Iterator[Path]:
    """Yield ``bin/pythonX.Y`` of the installs under ``root`` matching ``request``, newest first."""
    try:
        entries = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return
    found: list[tuple[tuple[int, ...], Path]] = []
    for entry in entries:
        version = version_of(entry.name)
        if not re.fullmatch(r"\d+\.\d+\.\d+", version) or not _matches(version, request):
            continue
        major, minor, _ = version.split(".")
        names = (f"python{major}.{minor}", f"python{major}", "python")
        executable = next(
            (
                directory / f"{name}{suffix}"
                for directory in (entry / BIN_DIR, entry)
                for name in names
                for suffix in ("", ".exe")
                if (directory / f"{name}{suffix}").is_file()
            ),
            None,
        )
        if executable is not None:
            found.append((tuple(int(x) for x in version.split(".")), executable))
    for _, executable in sorted(found, key=lambda item: item[0], reverse=True):
        yield executable


def _py_launcher(request: str) -> Path | None:  # pragma: no cover - Windows only
    """Ask the Windows ``py`` launcher for Python ``request``'s executable."""
    launcher = shutil.which("py")
    if launcher is None:
        return None
    try:
        done = subprocess.run(
            [launcher, f"-{request}", "-I", "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=_LAUNCHER_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = done.stdout.strip()
    return Path(path) if done.returncode == 0 and path else None


def check_created(target: Path, creator: str) -> Path:
    """Return the new venv's interpreter after ``creator`` ran.

    Raises:
        OperationError: the venv or its interpreter is missing.
    """
    python = venv_python(target)
    if not is_venv(target) or not python.exists():
        raise OperationError(f"{creator} did not create a venv at {target}")
    return python
