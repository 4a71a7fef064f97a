"""Find the target environment and probe its interpreter.

The probe is one isolated call of the target interpreter (``-I -S``): ``-I``
keeps ``PYTHONPATH`` and the user site out, ``-S`` keeps the environment's
``.pth`` files and ``sitecustomize`` from running code. It reports the
prefixes, the site-packages directories and the PEP 508 marker environment.
No code of the target environment is imported.

Why one module of this size: finding the target, probing it in one isolated call (the
probe script is inline) and its tags are one concern: what the target environment is.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envsnap._io import SMALL_FILE_LIMIT, read_limited
from envsnap._subprocess import BoundedProcess, OutputTooLargeError, ProcessTimeoutError
from envsnap.errors import TargetError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    import packaging.tags

__all__ = [
    "PROBE_OUTPUT_LIMIT",
    "PROBE_TIMEOUT",
    "PendingProbe",
    "TargetChoice",
    "TargetEnvironment",
    "choose_target",
    "environment_tags",
    "find_interpreter",
    "guard_read",
    "probe",
    "project_root",
    "refuse_if_restoring",
    "restore_running",
    "start_probe",
]

PROBE_TIMEOUT = 20.0
"""Seconds the probe may take before the target counts as hung (env: ENVSNAP_PROBE_TIMEOUT)."""

PROBE_OUTPUT_LIMIT = 16 << 20
"""Bytes the probe may print on stdout (and on stderr); its answer is about 2 KB."""

_BIN = "Scripts" if sys.platform == "win32" else "bin"
_EXE = "python.exe" if sys.platform == "win32" else "python"

# Runs inside the target interpreter: stdlib only, and it must not fail on any
# Python 3.  A Python 2 target fails to compile the f-string and is reported.
# It imports no more than it must (json alone would double its 15 ms): the
# answer is ascii() of a dict of strings and lists, read back with
# ast.literal_eval.  The marker values are those of packaging's
# default_environment(); on CPython and PyPy under Linux and macOS they are
# taken from sys and os.uname() as the platform module itself does, anywhere
# else from platform.
_PROBE = r"""
import os, site, sys, sysconfig
f"{sys.version_info}"
def full(info):
    v = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        v += info.releaselevel[0] + str(info.serial)
    return v
impl = sys.implementation.name
if impl in ("cpython", "pypy") and sys.platform in ("linux", "darwin"):
    implementation = "CPython" if impl == "cpython" else "PyPy"
    py_version = sys.version.split()[0]
    if py_version.count(".") == 1:
        py_version += ".0"
    system, _, release, version, machine = os.uname()
else:
    import platform
    implementation = platform.python_implementation()
    py_version = platform.python_version()
    system, release, version = platform.system(), platform.release(), platform.version()
    machine = platform.machine()
markers = {
    "implementation_name": impl,
    "implementation_version": full(sys.implementation.version),
    "os_name": os.name,
    "platform_machine": machine,
    "platform_release": release,
    "platform_system": system,
    "platform_version": version,
    "python_full_version": py_version,
    "platform_python_implementation": implementation,
    "python_version": "%d.%d" % sys.version_info[:2],
    "sys_platform": sys.platform,
}
def dirs(prefixes):
    out = []
    for p in site.getsitepackages(prefixes):
        if p not in out:
            out.append(p)
    return out
# Under -S, site.venv() has not run: find pyvenv.cfg (PEP 405) ourselves.
prefix = sys.prefix
if prefix == sys.base_prefix:
    exe_dir = os.path.dirname(os.path.abspath(sys.executable))
    for cand in (exe_dir, os.path.dirname(exe_dir)):
        if os.path.isfile(os.path.join(cand, "pyvenv.cfg")):
            prefix = cand
            break
# A venv's own scheme: a distribution's default one (Debian's posix_local) may
# point elsewhere, as site.venv() would have corrected under a normal start.
name = None
if prefix != sys.base_prefix or os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
    names = sysconfig.get_scheme_names()
    name = "venv" if "venv" in names else ("posix_prefix" if os.name == "posix" else None)
if name:
    scheme = sysconfig.get_paths(name, vars={"base": prefix, "platbase": prefix})
else:
    scheme = sysconfig.get_paths(vars={"base": prefix, "platbase": prefix})
own = []
for p in [scheme["purelib"], scheme["platlib"]] + dirs([prefix]):
    if p not in own:
        own.append(p)
answer = {
    "executable": sys.executable,
    "prefix": prefix,
    "base_prefix": sys.base_prefix,
    "version": list(sys.version_info[:3]),
    "implementation": implementation,
    "platform": sysconfig.get_platform(),
    "site_packages": own,
    "base_site_packages": dirs([sys.base_prefix]) if sys.base_prefix != prefix else [],
    "markers": markers,
}
"""
_PRINT = "\nsys.stdout.write(ascii(answer))\n"
"""Appended to :data:`_PROBE` when it runs in a subprocess: the answer goes to stdout."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetEnvironment:
    """What the probe found out about a target environment.

    Paths are absolute. ``site_packages`` lists the environment's own
    site-packages directories (purelib, platlib, deduplicated by real path);
    ``base_site_packages`` those of the base interpreter, visible inside the
    venv only when ``include_system_site_packages`` is true.
    """

    interpreter: Path
    """The interpreter that was probed (as given, not resolved)."""
    prefix: Path
    """``sys.prefix``: the venv directory for a venv."""
    base_prefix: Path
    """``sys.base_prefix``: the installation the venv was made from."""
    python_version: tuple[int, int, int]
    """``sys.version_info[:3]``."""
    implementation: str
    """``platform.python_implementation()``, e.g. ``CPython``."""
    platform: str
    """``sysconfig.get_platform()``, e.g. ``linux-x86_64``."""
    site_packages: tuple[Path, ...]
    """The environment's own site-packages directories, in search order."""
    base_site_packages: tuple[Path, ...] = ()
    """The base installation's site-packages (empty outside a venv)."""
    include_system_site_packages: bool = False
    """``include-system-site-packages`` of ``pyvenv.cfg``."""
    markers: Mapping[str, str] = field(default_factory=dict)
    """The PEP 508 marker environment of the target interpreter."""

    @property
    def is_venv(self) -> bool:
        """Whether the target is a virtual environment (PEP 405)."""
        return self.prefix != self.base_prefix

    @property
    def python_version_text(self) -> str:
        """The version as ``3.11.7``."""
        return ".".join(str(part) for part in self.python_version)

    def describe(self) -> str:
        """Return ``CPython 3.11.7, linux x86_64`` for headers and messages."""
        system = self.markers.get("platform_system", "").lower() or sys.platform
        machine = self.markers.get("platform_machine", "")
        where = f"{system} {machine}".strip()
        return f"{self.implementation} {self.python_version_text}, {where}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetChoice:
    """The interpreter :func:`choose_target` chose, and what the user should be told about it."""

    interpreter: Path
    """The interpreter's path, not resolved (see :func:`find_interpreter`)."""
    notes: tuple[str, ...] = ()
    """Plain lines about the choice (a ``$VIRTUAL_ENV`` passed over), for the CLI's ``note:``."""


def find_interpreter(
    python: str | os.PathLike[str] | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Resolve the target interpreter from ``-p/--python`` and the defaults.

    The interpreter of :func:`choose_target`, whose rules and errors it has.

    Returns:
        The interpreter's path, not resolved (a venv's ``bin/python`` is a
        link that must stay a link for ``sys.prefix`` to be the venv).
    """
    return choose_target(python, cwd=cwd, environ=environ).interpreter


def choose_target(
    python: str | os.PathLike[str] | None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> TargetChoice:
    """Choose the target interpreter from ``-p/--python`` and the defaults.

    Named (``python``), anything that runs is taken: a venv, the system
    Python, envsnap's own environment. The defaults take venvs only:

    1. ``$VIRTUAL_ENV``, unless it is envsnap's own environment
       (``sys.prefix``): pre-commit, pipx and ``uv tool`` point it at the
       tool's environment, so it is passed over (with a note) for the next rule;
    2. the nearest ``.venv`` in the current directory or its parents up to the
       project root (see :func:`project_root`), as uv looks for it.

    A default that is not a venv (no ``pyvenv.cfg``, PEP 405: ``.venv -> /usr``)
    is refused rather than read as the system Python. A venv that an envsnap
    restore may be rebuilding is refused too (:func:`refuse_if_restoring`),
    before anything of it is looked at.

    Args:
        python: an interpreter path, a venv directory, or the name of a
            virtualenvwrapper environment (``$WORKON_HOME/NAME``, default
            ``~/.virtualenvs``, as ``workon NAME`` finds it) when no file of
            that name exists; ``None`` for the defaults.
        cwd: the directory the ``.venv`` search starts from (default: the current one).
        environ: the environment variables to read (default: ``os.environ``).

    Returns:
        The :class:`TargetChoice`.

    Raises:
        TargetError: the path does not exist or is a broken venv; a default is
            not a venv; a restore is running beside the venv; no target was
            given and no default applies.
    """
    env = os.environ if environ is None else environ
    here = Path.cwd() if cwd is None else cwd
    if python is not None:
        path, given = Path(python), "python="
        named = _workon_env(os.fspath(python), env)
        if named is not None and not path.exists() and not path.is_symlink():
            path, given = named, f"python={python} ($WORKON_HOME)"
        refuse_if_restoring(_venv_dir_of(path))
        return TargetChoice(interpreter=_interpreter_at(path, given=given))
    own = None
    if env.get("VIRTUAL_ENV"):
        path = Path(env["VIRTUAL_ENV"])
        if not _is_running_environment(path):
            refuse_if_restoring(path)
            found = _default_at(path, shown=f"$VIRTUAL_ENV={path}", given="$VIRTUAL_ENV")
            return TargetChoice(interpreter=found)
        own = path
    for directory in _search_dirs(here):
        candidate = directory / ".venv"
        refuse_if_restoring(candidate)
        if candidate.exists() or candidate.is_symlink():
            found = _default_at(candidate, shown=os.fspath(candidate), given=os.fspath(candidate))
            if own is None or _is_running_environment(candidate):
                return TargetChoice(interpreter=found)
            note = (
                f"$VIRTUAL_ENV ({own}) is envsnap's own environment, not the project's: "
                f"reading {candidate} instead"
            )
            return TargetChoice(interpreter=found, notes=(note,))
    if own is not None:
        raise TargetError(
            f"no target environment: $VIRTUAL_ENV ({own}) is envsnap's own environment, "
            f"and there is no .venv in {here} or its parents up to the project root",
            hint="name the environment to read with python=PATH (python=$VIRTUAL_ENV for "
            "envsnap's own), or create ./.venv",
        )
    raise TargetError(
        "no target environment: $VIRTUAL_ENV is not set and there is no .venv in "
        f"{here} or its parents up to the project root",
        hint="name one with python=PATH (a venv directory, its interpreter, or a "
        "$WORKON_HOME env name), activate a venv, or create ./.venv",
    )


def _is_running_environment(path: Path) -> bool:
    """Whether ``path`` is the environment envsnap runs in (``sys.prefix``, by file identity)."""
    try:
        return path.samefile(sys.prefix)
    except OSError:
        return False


def _venv_dir_of(path: Path) -> Path:
    """Return the venv directory a named target belongs to: ``DIR`` for ``DIR/bin/python``."""
    if path.parent.name == _BIN and not path.is_dir():
        return path.parent.parent
    return path


def _default_at(path: Path, *, shown: str, given: str) -> Path:
    """Return the interpreter of a default target, refusing one that is not a venv.

    ``.venv -> /usr`` or ``$VIRTUAL_ENV=/usr`` has a ``bin/`` and an
    interpreter like a venv, but no ``pyvenv.cfg`` (PEP 405): it is the system
    Python, read only when named.
    """
    if path.is_dir() and (path / _BIN).is_dir() and not (path / "pyvenv.cfg").is_file():
        real = Path(os.path.realpath(path))
        leads = f"leads to {real}, " if real != path.absolute() else ""
        interpreters = [real / _BIN / name for name in (_EXE, "python3")]
        named = next((exe for exe in interpreters if exe.exists()), interpreters[0])
        raise TargetError(
            f"{shown}: {leads}a Python installation, not a virtual environment (no "
            "pyvenv.cfg); refused: the system Python is read only when named",
            hint=f"to read it anyway, name it: python={named}",
        )
    return _interpreter_at(path, given=given)


def restore_running(venv: Path) -> bool:
    """Return whether an envsnap restore holds the lock beside ``venv``.

    A restore holds an exclusive ``flock`` on the venv's parent directory for
    its whole build (``envsnap.restore.target.target_lock``); this takes a
    shared one without waiting and lets it go at once. That lock covers every
    venv in the directory: a restore of ``DIR/venv2`` also counts for
    ``DIR/.venv``.

    Args:
        venv: a venv directory (it need not exist: a restore moves the old one aside).

    Returns:
        ``True`` when the lock is held; ``False`` when it is free, when the
        parent cannot be opened, and where there is no ``flock`` (Windows).
    """
    try:
        import fcntl  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows: restores do not lock there either
        return False
    try:
        fd = os.open(venv.parent, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing lets the shared lock go
    return False


def refuse_if_restoring(venv: Path) -> None:
    """Refuse to read ``venv`` while an envsnap restore may be rebuilding it.

    A restore moves the old venv aside and builds the new one in its place; a
    reader would see a half-built environment (or none) and write a lock with
    part of its pins. Readers stop at once rather than wait: a restore may take
    minutes, and its outcome (the new venv, or the old one put back) is not
    known until it ends.

    Raises:
        TargetError: exit 2, when :func:`restore_running`.
    """
    if restore_running(venv):
        raise TargetError(
            f"{venv}: an envsnap restore is running in {venv.absolute().parent} and may be "
            "rebuilding it; refused to read it, nothing was written",
            hint="run this again once the restore has finished",
        )


@contextlib.contextmanager
def guard_read(environment: TargetEnvironment) -> Iterator[None]:
    """Refuse to read a venv that an envsnap restore builds, before and after the read.

    Before: :func:`refuse_if_restoring`. After: a restore that started during
    the read (it holds the lock, or the venv directory is another one by now)
    makes the read void. Not for the venv a restore verifies itself, under its
    own lock. A target that is not a venv is never built by a restore.

    Raises:
        TargetError: exit 2, before the read or at its end.
    """
    if not environment.is_venv:
        yield
        return
    venv = environment.prefix
    refuse_if_restoring(venv)
    before = _identity(venv)
    yield
    if restore_running(venv) or _identity(venv) != before:
        raise TargetError(
            f"{venv}: an envsnap restore started while it was being read; what was read "
            "is discarded, nothing was written",
            hint="run this again once the restore has finished",
        )


def _identity(path: Path) -> tuple[int, int] | None:
    """Return ``(st_dev, st_ino)`` of ``path``, ``None`` when it is gone."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


_PROJECT_MARKERS = (".git", "pyproject.toml")


def project_root(start: Path) -> Path | None:
    """Return the project root at or above ``start``, or ``None`` outside any project.

    The nearest directory holding ``.git``, else the nearest holding
    ``pyproject.toml``. ``.git`` first, so that a ``.venv`` at the root of a repository (a uv
    workspace, say) is found from any member project inside it.
    """
    chain = [start, *start.parents]
    for marker in _PROJECT_MARKERS:
        for directory in chain:
            if (directory / marker).exists():
                return directory
    return None


def _search_dirs(start: Path) -> list[Path]:
    """``start`` and its parents up to the project root (only ``start`` outside a project).

    ``uv pip`` looks at every parent; stopping at the project root keeps a
    stray ``~/.venv`` from being picked for a command run in an unrelated
    directory.
    """
    start = start.absolute()
    root = project_root(start)
    if root is None:
        return [start]
    chain = [start, *start.parents]
    return chain[: chain.index(root) + 1]


def _workon_env(name: str, environ: Mapping[str, str]) -> Path | None:
    """Return ``$WORKON_HOME/NAME`` (default ``~/.virtualenvs``) for a bare name, if it exists."""
    if not name or os.sep in name or (os.altsep and os.altsep in name) or name in {".", ".."}:
        return None
    home = Path(environ.get("WORKON_HOME") or "~/.virtualenvs").expanduser()
    candidate = home / name
    return candidate if candidate.is_dir() else None


def _interpreter_at(path: Path, *, given: str) -> Path:
    """Return the interpreter of a venv directory or check an interpreter path."""
    if path.is_dir():
        if not (path / "pyvenv.cfg").is_file() and not (path / _BIN).is_dir():
            raise TargetError(
                f"{path}: not a virtual environment (no pyvenv.cfg, no {_BIN}/)",
                hint=f"{given} takes a venv directory or a Python interpreter",
            )
        for name in (_EXE, "python3"):
            exe = path / _BIN / name
            if exe.is_symlink() and not exe.exists():
                raise TargetError(
                    f"{path}: broken virtual environment: {exe} points to missing "
                    f"{os.readlink(exe)}",
                    hint="recreate it (python -m venv) or name another with python=",
                )
            if exe.exists():
                return exe
        raise TargetError(
            f"{path}: no interpreter in {path / _BIN}",
            hint="recreate the venv, or name the interpreter with python=",
        )
    if path.is_symlink() and not path.exists():
        raise TargetError(
            f"{path}: broken link to missing {os.readlink(path)}",
            hint="recreate the venv, or name another interpreter with python=",
        )
    if not path.exists():
        raise TargetError(f"{path}: no such file or directory ({given})")
    return path


def probe(
    interpreter: Path, *, timeout: float | None = None, started: PendingProbe | None = None
) -> TargetEnvironment:
    """Probe a target interpreter in one isolated subprocess.

    Args:
        interpreter: the interpreter to run (see :func:`find_interpreter`).
        timeout: seconds to wait before giving up (default:
            ``$ENVSNAP_PROBE_TIMEOUT``, else :data:`PROBE_TIMEOUT`).
        started: a probe already running (:func:`start_probe`); its answer is
            used when it is a probe of ``interpreter``, instead of starting
            another.

    Returns:
        The :class:`TargetEnvironment` it describes.

    Raises:
        TargetError: the file is not a runnable Python 3, hangs past
            ``timeout``, prints more than :data:`PROBE_OUTPUT_LIMIT`, or prints
            something that is not the probe's answer.
    """
    if started is not None and started.interpreter == interpreter:
        return started.result()
    with start_probe(interpreter, timeout=timeout) as pending:
        return pending.result()


def start_probe(interpreter: Path, *, timeout: float | None = None) -> PendingProbe:
    """Start probing a target interpreter and return at once.

    The probe runs while the caller goes on (importing, reading files); the
    answer is taken with :meth:`PendingProbe.result`. Nothing is raised here:
    an interpreter that cannot be started raises the same :class:`TargetError`
    from ``result()`` that :func:`probe` raises, so errors keep their place.
    Use the handle as a context manager so that a probe whose answer is never
    asked for is stopped.

    The interpreter may be a wrapper (a pyenv shim) whose children inherit the
    pipes: it runs in its own process group, killed as a whole at the timeout
    or once the interpreter itself has exited, and its output is read against
    the deadline up to :data:`PROBE_OUTPUT_LIMIT`
    (:class:`envsnap._subprocess.BoundedProcess`).

    Args:
        interpreter: the interpreter to run (see :func:`find_interpreter`).
        timeout: seconds from now until the target counts as hung (default:
            ``$ENVSNAP_PROBE_TIMEOUT``, else :data:`PROBE_TIMEOUT`).

    Returns:
        The :class:`PendingProbe`.
    """
    if timeout is None:
        try:
            timeout = float(os.environ.get("ENVSNAP_PROBE_TIMEOUT") or PROBE_TIMEOUT)
        except ValueError:
            timeout = PROBE_TIMEOUT
    return PendingProbe(interpreter, timeout)


class PendingProbe:
    """A probe of a target interpreter running in the background (:func:`start_probe`)."""

    __slots__ = ("_error", "_process", "_result", "_timeout", "interpreter")

    def __init__(self, interpreter: Path, timeout: float) -> None:
        """Start the probe process; see :func:`start_probe`."""
        self.interpreter = interpreter
        """The interpreter being probed (as given)."""
        self._timeout = timeout
        self._result: TargetEnvironment | None = None
        self._error: TargetError | None = None
        self._process: BoundedProcess | None = None
        try:
            # absolute: a bare relative name ("python2") must not be looked up on PATH
            self._process = BoundedProcess(
                [os.fspath(interpreter.absolute()), "-I", "-S", "-c", _PROBE + _PRINT],
                timeout=timeout,
                max_output=PROBE_OUTPUT_LIMIT,
                env=_probe_environ(),
            )
        except OSError as exc:
            self._error = TargetError(
                f"{interpreter}: cannot run it: {exc.strerror or exc}",
                hint="python= takes a venv directory or a Python 3 interpreter",
            )

    def result(self) -> TargetEnvironment:
        """Wait for the probe's answer (once; later calls return the same).

        Returns:
            The :class:`TargetEnvironment` the target described.

        Raises:
            TargetError: as :func:`probe` does.
        """
        if self._error is not None:
            raise self._error
        if self._result is None:
            try:
                self._result = self._collect()
            except TargetError as exc:
                self._error = exc
                raise
        return self._result

    def cancel(self) -> None:
        """Stop the probe if it still runs (its answer is no longer wanted)."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()

    def __enter__(self) -> PendingProbe:
        """Return the probe itself."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the probe if its answer was not taken."""
        self.cancel()

    def _collect(self) -> TargetEnvironment:
        """Wait for the process and turn its output into a :class:`TargetEnvironment`."""
        process, self._process = self._process, None
        if process is None:
            raise TargetError(f"{self.interpreter}: the probe was cancelled")
        try:
            done = process.wait()
        except ProcessTimeoutError:
            raise TargetError(
                f"{self.interpreter}: the interpreter did not answer within {self._timeout:g} s",
                hint="check that it starts (run it with -c pass), or name another with python=",
            ) from None
        except OutputTooLargeError as exc:
            raise TargetError(
                f"{self.interpreter}: the interpreter's answer is too large "
                f"({exc.stream} over {exc.limit // (1 << 20)} MiB)",
                hint="is it a Python interpreter? name another with python=",
            ) from None
        if done.returncode != 0:
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = last[-1] if last else f"exit code {done.returncode}"
            if last and last[0].startswith("Unknown option: -"):
                detail = f"{last[0]}: Python 2 or older"  # Python 2 has no -I
            raise TargetError(
                f"{self.interpreter}: not a usable Python 3 interpreter ({detail})",
                hint="envsnap reads Python 3 environments; name another with python=",
            )
        import ast  # noqa: PLC0415 - only here; the CLI has it loaded already (click)

        try:
            raw = ast.literal_eval(done.stdout.decode("utf-8", "replace"))
            if not isinstance(raw, dict):
                raise TypeError("malformed probe answer")
            return _environment_from(self.interpreter, raw)
        except (ValueError, KeyError, TypeError, SyntaxError, RecursionError, MemoryError) as exc:
            raise TargetError(
                f"{self.interpreter}: unexpected answer from the interpreter probe "
                f"({type(exc).__name__ if isinstance(exc, MemoryError) else exc})",
                hint="is it a Python interpreter? name another with python=",
            ) from None


def _probe_environ() -> dict[str, str]:
    """Return the environment for the probe: the caller's, minus Python's knobs."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


def _environment_from(interpreter: Path, raw: dict[str, object]) -> TargetEnvironment:
    prefix = Path(str(raw["prefix"]))
    base_prefix = Path(str(raw["base_prefix"]))
    own = _unique_dirs(raw["site_packages"])
    base = [d for d in _unique_dirs(raw["base_site_packages"]) if d not in own]
    version = raw["version"]
    markers = raw["markers"]
    if not isinstance(version, list) or not isinstance(markers, dict):
        raise TypeError("malformed probe answer")
    return TargetEnvironment(
        interpreter=interpreter,
        prefix=prefix,
        base_prefix=base_prefix,
        python_version=(int(version[0]), int(version[1]), int(version[2])),
        implementation=str(raw["implementation"]),
        platform=str(raw["platform"]),
        site_packages=tuple(own),
        base_site_packages=tuple(base),
        include_system_site_packages=_include_system(prefix) if prefix != base_prefix else False,
        markers={str(k): str(v) for k, v in markers.items()},
    )


def _unique_dirs(value: object) -> list[Path]:
    """Keep existing directories once each, by real path, in order."""
    if not isinstance(value, list):
        raise TypeError("malformed probe answer")
    seen: set[str] = set()
    out: list[Path] = []
    for item in value:
        path = Path(str(item))
        real = os.path.realpath(path)
        if real in seen or not path.is_dir():
            continue
        seen.add(real)
        out.append(path)
    return out


def _include_system(prefix: Path) -> bool:
    """Read ``include-system-site-packages`` from ``pyvenv.cfg`` (PEP 405)."""
    try:
        text = read_limited(prefix / "pyvenv.cfg", SMALL_FILE_LIMIT).decode("utf-8", "replace")
    except OSError:
        return False
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "include-system-site-packages":
            return value.strip().lower() == "true"
    return False


def environment_tags(env: TargetEnvironment) -> list[packaging.tags.Tag]:
    """Return the wheel tags a target interpreter supports, most preferred first.

    Computed with :mod:`packaging.tags` from the probed implementation, Python
    version and platform. When the target runs on the host's platform (the
    usual case), the host's platform tags are used (manylinux/musllinux from
    its C library, macOS versions); otherwise only the target's own platform
    tag.

    Args:
        env: the probed target.

    Returns:
        The supported tags, as :func:`packaging.tags.sys_tags` orders them.
    """
    import re  # noqa: PLC0415
    import sysconfig  # noqa: PLC0415

    from packaging import tags  # noqa: PLC0415

    version = env.python_version[:2]
    if env.platform == sysconfig.get_platform():
        platforms = list(tags.platform_tags())
    else:
        platforms = [re.sub(r"[-.]", "_", env.platform)]
    name = env.markers.get("implementation_name", "cpython")
    abbreviation = tags.INTERPRETER_SHORT_NAMES.get(name, name)
    interpreter = f"{abbreviation}{version[0]}{version[1]}"
    found: list[tags.Tag] = []
    if name == "cpython":
        found += tags.cpython_tags(version, platforms=platforms)
    else:
        found += tags.generic_tags(interpreter=interpreter, platforms=platforms)
    found += tags.compatible_tags(version, interpreter, platforms)
    return found
